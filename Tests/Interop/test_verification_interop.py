"""Independent checks of the verification flow with Python tools that share no code with Honnin:

- webhooks: received by a plain Python HTTP server and checked with `hmac` (HMAC-SHA256 over
  "timestamp.body", five-minute window), as a business's receiver would;
- 本人確認記録: the exported JWS checked with PyCA `cryptography` (Ed25519) and with `jwcrypto`
  (a JOSE library), using only the server's public key file;
- uploads: a JPEG carrying EXIF with GPS, made by Pillow, is stored without its metadata —
  decrypted from the SQLite file with the KEK file alone (PyCA AES-GCM) and re-read by Pillow.

Run by .ci/run after `swift build`; needs HONNIN_BINARY or .build/debug/honnin.
"""

import base64
import hashlib
import hmac
import http.server
import io
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwcrypto import jwk, jws as jose_jws
from PIL import Image

from honnin_server import honnin, start, start_again, stop


def b64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))



class Receiver(http.server.BaseHTTPRequestHandler):
    """A business's webhook endpoint: records each delivery; answers 503 to the first
    `fail_first` ones, then 204."""
    received = []
    fail_first = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(503 if len(Receiver.received) <= Receiver.fail_first else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def setup():
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.received = []
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    s = start("honnin-flow-interop-", "--worker-interval", "0.2")
    yield dict(s, hook=f"http://localhost:{receiver.server_address[1]}/hook")
    stop(s)
    receiver.shutdown()


def call(s, method, path, body=None, token=None):
    req = urllib.request.Request(s["base"] + path, method=method, data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + (token or s["token"]))
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def run_flow(s, profile, method, evidence, requested):
    status, created = call(s, "POST", "/v1/verifications",
                           {"profile": profile, "requested_attributes": requested, "webhook_url": s["hook"], "reference": "py-1"})
    assert status == 201, created
    token = urllib.parse.parse_qs(urllib.parse.urlparse(created["url"]).query)["t"][0]
    status, started = call(s, "POST", f"/v1/verifications/{created['id']}/methods/{method}/start", token=token)
    assert status == 200, started
    status, done = call(s, "POST", f"/v1/verifications/{created['id']}/methods/{method}/submit",
                        dict(evidence, attempt=started["attempt"]), token=token)
    assert status == 200, done
    return created["id"], done


def test_webhook_and_record_checked_by_independent_tools(setup):
    s = setup
    profile = {"id": "py", "name": {"ja": "テスト", "en": "Test"}, "self_asserted_acceptable": True, "personal_information_online": False}
    flow_id, done = run_flow(s, profile, "self-declared", {"attributes": {"name": "高橋 三郎", "birthdate": "1999-09-09"}}, ["name", "age_over_20"])
    assert done["status"] == "approved"

    # The webhook, as a business receives it.
    deadline = time.time() + 15
    while time.time() < deadline and not Receiver.received:
        time.sleep(0.1)
    assert Receiver.received, "no webhook arrived"
    headers, body = Receiver.received[0]
    secret = b64u(honnin("webhooks", "secret", "--data-dir", str(s["data"])).strip())
    ts = headers["Honnin-Webhook-Timestamp"]
    assert abs(time.time() - int(ts)) < 300
    expected = "v1=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, headers["Honnin-Webhook-Signature"])
    event = json.loads(body)
    assert event["type"] == "verification.approved" and event["data"]["verification_id"] == flow_id
    assert "高橋" not in body.decode()
    # A forged body fails the same check.
    assert not hmac.compare_digest("v1=" + hmac.new(secret, ts.encode() + b"." + body + b" ", hashlib.sha256).hexdigest(),
                                   headers["Honnin-Webhook-Signature"])

    # The record's JWS, checked with the public key file only.
    status, flow = call(s, "GET", f"/v1/verifications/{flow_id}")
    assert flow["attributes"] == {"name": "高橋 三郎", "age_over_20": True}
    status, exported = call(s, "GET", f"/v1/records/{flow['record_id']}")
    assert status == 200
    compact = exported["jws"]
    header_b64, payload_b64, sig_b64 = compact.split(".")
    header = json.loads(b64u(header_b64))
    assert header["alg"] == "EdDSA" and header["typ"] == "honnin-record+json"
    pub = json.loads((s["data"] / "keys" / f"{header['kid']}.pub").read_text())
    raw = b64u(pub["public_key"])
    Ed25519PublicKey.from_public_bytes(raw).verify(b64u(sig_b64), f"{header_b64}.{payload_b64}".encode())
    key = jwk.JWK(kty="OKP", crv="Ed25519", x=pub["public_key"])
    token = jose_jws.JWS()
    token.deserialize(compact)
    token.verify(key, alg="EdDSA")
    record = json.loads(token.payload)
    assert record == exported["record"]
    assert record["attributes"]["name"] == "高橋 三郎" and record["reference"] == "py-1" and record["method"] == "self-declared"
    # Tampering is caught by jwcrypto too.
    forged = json.dumps(dict(record, reference="py-2"), separators=(",", ":")).encode()
    bad = jose_jws.JWS()
    bad.deserialize(".".join([header_b64, base64.urlsafe_b64encode(forged).rstrip(b"=").decode(), sig_b64]))
    with pytest.raises(jose_jws.InvalidJWSSignature):
        bad.verify(key, alg="EdDSA")


def open_vault_field(data, record_id, name):
    db = sqlite3.connect(data / "honnin.sqlite")
    kek_id, wrapped = db.execute("SELECT kek_id, wrapped_data_key FROM vault_records WHERE id = ?", (record_id,)).fetchone()
    kek = b64u(json.loads((data / "keys" / f"{kek_id}.key").read_text())["key"])
    data_key = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], b"honnin.vault.datakey.v1\x00" + record_id.encode() + b"\x00" + kek_id.encode())
    sealed = db.execute("SELECT sealed FROM vault_fields WHERE record_id = ? AND name = ?", (record_id, name)).fetchone()[0]
    return AESGCM(data_key).decrypt(sealed[:12], sealed[12:], b"honnin.vault.field.v1\x00" + record_id.encode() + b"\x00" + name.encode())


def test_uploaded_photo_is_stored_without_exif_or_gps(setup):
    s = setup
    # A phone-like photo: EXIF with orientation 6 and a GPS position, made by Pillow.
    image = Image.new("RGB", (640, 480), (200, 180, 150))
    for x in range(0, 640, 40):
        for y in range(0, 480, 40):
            image.putpixel((x, y), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 40.0, 52.0), 3: "E", 4: (139.0, 45.0, 57.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    original = out.getvalue()
    assert b"PhoneMaker" in original
    photo = base64.b64encode(original).decode()
    profile = {"id": "py-up", "name": {"ja": "u", "en": "u"}, "proofing_impact": {"financial": "low", "reputation": "low"},
               "personal_information_online": False}
    flow_id, done = run_flow(s, profile, "document-upload",
                             {"document_type": "passport", "images": {"front": photo}, "attributes": {"name": "Jane Roe"}}, ["name"])
    assert done["status"] == "needs_review"
    db = sqlite3.connect(s["data"] / "honnin.sqlite")
    flow = json.loads(db.execute("SELECT body FROM verifications WHERE id = ?", (flow_id,)).fetchone()[0])
    stored = open_vault_field(s["data"], flow["evidence"]["rawValue"] if isinstance(flow["evidence"], dict) else flow["evidence"], "image.front")
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    reread = Image.open(io.BytesIO(stored))
    reread.load()
    assert reread.size == (640, 480)
    assert len(reread.getexif()) == 0 and "exif" not in reread.info
    assert flow["evidenceSummary"]["image.front"].endswith("orientation=6")
    assert flow["evidenceSummary"]["image.front.had_location"] == "true"
    # Pixels survive: same picture, up to JPEG re-reading.
    assert reread.convert("RGB").getpixel((100, 100)) == Image.open(io.BytesIO(original)).convert("RGB").getpixel((100, 100))


def test_webhook_retries_survive_a_restart():
    """The receiver fails the first delivery; the server is killed (SIGKILL) before the retry; the
    restarted server delivers the same webhook (same id, a fresh signature)."""
    Receiver.received = []
    Receiver.fail_first = 1
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://localhost:{receiver.server_address[1]}/hook"
    s = start("honnin-hook-restart-", "--worker-interval", "0.2", "--webhook-retry-base", "2")
    try:
        profile = {"id": "py", "name": {"ja": "テスト", "en": "Test"}, "self_asserted_acceptable": True, "personal_information_online": False}
        flow_id, done = run_flow(dict(s, hook=hook), profile, "self-declared", {"attributes": {"name": "x"}}, ["name"])
        deadline = time.time() + 15
        while time.time() < deadline and not Receiver.received:
            time.sleep(0.05)
        assert len(Receiver.received) == 1
        status, log = call(s, "GET", f"/v1/verifications/{flow_id}/webhooks")
        assert log["items"][0]["status"] == "pending" and log["items"][0]["attempts"] == 1 and log["items"][0]["response_status"] == 503
        s["proc"].kill()
        s["proc"].wait(timeout=30)
        again = start_again(s, "--worker-interval", "0.2", "--webhook-retry-base", "2")
        try:
            deadline = time.time() + 20
            while time.time() < deadline and len(Receiver.received) < 2:
                time.sleep(0.1)
            assert len(Receiver.received) == 2
            (h1, b1), (h2, b2) = Receiver.received
            assert h1["Honnin-Webhook-Id"] == h2["Honnin-Webhook-Id"] and b1 == b2
            secret = b64u(honnin("webhooks", "secret", "--data-dir", str(s["data"])).strip())
            ts = h2["Honnin-Webhook-Timestamp"]
            assert hmac.compare_digest("v1=" + hmac.new(secret, ts.encode() + b"." + b2, hashlib.sha256).hexdigest(), h2["Honnin-Webhook-Signature"])
            status, log = call(again, "GET", f"/v1/verifications/{flow_id}/webhooks")
            assert log["items"][0]["status"] == "delivered" and log["items"][0]["attempts"] == 2
        finally:
            stop(again, remove=False)
    finally:
        stop(s)
        Receiver.fail_first = 0
        receiver.shutdown()
