"""Electronic certificate (残疾人电子证照): Ed25519-signed credentials, a key ring with rotation,
a signed revocation list and verification (online and offline). Pure: callers pass ``now``.

Token (what the QR code carries)::

    base64url(payload JSON) "." base64url(Ed25519 signature over the first segment's ASCII)

    payload = {"typ": "dpc", "v": 1, "kid": key id, "cid": certificate id (opaque, not the
               number), "st": "valid", "cat": 1..7, "gr": 1..4, "vu": valid_until "YYYY-MM-DD",
               "rg": issuing region, "nm": masked name "张**", "iat": epoch s, "exp": epoch s}

No ID or certificate number is in the token (it is shown to strangers). The revocation list is a
JSON object whose ``signature`` covers the canonical JSON (sorted keys, no spaces, UTF-8) of every
other member; ``typ`` differs ("dpc-revocations") so one can never pass for the other.

Key ring (stored as a secret by the service)::

    {"active": kid, "keys": [{"kid", "private_key": base64url 32-byte seed, "public_key",
                              "status": "active" | "verify_only" | "retired", "created_at"}]}

Verdicts (the public /verify shape): ``{"status": valid|expired|cancelled|replaced|invalid,
"reason": None | "malformed" | "unknown_kid" | "bad_signature" | "token_expired" |
"certificate_expired" | "not_yet_valid" | "revoked" | "unknown_certificate" |
"revocation_list_invalid" | "revocation_list_stale", "certificate_id", "holder_name_masked",
"category", "category_name", "grade", "grade_name", "valid_until", "region", "kid",
"token_expires_at"}``; an "invalid" verdict carries only status and reason.
"""
import base64
import binascii
import datetime as dt
import json
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.common.errors import Conflict, RuleRefused, ValidationFailed
from services.certificate import domain
from services.certificate.workdays import local_date

TOKEN_TYPE, REVOCATION_TYPE, VERSION = "dpc", "dpc-revocations", 1
DEFAULT_TOKEN_TTL = dt.timedelta(hours=24)
DEFAULT_LIST_MAX_AGE = dt.timedelta(hours=168)
CLOCK_SKEW = dt.timedelta(minutes=5)
ACTIVE, VERIFY_ONLY, RETIRED = "active", "verify_only", "retired"


# --- encoding -------------------------------------------------------------------------------

def b64e(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64d(text):
    if not isinstance(text, str) or not text or "=" in text:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url")


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def mask_name(name):
    """Keep the first character: 张三丰 -> 张**, 欧阳娜娜 -> 欧***."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def _epoch(now):
    return int(now.timestamp())


def _from_epoch(value):
    return dt.datetime.fromtimestamp(value, dt.timezone.utc)


# --- key ring -------------------------------------------------------------------------------

def new_key(kid, now, seed=None):
    """A key entry (status verify_only until made active). ``seed``: 32 bytes, tests only."""
    if not isinstance(kid, str) or not kid.strip() or len(kid) > 64:
        raise ValidationFailed("密钥编号不正确", {"kid": ["格式不正确"]})
    private = Ed25519PrivateKey.from_private_bytes(seed if seed is not None else os.urandom(32))
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)
    return {"kid": kid, "private_key": b64e(raw), "public_key": b64e(public),
            "status": VERIFY_ONLY, "created_at": now.isoformat()}


def new_keyring(kid, now, seed=None):
    key = dict(new_key(kid, now, seed), status=ACTIVE)
    return {"active": kid, "keys": [key]}


def rotate(keyring, new_kid, now, seed=None):
    """A new active key; the previous active one keeps verifying (verify_only)."""
    if any(k["kid"] == new_kid for k in keyring["keys"]):
        raise Conflict("密钥编号已存在：%s" % new_kid, code="KID_EXISTS")
    keys = [dict(k, status=VERIFY_ONLY) if k["status"] == ACTIVE else dict(k)
            for k in keyring["keys"]]
    keys.append(dict(new_key(new_kid, now, seed), status=ACTIVE))
    return {"active": new_kid, "keys": keys}


def retire(keyring, kid):
    """Stop verifying tokens and lists signed by ``kid`` (never the active key)."""
    if kid == keyring["active"]:
        raise Conflict("不能停用正在使用的签名密钥", code="KID_ACTIVE")
    if not any(k["kid"] == kid for k in keyring["keys"]):
        raise ValidationFailed("没有这个密钥：%s" % kid, {"kid": ["不存在"]})
    return {"active": keyring["active"],
            "keys": [dict(k, status=RETIRED) if k["kid"] == kid else dict(k)
                     for k in keyring["keys"]]}


def _signer(keyring):
    entry = next((k for k in keyring["keys"] if k["kid"] == keyring["active"]), None)
    if entry is None or entry["status"] != ACTIVE:
        raise ValidationFailed("签名密钥配置有误", {"keyring": ["没有可用的签名密钥"]})
    return entry["kid"], Ed25519PrivateKey.from_private_bytes(b64d(entry["private_key"]))


def public_keys(keyring):
    """JWKS-style document of every non-retired key, for verifiers (online and offline)."""
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": k["kid"],
                      "x": k["public_key"]} for k in keyring["keys"] if k["status"] != RETIRED]}


def load_public_keys(doc):
    """``{kid: Ed25519PublicKey}`` from a JWKS document, a ``{kid: base64url}`` mapping, or an
    already-loaded mapping. Malformed entries raise ValidationFailed."""
    if isinstance(doc, dict) and isinstance(doc.get("keys"), list):
        pairs = [(k.get("kid"), k.get("x")) for k in doc["keys"]
                 if isinstance(k, dict) and k.get("kty") == "OKP" and k.get("crv") == "Ed25519"]
    elif isinstance(doc, dict):
        pairs = list(doc.items())
    else:
        raise ValidationFailed("公钥文件格式不正确", {"public_keys": ["格式不正确"]})
    loaded = {}
    for kid, value in pairs:
        if isinstance(value, Ed25519PublicKey):
            loaded[kid] = value
            continue
        try:
            loaded[kid] = Ed25519PublicKey.from_public_bytes(b64d(value))
        except (ValueError, TypeError):
            raise ValidationFailed("公钥格式不正确：%s" % kid, {"public_keys": ["格式不正确"]})
    return loaded


# --- credential -----------------------------------------------------------------------------

def issue_credential(certificate, holder_name, keyring, now, ttl=DEFAULT_TOKEN_TTL):
    """Sign a short-lived credential for a valid certificate.
    Returns ``{"token", "kid", "issued_at", "expires_at"}`` (aware datetimes)."""
    status = domain.effective_status(certificate, local_date(now))
    if status != domain.CERT_VALID:
        raise RuleRefused("残疾人证不是有效状态，不能出示电子证照", {"status": status},
                          code="CERTIFICATE_NOT_VALID")
    kid, key = _signer(keyring)
    expires = now + ttl
    payload = {"typ": TOKEN_TYPE, "v": VERSION, "kid": kid, "cid": certificate["id"],
               "st": domain.CERT_VALID, "cat": certificate["category"],
               "gr": certificate["grade"], "vu": certificate["valid_until"],
               "rg": certificate["region"], "nm": mask_name(holder_name),
               "iat": _epoch(now), "exp": _epoch(expires)}
    head = b64e(canonical_json(payload))
    token = head + "." + b64e(key.sign(head.encode("ascii")))
    return {"token": token, "kid": kid, "issued_at": now, "expires_at": _from_epoch(payload["exp"])}


def _invalid(reason):
    return {"status": "invalid", "reason": reason}


def _claims(token, keys):
    """(payload, None) when the signature checks out, else (None, reason)."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
        return None, "malformed"
    head, sig = token.split(".")
    try:
        payload = json.loads(b64d(head).decode("utf-8"))
        signature = b64d(sig)
    except (ValueError, UnicodeDecodeError):
        return None, "malformed"
    if not isinstance(payload, dict) or payload.get("typ") != TOKEN_TYPE or \
            payload.get("v") != VERSION:
        return None, "malformed"
    kid = payload.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        return None, "unknown_kid"
    try:
        key.verify(signature, head.encode("ascii"))
    except InvalidSignature:
        return None, "bad_signature"
    fields = {"cid": str, "cat": int, "gr": int, "vu": str, "nm": str, "iat": int, "exp": int}
    if any(not isinstance(payload.get(f), t) or isinstance(payload.get(f), bool)
           for f, t in fields.items()):
        return None, "malformed"
    return payload, None


def certificate_id_of(token):
    """The unverified certificate id in a token (to load the record), or None if malformed."""
    try:
        return json.loads(b64d(token.split(".")[0]).decode("utf-8")).get("cid")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None


def _verdict(payload, status, reason):
    return {"status": status, "reason": reason, "certificate_id": payload["cid"],
            "holder_name_masked": payload["nm"], "category": payload["cat"],
            "category_name": domain.CATEGORIES.get(payload["cat"]), "grade": payload["gr"],
            "grade_name": domain.GRADES.get(payload["gr"]), "valid_until": payload["vu"],
            "region": payload.get("rg"), "kid": payload["kid"],
            "token_expires_at": _from_epoch(payload["exp"]).isoformat()}


def _time_status(payload, now):
    if payload["iat"] > _epoch(now + CLOCK_SKEW):
        return "invalid", "not_yet_valid"
    try:
        valid_until = dt.date.fromisoformat(payload["vu"])
    except ValueError:
        return "invalid", "malformed"
    if valid_until < local_date(now):
        return domain.CERT_EXPIRED, "certificate_expired"
    if _epoch(now) >= payload["exp"]:
        return domain.CERT_EXPIRED, "token_expired"
    return domain.CERT_VALID, None


def verify_token(token, public_keys_doc, now):
    """Signature, token expiry and certificate validity date; no revocation check."""
    payload, reason = _claims(token, load_public_keys(public_keys_doc))
    if payload is None:
        return _invalid(reason)
    status, reason = _time_status(payload, now)
    return _invalid(reason) if status == "invalid" else _verdict(payload, status, reason)


def verify_online(token, public_keys_doc, now, certificate):
    """verify_token, then the live record decides: cancelled/replaced/expired stop at once.
    ``certificate`` is the record loaded by ``certificate_id_of(token)`` (or None)."""
    verdict = verify_token(token, public_keys_doc, now)
    if verdict["status"] == "invalid":
        return verdict
    if certificate is None or certificate["id"] != verdict["certificate_id"]:
        return _invalid("unknown_certificate")
    live = domain.effective_status(certificate, local_date(now))
    if live != domain.CERT_VALID:
        verdict.update(status=live, reason="revoked" if live != domain.CERT_EXPIRED
                       else "certificate_expired", valid_until=certificate["valid_until"])
    return verdict


# --- revocation list ------------------------------------------------------------------------

def sign_revocation_list(entries, keyring, now):
    """Sign ``[{"certificate_id", "status": cancelled|replaced, "revoked_at"}]`` (see
    domain.revocation_entry). Returns the JSON-safe document served at /verify/revocations."""
    kid, key = _signer(keyring)
    rows = []
    for e in entries:
        if e.get("status") not in (domain.CERT_CANCELLED, domain.CERT_REPLACED):
            raise ValidationFailed("吊销状态不正确", {"status": [str(e.get("status"))]})
        at = e["revoked_at"]
        rows.append({"certificate_id": str(e["certificate_id"]), "status": e["status"],
                     "revoked_at": at.isoformat() if isinstance(at, dt.datetime) else str(at)})
    rows.sort(key=lambda r: r["certificate_id"])
    body = {"typ": REVOCATION_TYPE, "v": VERSION, "kid": kid, "issued_at": now.isoformat(),
            "entries": rows}
    return dict(body, signature=b64e(key.sign(canonical_json(body))))


def verify_revocation_list(document, public_keys_doc, now, max_age=DEFAULT_LIST_MAX_AGE):
    """``{certificate_id: status}`` from a genuine, fresh list; ValidationFailed with code
    REVOCATION_LIST_INVALID (details.reason "invalid" or "stale") otherwise."""
    keys = load_public_keys(public_keys_doc)

    def bad(reason):
        return ValidationFailed("吊销列表无效或已过期", {"reason": reason},
                                code="REVOCATION_LIST_INVALID")
    if not isinstance(document, dict) or document.get("typ") != REVOCATION_TYPE or \
            document.get("v") != VERSION or not isinstance(document.get("entries"), list):
        raise bad("invalid")
    body = {k: v for k, v in document.items() if k != "signature"}
    kid = document.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    try:
        if key is None:
            raise InvalidSignature()
        key.verify(b64d(document.get("signature")), canonical_json(body))
        issued = dt.datetime.fromisoformat(document["issued_at"])
        revoked = {e["certificate_id"]: e["status"] for e in document["entries"]}
    except (InvalidSignature, ValueError, TypeError, KeyError):
        raise bad("invalid")
    if issued.tzinfo is None or issued > now + CLOCK_SKEW:
        raise bad("invalid")
    if max_age is not None and now - issued > max_age:
        raise bad("stale")
    return revoked


def verify_offline(token, revocation_list, public_keys_doc, now, max_list_age=DEFAULT_LIST_MAX_AGE):
    """Offline verification with public keys and a revocation list only.

    Precedence: a bad token or a bad/stale list -> invalid; revoked -> cancelled/replaced;
    then certificate expired; then token (QR) expired; else valid.
    """
    verdict = verify_token(token, public_keys_doc, now)
    if verdict["status"] == "invalid":
        return verdict
    try:
        revoked = verify_revocation_list(revocation_list, public_keys_doc, now, max_list_age)
    except ValidationFailed as e:
        return _invalid("revocation_list_" + e.details["reason"])
    if verdict["certificate_id"] in revoked:
        verdict.update(status=revoked[verdict["certificate_id"]], reason="revoked")
    return verdict
