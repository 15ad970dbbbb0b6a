#!/usr/bin/env python3
"""Writes fuzz seed corpora from the WebAuthn test vectors (Tests/Vectors/webauthn-*).

Usage: seeds.py <vectors dir> <cbor corpus dir> <authenticator-data corpus dir>
CBOR seeds: attestation objects and the COSE keys of py_webauthn authentication cases.
Authenticator data seeds: the authData inside each attestation object (CBOR major type 2 under
"authData", found by a small reader here) and each assertion's authenticatorData.
"""
import base64
import glob
import json
import os
import sys

vectors, cbor_dir, auth_dir = sys.argv[1:4]
os.makedirs(cbor_dir, exist_ok=True)
os.makedirs(auth_dir, exist_ok=True)


def b64url(text):
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def auth_data_of(attestation_object):
    marker = b"\x68authData"
    i = attestation_object.find(marker)
    if i < 0:
        return None
    i += len(marker)
    head = attestation_object[i]
    if head >> 5 != 2:
        return None
    info = head & 0x1F
    if info < 24:
        n, i = info, i + 1
    else:
        width = 1 << (info - 24)
        n, i = int.from_bytes(attestation_object[i + 1:i + 1 + width], "big"), i + 1 + width
    return attestation_object[i:i + n]


cbor, auth = [], []
w3c = json.load(open(os.path.join(vectors, "webauthn-w3c", "vectors.json")))
for v in w3c["vectors"]:
    obj = bytes.fromhex(v["registration"]["attestationObject"])
    cbor.append(obj)
    auth.append(auth_data_of(obj))
    auth.append(bytes.fromhex(v["authentication"]["authenticatorData"]))
for path in glob.glob(os.path.join(vectors, "webauthn-pywebauthn", "*.json")):
    for case in json.load(open(path))["cases"]:
        response = case["args"].get("credential", {}).get("response", {})
        if "attestationObject" in response and response["attestationObject"]:
            obj = b64url(response["attestationObject"])
            cbor.append(obj)
            auth.append(auth_data_of(obj))
        if "authenticatorData" in response:
            auth.append(b64url(response["authenticatorData"]))
        if "credential_public_key" in case["args"]:
            cbor.append(b64url(case["args"]["credential_public_key"]))

for directory, seeds in ((cbor_dir, cbor), (auth_dir, auth)):
    for n, seed in enumerate(s for s in seeds if s):
        with open(os.path.join(directory, "seed-%03d" % n), "wb") as f:
            f.write(seed)
print(len([s for s in cbor if s]), "CBOR seeds,", len([s for s in auth if s]), "authenticator data seeds")
