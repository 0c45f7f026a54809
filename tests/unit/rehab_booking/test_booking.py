import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.rehab_booking import booking as bk, events
from services.rehab_booking.states import ALL_STATES

from .factories import (NOW, SYSTEM, citizen, local_dt, make_institution, make_person,
                        make_policy, make_slot, staff)

M = dt.timedelta(minutes=1)


def plan(policy, institution, person=None, slot=None, bookings=(), no_shows=(), actor=None,
         now=NOW, **kw):
    person = person or make_person()
    return bk.plan_booking("b1", person, slot or make_slot(), institution, list(bookings),
                           list(no_shows), actor or citizen(person["person_id"]), now, policy,
                           **kw)


def booked(policy, institution, status="confirmed", **kw):
    doc = plan(policy, institution, **kw)["booking"]
    doc["status"] = status
    return doc


def test_transition_table_is_closed():
    for (state, action), (target, roles) in bk.TRANSITIONS.items():
        assert state in ALL_STATES and target in ALL_STATES and roles


def test_plan_booking_holds_a_place(policy, institution):
    p = plan(policy, institution)
    b = p["booking"]
    assert b["status"] == "held" and b["hold_expires_at"] == NOW + 10 * M
    assert b["slot_id"] == make_slot()["_id"] and b["seats"] == 1
    assert b["needs_staff_confirmation"] is False and b["eligibility_basis"] == "certificate"
    assert p["seat_claims"][0]["pool"] == "general"


def test_confirm_now_and_staff_confirmation_after_no_shows(policy, institution):
    b = plan(policy, institution, confirm_now=True)["booking"]
    assert b["status"] == "confirmed" and b["reminded_24h"] is False
    shows = [NOW - dt.timedelta(days=d) for d in (1, 2, 3)]
    b = plan(policy, institution, confirm_now=True, no_shows=shows)["booking"]
    assert b["status"] == "pending_staff_confirmation" and b["needs_staff_confirmation"]


@pytest.mark.parametrize("kw,err,code", [
    ({"slot": make_slot(start=NOW - dt.timedelta(hours=1))}, RuleRefused, "SLOT_IN_PAST"),
    ({"slot": make_slot(status="closed")}, Conflict, "SLOT_CLOSED"),
    ({"slot": make_slot(capacity=1, booked=1)}, Conflict, "SLOT_FULL"),
    ({"person": make_person(cert=False)}, RuleRefused, "NOT_ELIGIBLE"),
    ({"actor": citizen("someone-else")}, Forbidden, "FORBIDDEN"),
    ({"bookings": [{"_id": "x", "status": "confirmed", "start": local_dt(2025, 3, 5, 9, 30),
                    "end": local_dt(2025, 3, 5, 10, 30)}]}, Conflict, "OVERLAPPING_BOOKING"),
])
def test_plan_booking_refusals(policy, institution, kw, err, code):
    with pytest.raises(err) as e:
        plan(policy, institution, **kw)
    assert e.value.code == code


def test_not_bookable_institution(policy):
    with pytest.raises(RuleRefused) as e:
        plan(policy, make_institution(designation="suspended"))
    assert e.value.code == "INSTITUTION_NOT_BOOKABLE"


def test_staff_may_book_for_a_caller_but_not_at_another_institution(policy, institution):
    assert plan(policy, institution, actor=staff())["booking"]["created_by_role"] == \
        "institution_staff"
    with pytest.raises(Forbidden):
        plan(policy, institution, actor=staff(institution_id="other"))


def test_priority_person_in_reserved_pool(institution):
    policy = make_policy(priority_reserved_share=0.2)
    person = make_person(household_status="dibao")
    p = plan(policy, institution, person=person, slot=make_slot(capacity=5, reserved=1,
                                                                booked=4))
    assert p["booking"]["priority"] and p["booking"]["seat_pool"] == "priority"


def test_hold_never_outlives_the_slot(policy, institution):
    slot = make_slot(start=NOW + 5 * M)
    assert plan(policy, institution, slot=slot)["booking"]["hold_expires_at"] == slot["start"]


# ---- transitions ----------------------------------------------------------------------------

def test_confirm_held(policy, institution):
    b = booked(policy, institution, status="held")
    assert bk.confirm_action(b) == "confirm"
    tr = bk.transition(b, "confirm", citizen("p1"), NOW + M, policy)
    assert (tr["from"], tr["to"], tr["role"]) == ("held", "confirmed", "citizen")
    assert tr["filter"] == {"_id": "b1", "status": "held"}
    s = tr["update"]["$set"]
    assert s["status"] == "confirmed" and s["confirmed_at"] == NOW + M
    assert s["remind_at_24h"] == b["start"] - dt.timedelta(hours=24)
    assert not tr["releases_seat"]


def test_confirm_after_hold_expired(policy, institution):
    b = booked(policy, institution, status="held")
    with pytest.raises(Conflict) as e:
        bk.transition(b, "confirm", citizen("p1"), NOW + 10 * M, policy)
    assert e.value.code == "HOLD_EXPIRED"


def test_hold_expiry_decision(policy, institution):
    b = booked(policy, institution, status="held")
    assert not bk.hold_expired(b, NOW + 9 * M)
    assert bk.hold_expired(b, NOW + 10 * M)
    with pytest.raises(Conflict):
        bk.transition(b, "expire", SYSTEM, NOW + 9 * M, policy)
    tr = bk.transition(b, "expire", SYSTEM, NOW + 10 * M, policy)
    assert tr["to"] == "expired" and tr["releases_seat"]
    assert bk.expiry_at(b) == b["hold_expires_at"]
    assert bk.expiry_at(dict(b, status="pending_staff_confirmation")) == b["start"]
    assert bk.expiry_at(dict(b, status="confirmed")) is None
    with pytest.raises(Forbidden):
        bk.transition(b, "expire", citizen("p1"), NOW + 10 * M, policy)


def test_pending_staff_confirmation_flow(policy, institution):
    b = booked(policy, institution, status="held", no_shows=[NOW - M] * 3)
    assert bk.confirm_action(b) == "request_staff_confirmation"
    with pytest.raises(Conflict):          # plain confirm is not in the table for pending
        bk.transition(dict(b, status="pending_staff_confirmation"), "confirm", citizen("p1"),
                      NOW, policy)
    pending = dict(b, status="pending_staff_confirmation")
    with pytest.raises(Forbidden):
        bk.transition(pending, "approve", citizen("p1"), NOW, policy)
    assert bk.transition(pending, "approve", staff(), NOW, policy)["to"] == "confirmed"
    tr = bk.transition(pending, "reject", staff(), NOW, policy, reason="多次爽约")
    assert tr["to"] == "cancelled" and tr["releases_seat"]
    with pytest.raises(ValidationFailed):
        bk.transition(pending, "reject", staff(), NOW, policy)
    assert bk.hold_expired(pending, b["start"])
    assert bk.transition(pending, "expire", SYSTEM, b["start"], policy)["to"] == "expired"


def test_citizen_cancel_until_cutoff(policy, institution):
    b = booked(policy, institution)
    start = b["start"]
    tr = bk.transition(b, "cancel", citizen("p1"), start - 2 * dt.timedelta(hours=1), policy)
    assert tr["to"] == "cancelled" and tr["releases_seat"]
    assert tr["update"]["$set"]["cancelled_by"] == "citizen"
    with pytest.raises(RuleRefused) as e:
        bk.transition(b, "cancel", citizen("p1"), start - 119 * M, policy)
    assert e.value.code == "CUTOFF_PASSED"
    # staff may still cancel (with a reason) before the start
    assert bk.transition(b, "cancel", staff(), start - M, policy, reason="来电取消")["to"] == \
        "cancelled"
    with pytest.raises(RuleRefused):
        bk.transition(b, "cancel", staff(), start, policy, reason="x")


def test_held_cancel_ignores_cutoff(policy, institution):
    b = booked(policy, institution, status="held", slot=make_slot(start=NOW + 60 * M))
    assert bk.transition(b, "cancel", citizen("p1"), NOW + M, policy)["to"] == "cancelled"


def test_check_in_complete_rate(policy, institution):
    b = booked(policy, institution)
    start = b["start"]
    with pytest.raises(RuleRefused):
        bk.transition(b, "check_in", staff(), start - 61 * M, policy)
    with pytest.raises(Forbidden):
        bk.transition(b, "check_in", citizen("p1"), start, policy)
    with pytest.raises(Forbidden):
        bk.transition(b, "check_in", staff(institution_id="other"), start, policy)
    tr = bk.transition(b, "check_in", staff(), start - 10 * M, policy)
    assert tr["to"] == "checked_in"
    ci = dict(b, status="checked_in")
    with pytest.raises(ValidationFailed):
        bk.transition(ci, "complete", staff(), start + 50 * M, policy, data={})
    tr = bk.transition(ci, "complete", staff(), start + 50 * M, policy,
                       data={"service_record": {"summary": "步态训练40分钟"}})
    assert tr["to"] == "completed" and tr["update"]["$set"]["service_record"]["summary"]
    done = dict(ci, status="completed")
    tr = bk.transition(done, "rate", citizen("p1"), start + 2 * dt.timedelta(hours=1), policy,
                       data={"rating": 5, "comment": "很好"})
    assert tr["update"]["$set"]["rating"] == 5
    with pytest.raises(Conflict):
        bk.transition(dict(done, rating=4), "rate", citizen("p1"), NOW, policy,
                      data={"rating": 5})
    with pytest.raises(ValidationFailed):
        bk.transition(done, "rate", citizen("p1"), NOW, policy, data={"rating": 6})


def test_no_show_after_grace(policy, institution):
    b = booked(policy, institution)
    with pytest.raises(RuleRefused):
        bk.transition(b, "mark_no_show", staff(), b["start"] + 14 * M, policy)
    tr = bk.transition(b, "mark_no_show", staff(), b["start"] + 15 * M, policy)
    assert tr["to"] == "no_show" and not tr["releases_seat"]


@pytest.mark.parametrize("state,action", [
    ("completed", "cancel"), ("cancelled", "confirm"), ("expired", "confirm"),
    ("no_show", "check_in"), ("checked_in", "cancel"), ("held", "check_in"),
    ("orphaned", "confirm"), ("confirmed", "confirm")])
def test_illegal_transitions(policy, institution, state, action):
    b = booked(policy, institution, status=state)
    with pytest.raises(Conflict) as e:
        bk.transition(b, action, staff("admin"), NOW, policy, reason="x")
    assert e.value.code == "ILLEGAL_TRANSITION"


def test_admin_of_another_region_forbidden(policy, institution):
    b = booked(policy, institution)
    with pytest.raises(Forbidden):
        bk.transition(b, "cancel", staff("admin", region="230100"), NOW, policy, reason="x")


def test_allowed_actions(policy, institution):
    b = booked(policy, institution)
    assert bk.allowed_actions(b, citizen("p1")) == ["cancel", "reschedule"]
    assert "check_in" in bk.allowed_actions(b, staff())


# ---- reschedule -----------------------------------------------------------------------------

def test_reschedule_moves_the_place(policy, institution):
    b = booked(policy, institution)
    new = make_slot(start=local_dt(2025, 3, 10, 9))
    r = bk.plan_reschedule(b, new, institution, make_person(), [b], citizen("p1"), NOW, policy)
    tr = r["transition"]
    assert (tr["from"], tr["to"]) == ("confirmed", "confirmed")
    assert tr["filter"] == {"_id": "b1", "status": "confirmed", "slot_id": b["slot_id"]}
    s = tr["update"]["$set"]
    assert s["slot_id"] == new["_id"] and s["start"] == new["start"]
    assert s["previous_slot_id"] == b["slot_id"]
    assert s["remind_at_2h"] == new["start"] - dt.timedelta(hours=2)
    assert r["seat_claims"][0]["filter"]["_id"] == new["_id"]
    assert r["release"][0]["_id"] == b["slot_id"]


def test_reschedule_refusals(policy, institution):
    b = booked(policy, institution)
    with pytest.raises(ValidationFailed):
        bk.plan_reschedule(b, make_slot(), institution, make_person(), [b], citizen("p1"), NOW,
                           policy)
    with pytest.raises(ValidationFailed):
        bk.plan_reschedule(b, make_slot(service="speech_training"), institution, make_person(),
                           [b], citizen("p1"), NOW, policy)
    with pytest.raises(RuleRefused):
        bk.plan_reschedule(b, make_slot(start=local_dt(2025, 3, 10, 9)), institution,
                           make_person(), [b], citizen("p1"), b["start"] - M, policy)
    with pytest.raises(Conflict):
        bk.plan_reschedule(b, make_slot(start=local_dt(2025, 3, 10, 9), booked=5), institution,
                           make_person(), [b], citizen("p1"), NOW, policy)


def test_rebook_orphaned_has_no_release(policy, institution):
    b = booked(policy, institution, status="orphaned")
    r = bk.plan_reschedule(b, make_slot(start=local_dt(2025, 3, 10, 9)), institution,
                           make_person(), [b], citizen("p1"), NOW, policy, action="rebook")
    assert r["transition"]["to"] == "confirmed" and r["release"] is None


# ---- events ---------------------------------------------------------------------------------

def test_escort_requested_on_confirm(policy, institution):
    b = booked(policy, institution, status="held", escort_needed=True,
               companion={"relationship": "parent"})
    tr = bk.transition(b, "confirm", citizen("p1"), NOW + M, policy)
    evs = events.events_for_transition(tr, b, institution, policy)
    types = [e["type"] for e in evs]
    assert types == ["rehab_booking.booking_confirmed", "rehab_booking.escort_requested"]
    esc = evs[1]["payload"]
    assert esc["skill"] == "escort" and esc["booking_id"] == "b1" and esc["person_id"] == "p1"
    assert esc["when"] == "2025-03-05T08:30:00+08:00" and esc["duration_minutes"] == 120
    assert esc["region"] == "500113" and esc["location"] == institution["location"]
    assert esc["companion"] is True
    assert esc["dedupe_key"] == "escort:b1:2025-03-05T01:00:00Z"


def test_escort_cancelled_on_cancel_and_moved_on_reschedule(policy, institution):
    b = booked(policy, institution, escort_needed=True)
    tr = bk.transition(b, "cancel", citizen("p1"), NOW, policy)
    types = [e["type"] for e in events.events_for_transition(tr, b, institution, policy)]
    assert types == ["rehab_booking.booking_cancelled", "rehab_booking.escort_cancelled"]
    r = bk.plan_reschedule(b, make_slot(start=local_dt(2025, 3, 10, 9)), institution,
                           make_person(), [b], citizen("p1"), NOW, policy)
    evs = events.events_for_transition(r["transition"], b, institution, policy)
    assert [e["type"] for e in evs] == ["rehab_booking.booking_rescheduled",
                                        "rehab_booking.escort_cancelled",
                                        "rehab_booking.escort_requested"]
    assert evs[2]["payload"]["dedupe_key"] != evs[1]["payload"]["escort_dedupe_key"]


def test_staff_confirmation_event(policy, institution):
    b = booked(policy, institution, status="held", no_shows=[NOW - M] * 3)
    tr = bk.transition(b, "request_staff_confirmation", citizen("p1"), NOW, policy)
    (ev,) = events.events_for_transition(tr, b, institution, policy)
    assert ev["type"] == "rehab_booking.staff_confirmation_required"
    assert ev["payload"]["service_name"] == "运动疗法"
