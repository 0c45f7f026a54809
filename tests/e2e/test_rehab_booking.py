"""Rehab booking through the gateway: institutions, slots, hold → confirm, expiry, cancel with
waitlist promotion, reschedule, reminders, check-in and completion, audit."""
import datetime as dt

from tests.e2e.test_rehab_support import (REGION, book, booking, citizen, county,  # noqa: F401
                                          clock, error_code, institution_staff, new_institution,
                                          new_slot, rdb, relogin, rpc, seconds_until,
                                          wait_for)


def test_public_lists_show_designated_institutions_and_their_slots(api, county):
    inst = new_institution(api, county, name="公开列表康复中心")
    slot_id = new_slot(api, county, inst["id"], days_ahead=4, capacity=3)
    r = api.get("/rehab/institutions", params={"region": REGION, "service": "movement_therapy"})
    assert r.status_code == 200
    assert inst["id"] in [i["id"] for i in r.json()["items"]]
    r = api.get("/rehab/slots", params={"institution_id": inst["id"]})
    slot = [s for s in r.json()["items"] if s["id"] == slot_id][0]
    assert slot["capacity"] == 3 and slot["available"] == 3 and slot["start"].endswith("+08:00")
    r = api.post("/admin/rehab/institutions", token=county,
                 json={"id": inst["id"], "action": "suspend", "reason": "协议到期"})
    assert r.status_code == 200 and r.json()["designation"] == "suspended"
    r = api.get("/rehab/institutions", params={"region": REGION})
    assert inst["id"] not in [i["id"] for i in r.json()["items"]]
    assert api.get("/rehab/slots", params={"institution_id": inst["id"]}).json()["items"] == []


def test_hold_confirm_and_hold_expiry(api, amqp_config, rdb, county, clock):
    inst = new_institution(api, county)
    slot_id = new_slot(api, county, inst["id"], days_ahead=3, capacity=2)
    token, pid = citizen(api, amqp_config, rdb)
    r = book(api, token, slot_id, pid)
    assert r.status_code == 201, r.text
    held = r.json()
    assert held["status"] == "held" and held["hold_expires_at"]
    r = api.post("/rehab/bookings/%s/confirm" % held["id"], token=token)
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text

    token2, pid2 = citizen(api, amqp_config, rdb)
    second = book(api, token2, slot_id, pid2).json()
    assert wait_for(lambda: rdb.slots.find_one({"_id": slot_id})["booked"] == 2)
    clock(11 * 60)                                   # past the 10-minute hold
    assert wait_for(lambda: booking(rdb, second["id"])["status"] == "expired")
    assert wait_for(lambda: rdb.slots.find_one({"_id": slot_id})["booked"] == 1)
    r = api.post("/rehab/bookings/%s/confirm" % second["id"], token=token2)
    assert r.status_code == 409 and error_code(r) == "ILLEGAL_TRANSITION"
    trail = api.get("/admin/audit", token=county, params={"entity": second["id"]}).json()
    assert [(t["action"], t["to"]) for t in trail["items"]] == [("book", "held"),
                                                                 ("expire", "expired")]


def test_cancel_promotes_the_waitlist_then_the_next_when_an_offer_lapses(
        api, amqp_config, rdb, county, clock):
    inst = new_institution(api, county)
    slot_id = new_slot(api, county, inst["id"], days_ahead=5, capacity=1)
    t1, p1 = citizen(api, amqp_config, rdb)
    t2, p2 = citizen(api, amqp_config, rdb)
    t3, p3 = citizen(api, amqp_config, rdb)
    first = book(api, t1, slot_id, p1, confirm=True).json()
    assert first["status"] == "confirmed"
    r = book(api, t2, slot_id, p2)
    assert r.status_code == 409 and error_code(r) == "SLOT_FULL"
    w2 = api.post("/rehab/waitlist", token=t2, json={"slot_id": slot_id, "person_id": p2})
    assert w2.status_code == 201, w2.text
    w3 = api.post("/rehab/waitlist", token=t3, json={"slot_id": slot_id, "person_id": p3})
    assert w3.status_code == 201
    dup = api.post("/rehab/waitlist", token=t3, json={"slot_id": slot_id, "person_id": p3})
    assert dup.status_code == 409 and error_code(dup) == "WAITLIST_DUPLICATE"

    assert api.post("/rehab/bookings/%s/cancel" % first["id"], token=t1).status_code == 200
    offered = wait_for(lambda: rdb.bookings.find_one({"person_id": p2, "slot_id": slot_id}))
    assert offered["status"] == "held" and offered["source"] == "waitlist"
    assert rdb.waitlist.find_one({"_id": w2.json()["id"]})["status"] == "offered"
    # the slot's counter is recounted from its seat documents: it follows within moments
    assert wait_for(lambda: rdb.slots.find_one({"_id": slot_id})["booked"] == 1)
    trail = wait_for(lambda: list(rdb.audit.find({"entity": offered["_id"]})))
    assert [t["action"] for t in trail] == ["book"] and trail[0]["actor_kind"] == "system"

    clock(31 * 60)                                   # the 30-minute offer lapses
    third = wait_for(lambda: rdb.bookings.find_one({"person_id": p3, "slot_id": slot_id}), 25)
    assert third and third["status"] == "held"
    assert booking(rdb, offered["_id"])["status"] == "expired"
    assert rdb.waitlist.find_one({"_id": w2.json()["id"]})["status"] == "lapsed"
    clock(0)                                         # (access tokens live 15 minutes)
    r = api.post("/rehab/bookings/%s/confirm" % third["_id"], token=t3)
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
    assert rdb.waitlist.find_one({"_id": w3.json()["id"]})["status"] == "fulfilled"
    assert wait_for(lambda: rdb.slots.find_one({"_id": slot_id})["booked"] == 1)


def test_reschedule_moves_the_place_and_refuses_a_full_slot(api, amqp_config, rdb, county):
    inst = new_institution(api, county)
    a = new_slot(api, county, inst["id"], days_ahead=6, start="09:00", capacity=2)
    b = new_slot(api, county, inst["id"], days_ahead=6, start="14:00", capacity=1)
    t1, p1 = citizen(api, amqp_config, rdb)
    t2, p2 = citizen(api, amqp_config, rdb)
    mine = book(api, t1, a, p1, confirm=True).json()
    assert book(api, t2, b, p2, confirm=True).status_code == 201
    r = api.post("/rehab/bookings/%s/reschedule" % mine["id"], token=t1, json={"slot_id": b})
    assert r.status_code == 409 and error_code(r) == "SLOT_FULL"
    assert booking(rdb, mine["id"])["slot_id"] == a
    assert wait_for(lambda: rdb.slots.find_one({"_id": a})["booked"] == 1)
    assert wait_for(lambda: rdb.slots.find_one({"_id": b})["booked"] == 1)
    c = new_slot(api, county, inst["id"], days_ahead=7, start="10:00", capacity=1)
    r = api.post("/rehab/bookings/%s/reschedule" % mine["id"], token=t1, json={"slot_id": c})
    assert r.status_code == 200 and r.json()["slot_id"] == c and r.json()["status"] == "confirmed"
    assert wait_for(lambda: rdb.slots.find_one({"_id": a})["booked"] == 0)
    assert wait_for(lambda: rdb.slots.find_one({"_id": c})["booked"] == 1)
    listed = api.get("/people/%s/rehab/bookings" % p1, token=t1).json()["items"]
    assert [x["slot_id"] for x in listed] == [c]


def test_reminders_check_in_and_completion(api, amqp_config, rdb, county, rpc, clock):
    inst = new_institution(api, county)
    slot_id = new_slot(api, county, inst["id"], days_ahead=3, start="09:00", capacity=2)
    _, staff_name = institution_staff(rpc, api, inst["id"], with_name=True)
    token, pid = citizen(api, amqp_config, rdb)
    bk = book(api, token, slot_id, pid, confirm=True, escort_needed=True,
              companion="李四").json()
    assert bk["companion"]["name"] == "李四" and bk["escort_needed"]
    clock(seconds_until(slot_id, dt.timedelta(hours=23)))
    assert wait_for(lambda: booking(rdb, bk["id"]).get("reminded_24h") is True)
    clock(seconds_until(slot_id, dt.timedelta(hours=1, minutes=50)))
    assert wait_for(lambda: booking(rdb, bk["id"]).get("reminded_2h") is True)
    def staff():
        return api.post("/auth/staff-login", json={"username": staff_name,
                                                   "password": "demo12345"}).json()["access_token"]
    early = api.post("/admin/rehab/bookings/%s/complete" % bk["id"], token=staff(),
                     json={"service_record": {"summary": "x"}})
    assert early.status_code == 409 and error_code(early) == "ILLEGAL_TRANSITION"
    clock(seconds_until(slot_id, dt.timedelta(minutes=10)))
    r = api.post("/admin/rehab/bookings/%s/check-in" % bk["id"], token=staff())
    assert r.status_code == 200 and r.json()["status"] == "checked_in", r.text
    r = api.post("/admin/rehab/bookings/%s/complete" % bk["id"], token=staff(),
                 json={"service_record": {"summary": "运动疗法45分钟，步态改善"}})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    token = relogin(api, pid)
    r = api.post("/rehab/bookings/%s/rate" % bk["id"], token=token, json={"rating": 5})
    assert r.status_code == 200 and r.json()["rating"] == 5
    day = api.get("/admin/rehab/bookings", token=staff(),
                  params={"date": r.json()["start"][:10]}).json()
    assert bk["id"] in [x["id"] for x in day["items"]]
    file_ = api.get("/people/%s/file" % pid, token=token).json()
    assert bk["id"] in [x["id"] for x in file_["rehab"]["bookings"]]
    dash = api.get("/admin/dashboard", token=api.staff("county_dpf", REGION)).json()["measures"]["rehab_booking"]
    assert dash["rehab_service_rate"]["served"] >= 1
