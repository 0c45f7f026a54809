"""Personal data at rest: AES-256-GCM encryption and a keyed-hash blind index for look-ups.

Encrypted values are strings ``v1:<base64(nonce|ciphertext|tag)>`` so a key rotation can add
``v2`` later. The blind index is HMAC-SHA256 under a separate key: equal inputs give equal
indexes (so a unique index and exact look-ups work) and nothing about the value leaks.
"""
import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _key(b64, name):
    if not b64:
        raise RuntimeError("%s is not configured" % name)
    raw = base64.b64decode(b64)
    if len(raw) != 32:
        raise RuntimeError("%s must be 32 bytes, base64-encoded" % name)
    return raw


class PersonalData:
    def __init__(self, enc_key_b64, hash_key_b64):
        self._aead = AESGCM(_key(enc_key_b64, "PII_ENC_KEY"))
        self._hash_key = _key(hash_key_b64, "PII_HASH_KEY")

    @classmethod
    def from_config(cls, config):
        return cls(config.get("PII_ENC_KEY"), config.get("PII_HASH_KEY"))

    def encrypt(self, plaintext):
        if plaintext is None:
            return None
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), b"dpf-pii")
        return "v1:" + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token):
        if token is None:
            return None
        raw = base64.b64decode(token[3:])
        return self._aead.decrypt(raw[:12], raw[12:], b"dpf-pii").decode("utf-8")

    def blind_index(self, value, purpose):
        """Deterministic keyed hash; ``purpose`` separates e.g. id numbers from phones."""
        mac = hmac.new(self._hash_key, (purpose + "\x00" + value).encode("utf-8"), hashlib.sha256)
        return mac.hexdigest()


def new_key_b64():
    return base64.b64encode(os.urandom(32)).decode("ascii")


def mask_phone(phone):
    return phone[:3] + "****" + phone[-4:] if phone and len(phone) >= 7 else "****"


def mask_account(account):
    return "**** " + account[-4:] if account and len(account) > 4 else "****"


def mask_name(name):
    """张三 → 张*, 欧阳娜娜 → 欧***: the family-name character stays."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


# Patterns personal data takes in clear; the log filter and the log-scanning tests use them.
ID_NUMBER_RE = re.compile(r"(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])")
PHONE_RE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
BANK_ACCOUNT_RE = re.compile(r"(?<![0-9])\d{16,19}(?![0-9])")
# Our own identifiers (uuid4().hex, ObjectIds, hashes) are hex tokens of 24+ characters; a run
# of digits inside one is not personal data (1 uuid4 in ~190 holds a phone-, card- or
# ID-number-like run: redacting it made event ids in the logs unfindable).
HEX_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])[0-9a-f]{24,128}(?![0-9A-Za-z])")
_SCAN = re.compile("|".join("(?P<%s>%s)" % (name, pattern.pattern) for name, pattern in (
    ("hex_id", HEX_ID_RE), ("id_number", ID_NUMBER_RE), ("account", BANK_ACCOUNT_RE),
    ("phone", PHONE_RE))))


def personal_data(text):
    """The kinds of personal data found in clear in ``text`` ("id_number", "account", "phone")."""
    return [m.lastgroup for m in _SCAN.finditer(text) if m.lastgroup != "hex_id"]


def redact(text):
    return _SCAN.sub(lambda m: m.group() if m.lastgroup == "hex_id" else "[%s]" % (
        "id-number" if m.lastgroup == "id_number" else m.lastgroup), text)
