"""Writes the OTP test vectors of this folder (see README.md).

Run with the project's venv (pyotp installed):  /work/main/.venv/bin/python make_vectors.py

- rfc4226.json, rfc6238.json, rfc4648-base32.json: values transcribed from the RFCs' appendices;
  this script only re-checks them with Python's hmac/base64 before writing.
- pyotp.json: codes and URIs produced by pyotp, an independent implementation.
"""
import base64
import hashlib
import hmac
import json
import platform
import struct
from pathlib import Path
from urllib.parse import quote

import pyotp

HERE = Path(__file__).resolve().parent


def hotp(key: bytes, counter: int, digits: int, digest) -> str:
    hs = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = hs[-1] & 0x0F
    p = int.from_bytes(hs[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(p % 10 ** digits).zfill(digits)


def write(name: str, value) -> None:
    (HERE / name).write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# RFC 4226 Appendix D: secret "12345678901234567890", HOTP-SHA1, 6 digits, counters 0..9.
RFC4226_SECRET = b"12345678901234567890"
RFC4226_CODES = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
for c, code in enumerate(RFC4226_CODES):
    assert hotp(RFC4226_SECRET, c, 6, hashlib.sha1) == code
write("rfc4226.json", {
    "source": "RFC 4226 Appendix D (https://www.rfc-editor.org/rfc/rfc4226#appendix-D)",
    "secretHex": RFC4226_SECRET.hex(),
    "algorithm": "SHA1",
    "digits": 6,
    "cases": [{"counter": c, "code": code} for c, code in enumerate(RFC4226_CODES)],
})

# RFC 6238 Appendix B: 8 digits, X = 30, T0 = 0, one seed per hash (Appendix A's reference code).
SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890" * 6 + b"1234",
}
DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
RFC6238 = [
    (59, "0000000000000001", {"SHA1": "94287082", "SHA256": "46119246", "SHA512": "90693936"}),
    (1111111109, "00000000023523EC", {"SHA1": "07081804", "SHA256": "68084774", "SHA512": "25091201"}),
    (1111111111, "00000000023523ED", {"SHA1": "14050471", "SHA256": "67062674", "SHA512": "99943326"}),
    (1234567890, "000000000273EF07", {"SHA1": "89005924", "SHA256": "91819424", "SHA512": "93441116"}),
    (2000000000, "0000000003F940AA", {"SHA1": "69279037", "SHA256": "90698825", "SHA512": "38618901"}),
    (20000000000, "0000000027BC86AA", {"SHA1": "65353130", "SHA256": "77737706", "SHA512": "47863826"}),
]
cases = []
for t, step_hex, codes in RFC6238:
    assert t // 30 == int(step_hex, 16)
    for alg, code in codes.items():
        assert hotp(SEEDS[alg], t // 30, 8, DIGESTS[alg]) == code
        cases.append({"time": t, "stepHex": step_hex, "algorithm": alg, "code": code})
write("rfc6238.json", {
    "source": "RFC 6238 Appendix B (https://www.rfc-editor.org/rfc/rfc6238#appendix-B)",
    "digits": 8,
    "period": 30,
    "seedsHex": {alg: seed.hex() for alg, seed in SEEDS.items()},
    "cases": cases,
})

# RFC 4648 §10: BASE32 test vectors.
B32 = [("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="), ("foob", "MZXW6YQ="),
       ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======")]
for plain, enc in B32:
    assert base64.b32encode(plain.encode()).decode() == enc
write("rfc4648-base32.json", {
    "source": "RFC 4648 section 10 (https://www.rfc-editor.org/rfc/rfc4648#section-10)",
    "cases": [{"textUTF8": p, "encoded": e} for p, e in B32],
})

# pyotp: secrets derived from fixed labels (so the file is reproducible), Japanese and ASCII names.
TIMES = [0, 59, 1_111_111_109, 1_700_000_000, 1_700_000_029, 1_700_000_030, 2_000_000_000, 20_000_000_000]
ACCOUNTS = [
    ("本人確認サービス", "山田 太郎"),
    ("Example Co", "alice@example.com"),
    ("ACME & Sons/ÜK", "bob+otp@example.com"),
    (None, "carol"),
]
PROFILES = [("SHA1", 6, 30), ("SHA1", 8, 30), ("SHA256", 6, 30), ("SHA256", 7, 60), ("SHA512", 8, 30), ("SHA512", 6, 15)]

from_pyotp = []
for i, ((alg, digits, period), (issuer, account)) in enumerate(
        [(p, a) for p in PROFILES for a in ACCOUNTS]):
    size = {"SHA1": 20, "SHA256": 32, "SHA512": 64}[alg]
    secret = hashlib.sha512(f"honnin-otp-vector-{i}".encode()).digest()[:size]
    b32 = base64.b32encode(secret).decode().rstrip("=")
    totp = pyotp.TOTP(b32, digits=digits, digest=DIGESTS[alg], interval=period, name=account, issuer=issuer)
    uri = totp.provisioning_uri()
    entry = {
        "uri": uri, "secretBase32": b32, "algorithm": alg, "digits": digits, "period": period,
        "issuer": issuer, "account": account,
        "codes": [{"time": t, "code": totp.at(t)} for t in TIMES],
    }
    for c in entry["codes"]:
        assert c["code"] == hotp(secret, c["time"] // period, digits, DIGESTS[alg])
    from_pyotp.append(entry)

# URIs in the shape Honnin's encoder writes (label: percent-encoded issuer, literal ':', account;
# parameters secret, issuer, algorithm, digits, period always present; RFC 3986 unreserved and '@'
# kept, every other UTF-8 byte %XX), read back by pyotp.parse_uri.
def honnin_shape(issuer, account, b32, alg, digits, period):
    enc = lambda s: quote(s, safe="@~")
    label = (enc(issuer) + ":" if issuer is not None else "") + enc(account)
    query = f"secret={b32}" + (f"&issuer={enc(issuer)}" if issuer is not None else "")
    return f"otpauth://totp/{label}?{query}&algorithm={alg}&digits={digits}&period={period}"

honnin = []
for entry in from_pyotp:
    uri = honnin_shape(entry["issuer"], entry["account"], entry["secretBase32"], entry["algorithm"], entry["digits"], entry["period"])
    parsed = pyotp.parse_uri(uri)
    assert parsed.name == entry["account"] and parsed.issuer == entry["issuer"], uri
    honnin.append({
        "uri": uri, "issuer": entry["issuer"], "account": entry["account"], "secretBase32": entry["secretBase32"],
        "algorithm": entry["algorithm"], "digits": entry["digits"], "period": entry["period"],
        "codes": [{"time": t, "code": parsed.at(t)} for t in TIMES],
    })

write("pyotp.json", {
    "generator": {"pyotp": pyotp.__version__ if hasattr(pyotp, "__version__") else "2.12.0",
                  "python": platform.python_version()},
    "fromPyotp": from_pyotp,
    "honninShape": honnin,
})
print("ok", len(from_pyotp), len(honnin))
