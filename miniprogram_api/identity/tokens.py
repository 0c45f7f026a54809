"""Access and refresh tokens (pure). Access tokens are short-lived HS256 JWTs the gateway checks
without a round trip; refresh tokens are random, stored only as a hash, and single use."""
import datetime as dt
import functools
import hashlib
import secrets

import jwt

from services.common.errors import Unauthorized

ACCESS_TTL = dt.timedelta(minutes=15)
REFRESH_TTL = dt.timedelta(days=30)
ALGORITHM = "HS256"


def access_token(secret, claims, now):
    body = dict(claims, iat=int(now.timestamp()), exp=int((now + ACCESS_TTL).timestamp()),
                typ="access")
    return jwt.encode(body, secret, algorithm=ALGORITHM)


def decode_access(secret, token, now):
    """Claims of a valid access token, else Unauthorized with TOKEN_EXPIRED / TOKEN_INVALID.
    Expiry is checked against ``now`` from the one clock (the one that issued the token).
    The claims are shared: read them, do not change them."""
    claims = _signed_claims(secret, token)
    if claims.get("typ") != "access" or not isinstance(claims.get("exp"), int):
        raise Unauthorized("登录凭证无效，请重新登录", code="TOKEN_INVALID")
    if claims["exp"] <= now.timestamp():
        raise Unauthorized("登录已过期，请重新登录", code="TOKEN_EXPIRED")
    return claims


@functools.lru_cache(maxsize=4096)
def _signed_claims(secret, token):
    """The claims of a token whose signature holds. Kept per process: a session sends the same
    token with every request, and checking its signature again was ~7 % of the gateway's CPU
    on a read (a bad token raises, and raising is not kept)."""
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM],
                          options={"require": ["exp", "iat", "sub"], "verify_exp": False,
                                   "verify_iat": False})
    except jwt.PyJWTError:
        raise Unauthorized("登录凭证无效，请重新登录", code="TOKEN_INVALID")


def new_refresh_token():
    return secrets.token_urlsafe(32)


def refresh_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def pair(secret, claims, now):
    """(response dict, refresh token hash) for a fresh token pair."""
    refresh = new_refresh_token()
    return ({"access_token": access_token(secret, claims, now), "refresh_token": refresh,
             "expires_in": int(ACCESS_TTL.total_seconds()), "token_type": "Bearer"},
            refresh_hash(refresh))


def actor_from_claims(claims):
    """The actor dict services receive, from verified claims."""
    if claims.get("kind") == "staff":
        return {"kind": "staff", "staff_id": claims["sub"], "roles": list(claims.get("roles", [])),
                "region": claims.get("region"), "institution_id": claims.get("institution_id")}
    return {"kind": "citizen", "account_id": claims["sub"],
            "person_ids": list(claims.get("person_ids", []))}
