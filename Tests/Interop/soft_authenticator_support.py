"""Test support: a software CTAP2 authenticator kept in memory, for python-fido2's `Fido2Client`.

Not a real authenticator and not for production: its keys live in this process, and user
presence and user verification are simply asserted. It lets the interop tests drive a real
WebAuthn client (fido2's client-side processing: client data, RP ID checks, CTAP2 encoding,
JSON forms) against Honnin exactly as a browser with a security key would.

CTAP 2.0 commands answered (CTAP 2.2 §6): authenticatorGetInfo (0x04), authenticatorMakeCredential
(0x01), authenticatorGetAssertion (0x02), authenticatorGetNextAssertion (0x08). ES256 only;
attestation `packed` (self attestation, §8.2 of WebAuthn L3) or `none`. It advertises built-in
user verification (`uv: true`) and resident keys (`rk: true`), so the client asks for UV
without a PIN.
"""

import hashlib
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.cose import ES256
from fido2.ctap import CtapDevice
from fido2.hid import CAPABILITY, CTAPHID

# CTAP status codes used here (CTAP 2.2 §8.2).
OK, INVALID_COMMAND, UNSUPPORTED_ALGORITHM, CREDENTIAL_EXCLUDED, NO_CREDENTIALS, NOT_ALLOWED = 0x00, 0x01, 0x26, 0x19, 0x2E, 0x30
FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40


class SoftCtap2Authenticator(CtapDevice):
    """An in-memory CTAP2 authenticator (test support). `attestation` is "packed" or "none";
    `credentials` maps credential id → dict(rp_id, key, user, resident, counter). With
    `user_verified` False it still claims built-in UV but never sets the UV flag (an authenticator
    that skipped verification), for negative tests."""

    AAGUID = bytes.fromhex("00000000000000000000000000000000")

    def __init__(self, attestation="packed", user_verified=True):
        assert attestation in ("packed", "none")
        self.attestation = attestation
        self.user_verified = user_verified
        self.credentials = {}
        self._pending = []  # assertions left for getNextAssertion

    @property
    def capabilities(self):
        return CAPABILITY.CBOR

    @classmethod
    def list_devices(cls):
        return iter(())

    def call(self, cmd, data=b"", event=None, on_keepalive=None):
        if cmd != CTAPHID.CBOR or not data:
            return bytes([INVALID_COMMAND])
        request = cbor.decode(data[1:]) if len(data) > 1 else {}
        handler = {0x04: self._get_info, 0x01: self._make_credential, 0x02: self._get_assertion, 0x08: self._get_next}.get(data[0])
        if handler is None:
            return bytes([INVALID_COMMAND])
        status, body = handler(request)
        return bytes([status]) + (cbor.encode(body) if body is not None else b"")

    def _get_info(self, _):
        # pinUvAuthProtocols (6) is listed because fido2's client needs one to ask for built-in
        # UV; no PIN command is ever sent, since "clientPin" and "pinUvAuthToken" are absent.
        return OK, {1: ["FIDO_2_0"], 3: self.AAGUID, 4: {"rk": True, "up": True, "uv": True, "plat": False}, 5: 4096, 6: [1]}

    def _make_credential(self, r):
        client_data_hash, rp, user, params = r[1], r[2], r[3], r[4]
        options = r.get(7) or {}
        if not any(p.get("alg") == ES256.ALGORITHM and p.get("type") == "public-key" for p in params):
            return UNSUPPORTED_ALGORITHM, None
        for excluded in r.get(5) or []:
            held = self.credentials.get(excluded["id"])
            if held and held["rp_id"] == rp["id"]:
                return CREDENTIAL_EXCLUDED, None
        key = ec.generate_private_key(ec.SECP256R1())
        credential_id = os.urandom(32)
        cose = cbor.encode(dict(ES256.from_cryptography_key(key.public_key())))
        flags = FLAG_UP | FLAG_AT | (FLAG_UV if options.get("uv") and self.user_verified else 0)
        auth_data = (hashlib.sha256(rp["id"].encode()).digest() + bytes([flags]) + struct.pack(">I", 0)
                     + self.AAGUID + struct.pack(">H", len(credential_id)) + credential_id + cose)
        self.credentials[credential_id] = {"rp_id": rp["id"], "key": key, "user": user, "resident": bool(options.get("rk")), "counter": 0}
        if self.attestation == "packed":
            statement = {"alg": ES256.ALGORITHM, "sig": key.sign(auth_data + client_data_hash, ec.ECDSA(hashes.SHA256()))}
        else:
            statement = {}
        return OK, {1: self.attestation, 2: auth_data, 3: statement}

    def _get_assertion(self, r):
        rp_id, client_data_hash = r[1], r[2]
        allow = [c["id"] for c in r.get(3) or []]
        options = r.get(5) or {}
        found = [(cid, c) for cid, c in self.credentials.items()
                 if c["rp_id"] == rp_id and (cid in allow if allow else c["resident"])]
        if not found:
            return NO_CREDENTIALS, None
        flags = (FLAG_UP if options.get("up", True) else 0) | (FLAG_UV if options.get("uv") and self.user_verified else 0)
        answers = [self._sign(cid, c, rp_id, client_data_hash, flags, discoverable=not allow) for cid, c in found]
        if len(answers) > 1:
            answers[0][5] = len(answers)
        self._pending = answers[1:]
        return OK, answers[0]

    def _get_next(self, _):
        if not self._pending:
            return NOT_ALLOWED, None
        return OK, self._pending.pop(0)

    def _sign(self, credential_id, c, rp_id, client_data_hash, flags, discoverable):
        if flags & FLAG_UP:
            c["counter"] += 1
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", c["counter"])
        answer = {1: {"type": "public-key", "id": credential_id}, 2: auth_data,
                  3: c["key"].sign(auth_data + client_data_hash, ec.ECDSA(hashes.SHA256()))}
        if discoverable:
            answer[4] = {"id": c["user"]["id"]}
        return answer

