"""The thin slice through the running stack: WeChat login, identity, wards, the person file,
staff login, tokens, and the refusals (every call over HTTP through the gateway)."""
import uuid

from tests.conftest import random_id


def test_login_bind_ward_me_and_stranger_refused(api):
    tokens = api.citizen()
    assert tokens["account"]["identity_bound"] is False and tokens["expires_in"] == 900
    token = tokens["access_token"]
    own_id = random_id()
    r = api.post("/me/identity", token=token, json={"name": "张三", "id_number": own_id})
    assert r.status_code == 200, r.text
    person = r.json()["person"]
    assert person["id_number_masked"] == own_id[:3] + "*" * 11 + own_id[-4:]
    assert own_id not in r.text
    token = r.json()["tokens"]["access_token"]

    ward_id = random_id(birth="20210808")
    r = api.post("/me/wards", token=token, json={"name": "张小花", "id_number": ward_id,
                                                  "relationship": "parent"})
    assert r.status_code == 201, r.text
    ward = r.json()["wards"][0]
    assert ward["relationship"] == "parent" and ward["name"] == "张小花"

    me = api.get("/me", token=token).json()
    assert me["account"]["identity_bound"] is True
    assert me["person"]["id"] == person["id"] and [w["id"] for w in me["wards"]] == [ward["id"]]

    assert api.get("/people/%s/file" % person["id"], token=token).status_code == 200
    # the token minted before the ward was added still works for the ward (checked with identity)
    assert api.get("/people/%s/file" % ward["id"], token=token).status_code == 200

    stranger_token, stranger = api.bound_citizen("李四")
    r = api.get("/people/%s/file" % stranger["person"]["id"], token=token)
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
    r = api.get("/people/%s/file" % person["id"], token=stranger_token)
    assert r.status_code == 403


def test_wechat_codes_are_single_use_and_checked(api):
    code = "dev:once-%s" % uuid.uuid4().hex[:8]
    assert api.post("/auth/wechat-login", json={"code": code}).status_code == 200
    r = api.post("/auth/wechat-login", json={"code": code})
    assert r.status_code == 400 and r.json()["error"]["code"] == "WECHAT_CODE_INVALID"
    r = api.post("/auth/wechat-login", json={"code": "garbage"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "WECHAT_CODE_INVALID"


def test_same_wechat_user_gets_the_same_account(api):
    name = "same-%s" % uuid.uuid4().hex[:8]
    a = api.post("/auth/wechat-login", json={"code": "dev:%s#1" % name}).json()
    b = api.post("/auth/wechat-login", json={"code": "dev:%s#2" % name}).json()
    assert a["account"]["id"] == b["account"]["id"]


def test_one_identity_binds_to_one_account_and_names_must_match(api):
    number = random_id()
    api.bound_citizen("王五", id_number=number)
    other = api.citizen()["access_token"]
    r = api.post("/me/identity", token=other, json={"name": "王五", "id_number": number})
    assert r.status_code == 409 and r.json()["error"]["code"] == "IDENTITY_ALREADY_BOUND"
    r = api.post("/me/wards", token=other, json={"name": "王六", "id_number": number,
                                                  "relationship": "child"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "NAME_MISMATCH"


def test_phone_binding_through_the_stand_in(api):
    token, _ = api.bound_citizen()
    r = api.post("/me/phone", token=token, json={"code": "dev-phone:13800138000"})
    assert r.status_code == 200 and r.json() == {"phone_masked": "138****8000"}
    assert api.get("/me", token=token).json()["account"]["phone_masked"] == "138****8000"
    r = api.post("/me/phone", token=token, json={"code": "dev-phone:13800138000"})
    assert r.status_code == 400  # the code was used


def test_refresh_rotates_and_a_replayed_refresh_token_fails(api):
    tokens = api.citizen()
    r = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    assert api.get("/me", token=r.json()["access_token"]).status_code == 200
    r = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "REFRESH_INVALID"


def test_staff_login_roles_and_refusals(api):
    r = api.post("/auth/staff-login", json={"username": "county_dpf.500113", "password": "demo12345"})
    assert r.status_code == 200
    assert r.json()["staff"] == {"id": "county_dpf.500113", "roles": ["county_dpf"],
                                 "region": "500113", "institution_id": None}
    staff = r.json()["access_token"]
    r = api.post("/auth/staff-login", json={"username": "county_dpf.500113", "password": "wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "BAD_CREDENTIALS"
    # staff cannot use citizen routes, citizens cannot use staff routes
    r = api.post("/me/identity", token=staff, json={"name": "张三", "id_number": random_id()})
    assert r.status_code == 403
    citizen, _ = api.bound_citizen()
    r = api.post("/admin/people/deaths", token=citizen,
                 json={"records": [{"id_number": random_id(), "date": "2026-01-01"}]})
    assert r.status_code == 403
    assert api.get("/me", token=staff).json()["staff"]["region"] == "500113"


def test_staff_reads_person_files_only_in_their_region(api):
    _, me = api.bound_citizen(id_number=random_id("500113"))
    pid = me["person"]["id"]
    assert api.get("/people/%s/file" % pid, token=api.staff("street_officer", "500113")).status_code == 200
    assert api.get("/people/%s/file" % pid, token=api.staff("street_officer", "330200")).status_code == 403


def test_death_feed_marks_the_person_and_is_audited(api):
    number = random_id("500113")
    _, me = api.bound_citizen(id_number=number)
    pid = me["person"]["id"]
    staff = api.staff("civil_affairs", "500113")
    number_elsewhere = random_id("330200")
    api.bound_citizen(id_number=number_elsewhere)
    r = api.post("/admin/people/deaths", token=staff, json={"records": [
        {"id_number": number, "date": "2026-01-02"},
        {"id_number": "110105194912310021", "date": "2026-01-02"},
        {"id_number": number_elsewhere, "date": "2026-01-02"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1 and [x["index"] for x in body["refused"]] == [1, 2]
    assert api.get("/people/%s/file" % pid, token=staff).json()["person"]["deceased_on"] == "2026-01-02"
    trail = api.get("/admin/audit", token=staff, params={"entity": pid}).json()["items"]
    assert trail[0]["action"] == "record_death" and trail[0]["actor_id"] == "civil_affairs.500113"
