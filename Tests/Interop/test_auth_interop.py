"""Honnin's account API (`/auth/*`, docs/authentication.md) driven by independent Python peers that
share no code with Honnin:

- `pyotp` reads the `otpauth://` URI the server made and computes the TOTP codes;
- `cairosvg` renders the server's QR code and `zxing-cpp` decodes it back to the same URI;
- Yubico `fido2` 2.x is the WebAuthn *client* (client data, RP ID check, CTAP2, JSON forms) in front
  of a small in-memory CTAP2 authenticator (test support, `soft_authenticator_support.py`);
- `webauthn` (py_webauthn) verifies the very registration and assertion that Honnin accepted,
  as a second relying party given the same challenge, origin and RP ID;
- `requests` plays a browser (cookie session, `X-CSRF-Token`) and a native app (bearer token).

One `honnin serve` per module, in a temporary data directory, on `--port 0` (the port is read from
the JSON log); its public URL defaults to `http://localhost:PORT`, so the RP ID is `localhost` and
the only allowed origin `http://localhost:PORT`. Every test uses its own user names, because the
throttle counts per user name.

Run by .ci/run after `swift build`; needs HONNIN_BINARY or .build/debug/honnin.
"""

import base64
import json
import pathlib
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import pyotp
import pytest
import requests
from fido2.client import DefaultClientDataCollector, Fido2Client
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.exceptions import InvalidAuthenticationResponse

from honnin_server import BINARY
from soft_authenticator_support import SoftCtap2Authenticator

# 31 characters, not on any blocklist, no user name in it: acceptable as a single factor (≥ 15).
PASSWORD = "quiet-lantern-orbit-7-harvest-m"
EVIL = "https://evil.example"


def b64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fresh_name(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def server():
    data = tempfile.mkdtemp(prefix="honnin-auth-interop-")
    log_path = pathlib.Path(data) / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([BINARY, "serve", "--data-dir", data, "--port", "0", "--log-format", "json"],
                                stderr=log, stdout=subprocess.DEVNULL)
    port = None
    deadline = time.time() + 60
    while port is None and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        for line in log_path.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("msg") == "listening":
                port = int(json.loads(line)["port"])
    assert port, "server did not start: " + log_path.read_text()
    base = f"http://localhost:{port}"
    yield {"base": base, "origin": base, "port": port, "log": log_path}
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    shutil.rmtree(data, ignore_errors=True)


class Browser:
    """A page's `fetch` calls: cookies kept, `X-CSRF-Token` sent once read from `GET /auth/session`."""

    def __init__(self, server):
        self.base = server["base"]
        self.origin = server["origin"]
        self.http = requests.Session()
        self.csrf = None

    def call(self, method, path, body=None, csrf=True, headers=None):
        h = dict(headers or {})
        if csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        return self.http.request(method, self.base + path, json=body, headers=h, timeout=60)

    def session(self):
        r = self.call("GET", "/auth/session")
        assert r.status_code == 200, r.text
        self.csrf = r.json()["csrf_token"]
        return r.json()

    def cookie(self):
        return self.http.cookies.get("honnin_session")


def expect_problem(r, status, code, reason=None):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    if reason is not None:
        assert body.get("reason") == reason, body
    return body


def sign_up(server, name):
    b = Browser(server)
    r = b.call("POST", "/auth/signup", {"username": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    b.session()
    return b, r


def enrol_totp(b):
    r = b.call("POST", "/auth/totp/enroll")
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    return r.json()


def fido_client(server, device, origin=None):
    return Fido2Client(device, DefaultClientDataCollector(origin or server["origin"]))


def as_json(response):
    """fido2's RegistrationResponse / AuthenticationResponse as the JSON a browser's `toJSON()` posts."""
    return json.loads(json.dumps(dict(response)))


def register_passkey(server, b, device, label="test key"):
    """Options → fido2 client → `RegistrationResponseJSON` → Honnin; returns (options, response JSON, answer)."""
    r = b.call("POST", "/auth/passkeys/registration/options")
    assert r.status_code == 200, r.text
    options = r.json()
    reg = as_json(fido_client(server, device).make_credential(options))
    answer = b.call("POST", "/auth/passkeys/registration?label=" + requests.utils.quote(label), reg)
    return options, reg, answer


def sign_in_options(server):
    r = requests.post(server["base"] + "/auth/passkeys/authentication/options", timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    return r.json()


def assertion(server, device, options, origin=None):
    selection = fido_client(server, device, origin).get_assertion(options)
    return as_json(selection.get_response(0))


# 1. Password sign-up, authenticator app, replay refused.

def test_password_then_totp_from_pyotp_reaches_aal2_and_a_code_is_used_once(server):
    name = fresh_name("totp")
    b, r = sign_up(server, name)
    body = r.json()
    assert body["aal"] == 1 and body["amr"] == ["pwd"] and body["next"] == []
    assert re.fullmatch(r"acc_[0-9A-Za-z]+", body["account_id"]), body
    set_cookie = r.headers["Set-Cookie"]
    assert set_cookie.startswith("honnin_session=") and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie  # http://localhost
    assert "session_token" not in body  # a browser never gets the token in the body
    s = b.session()
    assert s["aal"] == 1 and s["amr"] == ["pwd"] and s["username"] == name and s["account_id"] == body["account_id"]

    enrolment = enrol_totp(b)
    totp = pyotp.parse_uri(enrolment["otpauth_uri"])
    assert isinstance(totp, pyotp.TOTP)
    assert totp.secret == enrolment["secret"]
    assert len(base64.b32decode(totp.secret + "=" * (-len(totp.secret) % 8))) == 20  # 160 bits
    assert (totp.name, totp.issuer, totp.digits, totp.interval) == (name, "Honnin", 6, 30)

    code = totp.now()
    before = b.cookie()
    r = b.call("POST", "/auth/totp/verify", {"code": code})
    assert r.status_code == 200, r.text
    assert r.json()["aal"] == 2 and r.json()["amr"] == ["pwd", "otp", "mfa"]
    # The level rose, so the token was rotated: the old cookie no longer names a session.
    assert b.cookie() != before
    stale = requests.get(server["base"] + "/auth/session", cookies={"honnin_session": before}, timeout=60)
    expect_problem(stale, 401, "session_required")
    assert b.session()["aal"] == 2

    # The same code (same time step) again: refused, as any wrong code.
    expect_problem(b.call("POST", "/auth/totp/verify", {"code": code}), 401, "invalid_credentials")
    assert b.session()["aal"] == 2


def test_totp_qr_code_drawn_by_honnin_decodes_to_the_otpauth_uri(server):
    cairosvg = pytest.importorskip("cairosvg")
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image
    import io

    b, _ = sign_up(server, fresh_name("qr"))
    enrolment = enrol_totp(b)
    svg = enrolment["qr_svg"]
    assert svg.lstrip().startswith(("<svg", "<?xml")) and "http://www.w3.org/2000/svg" in svg
    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=600, output_height=600, background_color="white")
    image = Image.open(io.BytesIO(png)).convert("L")
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [c.text for c in found] == [enrolment["otpauth_uri"]]
    assert found[0].valid


# 2. CSRF and Origin.

def test_cookie_session_needs_the_csrf_token_and_an_allowed_origin(server):
    b, _ = sign_up(server, fresh_name("csrf"))
    expect_problem(b.call("POST", "/auth/totp/enroll", csrf=False), 403, "csrf_failed")
    expect_problem(b.call("POST", "/auth/totp/enroll", csrf=False, headers={"X-CSRF-Token": "x" * 43}), 403, "csrf_failed")
    expect_problem(b.call("POST", "/auth/logout", csrf=False), 403, "csrf_failed")
    assert b.session()["aal"] == 1  # the refused logout did not end the session

    expect_problem(b.call("POST", "/auth/totp/enroll", headers={"Origin": EVIL}), 403, "origin_not_allowed")
    expect_problem(b.call("GET", "/auth/session", headers={"Origin": EVIL}), 403, "origin_not_allowed")
    # Login CSRF: a cross-site page cannot sign the browser in to the attacker's account.
    expect_problem(b.call("POST", "/auth/password/login", {"username": "anyone", "password": PASSWORD}, headers={"Origin": EVIL}),
                   403, "origin_not_allowed")
    expect_problem(requests.post(server["base"] + "/auth/signup", json={"username": fresh_name("x"), "password": PASSWORD},
                                 headers={"Origin": EVIL}, timeout=60), 403, "origin_not_allowed")
    # The real origin with the token passes.
    r = b.call("POST", "/auth/totp/enroll", headers={"Origin": server["origin"]})
    assert r.status_code == 200, r.text


# 3. Passkey with fido2's client; cross-checked with py_webauthn.

def test_passkey_registered_and_used_by_fido2_client_and_verified_by_py_webauthn(server):
    origin = server["origin"]
    b, signup = sign_up(server, fresh_name("passkey"))
    account = signup.json()["account_id"]
    totp = pyotp.parse_uri(enrol_totp(b)["otpauth_uri"])
    assert b.call("POST", "/auth/totp/verify", {"code": totp.now()}).json()["aal"] == 2

    device = SoftCtap2Authenticator("packed")
    options, reg, answer = register_passkey(server, b, device, label="fido2 soft key")
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["user"]["id"] == base64.urlsafe_b64encode(account.encode()).decode().rstrip("=")  # opaque handle, no name
    assert answer.status_code == 201, answer.text
    summary = answer.json()["authenticator"]
    assert (summary["method"], summary["label"], summary["attestation"]) == ("passkey", "fido2 soft key", "self")
    assert summary["backup_eligible"] is False and summary["hardware_bound"] is False
    assert answer.json()["aal"] == 2

    # py_webauthn accepts the same registration.
    registered = verify_registration_response(
        credential=reg, expected_challenge=b64u(options["challenge"]), expected_origin=origin, expected_rp_id="localhost",
        require_user_verification=True)
    assert registered.fmt == "packed" and registered.user_verified
    assert registered.credential_id == b64u(reg["rawId"])

    # A fresh client (no cookies) signs in with the discoverable credential.
    request_options = sign_in_options(server)
    assert request_options["rpId"] == "localhost"
    assert request_options.get("allowCredentials", []) == []
    signed = assertion(server, device, request_options)
    assert b64u(signed["response"]["userHandle"]) == account.encode()
    fresh = Browser(server)
    r = fresh.call("POST", "/auth/passkeys/authentication", signed)
    assert r.status_code == 200, r.text
    assert r.json()["aal"] == 2 and r.json()["amr"] == ["swk", "pin", "mfa"]
    assert fresh.cookie()
    s = fresh.session()
    assert s["account_id"] == account and s["aal"] == 2

    checked = verify_authentication_response(
        credential=signed, expected_challenge=b64u(request_options["challenge"]), expected_rp_id="localhost", expected_origin=origin,
        credential_public_key=registered.credential_public_key, credential_current_sign_count=registered.sign_count,
        require_user_verification=True)
    assert checked.user_verified and checked.new_sign_count == 1

    # The same assertion again: its challenge was consumed.
    expect_problem(Browser(server).call("POST", "/auth/passkeys/authentication", signed), 409, "challenge_reused")

    # A tampered signature (still valid DER: the last byte of s flipped) on a fresh challenge.
    request_options = sign_in_options(server)
    forged = assertion(server, device, request_options)
    signature = bytearray(b64u(forged["response"]["signature"]))
    signature[-1] ^= 0x01
    forged["response"]["signature"] = base64.urlsafe_b64encode(bytes(signature)).decode().rstrip("=")
    expect_problem(Browser(server).call("POST", "/auth/passkeys/authentication", forged), 400, "webauthn_failed", "bad_signature")
    with pytest.raises(InvalidAuthenticationResponse):
        verify_authentication_response(
            credential=forged, expected_challenge=b64u(request_options["challenge"]), expected_rp_id="localhost", expected_origin=origin,
            credential_public_key=registered.credential_public_key, credential_current_sign_count=1, require_user_verification=True)

    # Client data from another origin (a phishing page relaying the challenge), RP ID check skipped.
    request_options = sign_in_options(server)
    phished = as_json(Fido2Client(device, DefaultClientDataCollector(EVIL, verify=lambda rp_id, o: True))
                      .get_assertion(request_options).get_response(0))
    assert json.loads(b64u(phished["response"]["clientDataJSON"]))["origin"] == EVIL
    expect_problem(Browser(server).call("POST", "/auth/passkeys/authentication", phished), 400, "webauthn_failed", "origin_not_allowed")
    with pytest.raises(InvalidAuthenticationResponse):
        verify_authentication_response(
            credential=phished, expected_challenge=b64u(request_options["challenge"]), expected_rp_id="localhost", expected_origin=origin,
            credential_public_key=registered.credential_public_key, credential_current_sign_count=1, require_user_verification=True)

    # After the refusals a good assertion still signs in (nothing was locked or corrupted).
    r = Browser(server).call("POST", "/auth/passkeys/authentication", assertion(server, device, sign_in_options(server)))
    assert r.status_code == 200 and r.json()["aal"] == 2, r.text

    # Without user verification (the sign-in asks for it as "preferred") the passkey is one
    # factor: AAL1, `user` instead of `pin`; py_webauthn requiring UV refuses it too.
    device.user_verified = False
    request_options = sign_in_options(server)
    assert request_options["userVerification"] == "preferred"
    presence_only = assertion(server, device, request_options)
    r = Browser(server).call("POST", "/auth/passkeys/authentication", presence_only)
    assert r.status_code == 200, r.text
    assert r.json()["aal"] == 1 and r.json()["amr"] == ["swk", "user"]
    with pytest.raises(InvalidAuthenticationResponse):
        verify_authentication_response(
            credential=presence_only, expected_challenge=b64u(request_options["challenge"]), expected_rp_id="localhost",
            expected_origin=origin, credential_public_key=registered.credential_public_key, credential_current_sign_count=3,
            require_user_verification=True)

    # Registering a passkey requires user verification: an authenticator that skipped it is refused.
    _, _, answer = register_passkey(server, b, SoftCtap2Authenticator("packed", user_verified=False))
    expect_problem(answer, 400, "webauthn_failed", "user_not_verified")


# 4. Native client.

def test_native_client_uses_a_bearer_token_without_cookies(server):
    name = fresh_name("native")
    r = requests.post(server["base"] + "/auth/signup", json={"username": name, "password": PASSWORD}, timeout=60)
    assert r.status_code == 201 and "session_token" not in r.json(), r.text
    account = r.json()["account_id"]

    r = requests.post(server["base"] + "/auth/password/login", json={"username": name, "password": PASSWORD},
                      headers={"Honnin-Session-Transport": "bearer"}, timeout=60)
    assert r.status_code == 200, r.text
    token = r.json()["session_token"]
    assert re.fullmatch(r"ses_[0-9A-Za-z]+\.hss_[A-Za-z0-9_-]{43}", token), token
    bearer = {"Authorization": "Bearer " + token}

    r = requests.get(server["base"] + "/auth/session", headers=bearer, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["account_id"] == account and r.json()["aal"] == 1 and r.json()["amr"] == ["pwd"]
    expect_problem(requests.get(server["base"] + "/auth/session", headers={"Authorization": "Bearer " + token[:-2] + "AA"}, timeout=60),
                   401, "session_required")
    expect_problem(requests.get(server["base"] + "/auth/session", timeout=60), 401, "session_required")

    # No CSRF token is needed with a bearer token (no ambient credential to ride on).
    r = requests.post(server["base"] + "/auth/logout", headers=bearer, timeout=60)
    assert r.status_code == 204, r.text
    expect_problem(requests.get(server["base"] + "/auth/session", headers=bearer, timeout=60), 401, "session_required")
    expect_problem(requests.post(server["base"] + "/auth/logout", headers=bearer, timeout=60), 401, "session_required")


# 5. Throttling.

@pytest.mark.parametrize("known", [True, False], ids=["known-user", "unknown-user"])
def test_sixth_attempt_after_five_failures_is_throttled(server, known):
    name = fresh_name("throttle")
    if known:
        r = requests.post(server["base"] + "/auth/signup", json={"username": name, "password": PASSWORD}, timeout=60)
        assert r.status_code == 201, r.text
    login = server["base"] + "/auth/password/login"
    for i in range(5):
        r = requests.post(login, json={"username": name, "password": f"wrong-password-number-{i}"}, timeout=60)
        expect_problem(r, 401, "invalid_credentials")
        assert "Retry-After" not in r.headers
    # The sixth attempt is refused before any password is compared — even the right one.
    r = requests.post(login, json={"username": name, "password": PASSWORD}, timeout=60)
    expect_problem(r, 429, "throttled")
    assert 1 <= int(r.headers["Retry-After"]) <= 30
    # Another user name is not affected.
    other = fresh_name("other")
    assert requests.post(server["base"] + "/auth/signup", json={"username": other, "password": PASSWORD}, timeout=60).status_code == 201
    assert requests.post(login, json={"username": other, "password": PASSWORD}, timeout=60).status_code == 200


# 6. Step-up.

def test_password_only_session_must_step_up_with_totp_before_adding_a_passkey(server):
    name = fresh_name("stepup")
    b, _ = sign_up(server, name)
    totp = pyotp.parse_uri(enrol_totp(b)["otpauth_uri"])
    assert b.call("POST", "/auth/totp/verify", {"code": totp.now()}).status_code == 200

    c = Browser(server)
    r = c.call("POST", "/auth/password/login", {"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["aal"] == 1 and r.json()["amr"] == ["pwd"] and "totp" in r.json()["next"]
    c.session()
    problem = expect_problem(c.call("POST", "/auth/passkeys/registration/options"), 403, "step_up_required")
    assert problem["required_aal"] == 2 and problem["current_aal"] == 1 and "totp" in problem["next"]
    # Nor an authenticator app of the attacker's own, nor recovery codes.
    expect_problem(c.call("POST", "/auth/totp/enroll"), 403, "step_up_required")
    expect_problem(c.call("POST", "/auth/recovery-codes"), 403, "step_up_required")

    # The step-up, in the same session. The step used at enrolment is spent; the next step's code
    # is inside the ±1 step window.
    r = c.call("POST", "/auth/totp/verify", {"code": totp.at(time.time() + 30)})
    assert r.status_code == 200, r.text
    assert r.json()["aal"] == 2 and r.json()["amr"] == ["pwd", "otp", "mfa"]
    device = SoftCtap2Authenticator("none")
    options, reg, answer = register_passkey(server, c, device)
    assert answer.status_code == 201, answer.text
    assert answer.json()["authenticator"]["attestation"] == "none"
    registered = verify_registration_response(
        credential=reg, expected_challenge=b64u(options["challenge"]), expected_origin=server["origin"], expected_rp_id="localhost",
        require_user_verification=True)
    assert registered.fmt == "none"
    # The same registration again: its challenge is spent.
    expect_problem(c.call("POST", "/auth/passkeys/registration", reg), 409, "challenge_reused")
