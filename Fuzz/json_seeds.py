#!/usr/bin/env python3
"""Writes the seed corpus of the JSON reader fuzz target (JSONReaderFuzz.swift).

Usage: json_seeds.py <vectors dir> <corpus dir>
Seeds: every clientDataJSON of the W3C WebAuthn L3 §16 vectors (hex) and of the py_webauthn
cases (base64url), plus a few texts written here for the corners of RFC 8259 (escapes and
surrogate pairs, numbers, nesting, whitespace).
"""
import base64
import glob
import json
import os
import sys

vectors, corpus = sys.argv[1:3]
os.makedirs(corpus, exist_ok=True)


def b64url(text):
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


seeds = []
w3c = json.load(open(os.path.join(vectors, "webauthn-w3c", "vectors.json")))
for v in w3c["vectors"]:
    for part in ("registration", "authentication"):
        seeds.append(bytes.fromhex(v[part]["clientDataJSON"]))
for path in sorted(glob.glob(os.path.join(vectors, "webauthn-pywebauthn", "*.json"))):
    for case in json.load(open(path))["cases"]:
        response = case["args"].get("credential", {}).get("response", {})
        if response.get("clientDataJSON"):
            seeds.append(b64url(response["clientDataJSON"]))
seeds += [
    b'"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\uD83D\\uDE00 \xe6\x9c\xac\xe4\xba\xba \x7f"',
    b"[0, -0, 1.5e-3, -12E+40, 9007199254740993, 123456789012345678901234567890, 2.2250738585072014e-308]",
    b' \t\r\n{"a":[{"b":{"c":[[[null,true,false]]]}}],"":{}} ',
    b'{"type":"webauthn.get","challenge":"AA","origin":"o","crossOrigin":null,"topOrigin":"t"}',
]
unique = sorted(set(s for s in seeds if s))
for n, seed in enumerate(unique):
    with open(os.path.join(corpus, "seed-%03d" % n), "wb") as f:
        f.write(seed)
print(len(unique), "JSON seeds")
