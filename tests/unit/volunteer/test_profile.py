import pytest

from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.volunteer import geo, profile

from .factories import NOW, make_volunteer

GOOD = {"skills": ["sign_language", "escort", "escort"], "languages": [" 普通话 ", "重庆话"],
        "availability": [{"weekday": 6, "start": "14:00", "end": "24:00"},
                         {"weekday": 1, "start": "09:00", "end": "12:00"}],
        "home_region": "500113", "location": {"lat": 29.45, "lng": 106.55}}


def test_valid_profile_is_cleaned_and_pending():
    p = profile.validate_profile(dict(GOOD))
    assert p["status"] == "pending"
    assert p["skills"] == ["sign_language", "escort"]
    assert p["languages"] == ["普通话", "重庆话"]
    assert [w["weekday"] for w in p["availability"]] == [1, 6]


def test_unknown_skill_is_refused_in_chinese():
    with pytest.raises(ValidationFailed) as e:
        profile.validate_profile(dict(GOOD, skills=["juggling"]))
    assert "不支持的服务技能" in e.value.message and "juggling" in e.value.message
    assert "skills" in e.value.details


@pytest.mark.parametrize("field,value,fragment", [
    ("skills", [], "至少选择一项"),
    ("availability", [{"weekday": 1, "start": "12:00", "end": "09:00"}], "结束时间必须晚于开始时间"),
    ("availability", [{"weekday": 1, "start": "09:00", "end": "09:00"}], "结束时间必须晚于开始时间"),
    ("availability", [{"weekday": 8, "start": "09:00", "end": "10:00"}], "星期"),
    ("availability", [{"weekday": True, "start": "09:00", "end": "10:00"}], "星期"),
    ("availability", [{"weekday": 1, "start": "9:00", "end": "10:00"}], "HH:MM"),
    ("availability", [{"weekday": 1, "start": "24:00", "end": "24:00"}], "HH:MM"),
    ("availability", [], "至少填写一个"),
    ("languages", ["x" * 21], "1到20个字"),
    ("home_region", "110000", "不支持的行政区划代码"),
    ("location", {"lat": "29", "lng": 106.5}, "数字"),
    ("location", {"lat": 95, "lng": 106.5}, "超出范围"),
    ("location", None, "位置"),
])
def test_bad_profile_input(field, value, fragment):
    with pytest.raises(ValidationFailed) as e:
        profile.validate_profile(dict(GOOD, **{field: value}))
    assert fragment in e.value.message


def test_location_in_another_region_names_it():
    ningbo = {"lat": 29.87, "lng": 121.55}
    with pytest.raises(ValidationFailed) as e:
        profile.validate_profile(dict(GOOD, location=ningbo))
    assert "宁波市" in e.value.message and "重庆市巴南区" in e.value.message


def test_location_outside_every_region():
    beijing = {"lat": 39.9, "lng": 116.4}
    assert geo.region_of_point(beijing) is None
    with pytest.raises(ValidationFailed) as e:
        profile.validate_profile(dict(GOOD, location=beijing))
    assert "不在本平台服务的地区范围内" in e.value.message


@pytest.mark.parametrize("code,point", [
    ("230100", {"lat": 45.80, "lng": 126.53}),   # Harbin centre
    ("330200", {"lat": 29.87, "lng": 121.55}),   # Ningbo centre
    ("371000", {"lat": 37.51, "lng": 122.12}),   # Weihai centre
    ("500113", {"lat": 29.40, "lng": 106.54}),   # Banan (Longzhouwan)
    ("440704", {"lat": 22.56, "lng": 113.13}),   # Jianghai
])
def test_each_region_box_holds_its_centre_and_only_it(code, point):
    assert geo.region_of_point(point) == code


def test_haversine_one_degree_of_latitude():
    assert geo.haversine_km({"lat": 0, "lng": 0}, {"lat": 1, "lng": 0}) == pytest.approx(111.195, abs=0.01)


def test_bounding_box_contains_the_radius():
    box = geo.bounding_box_around({"lat": 29.45, "lng": 106.55}, 10)
    east = {"lat": 29.45, "lng": box["max_lng"]}
    assert geo.haversine_km({"lat": 29.45, "lng": 106.55}, east) == pytest.approx(10, rel=0.01)


COORD = {"kind": "staff", "roles": ["volunteer_coordinator"], "region": "500113"}


@pytest.mark.parametrize("state,action,to", [
    ("pending", "verify", "active"), ("active", "suspend", "suspended"),
    ("suspended", "reinstate", "active"), ("pending", "reject", "rejected"),
])
def test_coordinator_transitions(state, action, to):
    v = make_volunteer("v1", status=state)
    audit = profile.transition_volunteer(v, action, profile.volunteer_roles(COORD, v), NOW, reason="核实")
    assert (audit["from"], audit["to"], audit["role"]) == (state, to, "volunteer_coordinator")


def test_reinstate_resets_the_complaint_counter():
    v = make_volunteer("v1", status="suspended", upheld_since_review=3)
    audit = profile.transition_volunteer(v, "reinstate", {"admin"}, NOW)
    assert audit["reset"] == {"upheld_since_review": 0}


@pytest.mark.parametrize("state,action", [
    ("pending", "suspend"), ("suspended", "verify"), ("active", "verify"), ("rejected", "verify"),
])
def test_illegal_volunteer_transitions(state, action):
    with pytest.raises(Conflict) as e:
        profile.transition_volunteer(make_volunteer("v1", status=state), action, {"admin"}, NOW, "x")
    assert e.value.code == "ILLEGAL_TRANSITION"


def test_coordinator_of_another_region_and_the_volunteer_cannot_verify():
    v = make_volunteer("v1", status="pending")
    other = dict(COORD, region="230100")
    assert profile.volunteer_roles(other, v) == set()
    with pytest.raises(Forbidden):
        profile.transition_volunteer(v, "verify", profile.volunteer_roles(other, v), NOW)
    me = {"kind": "citizen", "account_id": "acct-v1", "person_ids": ["person-v1"]}
    with pytest.raises(Forbidden):
        profile.transition_volunteer(v, "verify", profile.volunteer_roles(me, v), NOW)
    assert profile.transition_volunteer(v, "withdraw", profile.volunteer_roles(me, v), NOW)["to"] == "withdrawn"


def test_suspend_needs_a_reason():
    with pytest.raises(ValidationFailed):
        profile.transition_volunteer(make_volunteer("v1"), "suspend", {"admin"}, NOW, " ")
