#!/usr/bin/env python3
"""Pulls the tpm, android-key and apple registration examples out of their public sources and
writes the fields that Honnin's attestation verifiers take (see README.md in this folder).

Usage: extract_vectors.py INDEX_BS PY_WEBAUTHN_TESTS_DIR
  INDEX_BS               w3c/webauthn index.bs (the spec source with the §16 test vectors)
  PY_WEBAUTHN_TESTS_DIR  duo-labs/py_webauthn tests/ folder

Needs cbor2 (pip install cbor2). Writes tpm.json, android-key.json and apple.json beside itself.
"""
import base64
import hashlib
import io
import json
import os
import re
import sys

import cbor2

HERE = os.path.dirname(os.path.abspath(__file__))


def b64url(text):
    text = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def split_auth_data(auth_data):
    """authenticatorData (WebAuthn §6.1): rpIdHash 32, flags 1, signCount 4, then the attested
    credential data (§6.5.1): aaguid 16, credentialIdLength 2, credentialId, credentialPublicKey."""
    flags = auth_data[32]
    assert flags & 0x40, "AT flag not set"
    aaguid = auth_data[37:53]
    id_len = int.from_bytes(auth_data[53:55], "big")
    stream = io.BytesIO(auth_data[55 + id_len:])
    cose = cbor2.CBORDecoder(stream).decode()
    return aaguid, cose


def cose_fields(cose):
    kty, alg = cose[1], cose[3]
    if kty == 2:
        return {"kty": kty, "alg": alg, "crv": cose[-1], "x": cose[-2].hex(), "y": cose[-3].hex()}
    if kty == 3:
        return {"kty": kty, "alg": alg, "n": cose[-1].hex(), "e": cose[-2].hex()}
    raise ValueError(f"unexpected kty {kty}")


def case(name, source, client_data_json, attestation_object, expected):
    obj = cbor2.loads(attestation_object)
    auth_data = obj["authData"]
    aaguid, cose = split_auth_data(auth_data)
    stmt = {}
    for key, value in obj["attStmt"].items():
        if key == "x5c":
            stmt[key] = [c.hex() for c in value]
        elif isinstance(value, bytes):
            stmt[key] = value.hex()
        else:
            stmt[key] = value
    return {
        "name": name,
        "source": source,
        "fmt": obj["fmt"],
        "expected": expected,
        "clientDataJSON": base64.urlsafe_b64encode(client_data_json).decode().rstrip("="),
        "attestationObject": base64.urlsafe_b64encode(attestation_object).decode().rstrip("="),
        "clientDataHash": hashlib.sha256(client_data_json).hexdigest(),
        "authenticatorData": auth_data.hex(),
        "aaguid": aaguid.hex(),
        "credentialPublicKey": cose_fields(cose),
        "attStmt": stmt,
    }


def w3c_cases(index_bs):
    text = open(index_bs, encoding="utf-8").read()
    out = {}
    for anchor, fmt in [("tpm-es256", "tpm"), ("android-key-es256", "android-key"), ("apple-es256", "apple")]:
        start = text.index("{#sctn-test-vectors-" + anchor + "}")
        block = text[start:text.index("</xmp>", start)]
        cdj = bytes.fromhex(re.search(r"clientDataJSON = h'([0-9a-f]+)'", block).group(1))
        att = bytes.fromhex(re.search(r"attestationObject = h'([0-9a-f]+)'", block).group(1))
        expected = "valid"
        if fmt == "android-key":
            # The generator writes empty softwareEnforced and teeEnforced lists, so no origin
            # or purpose can be found (§8.4): every relying party following the procedure refuses it.
            expected = "authorization_list_without_origin"
        out.setdefault(fmt, []).append(case(f"w3c-{anchor}", f"w3c/webauthn index.bs #sctn-test-vectors-{anchor}", cdj, att, expected))
    return out


def py_webauthn_cases(tests_dir):
    out = {}
    for fmt, filename in [("tpm", "test_verify_registration_response_tpm.py"),
                          ("android-key", "test_verify_registration_response_android_key.py"),
                          ("apple", "test_verify_registration_response_apple.py")]:
        source = open(os.path.join(tests_dir, filename), encoding="utf-8").read()
        for match in re.finditer(r"def (test_\w+)\(.*?credential = \"\"\"(\{.*?\})\"\"\"", source, re.S):
            name, credential = match.group(1), json.loads(match.group(2))
            response = credential["response"]
            out.setdefault(fmt, []).append(case(
                f"py_webauthn-{name}", f"duo-labs/py_webauthn tests/{filename}::{name}",
                b64url(response["clientDataJSON"]), b64url(response["attestationObject"]), "valid"))
    return out


def main():
    index_bs, tests_dir = sys.argv[1], sys.argv[2]
    merged = {}
    for part in (w3c_cases(index_bs), py_webauthn_cases(tests_dir)):
        for fmt, cases in part.items():
            merged.setdefault(fmt, []).extend(cases)
    for fmt, cases in merged.items():
        with open(os.path.join(HERE, f"{fmt}.json"), "w", encoding="utf-8") as f:
            json.dump(cases, f, indent=1)
            f.write("\n")
        print(fmt, len(cases))


if __name__ == "__main__":
    main()
