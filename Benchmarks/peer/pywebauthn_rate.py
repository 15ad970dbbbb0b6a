"""py_webauthn's assertion verification rate, for the WebAuthn benchmark of Honnin.

Usage: pywebauthn_rate.py INPUTS.json

INPUTS.json (written by Benchmarks/HonninBenchmarks/WebAuthnBenchmarks.swift):
  credential_public_key  base64url of the COSE_Key bytes
  response               the AuthenticationResponseJSON object the browser posted
  challenge              base64url of the expected challenge
  origin, rp_id          the expected origin and RP ID
  sign_count             the stored signature counter
  require_user_verification

The process stays up and answers the benchmark over stdin/stdout, one JSON line per line, so
the benchmark can alternate short slices of its own loop with slices of this one (the machine's
speed drifts; alternating finely puts both sides in the same stretches):

  first line printed:  {"ready": true, "webauthn_version": "..."}  or  {"skipped": reason}
  command "parsed S":  webauthn.verify_authentication_response on the credential parsed beforehand
                       (the same work as Honnin's RelyingParty.authenticate on a decoded response)
                       until S seconds of process CPU time (time.process_time) have passed
  command "json S":    the same, passing the JSON text (parsing included)
  answer:              {"calls": N, "seconds": T}

End of input ends the process.
"""

import base64
import json
import sys
import time


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def measure(call, seconds, batch=100):
    calls = 0
    start = time.process_time()
    while True:
        for _ in range(batch):
            call()
        calls += batch
        spent = time.process_time() - start
        if spent >= seconds:
            return {"calls": calls, "seconds": spent}


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    try:
        import webauthn
        from webauthn import verify_authentication_response
        from webauthn.helpers import parse_authentication_credential_json
    except ImportError as e:
        say({"skipped": f"py_webauthn is not installed in {sys.executable} ({e}); "
                        f"install it with {sys.executable} -m pip install webauthn"})
        return 0

    with open(sys.argv[1], encoding="utf-8") as f:
        inputs = json.load(f)
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
        say({"skipped": f"unexpected verification result {result}"})
        return 1
    calls = {
        "parsed": lambda: verify_authentication_response(credential=parsed, **common),
        "json": lambda: verify_authentication_response(credential=response_text, **common),
    }
    say({"ready": True, "webauthn_version": getattr(webauthn, "__version__", "?")})
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2 or words[0] not in calls:
            say({"error": f"unknown command {line.strip()!r}"})
            continue
        say(measure(calls[words[0]], float(words[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
