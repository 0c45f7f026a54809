import datetime as dt

import pytest

from services.common.errors import Conflict, RuleRefused, ValidationFailed
from services.rehab_booking import capacity, eligibility

from .factories import NOW, local_dt, make_person, make_policy, make_slot

ON = dt.date(2025, 3, 5)


# ---- eligibility ----------------------------------------------------------------------------

@pytest.mark.parametrize("person,service,eligible,basis", [
    (make_person(), "movement_therapy", True, "certificate"),
    (make_person(cert=False), "movement_therapy", False, None),
    (make_person(cert=False), "needs_assessment", False, None),
    (make_person(cert=False, suspected=True), "needs_assessment", True, "suspected"),
    (make_person(cert=False, suspected=True), "speech_training", False, None),
    (make_person(cert=False, birth="20210101"), "child_screening", True, "child"),
    (make_person(cert=False, birth="20210101"), "children_rehab_training", True, "child"),
    (make_person(cert=False, birth="20180101"), "children_rehab_training", False, None),  # age 7
    (make_person(cert=False, birth="20180101", suspected=True), "children_rehab_training",
     True, "suspected"),
    (make_person(cert=False, birth="20210101"), "movement_therapy", False, None),
    (make_person(), "children_rehab_training", False, None),       # adult: children's service
    (make_person(deceased=True), "movement_therapy", False, None),
])
def test_eligibility_table(policy, person, service, eligible, basis):
    r = eligibility.check_eligibility(person, service, policy, ON)
    assert (r["eligible"], r["basis"]) == (eligible, basis)
    assert r["reasons"]


@pytest.mark.parametrize("cert", [{"status": "expired"}, {"status": "cancelled"},
                                  {"status": "valid", "valid_until": dt.date(2025, 3, 4)}])
def test_invalid_certificate_does_not_count(policy, cert):
    person = dict(make_person(), certificate=cert)
    with pytest.raises(RuleRefused) as e:
        eligibility.ensure_eligible(person, "movement_therapy", policy, ON)
    assert e.value.code == "NOT_ELIGIBLE" and e.value.details["reasons"]


def test_ningbo_child_age_band_is_wider():
    person = make_person(cert=False, birth="20120101")     # 13 years old
    assert not eligibility.check_eligibility(person, "child_screening", make_policy(), ON)[
        "eligible"]
    ningbo = make_policy("330200", uncertified_child_max_age=17)
    assert eligibility.check_eligibility(person, "child_screening", ningbo, ON)["basis"] == "child"


@pytest.mark.parametrize("status,priority", [("tekun", True), ("dibao", True),
                                             ("dibao_edge", True), ("low_income", False),
                                             ("none", False)])
def test_priority_groups(policy, status, priority):
    assert eligibility.is_priority(make_person(household_status=status), policy) is priority


def test_no_shows_within_window(policy):
    d = dt.timedelta(days=1)
    inside = [NOW - 10 * d, NOW - 50 * d, NOW - 89 * d]
    assert eligibility.recent_no_shows(inside + [NOW - 91 * d], NOW, policy) == 3
    assert eligibility.needs_staff_confirmation(inside, NOW, policy)
    assert not eligibility.needs_staff_confirmation(inside[:2] + [NOW - 91 * d], NOW, policy)


def test_no_show_times_from_bookings():
    d = dt.timedelta(days=1)
    bookings = [{"status": "no_show", "start": NOW - 10 * d},
                {"status": "completed", "start": NOW - 20 * d},
                {"status": "no_show", "start": NOW - 91 * d}]
    assert eligibility.no_show_times(bookings) == [NOW - 10 * d, NOW - 91 * d]
    assert eligibility.recent_no_shows(eligibility.no_show_times(bookings), NOW, make_policy()) == 1


# ---- capacity -------------------------------------------------------------------------------

def test_free_places_as_counted():
    assert capacity.free_places(make_slot(capacity=5, booked=3), NOW) == 2
    assert capacity.free_places(make_slot(capacity=5, booked=5), NOW) == 0
    assert capacity.free_places(make_slot(capacity=5, booked=7), NOW) == 0   # a stale count
    assert capacity.free_places(make_slot(status="closed"), NOW) is None
    slot = make_slot()
    assert capacity.free_places(slot, slot["start"]) is None                 # started


def test_seat_order_starts_anywhere_and_tries_every_seat():
    assert capacity.seat_order(range(2, 6), 0) == [2, 3, 4, 5]
    assert capacity.seat_order(range(2, 6), 3) == [5, 2, 3, 4]
    assert capacity.seat_order(range(2, 6), 9) == [3, 4, 5, 2]
    assert capacity.seat_order(range(0), 4) == []


def test_availability_with_reserve(policy):
    av = capacity.availability(make_slot(capacity=5, reserved=1, booked=3), NOW, policy)
    assert (av["available_general"], av["available_priority"], av["reserved_free"]) == (1, 2, 1)
    assert av["available"] == 1


def test_reserve_released_close_to_start(policy):
    slot = make_slot(capacity=5, reserved=1, booked=4)
    assert capacity.availability(slot, NOW, policy)["available_general"] == 0
    late = slot["start"] - dt.timedelta(hours=23)
    av = capacity.availability(slot, late, policy)
    assert av["released"] and av["available_general"] == 1


def test_closed_or_started_slot_has_nothing(policy):
    assert capacity.availability(make_slot(status="closed"), NOW, policy)["available"] == 0
    slot = make_slot()
    assert capacity.availability(slot, slot["start"], policy)["available_priority"] == 0


def test_general_claim_pins_pools(policy):
    claims = capacity.seat_claims(make_slot(capacity=5, reserved=1, booked=2), False, 1, NOW,
                                  policy)
    assert len(claims) == 1 and claims[0]["pool"] == "general"
    f = claims[0]["filter"]
    assert f["booked"] == {"$lte": 4} and f["general_booked"] == {"$lte": 3}
    assert f["capacity"] == 5 and f["priority_reserved"] == 1 and f["status"] == "open"
    assert claims[0]["update"] == {"$inc": {"booked": 1, "general_booked": 1}}


def test_priority_person_takes_reserved_first_then_general(policy):
    claims = capacity.seat_claims(make_slot(capacity=5, reserved=1, booked=2), True, 1, NOW,
                                  policy)
    assert [c["pool"] for c in claims] == ["priority", "general"]
    assert claims[0]["filter"]["priority_booked"] == {"$lte": 0}
    assert claims[0]["update"] == {"$inc": {"booked": 1, "priority_booked": 1}}


def test_only_reserved_left(policy):
    slot = make_slot(capacity=5, reserved=1, booked=4)
    with pytest.raises(Conflict) as e:
        capacity.seat_claims(slot, False, 1, NOW, policy)
    assert e.value.code == "SLOT_FULL"
    assert [c["pool"] for c in capacity.seat_claims(slot, True, 1, NOW, policy)] == ["priority"]


def test_released_general_claim_has_no_pool_cap(policy):
    slot = make_slot(capacity=5, reserved=1, booked=4)
    late = slot["start"] - dt.timedelta(hours=1)
    (claim,) = capacity.seat_claims(slot, False, 1, late, policy)
    assert "general_booked" not in claim["filter"] and claim["filter"]["booked"] == {"$lte": 4}


def test_full_slot(policy):
    with pytest.raises(Conflict):
        capacity.seat_claims(make_slot(capacity=2, booked=2), True, 1, NOW, policy)


def test_simulated_concurrent_claims_never_exceed_capacity(policy):
    """Apply the claim filters as Mongo would, 20 people racing for 5 places."""
    slot = make_slot(capacity=5, reserved=1, booked=0)
    claims = [capacity.seat_claims(slot, i % 3 == 0, 1, NOW, policy) for i in range(20)]
    doc = dict(slot)

    def matches(f):
        for k, v in f.items():
            if isinstance(v, dict):
                if not doc[k] <= v["$lte"]:
                    return False
            elif doc[k] != v:
                return False
        return True

    won = 0
    for person_claims in claims:           # every read happened before any write
        for c in person_claims:
            if matches(c["filter"]):
                for k, n in c["update"]["$inc"].items():
                    doc[k] += n
                won += 1
                break
    assert won == 5 and doc["booked"] == 5 and doc["priority_booked"] == 1


def test_companion_capacity_rule():
    p = make_policy()
    comp = capacity.validate_companion({"relationship": "parent"}, p)
    assert capacity.seats_needed(comp, p) == 1
    p2 = make_policy(companion_consumes_capacity=True)
    assert capacity.seats_needed(comp, p2) == 2
    assert capacity.validate_companion(None, p) is None
    with pytest.raises(ValidationFailed):
        capacity.validate_companion({"relationship": "parent", "count": 2}, p)
    with pytest.raises(ValidationFailed):
        capacity.validate_companion({"relationship": "stranger"}, p)


def test_release_and_recount():
    b = {"slot_id": "s", "seats": 1, "seat_pool": "priority"}
    f, u = capacity.release_update(b)
    assert f == {"_id": "s", "booked": {"$gte": 1}, "priority_booked": {"$gte": 1}}
    assert u == {"$inc": {"booked": -1, "priority_booked": -1}}
    counts = capacity.recount([{"status": "confirmed", "seat_pool": "general"},
                               {"status": "held", "seat_pool": "priority"},
                               {"status": "cancelled", "seat_pool": "general"},
                               {"status": "checked_in", "seats": 2, "seat_pool": "general"}])
    assert counts == {"booked": 4, "general_booked": 3, "priority_booked": 1}


@pytest.mark.parametrize("a,b,overlap", [
    ((9, 10), (10, 11), False), ((9, 10), (9, 10), True), ((9, 11), (10, 10.5), True),
    ((9, 10), (8, 9), False), ((9, 10), (8, 9.5), True)])
def test_overlap(a, b, overlap):
    def t(h):
        return local_dt(2025, 3, 5, 0) + dt.timedelta(hours=h)
    assert capacity.overlaps(t(a[0]), t(a[1]), t(b[0]), t(b[1])) is overlap


def test_overlap_ignores_inactive_and_self():
    s = local_dt(2025, 3, 5, 9)
    e = s + dt.timedelta(hours=1)
    bookings = [{"_id": "b1", "status": "cancelled", "start": s, "end": e},
                {"_id": "b2", "status": "confirmed", "start": s, "end": e}]
    assert [b["_id"] for b in capacity.conflicting_bookings(bookings, s, e)] == ["b2"]
    assert capacity.conflicting_bookings(bookings, s, e, ignore_id="b2") == []
    with pytest.raises(Conflict) as ex:
        capacity.ensure_no_overlap(bookings, s, e)
    assert ex.value.code == "OVERLAPPING_BOOKING"
