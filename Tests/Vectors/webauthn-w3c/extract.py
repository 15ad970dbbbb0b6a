#!/usr/bin/env python3
"""Pulls the WebAuthn L3 §16 "Test Vectors" out of w3c/webauthn index.bs into vectors.json.

Usage: extract.py path/to/index.bs > vectors.json

Each "## ... ## {#sctn-test-vectors-<id>}" section has a registration and an authentication
example, written as CDDL lines `name = h'<hex>'` (optionally `= b64'...'`, `; comment`).
Only the byte-string values are kept, under their CDDL names; the section id and title
identify the vector. The attestation trust root certificate section is kept as `root`.
"""
import json
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
start = text.index("{#sctn-test-vectors}")
end = text.index("{#test-vectors-extensions}")
body = text[start:end]

heading = re.compile(r"^## (.+?) ## \{#sctn-test-vectors-([A-Za-z0-9-]+)\}$", re.M)
value = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) = (?:[^;']*? = )?h'([0-9a-f]*)'", re.M)

out = {"source": "w3c/webauthn index.bs, section sctn-test-vectors", "root": None, "vectors": []}
sections = list(heading.finditer(body))
for i, match in enumerate(sections):
    title, ident = match.group(1), match.group(2)
    chunk = body[match.end(): sections[i + 1].start() if i + 1 < len(sections) else len(body)]
    if ident == "attestation-root-cert":
        out["root"] = {m.group(1): m.group(2) for m in value.finditer(chunk)}
        continue
    parts = re.split(r"\[=authentication ceremony\|Authentication=\]:", chunk)
    if len(parts) != 2:
        raise SystemExit(f"section {ident}: expected registration and authentication parts")
    registration = {m.group(1): m.group(2) for m in value.finditer(parts[0])}
    authentication = {m.group(1): m.group(2) for m in value.finditer(parts[1])}
    for needed in ("challenge", "clientDataJSON", "attestationObject"):
        if needed not in registration:
            raise SystemExit(f"section {ident}: registration lacks {needed}")
    for needed in ("challenge", "clientDataJSON", "authenticatorData", "signature"):
        if needed not in authentication:
            raise SystemExit(f"section {ident}: authentication lacks {needed}")
    out["vectors"].append({"id": ident, "title": re.sub(r"\[=([^=|]+\|)?([^=]+)=\]", r"\2", title),
                           "registration": registration, "authentication": authentication})

json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
