"""The slot's gate (services/rehab_booking/admission.py) through the gateway: the counters show a
booking as soon as it is answered, a race fills the slot and refuses the rest with a plain 409
SLOT_FULL, and a place given back after a race can be booked again (only once)."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_rehab_support import (book, county, error_code, many_citizens,  # noqa: F401
                                          new_institution, new_slot, rdb)

PEOPLE, CAPACITY = 20, 3


@pytest.fixture(scope="module")
def people(api, amqp_config, rdb):
    return many_citizens(api, amqp_config, rdb, PEOPLE)


def listed(api, slot_id, inst_id):
    items = api.get("/rehab/slots", params={"institution_id": inst_id}).json()["items"]
    return [s for s in items if s["id"] == slot_id][0]


def test_the_counters_show_a_booking_when_it_is_answered(api, county, people):
    inst = new_institution(api, county, name="名额计数康复中心")
    slot_id = new_slot(api, county, inst["id"], days_ahead=6, capacity=CAPACITY)
    (t1, p1), (t2, p2) = people[:2]
    assert book(api, t1, slot_id, p1).status_code == 201
    assert listed(api, slot_id, inst["id"])["available"] == CAPACITY - 1   # no wait
    assert book(api, t2, slot_id, p2).status_code == 201
    assert listed(api, slot_id, inst["id"])["available"] == CAPACITY - 2


def test_a_place_given_back_after_a_race_is_booked_again_once(api, county, rdb, people):
    inst = new_institution(api, county, name="名额归还康复中心")
    slot_id = new_slot(api, county, inst["id"], days_ahead=7, capacity=CAPACITY)
    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        answers = list(pool.map(lambda p: book(api, p[0], slot_id, p[1]), people))
    won = [(p, r.json()["id"]) for p, r in zip(people, answers) if r.status_code == 201]
    lost = [p for p, r in zip(people, answers) if r.status_code != 201]
    assert len(won) == CAPACITY
    assert {(r.status_code, error_code(r)) for r in answers if r.status_code != 201} == {
        (409, "SLOT_FULL")}
    assert listed(api, slot_id, inst["id"])["available"] == 0

    (token, _), booking_id = won[0]
    r = api.post("/rehab/bookings/%s/cancel" % booking_id, token=token)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert listed(api, slot_id, inst["id"])["available"] == 1
    (t1, p1), (t2, p2) = lost[:2]
    assert book(api, t1, slot_id, p1).status_code == 201
    r = book(api, t2, slot_id, p2)
    assert r.status_code == 409 and error_code(r) == "SLOT_FULL", r.text
    assert rdb.bookings.count_documents({"slot_id": slot_id, "status": "held"}) == CAPACITY
    assert rdb.slots.find_one({"_id": slot_id})["booked"] == CAPACITY
