"""Rehab booking rules through the gateway: the no-show rule, orphaning (slot closed, institution
removed), one person never in two overlapping bookings (also concurrently), eligibility, a
person's death, every role refusal, and bad input that changes nothing."""
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from tests.e2e.test_rehab_support import (REGION, book, booking, citizen, county,  # noqa: F401
                                          clock, error_code, institution_staff, new_institution,
                                          new_slot, rdb, relogin, rpc, seconds_until, wait_for)


def staff_login(api, name):
    return api.post("/auth/staff-login", json={"username": name, "password": "demo12345"}
                    ).json()["access_token"]


def test_three_no_shows_in_90_days_mean_staff_confirmation(api, amqp_config, rdb, county, rpc,
                                                           clock):
    inst = new_institution(api, county)
    _, staff_name = institution_staff(rpc, api, inst["id"], with_name=True)
    token, pid = citizen(api, amqp_config, rdb)
    missed = [new_slot(api, county, inst["id"], days_ahead=d, start="09:00") for d in (2, 3, 4)]
    later = new_slot(api, county, inst["id"], days_ahead=6, start="09:00")
    ids = [book(api, token, s, pid, confirm=True).json()["id"] for s in missed]
    for slot_id, bid in zip(missed, ids):
        clock(seconds_until(slot_id, dt.timedelta(minutes=-20)))      # 20 minutes after start
        r = api.post("/admin/rehab/bookings/%s/no-show" % bid, token=staff_login(api, staff_name))
        assert r.status_code == 200 and r.json()["status"] == "no_show", r.text
    token = relogin(api, pid)
    held = book(api, token, later, pid).json()
    assert held["needs_staff_confirmation"] is True
    r = api.post("/rehab/bookings/%s/confirm" % held["id"], token=token)
    assert r.status_code == 200 and r.json()["status"] == "pending_staff_confirmation"
    queue = api.get("/admin/queues", token=staff_login(api, staff_name),
                    params={"service": "rehab_booking"}).json()["items"]
    assert held["id"] in [q["id"] for q in queue if q["status"] == "pending_staff_confirmation"]
    r = api.post("/admin/rehab/bookings/%s/approve" % held["id"],
                 token=staff_login(api, staff_name))
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    clock(0)
    dash = api.get("/admin/dashboard", token=api.staff("county_dpf", REGION)).json()
    assert dash["measures"]["rehab_booking"]["no_show_rate"]["no_shows"] >= 0


def test_closing_a_slot_orphans_its_bookings_and_offers_alternatives(api, amqp_config, rdb,
                                                                     county, rpc):
    inst = new_institution(api, county)
    staff = institution_staff(rpc, api, inst["id"])
    closing = new_slot(api, county, inst["id"], days_ahead=5, start="09:00", capacity=3)
    other = new_slot(api, county, inst["id"], days_ahead=5, start="15:00", capacity=3)
    token, pid = citizen(api, amqp_config, rdb)
    bk = book(api, token, closing, pid, confirm=True, escort_needed=True).json()
    r = api.post("/admin/rehab/slots/%s/close" % closing, token=staff, json={})
    assert r.status_code == 400                                   # a reason is required
    r = api.post("/admin/rehab/slots/%s/close" % closing, token=staff, json={"reason": "治疗师请假"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    orphan = booking(rdb, bk["id"])
    assert orphan["status"] == "orphaned" and orphan["orphan_reason"] == "治疗师请假"
    assert other in [a["slot_id"] for a in orphan["alternatives"]]
    view = api.get("/rehab/bookings/%s" % bk["id"], token=token).json()
    assert view["alternatives"][0]["slot_id"] == other
    r = api.post("/rehab/bookings/%s/reschedule" % bk["id"], token=token, json={"slot_id": other})
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
    r = book(api, token, closing, pid)
    assert r.status_code == 409 and error_code(r) == "SLOT_CLOSED"


def test_removing_an_institution_orphans_future_bookings(api, amqp_config, rdb, county, rpc):
    inst = new_institution(api, county)
    slot_id = new_slot(api, county, inst["id"], days_ahead=4, capacity=2)
    token, pid = citizen(api, amqp_config, rdb)
    bk = book(api, token, slot_id, pid, confirm=True).json()
    staff = institution_staff(rpc, api, inst["id"])
    r = api.post("/admin/rehab/institutions", token=staff,
                 json={"id": inst["id"], "action": "remove", "reason": "违约"})
    assert r.status_code == 403                                   # institution staff: no
    r = api.post("/admin/rehab/institutions", token=county,
                 json={"id": inst["id"], "action": "remove"})
    assert r.status_code == 400                                   # reason required
    r = api.post("/admin/rehab/institutions", token=county,
                 json={"id": inst["id"], "action": "remove", "reason": "协议终止"})
    assert r.status_code == 200 and r.json()["designation"] == "removed"
    assert booking(rdb, bk["id"])["status"] == "orphaned"
    assert rdb.slots.find_one({"_id": slot_id})["status"] == "closed"
    r = api.post("/admin/rehab/institutions", token=county,
                 json={"id": inst["id"], "action": "reinstate"})
    assert r.status_code == 409 and error_code(r) == "ILLEGAL_TRANSITION"


def test_one_person_never_in_two_overlapping_bookings_even_concurrently(api, amqp_config, rdb,
                                                                        county):
    insts = [new_institution(api, county) for _ in range(2)]
    slots = [new_slot(api, county, i["id"], days_ahead=9, start=t, capacity=5)
             for i in insts for t in ("09:00", "09:30", "09:45")]
    token, pid = citizen(api, amqp_config, rdb)
    url = api.base + "/rehab/bookings"

    def one(slot_id):
        return requests.post(url, json={"slot_id": slot_id, "person_id": pid}, timeout=60,
                             headers={"Authorization": "Bearer " + token}).status_code

    with ThreadPoolExecutor(max_workers=len(slots)) as pool:
        statuses = list(pool.map(one, slots))
    assert statuses.count(201) == 1, statuses
    assert rdb.bookings.count_documents({"person_id": pid}) == 1
    taken = rdb.bookings.find_one({"person_id": pid})["slot_id"]
    r = book(api, token, [s for s in slots if s != taken][0], pid)
    assert r.status_code == 409 and error_code(r) == "OVERLAPPING_BOOKING", r.text


def test_eligibility_certificate_or_young_child(api, amqp_config, rdb, county):
    inst = new_institution(api, county)
    therapy = new_slot(api, county, inst["id"], days_ahead=3, start="11:00")
    screening = new_slot(api, county, inst["id"], days_ahead=3, start="13:00",
                         service="child_screening")
    token, pid = citizen(api, amqp_config, rdb, certified=False)
    r = book(api, token, therapy, pid)
    assert r.status_code == 422 and error_code(r) == "NOT_ELIGIBLE"
    child_birth = (dt.date.today() - dt.timedelta(days=3 * 365)).strftime("%Y%m%d")
    from tests.e2e.test_rehab_support import random_id
    r = api.post("/me/wards", token=token, json={"name": "小明", "relationship": "parent",
                                                  "id_number": random_id(REGION, child_birth)})
    child = [w for w in r.json()["wards"]][0]["id"]
    r = book(api, token, screening, child)                        # token predates the ward
    assert r.status_code == 201 and r.json()["person_id"] == child, r.text


def test_death_cancels_future_bookings(api, amqp_config, rdb, county):
    inst = new_institution(api, county)
    slot_id = new_slot(api, county, inst["id"], days_ahead=4, capacity=2)
    token, pid = citizen(api, amqp_config, rdb)
    bk = book(api, token, slot_id, pid, confirm=True).json()
    event_dispatcher(amqp_config)("identity", "person_died", {
        "event_id": "death-" + pid, "person_id": pid, "date": dt.date.today().isoformat(),
        "household_region": REGION, "residence_region": REGION,
        "occurred_at": dt.datetime.now(dt.timezone.utc).isoformat()})
    assert wait_for(lambda: booking(rdb, bk["id"])["status"] == "cancelled")
    assert wait_for(lambda: rdb.slots.find_one({"_id": slot_id})["booked"] == 0)


def test_role_refusals(api, amqp_config, rdb, county, rpc):
    inst = new_institution(api, county)
    slot_id = new_slot(api, county, inst["id"], days_ahead=3, capacity=3)
    other_inst = new_institution(api, county)
    other_staff = institution_staff(rpc, api, other_inst["id"])
    token, pid = citizen(api, amqp_config, rdb)
    bk = book(api, token, slot_id, pid, confirm=True).json()
    stranger, _ = citizen(api, amqp_config, rdb)
    harbin = api.staff("county_dpf", "230100")
    checks = [
        ("citizen on a staff route", token, "/admin/rehab/slots/%s/close" % slot_id,
         {"reason": "x"}),
        ("street officer closing a slot", api.staff("street_officer", REGION),
         "/admin/rehab/slots/%s/close" % slot_id, {"reason": "x"}),
        ("another institution's staff closing a slot", other_staff,
         "/admin/rehab/slots/%s/close" % slot_id, {"reason": "x"}),
        ("another institution's staff checking in", other_staff,
         "/admin/rehab/bookings/%s/check-in" % bk["id"], {}),
        ("another institution's staff scheduling", other_staff, "/admin/rehab/schedules",
         {"institution_id": inst["id"], "from": "2030-01-01", "to": "2030-01-02",
          "templates": [{"service": "movement_therapy", "weekday": 2, "start": "09:00",
                         "duration_minutes": 60, "capacity": 2}]}),
        ("another region's county creating", harbin, "/admin/rehab/institutions",
         {"name": "越权机构", "region": REGION, "address": "某路", "services":
          ["movement_therapy"], "location": {"lat": 29.4, "lng": 106.5}}),
        ("another region's county suspending", harbin, "/admin/rehab/institutions",
         {"id": inst["id"], "action": "suspend", "reason": "x"}),
        ("institution staff creating an institution", other_staff, "/admin/rehab/institutions",
         {"name": "越权机构", "region": REGION, "address": "某路", "services":
          ["movement_therapy"], "location": {"lat": 29.4, "lng": 106.5}}),
        ("a stranger cancelling", stranger, "/rehab/bookings/%s/cancel" % bk["id"], {}),
        ("a stranger booking for someone else", stranger, "/rehab/bookings",
         {"slot_id": slot_id, "person_id": pid}),
        ("a stranger joining a waitlist for someone else", stranger, "/rehab/waitlist",
         {"slot_id": slot_id, "person_id": pid}),
    ]
    for label, tok, path, body in checks:
        r = api.post(path, token=tok, json=body)
        assert r.status_code == 403, (label, r.status_code, r.text)
    r = api.get("/people/%s/rehab/bookings" % pid, token=stranger)
    assert r.status_code == 403
    r = api.get("/admin/rehab/bookings", token=other_staff, params={"institution_id": inst["id"]})
    assert r.status_code == 403
    assert booking(rdb, bk["id"])["status"] == "confirmed"
    assert rdb.slots.find_one({"_id": slot_id})["status"] == "open"
    assert rdb.bookings.count_documents({"person_id": pid}) == 1


@pytest.mark.parametrize("path,body,status,code", [
    ("/rehab/bookings", {"person_id": "p_x"}, 400, "VALIDATION_ERROR"),
    ("/rehab/bookings", {"slot_id": "nope:movement_therapy:2030-01-01T01:00:00Z",
                         "person_id": "SELF"}, 404, "SLOT_NOT_FOUND"),
    ("/rehab/waitlist", {"person_id": "SELF", "institution_id": "INST", "service": "magic",
                         "date": "2030-01-01"}, 400, "VALIDATION_ERROR"),
])
def test_bad_booking_input_changes_nothing(api, amqp_config, rdb, county, path, body, status,
                                           code):
    inst = new_institution(api, county)
    token, pid = citizen(api, amqp_config, rdb)
    body = {k: (pid if v == "SELF" else inst["id"] if v == "INST" else v)
            for k, v in body.items()}
    r = api.post(path, token=token, json=body)
    assert r.status_code == status and error_code(r) == code, r.text
    assert rdb.bookings.count_documents({"person_id": pid}) == 0
    assert rdb.waitlist.count_documents({"person_id": pid}) == 0


def test_unknown_service_and_past_slots_are_refused(api, amqp_config, rdb, county, clock):
    inst = new_institution(api, county)
    r = api.get("/rehab/slots", params={"institution_id": inst["id"], "service": "magic"})
    assert r.status_code == 400 and error_code(r) == "VALIDATION_ERROR"
    r = api.post("/admin/rehab/schedules", token=county, json={
        "institution_id": inst["id"], "from": "2030-01-01", "to": "2030-01-07",
        "templates": [{"service": "magic", "weekday": 1, "start": "09:00",
                       "duration_minutes": 60, "capacity": 2}]})
    assert r.status_code == 400
    r = api.post("/admin/rehab/institutions", token=county, json={
        "name": "错误机构", "region": REGION, "address": "某路", "services": ["magic"],
        "location": {"lat": 29.4, "lng": 106.5}})
    assert r.status_code == 400
    slot_id = new_slot(api, county, inst["id"], days_ahead=1, start="09:00")
    token, pid = citizen(api, amqp_config, rdb)
    clock(seconds_until(slot_id, dt.timedelta(minutes=-5)))
    token = relogin(api, pid)
    r = book(api, token, slot_id, pid)
    assert r.status_code == 422 and error_code(r) == "SLOT_IN_PAST", r.text
    assert rdb.bookings.count_documents({"person_id": pid}) == 0
    assert rdb.seats.count_documents({"slot_id": slot_id}) == 0
