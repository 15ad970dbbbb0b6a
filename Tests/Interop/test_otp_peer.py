"""pyotp, an OTP implementation that shares no code with Honnin, checks the data that Honnin's
Swift tests use for HOTP/TOTP and otpauth URIs (Tests/Vectors/otp/README.md):

- the RFC 4226 / RFC 6238 vector files, reproduced by pyotp;
- pyotp.json `fromPyotp`: pyotp's own URIs and codes (the Swift tests parse and verify them);
- pyotp.json `honninShape`: URIs byte-identical to what Honnin's `OTPAuthURI.string` writes (the
  Swift test `honninShape` asserts that equality), read back by `pyotp.parse_uri`, names (also
  Japanese) and codes included.

No server is needed; a later test can fetch a URI from a running server and feed it to the
same checks.
"""

import base64
import hashlib
import json
import pathlib

import pytest

pyotp = pytest.importorskip("pyotp")

VECTORS = pathlib.Path(__file__).resolve().parent.parent / "Vectors" / "otp"
DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def load(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def test_rfc4226_vectors_reproduced_by_pyotp():
    v = load("rfc4226.json")
    hotp = pyotp.HOTP(b32(bytes.fromhex(v["secretHex"])), digits=v["digits"], digest=DIGESTS[v["algorithm"]])
    assert len(v["cases"]) == 10
    for case in v["cases"]:
        assert hotp.at(case["counter"]) == case["code"]


def test_rfc6238_vectors_reproduced_by_pyotp():
    v = load("rfc6238.json")
    assert len(v["cases"]) == 18
    for case in v["cases"]:
        seed = bytes.fromhex(v["seedsHex"][case["algorithm"]])
        totp = pyotp.TOTP(b32(seed), digits=v["digits"], digest=DIGESTS[case["algorithm"]], interval=v["period"])
        assert totp.at(case["time"]) == case["code"], case
        assert case["time"] // v["period"] == int(case["stepHex"], 16)


def test_pyotp_fixture_is_what_pyotp_computes():
    v = load("pyotp.json")
    assert len(v["fromPyotp"]) == 24
    for entry in v["fromPyotp"]:
        parsed = pyotp.parse_uri(entry["uri"])
        assert parsed.name == entry["account"]
        assert parsed.issuer == entry["issuer"]
        assert parsed.digits == entry["digits"]
        assert parsed.interval == entry["period"]
        assert parsed.secret == entry["secretBase32"]
        for c in entry["codes"]:
            assert parsed.at(c["time"]) == c["code"]


@pytest.mark.parametrize("index", range(24))
def test_honnin_shaped_uri_is_read_by_pyotp(index):
    entry = load("pyotp.json")["honninShape"][index]
    parsed = pyotp.parse_uri(entry["uri"])
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.name == entry["account"]
    assert parsed.issuer == entry["issuer"]
    assert parsed.digits == entry["digits"]
    assert parsed.interval == entry["period"]
    assert parsed.digest is DIGESTS[entry["algorithm"]]
    for c in entry["codes"]:
        assert parsed.at(c["time"]) == c["code"]
        assert parsed.verify(c["code"], for_time=c["time"])
