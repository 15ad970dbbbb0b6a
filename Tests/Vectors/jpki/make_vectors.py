"""Generates JPKI-shaped test certificates with PyCA `cryptography` (an implementation independent of
Honnin), for Tests/HonninPKITests/PyCAInteropTests.swift. See README.md for provenance.

Run: python3 -m venv .venv && .venv/bin/pip install cryptography && .venv/bin/python make_vectors.py
The keys are random on every run, so regenerating changes the bytes; the expected facts do not change.
"""
import datetime
import json
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).resolve().parent
BASE = "1.2.392.200149.8.5.5."


def utf8(text):
    data = text.encode("utf-8")
    assert len(data) < 0x10000
    if len(data) < 0x80:
        return bytes([0x0C, len(data)]) + data
    if len(data) < 0x100:
        return bytes([0x0C, 0x81, len(data)]) + data
    return bytes([0x0C, 0x82, len(data) >> 8, len(data) & 0xFF]) + data


def other(n, text):
    return x509.OtherName(x509.ObjectIdentifier(BASE + str(n)), utf8(text))


root_name = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI PYCA TEST"),
    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for digital signature (PYCA TEST)"),
    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Japan Agency for Local Authority Information Systems (PYCA TEST)"),
])
start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name).public_key(root_key.public_key())
        .serial_number(0x067C6A21).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(root_key, hashes.SHA256()))
(HERE / "roots" / "pyca_sign_root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))

dp = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI PYCA TEST"),
    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CRL Distribution Points"),
    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Hokkaido"), x509.NameAttribute(NameOID.COMMON_NAME, "Sapporo CRLDP"),
])
leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def leaf(serial, entries):
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"), x509.NameAttribute(NameOID.LOCALITY_NAME, "北海道"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "札幌市"), x509.NameAttribute(NameOID.COMMON_NAME, f"PYCA{serial:06X}"),
    ])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(root_name).public_key(leaf_key.public_key())
            .serial_number(serial).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=5 * 365))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.SubjectAlternativeName(entries), critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint([x509.DirectoryName(dp)], None, None, None)]), critical=False)
            .sign(root_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


vectors = [
    {"file": "standard.der", "serial": 0x10001,
     "entries": [(1, "鈴木 一郎"), (3, "1"), (4, "319650715"), (5, "北海道札幌市中央区北一条西2丁目")],
     "expect": {"name": "鈴木 一郎", "gender": "1", "birth": "319650715", "birthdate": "1965-07-15",
                "address": "北海道札幌市中央区北一条西2丁目"}},
    {"file": "substitutes.der", "serial": 0x10002,
     "entries": [(1, "𠮷田 花子"), (2, "吉田 花子"), (3, "2"), (4, "419900000"), (5, "北海道札幌市北区1-1"), (6, "北海道札幌市北区１－１")],
     "expect": {"name": "𠮷田 花子", "nameSubstitute": "吉田 花子", "gender": "2", "birth": "419900000", "birthdate": None,
                "address": "北海道札幌市北区1-1", "addressSubstitute": "北海道札幌市北区１－１"}},
    {"file": "duplicate_name.der", "serial": 0x10003,
     "entries": [(1, "鈴木 一郎"), (1, "佐藤 次郎"), (3, "1"), (4, "319650715"), (5, "北海道")], "error": "malformed"},
    {"file": "no_address.der", "serial": 0x10004,
     "entries": [(1, "鈴木 一郎"), (3, "1"), (4, "319650715")], "error": "malformed"},
]
manifest = []
for v in vectors:
    (HERE / v["file"]).write_bytes(leaf(v["serial"], [other(n, t) for n, t in v["entries"]]))
    manifest.append({k: v[k] for k in v if k != "entries"})
(HERE / "expected.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
print(f"wrote {len(manifest)} certificates")
