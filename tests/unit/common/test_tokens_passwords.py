import datetime as dt

import jwt
import pytest

from miniprogram_api.identity import passwords, tokens
from services.common.errors import Unauthorized

SECRET = "s" * 32
NOW = dt.datetime.now(dt.timezone.utc)


def test_access_token_round_trip_gives_the_actor():
    t = tokens.access_token(SECRET, {"sub": "acc_1", "kind": "citizen", "person_ids": ["p_1"]}, NOW)
    actor = tokens.actor_from_claims(tokens.decode_access(SECRET, t, NOW))
    assert actor == {"kind": "citizen", "account_id": "acc_1", "person_ids": ["p_1"]}


def test_expired_token_says_so():
    t = tokens.access_token(SECRET, {"sub": "a"}, NOW - dt.timedelta(hours=1))
    with pytest.raises(Unauthorized) as exc:
        tokens.decode_access(SECRET, t, NOW)
    assert exc.value.code == "TOKEN_EXPIRED"


@pytest.mark.parametrize("token", [
    tokens.access_token("another-secret-another-secret-xx", {"sub": "a"}, NOW),
    jwt.encode({"sub": "a", "iat": 1, "exp": 9999999999, "typ": "refresh"}, SECRET, "HS256"),
    jwt.encode({"sub": "a", "exp": 9999999999, "typ": "access"}, None, algorithm="none"),
    "not.a.token",
])
def test_forged_or_wrong_tokens_are_invalid(token):
    with pytest.raises(Unauthorized) as exc:
        tokens.decode_access(SECRET, token, NOW)
    assert exc.value.code == "TOKEN_INVALID"


def test_password_hash_verifies_only_the_right_password():
    h = passwords.hash_password("demo12345")
    assert h.startswith("scrypt$") and "demo12345" not in h
    assert passwords.verify_password("demo12345", h)
    assert not passwords.verify_password("demo12346", h)
    assert not passwords.verify_password("x", "garbage")


def test_expiry_follows_the_clock_that_issued_the_token():
    later = NOW + dt.timedelta(days=10)          # a test moved every clock forward
    t = tokens.access_token(SECRET, {"sub": "a"}, later)
    assert tokens.decode_access(SECRET, t, later + dt.timedelta(minutes=14))["sub"] == "a"
    with pytest.raises(Unauthorized) as exc:
        tokens.decode_access(SECRET, t, later + dt.timedelta(minutes=16))
    assert exc.value.code == "TOKEN_EXPIRED"
