"""One-time disclosure codes (授权码): the holder's consent for a verifier to see fuller details.

The holder asks for a code in the mini-program and tells it to the verifier, who sends it with
the token (``GET /verify/{token}?code=``). Only a keyed hash is stored, bound to the certificate;
a code lives a few minutes (default 5), works once, and is locked after a few wrong tries.

The store keeps single use atomic: update the record with ``{"used_at": None, "attempts": n}``
in the filter and ``redeem``'s record as the new value; a lost race reads as already used.
"""
import datetime as dt
import hashlib
import hmac
import secrets

from services.common.errors import Conflict, RuleRefused, ValidationFailed
from services.certificate import domain

DIGITS = "0123456789"
ALPHANUMERIC = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read aloud
DEFAULT_TTL = dt.timedelta(minutes=5)
DEFAULT_LENGTH = 6
DEFAULT_MAX_ATTEMPTS = 5


def generate_code(length=DEFAULT_LENGTH, alphabet=DIGITS):
    if not 4 <= length <= 12:
        raise ValidationFailed("授权码长度应为4至12位", {"length": ["超出范围"]})
    return "".join(secrets.choice(alphabet) for _ in range(length))


def normalise(code):
    return "".join(str(code or "").split()).upper()


def hash_code(code, certificate_id, pepper):
    """HMAC-SHA256(pepper, certificate_id ":" code) as hex; ``pepper`` is a server secret (bytes)."""
    if not isinstance(pepper, bytes) or len(pepper) < 16:
        raise ValidationFailed("授权码密钥配置有误", {"pepper": ["至少16字节"]})
    msg = ("%s:%s" % (certificate_id, normalise(code))).encode("utf-8")
    return hmac.new(pepper, msg, hashlib.sha256).hexdigest()


def new_disclosure(certificate, now, pepper, *, ttl=DEFAULT_TTL, length=DEFAULT_LENGTH,
                   alphabet=DIGITS, max_attempts=DEFAULT_MAX_ATTEMPTS, code=None):
    """Returns ``(code, record)``: the code for the holder's screen (never stored) and the record
    to store: ``{"certificate_id", "person_id", "code_hash", "created_at", "expires_at",
    "used_at": None, "attempts": 0, "max_attempts"}``. Only for a valid certificate (the caller
    checks with domain.effective_status)."""
    code = normalise(code) if code else generate_code(length, alphabet)
    record = {"certificate_id": certificate["id"], "person_id": certificate["person_id"],
              "code_hash": hash_code(code, certificate["id"], pepper), "created_at": now,
              "expires_at": now + ttl, "used_at": None, "attempts": 0,
              "max_attempts": max_attempts}
    return code, record


def redeem(record, code, now, pepper):
    """Check a code against its record. Returns ``{"ok", "reason", "record"}`` where reason is
    None | "used" | "expired" | "locked" | "wrong_code" and ``record`` is what to store (used_at
    set on success, attempts + 1 on a wrong code; unchanged otherwise)."""
    if record.get("used_at") is not None:
        return {"ok": False, "reason": "used", "record": record}
    if now >= record["expires_at"]:
        return {"ok": False, "reason": "expired", "record": record}
    if record["attempts"] >= record["max_attempts"]:
        return {"ok": False, "reason": "locked", "record": record}
    expected = hash_code(code, record["certificate_id"], pepper)
    if not hmac.compare_digest(expected, record["code_hash"]):
        return {"ok": False, "reason": "wrong_code",
                "record": dict(record, attempts=record["attempts"] + 1)}
    return {"ok": True, "reason": None, "record": dict(record, used_at=now)}


def find_record(records, code, certificate_id, pepper):
    """The record among the certificate's unexpired ones whose hash matches, or None (the store
    looks up by ``code_hash`` directly; this is for callers holding a list)."""
    wanted = hash_code(code, certificate_id, pepper)
    return next((r for r in records if hmac.compare_digest(r["code_hash"], wanted)), None)


def error_for(reason):
    """The error to raise for a failed redeem."""
    if reason == "used":
        return Conflict("授权码已使用，请让持证人重新获取", code="CODE_ALREADY_USED")
    if reason == "expired":
        return RuleRefused("授权码已过期，请让持证人重新获取", code="CODE_EXPIRED")
    if reason == "locked":
        return RuleRefused("授权码错误次数过多，请让持证人重新获取", code="CODE_LOCKED")
    return ValidationFailed("授权码不正确", {"code": ["不正确"]}, code="CODE_INVALID")


def disclosed_view(certificate, holder_name):
    """Fuller details shown after consent: full name and number, category, grade, validity."""
    return {"holder_name": holder_name, "certificate_number": certificate["number"],
            "category": certificate["category"],
            "category_name": domain.CATEGORIES[certificate["category"]],
            "grade": certificate["grade"], "grade_name": domain.GRADES[certificate["grade"]],
            "severe": certificate["severe"], "region": certificate["region"],
            "valid_from": certificate["valid_from"], "valid_until": certificate["valid_until"]}
