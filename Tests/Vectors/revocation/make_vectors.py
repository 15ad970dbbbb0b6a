#!/usr/bin/env python3
"""Generate revocation interop vectors with PyCA `cryptography` (an implementation independent of ours).

Writes, next to this script, a JPKI-shaped test PKI (a root with a TEST marker, end-entity certificates whose
cRLDistributionPoints name a municipality partition as a directoryName), CRLs with every RFC 5280 reason code,
negative CRLs (SHA-1 signed, unknown critical extension, delta CRL), and an OCSP request and responses signed by a
delegated responder, plus `manifest.json` describing what each file must verify as.  The Swift tests
(`Tests/HonninPKIRevocationTests/InteropVectorTests.swift`) read these files; `swift test` needs no Python.

Run:  python3 -m venv .venv && .venv/bin/pip install cryptography && .venv/bin/python make_vectors.py
Keys are generated anew on every run, so a run rewrites every file; commit them together.
"""

import datetime as dt
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = dt.timezone.utc
NOT_BEFORE = dt.datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = dt.datetime(2031, 1, 1, tzinfo=UTC)
THIS_UPDATE = dt.datetime(2027, 1, 1, tzinfo=UTC)
NEXT_UPDATE = dt.datetime(2027, 1, 8, tzinfo=UTC)
QUERY_TIME = dt.datetime(2027, 1, 2, tzinfo=UTC)
REVOKED_AT = dt.datetime(2026, 12, 24, 9, 30, tzinfo=UTC)
NONCE = bytes(range(1, 33))  # 32 octets (RFC 8954 §2.1)

REASONS = [  # (RFC 5280 name, PyCA flag, serial)
    ("unspecified", x509.ReasonFlags.unspecified, 0x2000),
    ("keyCompromise", x509.ReasonFlags.key_compromise, 0x2001),
    ("cACompromise", x509.ReasonFlags.ca_compromise, 0x2002),
    ("affiliationChanged", x509.ReasonFlags.affiliation_changed, 0x2003),
    ("superseded", x509.ReasonFlags.superseded, 0x2004),
    ("cessationOfOperation", x509.ReasonFlags.cessation_of_operation, 0x2005),
    ("certificateHold", x509.ReasonFlags.certificate_hold, 0x2006),
    ("removeFromCRL", x509.ReasonFlags.remove_from_crl, 0x2008),
    ("privilegeWithdrawn", x509.ReasonFlags.privilege_withdrawn, 0x2009),
    ("aACompromise", x509.ReasonFlags.aa_compromise, 0x200A),
]
NO_REASON_SERIAL = 0x200F  # listed without a reasonCode entry extension
GOOD_SERIAL = 0x1000
NO_DP_SERIAL = 0x3000  # no cRLDistributionPoints: matched by the issuer-wide CRL


def name(*parts):
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts])


ROOT_NAME = name(
    (NameOID.COUNTRY_NAME, "JP"),
    (NameOID.ORGANIZATION_NAME, "JPKI"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for digital signature"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "TEST PyCA"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "Japan Agency for Local Authority Information Systems"),
)
DP_NAME = name(
    (NameOID.COUNTRY_NAME, "JP"),
    (NameOID.ORGANIZATION_NAME, "JPKI"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for digital signature"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "TEST PyCA"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "CRL Distribution Points"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "Tokyo"),
    (NameOID.COMMON_NAME, "Chiyoda CRLDP"),
)


def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write(filename, data):
    with open(os.path.join(HERE, filename), "wb") as f:
        f.write(data)


def der(obj):
    return obj.public_bytes(serialization.Encoding.DER)


def sha1_resigned(crl_der, signing_key):
    """The same CRL signed with sha1WithRSAEncryption.

    PyCA refuses to build SHA-1 signed X.509 objects, so this swaps the two sha256WithRSAEncryption OIDs for
    sha1WithRSAEncryption (same length, so no DER length changes) and replaces the 256-octet signature (at the
    end of the DER) with PyCA's RSA PKCS#1 v1.5 signature over the new tbsCertList with SHA-1.
    """
    sha256_rsa = bytes.fromhex("06092a864886f70d01010b")
    sha1_rsa = bytes.fromhex("06092a864886f70d010105")
    assert crl_der.count(sha256_rsa) == 2
    swapped = crl_der.replace(sha256_rsa, sha1_rsa)
    tbs = x509.load_der_x509_crl(swapped).tbs_certlist_bytes
    signature = signing_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    assert len(signature) == 256
    return swapped[:-256] + signature


def main():
    root_key = key()
    root = (
        x509.CertificateBuilder()
        .subject_name(ROOT_NAME)
        .issuer_name(ROOT_NAME)
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.DirectoryName(ROOT_NAME)], None, None, None)]
            ),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    write("root.der", der(root))

    ee_key = key()

    def end_entity(serial, with_dp=True):
        b = (
            x509.CertificateBuilder()
            .subject_name(
                name(
                    (NameOID.COUNTRY_NAME, "JP"),
                    (NameOID.LOCALITY_NAME, "東京都"),
                    (NameOID.LOCALITY_NAME, "千代田区"),
                    (NameOID.COMMON_NAME, f"TEST{serial:X}"),
                )
            )
            .issuer_name(ROOT_NAME)
            .public_key(ee_key.public_key())
            .serial_number(serial)
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
        )
        if with_dp:
            b = b.add_extension(
                x509.CRLDistributionPoints(
                    [x509.DistributionPoint([x509.DirectoryName(DP_NAME)], None, None, None)]
                ),
                critical=False,
            )
        return b.sign(root_key, hashes.SHA256())

    certs = {GOOD_SERIAL: end_entity(GOOD_SERIAL), NO_DP_SERIAL: end_entity(NO_DP_SERIAL, with_dp=False)}
    for _, _, serial in REASONS:
        certs[serial] = end_entity(serial)
    certs[NO_REASON_SERIAL] = end_entity(NO_REASON_SERIAL)
    for serial, cert in certs.items():
        write(f"ee-{serial:x}.der", der(cert))

    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key())

    def crl(entries, number, idp=True, algorithm=hashes.SHA256(), extra=None):
        b = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ROOT_NAME)
            .last_update(THIS_UPDATE)
            .next_update(NEXT_UPDATE)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(aki, critical=False)
        )
        if idp:
            b = b.add_extension(
                x509.IssuingDistributionPoint(
                    full_name=[x509.DirectoryName(DP_NAME)],
                    relative_name=None,
                    only_contains_user_certs=False,
                    only_contains_ca_certs=False,
                    only_some_reasons=None,
                    indirect_crl=False,
                    only_contains_attribute_certs=False,
                ),
                critical=True,
            )
        for ext, critical in extra or []:
            b = b.add_extension(ext, critical=critical)
        for serial, flag in entries:
            rb = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(REVOKED_AT)
            if flag is not None:
                rb = rb.add_extension(x509.CRLReason(flag), critical=False)
            b = b.add_revoked_certificate(rb.build())
        return b.sign(root_key, algorithm)

    entries = [(serial, flag) for _, flag, serial in REASONS] + [(NO_REASON_SERIAL, None)]
    partition = crl(entries, 42)
    write("crl-partition.der", der(partition))
    write("crl-partition.pem", partition.public_bytes(serialization.Encoding.PEM))
    write("crl-issuer-wide.der", der(crl([(NO_DP_SERIAL, x509.ReasonFlags.key_compromise)], 7, idp=False)))
    write("crl-sha1.der", sha1_resigned(der(crl(entries, 43)), root_key))
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    write("crl-unknown-critical.der", der(crl(entries, 44, extra=[(unknown, True)])))
    write("crl-delta.der", der(crl(entries, 45, extra=[(x509.DeltaCRLIndicator(41), True)])))

    # OCSP: a delegated responder (RFC 6960 §4.2.2.2) issued by the root with id-kp-OCSPSigning.
    responder_key = key()
    responder = (
        x509.CertificateBuilder()
        .subject_name(name((NameOID.COUNTRY_NAME, "JP"), (NameOID.COMMON_NAME, "TEST PyCA OCSP Responder")))
        .issuer_name(ROOT_NAME)
        .public_key(responder_key.public_key())
        .serial_number(0x0C5B)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    write("ocsp-responder.der", der(responder))

    good = certs[GOOD_SERIAL]
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(good, root, hashes.SHA1())
        .add_extension(x509.OCSPNonce(NONCE), critical=False)
        .build()
    )
    write("ocsp-request-good.der", request.public_bytes(serialization.Encoding.DER))

    def response(cert, status, responder_id, revocation_reason=None):
        b = ocsp.OCSPResponseBuilder().add_response(
            cert=cert,
            issuer=root,
            algorithm=hashes.SHA1(),
            cert_status=status,
            this_update=dt.datetime(2027, 1, 1, 23, 0, tzinfo=UTC),
            next_update=dt.datetime(2027, 1, 2, 23, 0, tzinfo=UTC),
            revocation_time=REVOKED_AT if status == ocsp.OCSPCertStatus.REVOKED else None,
            revocation_reason=revocation_reason,
        )
        b = b.responder_id(responder_id, responder).certificates([responder])
        b = b.add_extension(x509.OCSPNonce(NONCE), critical=False)
        return b.sign(responder_key, hashes.SHA256())

    write("ocsp-good.der", response(good, ocsp.OCSPCertStatus.GOOD, ocsp.OCSPResponderEncoding.HASH).public_bytes(serialization.Encoding.DER))
    revoked = certs[0x2001]
    write(
        "ocsp-revoked.der",
        response(
            revoked, ocsp.OCSPCertStatus.REVOKED, ocsp.OCSPResponderEncoding.NAME, x509.ReasonFlags.key_compromise
        ).public_bytes(serialization.Encoding.DER),
    )
    write(
        "ocsp-unauthorized.der",
        ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER),
    )

    manifest = {
        "generator": f"PyCA cryptography {__import__('cryptography').__version__}",
        "queryTime": QUERY_TIME.isoformat().replace("+00:00", "Z"),
        "revokedAt": REVOKED_AT.isoformat().replace("+00:00", "Z"),
        "nonceHex": NONCE.hex(),
        "root": "root.der",
        "responder": "ocsp-responder.der",
        "goodCertificate": f"ee-{GOOD_SERIAL:x}.der",
        "noDistributionPointCertificate": f"ee-{NO_DP_SERIAL:x}.der",
        "noReasonCertificate": f"ee-{NO_REASON_SERIAL:x}.der",
        "revoked": [{"reason": r, "certificate": f"ee-{s:x}.der"} for r, _, s in REASONS],
        "crls": {
            "partition": {"file": "crl-partition.der", "number": "2a"},
            "partitionPEM": {"file": "crl-partition.pem", "number": "2a"},
            "issuerWide": {"file": "crl-issuer-wide.der", "number": "07"},
        },
        "rejectedCRLs": [
            {"file": "crl-sha1.der", "code": "weak_algorithm"},
            {"file": "crl-unknown-critical.der", "code": "unknown_critical_extension"},
            {"file": "crl-delta.der", "code": "unknown_critical_extension"},
        ],
        "ocsp": {
            "request": "ocsp-request-good.der",
            "good": {"file": "ocsp-good.der", "certificate": f"ee-{GOOD_SERIAL:x}.der"},
            "revoked": {"file": "ocsp-revoked.der", "certificate": "ee-2001.der", "reason": "keyCompromise"},
            "unauthorized": "ocsp-unauthorized.der",
        },
    }
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
