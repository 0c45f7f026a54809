"""Escort events from rehab booking become tasks (published here with nameko's standalone
dispatcher: the rehab service is wired separately), and bad input gets the documented error and
changes nothing."""
import uuid

import pytest
from nameko.standalone.events import event_dispatcher

from tests.e2e.test_volunteer_support import (ALL_WEEK, COORDINATOR, REGION, citizen, error_code, get, near,
                                              offer_for, offers, post, register, register_many, request_body,
                                              spot, wait_for, when_iso)


def board_item(api, coord, **match):
    items = get(api, "/admin/volunteer/board", coord, status="all").json()["items"]
    return next((i for i in items if all(i.get(k) == v for k, v in match.items())), None)


def test_escort_requested_becomes_a_task_once_and_escort_cancelled_cancels_it(api, amqp_config):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(6)
    [(vol, _)] = register_many(api, [near(here, km_north=1)], coord)
    _, me = citizen(api, "康复对象")
    booking = "bk_" + uuid.uuid4().hex[:12]
    dedupe = "escort:%s" % booking
    payload = {"dedupe_key": dedupe, "source": "rehab_booking", "booking_id": booking,
               "person_id": me["person"]["id"], "skill": "escort", "when": when_iso(30), "duration_minutes": 90,
               "region": REGION, "location": here, "address": "宁波市康复中心门诊楼", "institution_id": "inst_1",
               "institution_name": "宁波市康复医院", "service": "physio", "service_name": "物理治疗",
               "companion": False, "notes": "需要轮椅推行"}
    dispatch = event_dispatcher(amqp_config)
    dispatch("rehab_booking", "escort_requested", dict(payload, event_id=uuid.uuid4().hex))
    item = wait_for(lambda: board_item(api, coord, source_ref=booking, status="offering"))
    assert item and item["source"] == "rehab_escort" and item["status"] == "offering", item
    offer = wait_for(lambda: offer_for(api, vol, item["id"]))
    assert offer["skill"] == "escort" and offer["duration_minutes"] == 90
    # the same escort request again (a new event id, the same dedupe key) adds nothing
    dispatch("rehab_booking", "escort_requested", dict(payload, event_id=uuid.uuid4().hex))
    dispatch("rehab_booking", "escort_cancelled", {"event_id": uuid.uuid4().hex, "dedupe_key": dedupe + ":cancel",
                                                   "escort_dedupe_key": dedupe, "booking_id": booking,
                                                   "person_id": me["person"]["id"], "reason": "预约已取消"})
    assert wait_for(lambda: get(api, "/volunteer/requests/%s" % item["id"], coord).json()["status"] == "cancelled")
    # the offers are closed by the follow-ups right after the task's own update
    assert wait_for(lambda: offer_for(api, vol, item["id"], status="withdrawn"))
    assert board_item(api, coord, source_ref=booking) is None
    assert not [i for i in offers(api, vol) if i["request_id"] == item["id"]]


@pytest.mark.parametrize("change,field", [
    ({"skills": ["juggling"]}, "skills"),
    ({"location": {"lat": 39.9, "lng": 116.4}}, "location"),                 # Beijing: no served region
    ({"location": {"lat": 22.55, "lng": 113.1}}, "location"),                # Jiangmen, not Ningbo
    ({"availability": [{"weekday": 8, "start": "09:00", "end": "10:00"}]}, "availability"),
    ({"home_region": "110101"}, "home_region"),
])
def test_registration_refuses_bad_input_and_writes_nothing(api, change, field):
    token = api.citizen()["access_token"]
    body = dict({"skills": ["escort"], "languages": [], "availability": ALL_WEEK, "home_region": REGION,
                 "location": spot(7)}, **change)
    r = post(api, "/volunteers", token, body)
    assert r.status_code == 400 and error_code(r) == "VALIDATION_ERROR", r.text
    assert field in r.json()["error"]["details"]
    r = get(api, "/volunteers/me", token)
    assert r.status_code == 404 and error_code(r) == "NOT_A_VOLUNTEER"


def test_requests_refuse_bad_input_and_offers_are_personal(api):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(8)
    (a, a_vid), (b, _) = register_many(api, [near(here, km_north=1), near(here, km_north=2)], coord)
    token, me = citizen(api, "输入校验")
    person = me["person"]["id"]
    def needs_of_person():
        return [i for i in get(api, "/admin/volunteer/board", coord).json()["items"] if i["person_id"] == person]
    for change, field in (({"skill": "juggling"}, "skill"), ({"location": {"lat": 39.9, "lng": 116.4}}, "location"),
                          ({"when": "2020-01-01T09:00:00+08:00"}, "when"), ({"when": "明天上午"}, "when"),
                          ({"duration_minutes": 5}, "duration_minutes"), ({"region": "999999"}, "region")):
        r = post(api, "/volunteer/requests", token, dict(request_body(person, here), **change))
        assert r.status_code == 400 and error_code(r) == "VALIDATION_ERROR", (change, r.text)
        assert field in r.json()["error"]["details"], r.text
    stranger_token, stranger = citizen(api, "陌生人")
    r = post(api, "/volunteer/requests", stranger_token, request_body(person, here))
    assert r.status_code == 403
    assert needs_of_person() == []
    assert offers(api, a) == [] and offers(api, b) == []

    rid = post(api, "/volunteer/requests", token, request_body(person, here)).json()["id"]
    offer_a = offer_for(api, a, rid)
    r = post(api, "/volunteer/offers/%s/accept" % offer_a["id"], b)  # someone else's offer
    assert r.status_code == 403 and error_code(r) == "FORBIDDEN"
    r = post(api, "/volunteer/offers/%s/accept" % offer_a["id"], token)  # not a volunteer at all
    assert r.status_code == 404 and error_code(r) == "NOT_A_VOLUNTEER"
    assert get(api, "/volunteer/requests/%s" % rid, coord).json()["status"] == "offering"
    assert offer_for(api, a, rid)["status"] == "pending"
    assert post(api, "/volunteer/offers/of_nope/accept", a).status_code == 404
    r = post(api, "/volunteer/tasks/%s/check-in" % rid, a)  # not accepted yet
    assert r.status_code == 409 and error_code(r) == "ILLEGAL_TRANSITION"
    r = post(api, "/volunteer/tasks/%s/check-out" % rid, a)
    assert r.status_code == 409
    assert get(api, "/volunteer/requests/%s" % rid, coord).json()["status"] == "offering"
    # staff cannot use citizen routes; citizens cannot use coordinator routes
    assert post(api, "/volunteer/requests", coord, request_body(person, here)).status_code == 403
    assert post(api, "/admin/volunteers/%s/suspend" % a_vid, token, {"reason": "x"}).status_code == 403
    r = post(api, "/admin/volunteers/%s/suspend" % a_vid, coord, {})
    assert r.status_code == 400  # a suspension needs a reason
    assert get(api, "/volunteers/me", a).json()["status"] == "active"
    r = post(api, "/volunteers", a, {"skills": ["escort"], "availability": ALL_WEEK, "home_region": REGION,
                                     "location": here})
    assert r.status_code == 409 and error_code(r) == "ALREADY_REGISTERED"


def test_dashboard_queue_and_person_file(api):
    coord = api.staff(COORDINATOR, REGION)
    token, _ = register(api, near(spot(9), km_north=1))
    register(api, near(spot(9), km_north=2), verify_with=coord)   # one active, whatever ran before
    queue = api.get("/admin/queues", token=coord, params={"service": "volunteer",
                                                          "status": "pending_verification"}).json()
    assert any(i["kind"] == "pending_verification" for i in queue["items"])
    dash = api.get("/admin/dashboard", token=coord, params={"region": REGION}).json()["measures"]["volunteer"]
    assert dash["registered_population"] == 6200000 and dash["active_volunteers"] >= 1
    assert dash["volunteers_per_mille"] == round(dash["active_volunteers"] * 1000 / 6200000, 4)
    assert "median" in dash["response_time_minutes"]
    ctoken, me = citizen(api, "档案")
    post(api, "/volunteer/requests", ctoken, request_body(me["person"]["id"], spot(9)))
    file = api.get("/people/%s/file" % me["person"]["id"], token=ctoken).json()
    assert len(file["volunteer"]["requests"]) == 1


def test_person_died_cancels_open_requests(api, amqp_config):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(10)
    [(vol, _)] = register_many(api, [near(here, km_north=1)], coord)
    token, me = citizen(api, "已故")
    person = me["person"]["id"]
    rid = post(api, "/volunteer/requests", token, request_body(person, here)).json()["id"]
    assert offer_for(api, vol, rid)
    event_dispatcher(amqp_config)("identity", "person_died", {
        "event_id": uuid.uuid4().hex, "person_id": person, "date": "2026-01-01",
        "household_region": REGION, "residence_region": REGION})
    assert wait_for(lambda: get(api, "/volunteer/requests/%s" % rid, coord).json()["status"] == "cancelled")
    assert wait_for(lambda: offer_for(api, vol, rid, status="withdrawn"))  # follow-ups come after
