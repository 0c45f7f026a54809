"""Bad input on every foundation route gets the documented error envelope, never a 500."""
import datetime as dt
import uuid

import jwt
import pytest

from services.common import idnumber
from tests.conftest import random_id


def assert_error(r, status, code=None):
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) >= {"code", "message", "details", "request_id"}
    assert err["request_id"] == r.headers["X-Request-Id"]
    assert "Traceback" not in r.text
    if code:
        assert err["code"] == code, err
    return err


@pytest.mark.parametrize("path,body,field", [
    ("/auth/wechat-login", {}, "code"),
    ("/auth/wechat-login", {"code": 12}, "code"),
    ("/auth/staff-login", {"username": "x"}, "password"),
    ("/auth/refresh", {"refresh_token": None}, "refresh_token"),
])
def test_public_routes_validate_bodies(api, path, body, field):
    err = assert_error(api.post(path, json=body), 400, "VALIDATION_ERROR")
    assert field in err["details"]


@pytest.mark.parametrize("body,field", [
    ({"id_number": "x"}, "name"),
    ({"name": "张三"}, "id_number"),
    ({"name": "张三", "id_number": 500113198001011234}, "id_number"),
    ({"name": "张三", "id_number": "500113198001011230", "extra": 1}, "extra"),
    ({"name": "张三", "id_number": "500113198001011239"}, "id_number"),  # wrong check digit
    ({"name": "张三", "id_number": idnumber.make("50011319800101123"), "household_region": "999999"},
     "household_region"),
])
def test_identity_binding_refuses_bad_input_and_writes_nothing(api, body, field):
    token = api.citizen()["access_token"]
    err = assert_error(api.post("/me/identity", token=token, json=body), 400)
    assert field in err["details"] or field in str(err["details"])
    assert api.get("/me", token=token).json()["person"] is None


def test_wrong_check_digit_message_is_plain_chinese(api):
    token = api.citizen()["access_token"]
    good = random_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    err = assert_error(api.post("/me/identity", token=token, json={"name": "张三", "id_number": bad}),
                       400, "VALIDATION_ERROR")
    assert "校验位" in err["message"]


def test_ward_relationship_must_be_known(api):
    token, _ = api.bound_citizen()
    err = assert_error(api.post("/me/wards", token=token, json={
        "name": "小明", "id_number": random_id(), "relationship": "neighbour"}), 400)
    assert "relationship" in err["details"]


def test_malformed_oversized_and_deep_bodies(api):
    token = api.citizen()["access_token"]
    hdr = {"Content-Type": "application/json"}
    assert_error(api.post("/me/identity", token=token, data=b"{not json", headers=hdr), 400,
                 "MALFORMED_JSON")
    assert_error(api.post("/me/identity", token=token, data=b"[1,2]", headers=hdr), 400,
                 "MALFORMED_JSON")
    assert_error(api.post("/me/identity", token=token, data=b"[" * 5000 + b"]" * 5000,
                          headers=hdr), 400, "MALFORMED_JSON")
    assert_error(api.post("/me/identity", token=token, data=b"{\"name\": \"" + b"a" * 300000 + b"\"}",
                          headers=hdr), 413, "PAYLOAD_TOO_LARGE")
    assert_error(api.post("/me/identity", token=token, json={"name": {"$gt": ""},
                                                            "id_number": random_id()}), 400)


def test_tokens_missing_expired_forged(api, stack):
    assert_error(api.get("/me"), 401, "UNAUTHORIZED")
    assert_error(api.get("/me", headers={"Authorization": "Basic abc"}), 401, "TOKEN_INVALID")
    assert_error(api.get("/me", token="forged.token.value"), 401, "TOKEN_INVALID")
    secret = stack.env()["JWT_SECRET"]
    now = dt.datetime.now(dt.timezone.utc)
    expired = jwt.encode({"sub": "acc_x", "kind": "citizen", "typ": "access",
                          "iat": int((now - dt.timedelta(hours=2)).timestamp()),
                          "exp": int((now - dt.timedelta(hours=1)).timestamp())}, secret, "HS256")
    assert_error(api.get("/me", token=expired), 401, "TOKEN_EXPIRED")
    # a token signed with another key claiming to be staff
    forged = jwt.encode({"sub": "admin.500113", "kind": "staff", "roles": ["admin"],
                         "region": "500113", "typ": "access", "iat": int(now.timestamp()),
                         "exp": int(now.timestamp()) + 600}, "x" * 32, "HS256")
    assert_error(api.get("/admin/audit", token=forged, params={"entity": "p_x"}), 401,
                 "TOKEN_INVALID")


def test_unknown_route_method_and_request_id(api):
    assert_error(api.get("/nothing/here"), 404, "ROUTE_NOT_FOUND")
    assert_error(api.request("DELETE", "/me"), 405, "METHOD_NOT_ALLOWED")
    r = api.get("/me", headers={"X-Request-Id": "test-request-0001"})
    assert r.headers["X-Request-Id"] == "test-request-0001"


def test_idempotency_key_replays_the_first_result(api):
    token, _ = api.bound_citizen()
    body = {"name": "小红", "id_number": random_id(birth="20200101"), "relationship": "parent"}
    h = {"Idempotency-Key": "ward-key-1"}
    first = api.post("/me/wards", token=token, json=body, headers=h)
    second = api.post("/me/wards", token=token, json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replay") == "true"
    assert first.json()["wards"] == second.json()["wards"]


def test_openapi_and_health(api, stack):
    doc = api.session.get(api.root + "/api/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/api/v1/me/identity" in doc["paths"]
    health = api.session.get(api.root + "/healthz").json()
    assert health["status"] == "ok"
    assert {"broker", "database", "identity", "notifier"} <= set(health["checks"])


def test_public_verification_is_rate_limited_with_retry_after(api):
    """60 verifications a minute per caller; the 61st is a 429 that says when to come back.
    (Its own caller address, as a local proxy would pass it, so no other test is limited.)"""
    caller = {"X-Forwarded-For": "203.0.113.%d" % (uuid.uuid4().int % 250)}
    statuses = [api.get("/verify/not-a-real-token", headers=caller).status_code for _ in range(61)]
    if 429 not in statuses:  # the minute window turned over mid-way: one more full window
        statuses = [api.get("/verify/not-a-real-token", headers=caller).status_code
                    for _ in range(61)]
    assert 429 in statuses and 500 not in statuses
    r = api.get("/verify/not-a-real-token", headers=caller)
    err = assert_error(r, 429, "RATE_LIMITED")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert err["details"]["retry_after_seconds"] >= 0
