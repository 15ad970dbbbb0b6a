"""py_webauthn's assertion verification rate, for the WebAuthn benchmark of Honnin.

Usage: pywebauthn_rate.py INPUTS.json

INPUTS.json (written by Benchmarks/HonninBenchmarks/WebAuthnBenchmarks.swift):
  credential_public_key  base64url of the COSE_Key bytes
  response               the AuthenticationResponseJSON object the browser posted
  challenge              base64url of the expected challenge
  origin, rp_id          the expected origin and RP ID
  sign_count             the stored signature counter
  require_user_verification
  seconds                CPU seconds to spend on each measurement (default 3)

Calls webauthn.verify_authentication_response in a loop until `seconds` of process CPU time
(time.process_time) have passed, twice: once with the credential parsed beforehand (the same
work as Honnin's RelyingParty.authenticate on a decoded response) and once passing the JSON text
(parsing included). Prints one JSON line: verifications_per_s, verifications_with_json_parse_per_s,
webauthn_version; or {"skipped": reason} when py_webauthn is not installed.
"""

import base64
import json
import sys
import time


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def rate(call, seconds, batch=200):
    calls = 0
    start = time.process_time()
    while True:
        for _ in range(batch):
            call()
        calls += batch
        spent = time.process_time() - start
        if spent >= seconds:
            return calls / spent


def main():
    try:
        import webauthn
        from webauthn import verify_authentication_response
        from webauthn.helpers import parse_authentication_credential_json
    except ImportError as e:
        print(json.dumps({"skipped": f"py_webauthn is not installed in {sys.executable} ({e}); "
                                     f"install it with {sys.executable} -m pip install webauthn"}))
        return 0

    with open(sys.argv[1], encoding="utf-8") as f:
        inputs = json.load(f)
    seconds = float(inputs.get("seconds", 3))
    response_text = json.dumps(inputs["response"])
    parsed = parse_authentication_credential_json(response_text)
    common = dict(
        expected_challenge=b64url(inputs["challenge"]),
        expected_rp_id=inputs["rp_id"],
        expected_origin=inputs["origin"],
        credential_public_key=b64url(inputs["credential_public_key"]),
        credential_current_sign_count=int(inputs["sign_count"]),
        require_user_verification=bool(inputs["require_user_verification"]),
    )

    # The inputs must verify (and give the counter the benchmark expects) before anything is timed.
    result = verify_authentication_response(credential=parsed, **common)
    if result.new_sign_count != 1 or not result.user_verified:
        print(json.dumps({"skipped": f"unexpected verification result {result}"}))
        return 1

    per_s = rate(lambda: verify_authentication_response(credential=parsed, **common), seconds)
    with_json = rate(lambda: verify_authentication_response(credential=response_text, **common), seconds)
    print(json.dumps({
        "verifications_per_s": per_s,
        "verifications_with_json_parse_per_s": with_json,
        "webauthn_version": getattr(webauthn, "__version__", "?"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
