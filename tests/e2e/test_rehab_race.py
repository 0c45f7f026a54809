"""Capacity is never exceeded: 200 distinct people book one slot of capacity 10 at the same time
through the gateway — exactly 10 get a place, every other answer is 409 SLOT_FULL, and the
database agrees. Then the same with a second replica of the service consuming the same queue."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import wait_for
from tests.e2e.test_rehab_support import many_citizens, new_institution, new_slot, rdb  # noqa

PEOPLE = 200
CAPACITY = 10
REGION = "230100"   # Harbin: no reserved priority share, so all 10 places are open to everyone


@pytest.fixture(scope="module")
def county(api):
    return api.staff("county_dpf", REGION)


@pytest.fixture(scope="module")
def people(api, amqp_config, rdb):
    return many_citizens(api, amqp_config, rdb, PEOPLE)


def fire(api, slot_id, people):
    """All requests at once (one connection each), answers as (status, code, booking id)."""
    url = api.base + "/rehab/bookings"

    def one(person):
        token, pid = person
        r = requests.post(url, json={"slot_id": slot_id, "person_id": pid}, timeout=120,
                          headers={"Authorization": "Bearer " + token})
        body = r.json()
        return r.status_code, body.get("error", {}).get("code"), body.get("id")

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        return list(pool.map(one, people))


def check_race(api, rdb, slot_id, people):
    started = time.time()
    answers = fire(api, slot_id, people)
    elapsed = time.time() - started
    statuses = sorted({(s, c) for s, c, _ in answers})
    won = [bid for s, _, bid in answers if s == 201]
    lost = [c for s, c, _ in answers if s != 201]
    assert len(won) == CAPACITY, statuses
    assert lost == ["SLOT_FULL"] * (len(people) - CAPACITY), statuses
    # the slot's counters are recounted from its seat documents: they follow within moments
    slot = wait_for(lambda: [d for d in [rdb.slots.find_one({"_id": slot_id})]
                             if d["booked"] == CAPACITY and d["general_booked"] == CAPACITY])
    assert slot, rdb.slots.find_one({"_id": slot_id})
    slot = slot[0]
    held = list(rdb.bookings.find({"slot_id": slot_id}))
    assert sorted(b["_id"] for b in held) == sorted(won)
    assert all(b["status"] == "held" for b in held)
    assert len({b["person_id"] for b in held}) == CAPACITY
    r = api.get("/rehab/slots", params={"institution_id": slot["institution_id"]})
    listed = [s for s in r.json()["items"] if s["id"] == slot_id][0]
    assert listed["available"] == 0 and listed["capacity"] == CAPACITY
    return elapsed


def test_two_hundred_at_once_on_one_replica(api, rdb, county, people):
    inst = new_institution(api, county, region=REGION, name="并发测试康复中心",
                           location={"lat": 45.8, "lng": 126.5})
    slot_id = new_slot(api, county, inst["id"], days_ahead=8, capacity=CAPACITY)
    elapsed = check_race(api, rdb, slot_id, people)
    print("\n200 bookings against capacity 10, one replica: %.1fs" % elapsed)


def test_two_hundred_at_once_on_two_replicas(api, rdb, county, people, stack):
    inst = new_institution(api, county, region=REGION, name="并发测试康复中心（双副本）",
                           location={"lat": 45.8, "lng": 126.5})
    slot_id = new_slot(api, county, inst["id"], days_ahead=9, capacity=CAPACITY)
    try:
        assert stack.start_replica("rehab_booking"), "the second replica is not consuming"
        elapsed = check_race(api, rdb, slot_id, people)
        print("\n200 bookings against capacity 10, two replicas: %.1fs" % elapsed)
    finally:
        stack.stop_process("rehab_booking-1")
