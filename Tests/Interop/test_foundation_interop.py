"""Independent checks of Honnin's on-disk formats with Python's hashlib and the `cryptography`
package (PyCA), which share no code with Honnin:

- the audit hash chain and its Ed25519 checkpoint signatures, recomputed from the SQLite file;
- the vault's envelope encryption, opened with AES-256-GCM from the KEK file alone;
- API responses that are problem+json for client errors.

Run by .ci/run after `swift build`; needs HONNIN_BINARY or .build/debug/honnin.
"""

import base64
import json
import os
import re
import sqlite3
import subprocess
import urllib.error
import urllib.request
import hashlib
import pathlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.exceptions import InvalidSignature

from honnin_server import start, stop


def b64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))



@pytest.fixture()
def server():
    s = start("honnin-interop-", "--audit-checkpoint-interval", "3")
    yield s
    stop(s)


def call(srv, method, path, body=None, content_type="application/json", token=True):
    req = urllib.request.Request(srv["base"] + path, method=method,
                                 data=None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode()))
    if body is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", "Bearer " + srv["token"])
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_vault_record_opens_with_the_kek_file_alone(server):
    fields = {"name": "鈴木 一郎", "address": "愛知県名古屋市中区三の丸3-1-1"}
    status, _, body = call(server, "POST", "/v1/vault/records", {"fields": fields})
    assert status == 201
    record_id = json.loads(body)["id"]

    db = sqlite3.connect(server["data"] / "honnin.sqlite")
    kek_id, wrapped = db.execute("SELECT kek_id, wrapped_data_key FROM vault_records WHERE id = ?", (record_id,)).fetchone()
    kek = b64u(json.loads((server["data"] / "keys" / f"{kek_id}.key").read_text())["key"])
    # Data key: AES-256-GCM under the KEK, nonce(12) || ciphertext || tag(16), bound to record and KEK ids.
    aad = b"honnin.vault.datakey.v1\x00" + record_id.encode() + b"\x00" + kek_id.encode()
    data_key = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad)
    assert len(data_key) == 32
    opened = {}
    for name, sealed in db.execute("SELECT name, sealed FROM vault_fields WHERE record_id = ?", (record_id,)):
        field_aad = b"honnin.vault.field.v1\x00" + record_id.encode() + b"\x00" + name.encode()
        opened[name] = AESGCM(data_key).decrypt(sealed[:12], sealed[12:], field_aad).decode()
    assert opened == fields
    # Associated data binds the ciphertext: the same bytes under another field name fail.
    sealed = dict(db.execute("SELECT name, sealed FROM vault_fields WHERE record_id = ?", (record_id,)))["name"]
    with pytest.raises(Exception):
        AESGCM(data_key).decrypt(sealed[:12], sealed[12:], b"honnin.vault.field.v1\x00" + record_id.encode() + b"\x00address")

    # Erasure (crypto-shredding): afterwards no wrapped key exists for the record.
    status, _, _ = call(server, "DELETE", f"/v1/vault/records/{record_id}")
    assert status == 204
    db = sqlite3.connect(server["data"] / "honnin.sqlite")
    assert db.execute("SELECT wrapped_data_key FROM vault_records WHERE id = ?", (record_id,)).fetchone() == (None,)
    raw = b"".join(p.read_bytes() for p in server["data"].glob("honnin.sqlite*"))
    assert wrapped not in raw
    assert "鈴木".encode() not in raw


def test_audit_chain_recomputed_independently(server):
    for i in range(7):
        call(server, "POST", "/v1/vault/records", {"fields": {"n": str(i)}})
    db = sqlite3.connect(server["data"] / "honnin.sqlite")
    pubs = {}
    for f in (server["data"] / "keys").glob("ask_*.pub"):
        doc = json.loads(f.read_text())
        assert doc["alg"] == "Ed25519"
        pubs[doc["id"]] = Ed25519PublicKey.from_public_bytes(b64u(doc["public_key"]))
    previous = bytes(32)
    hashes = {}
    count = 0
    for seq, body, stored in db.execute("SELECT seq, body, hash FROM audit_entries ORDER BY seq"):
        count += 1
        assert seq == count
        digest = hashlib.sha256(b"honnin.audit.entry.v1\x00" + previous + seq.to_bytes(8, "big") + body).digest()
        assert digest == stored, f"entry {seq}"
        event = json.loads(body)
        assert set(event) <= {"action", "actor", "subject", "details", "at"}
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", event["at"])
        previous = stored
        hashes[seq] = stored
    assert count >= 9
    checkpoints = db.execute("SELECT seq, hash, interval, key_id, signature FROM audit_checkpoints ORDER BY seq").fetchall()
    assert [c[0] for c in checkpoints] == list(range(3, count + 1, 3))
    for seq, h, interval, key_id, sig in checkpoints:
        assert h == hashes[seq]
        message = b"honnin.audit.checkpoint.v1\x00" + seq.to_bytes(8, "big") + h + interval.to_bytes(8, "big")
        pubs[key_id].verify(sig, message)
        with pytest.raises(InvalidSignature):
            pubs[key_id].verify(sig, message[:-1] + bytes([message[-1] ^ 1]))
    # No personal data in the log: only the field count and a digest of the field names.
    assert "鈴木" not in b"".join(r[0] for r in db.execute("SELECT body FROM audit_entries")).decode()


def test_client_errors_are_problem_json(server):
    cases = [
        ("POST", "/v1/vault/records", b"{not json", "application/json", 400, "malformed_json"),
        ("POST", "/v1/vault/records", b'{"fields":{"a":"b"}}', "text/plain", 415, "unsupported_media_type"),
        ("POST", "/v1/vault/records", b'{"fields":{"a":"' + b"x" * (2 << 20) + b'"}}', "application/json", 413, "payload_too_large"),
        ("POST", "/v1/vault/records", b'{"fields":{}}', "application/json", 422, "validation_failed"),
        ("GET", "/v1/nothing-here", None, None, 404, "not_found"),
        ("DELETE", "/healthz", None, None, 405, "method_not_allowed"),
    ]
    for method, path, body, ctype, status, code in cases:
        got, headers, raw = call(server, method, path, body, ctype)
        assert got == status, (path, got, raw[:200])
        assert headers["Content-Type"] == "application/problem+json"
        problem = json.loads(raw)
        assert problem["code"] == code and problem["status"] == status
    got, _, raw = call(server, "GET", "/v1/whoami", token=False)
    assert got == 401 and json.loads(raw)["code"] == "missing_api_key"


def test_api_conforms_to_its_openapi_document_under_fuzzing(server):
    """schemathesis generates requests from /openapi.json (valid and invalid, plus stateful
    sequences) and checks every answer: never a 5xx, and status codes, content types, headers
    and bodies as the document says."""
    schemathesis = pathlib.Path(os.path.dirname(os.path.realpath(os.sys.executable))) / "schemathesis"
    if not schemathesis.exists():
        schemathesis = pathlib.Path(os.sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [str(schemathesis), "run", server["base"] + "/openapi.json",
         "-H", "Authorization: Bearer " + server["token"],
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                     "response_schema_conformance,response_headers_conformance",
         "--max-examples", "40", "--seed", "20261129"],
        capture_output=True, text=True, timeout=600)
    summary = result.stdout[result.stdout.find("SUMMARY"):]
    if os.environ.get("HONNIN_SCHEMATHESIS_LOG"):
        pathlib.Path(os.environ["HONNIN_SCHEMATHESIS_LOG"]).write_text(result.stdout)
    assert result.returncode == 0, summary[-3000:]
    assert "passed" in summary
