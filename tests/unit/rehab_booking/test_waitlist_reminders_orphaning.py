import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, RuleRefused
from services.rehab_booking import booking as bk, events, orphaning, reminders, waitlist

from .factories import (NOW, SYSTEM, citizen, local_dt, make_institution, make_person,
                        make_policy, make_slot)

M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def entry(eid, priority=False, minutes=0, status="waiting", slot_id=None, person="px"):
    return {"_id": eid, "person_id": person, "priority": priority, "status": status,
            "created_at": NOW + minutes * M, "institution_id": "inst-banan-1",
            "service": "movement_therapy", "date": "2025-03-05", "slot_id": slot_id,
            "valid_until": local_dt(2025, 3, 6, 0), "offered_slot_ids": []}


# ---- waitlist -------------------------------------------------------------------------------

def test_join_waitlist_for_full_slot(policy, institution):
    slot = make_slot(capacity=2, booked=2)
    e = waitlist.new_entry("w1", make_person(), {"slot_id": slot["_id"]}, institution, [],
                           citizen("p1"), NOW, policy, slot=slot)
    assert e["status"] == "waiting" and e["slot_id"] == slot["_id"] and e["date"] == "2025-03-05"
    assert e["valid_until"] == slot["start"]
    with pytest.raises(Conflict) as ex:
        waitlist.new_entry("w2", make_person(), {"slot_id": slot["_id"]}, institution, [e],
                           citizen("p1"), NOW, policy, slot=slot)
    assert ex.value.code == "WAITLIST_DUPLICATE"


def test_join_waitlist_refusals(policy, institution):
    with pytest.raises(RuleRefused) as ex:
        waitlist.new_entry("w1", make_person(), {"slot_id": make_slot()["_id"]}, institution, [],
                           citizen("p1"), NOW, policy, slot=make_slot())
    assert ex.value.code == "SLOT_AVAILABLE"
    with pytest.raises(Forbidden):
        waitlist.new_entry("w1", make_person(), {"service": "movement_therapy",
                                                 "institution_id": "inst-banan-1",
                                                 "date": "2025-03-05"},
                           institution, [], citizen("other"), NOW, policy)
    with pytest.raises(RuleRefused) as ex:
        waitlist.new_entry("w1", make_person(), {"service": "movement_therapy",
                                                 "institution_id": "inst-banan-1",
                                                 "date": "2025-03-02"},
                           institution, [], citizen("p1"), NOW, policy)
    assert ex.value.code == "SLOT_IN_PAST"
    with pytest.raises(RuleRefused) as ex:
        waitlist.new_entry("w1", make_person(cert=False), {"service": "movement_therapy",
                                                           "institution_id": "inst-banan-1",
                                                           "date": "2025-03-05"},
                           institution, [], citizen("p1"), NOW, policy)
    assert ex.value.code == "NOT_ELIGIBLE"


def test_queue_priority_first_then_fifo(policy):
    es = [entry("a", minutes=1), entry("b", priority=True, minutes=5), entry("c", minutes=0),
          entry("d", priority=True, minutes=2), entry("e", minutes=0, status="lapsed")]
    assert [e["_id"] for e in waitlist.queue(es, policy)] == ["d", "b", "c", "a"]
    fifo = make_policy(waitlist_priority_first=False)
    assert [e["_id"] for e in waitlist.queue(es, fifo)] == ["c", "a", "d", "b"]


def test_next_offer(policy):
    slot = make_slot(capacity=5, booked=4)
    es = [entry("a", minutes=1), entry("b", minutes=2, slot_id="other-slot"),
          entry("c", minutes=0, status="offered")]
    assert waitlist.next_offer(es, slot, NOW, policy)["_id"] == "a"
    es[0]["offered_slot_ids"] = [slot["_id"]]         # already offered this slot: skip
    assert waitlist.next_offer(es, slot, NOW, policy) is None
    assert waitlist.next_offer([entry("a")], make_slot(booked=5), NOW, policy) is None
    assert waitlist.next_offer([entry("a")], make_slot(booked=4), slot["start"], policy) is None


def test_reserved_place_offered_only_to_priority(policy):
    slot = make_slot(capacity=5, reserved=1, booked=4)       # only the reserved place left
    es = [entry("a", minutes=0), entry("b", priority=True, minutes=9)]
    assert waitlist.next_offer(es, slot, NOW, policy)["_id"] == "b"
    assert waitlist.next_offer(es[:1], slot, NOW, policy) is None


def test_offer_is_a_held_booking_then_next_after_deadline(policy, institution):
    slot = make_slot(capacity=1, booked=0)
    es = [entry("a", minutes=0, person="p1"), entry("b", minutes=1, person="p2")]
    first = waitlist.next_offer(es, slot, NOW, policy)
    p = bk.plan_booking("bk-a", make_person("p1"), slot, institution, [], [], SYSTEM, NOW,
                        policy, hold_minutes=waitlist.offer_hold_minutes(policy),
                        source="waitlist")
    held = p["booking"]
    assert held["status"] == "held" and held["hold_expires_at"] == NOW + 30 * M
    f, u = waitlist.offer_update(first, slot, held, NOW)
    assert f == {"_id": "a", "status": "waiting"} and u["$set"]["status"] == "offered"
    assert u["$push"] == {"offered_slot_ids": slot["_id"]}
    ev = events.waitlist_offered(held, institution, first)
    assert ev["type"] == "rehab_booking.waitlist_offered"
    assert ev["payload"]["offer_expires_at"] == "2025-03-03T08:30:00+08:00"
    # deadline passes: the hold expires, the entry lapses, the place goes to the next person
    assert bk.hold_expired(held, NOW + 30 * M)
    tr = bk.transition(held, "expire", SYSTEM, NOW + 30 * M, policy)
    assert tr["releases_seat"]
    f, u = waitlist.after_offer(first, "expired", NOW + 30 * M)
    assert u["$set"]["status"] == "lapsed"
    es[0] = dict(es[0], status="lapsed", offered_slot_ids=[slot["_id"]])
    assert waitlist.next_offer(es, slot, NOW + 30 * M, policy)["_id"] == "b"


@pytest.mark.parametrize("status,outcome", [("confirmed", "fulfilled"),
                                            ("pending_staff_confirmation", "fulfilled"),
                                            ("cancelled", "declined"), ("expired", "lapsed"),
                                            ("held", None)])
def test_after_offer(status, outcome):
    r = waitlist.after_offer(entry("a", status="offered"), status, NOW)
    assert (r[1]["$set"]["status"] if r else None) == outcome


def test_withdraw_and_stale():
    f, u = waitlist.withdraw(entry("a", person="p1"), citizen("p1"), NOW)
    assert u["$set"]["status"] == "withdrawn"
    with pytest.raises(Forbidden):
        waitlist.withdraw(entry("a", person="p1"), citizen("p2"), NOW)
    with pytest.raises(Conflict):
        waitlist.withdraw(entry("a", person="p1", status="fulfilled"), citizen("p1"), NOW)
    assert waitlist.stale_filter(NOW) == {"status": "waiting", "valid_until": {"$lte": NOW}}


# ---- reminders ------------------------------------------------------------------------------

def confirmed(start, confirmed_at, policy, _id="b1"):
    b = {"_id": _id, "status": "confirmed", "start": start, "end": start + H}
    b.update(reminders.reminder_fields(start, confirmed_at, policy))
    return b


def test_reminder_schedule(policy):
    start = local_dt(2025, 3, 5, 9)
    b = confirmed(start, NOW, policy)
    assert b["remind_at_24h"] == start - 24 * H and b["remind_at_2h"] == start - 2 * H
    assert b["reminded_24h"] is False and b["reminded_2h"] is False
    late = confirmed(start, start - 5 * H, policy)        # booked 5 h ahead: no 24 h reminder
    assert late["reminded_24h"] == "skipped" and late["reminded_2h"] is False


@pytest.mark.parametrize("now_offset,expected", [
    (-25, []), (-24, [("b1", "24h")]), (-3, [("b1", "24h")]), (-2, [("b1", "2h")]),
    (0, [])])
def test_due_reminders(policy, now_offset, expected):
    start = local_dt(2025, 3, 5, 9)
    b = confirmed(start, NOW, policy)
    assert reminders.due_reminders([b], start + now_offset * H, policy) == expected


def test_sent_reminder_not_due_again(policy):
    start = local_dt(2025, 3, 5, 9)
    b = dict(confirmed(start, NOW, policy), reminded_24h=True)
    assert reminders.due_reminders([b], start - 10 * H, policy) == []
    assert reminders.due_reminders([dict(b, status="cancelled")], start - H, policy) == []


def test_next_reminder_at_and_claim(policy):
    start = local_dt(2025, 3, 5, 9)
    b = confirmed(start, NOW, policy)
    assert reminders.next_reminder_at(b) == start - 24 * H
    assert reminders.next_reminder_at(dict(b, reminded_24h=True)) == start - 2 * H
    assert reminders.next_reminder_at(dict(b, reminded_24h="skipped", reminded_2h=True)) is None
    assert reminders.next_reminder_at(dict(b, status="cancelled")) is None
    f, u = reminders.claim("b1", "2h", NOW, skip_kinds=["24h", "2h"])
    assert f["reminded_2h"] == {"$nin": [True, "skipped"]} and f["status"] == "confirmed"
    assert u["$set"] == {"reminded_2h": True, "reminded_2h_at": NOW, "reminded_24h": "skipped"}


def test_reminder_event(policy, institution):
    b = dict(confirmed(local_dt(2025, 3, 5, 9), NOW, policy), person_id="p1",
             service="movement_therapy", institution_id="inst-banan-1", region="500113",
             slot_id="s")
    ev = events.reminder_due(b, institution, "24h")
    p = ev["payload"]
    assert ev["type"] == "rehab_booking.reminder_due" and p["kind"] == "24h"
    assert p["start"] == "2025-03-05T09:00:00+08:00" and p["template"] == "appointment_reminder"
    assert p["dedupe_key"] == "reminder:b1:24h:2025-03-05T01:00:00Z"


# ---- orphaning ------------------------------------------------------------------------------

def bkg(_id, status="confirmed", slot=None, inst="inst-banan-1"):
    slot = slot or make_slot()
    return {"_id": _id, "person_id": "p1", "status": status, "slot_id": slot["_id"],
            "institution_id": inst, "region": "500113", "service": slot["service"],
            "start": slot["start"], "end": slot["end"], "seats": 1, "seat_pool": "general"}


def test_closed_slot_orphans_active_bookings(policy):
    slot = make_slot()
    bs = [bkg("a"), bkg("b", "held"), bkg("c", "pending_staff_confirmation"),
          bkg("d", "cancelled"), bkg("e", slot=make_slot(start=local_dt(2025, 3, 6, 9)))]
    trs = orphaning.orphan_transitions(bs, NOW, policy, "治疗师病假", slot_id=slot["_id"])
    assert [b["_id"] for b, _ in trs] == ["a", "b", "c"]
    assert all(t["to"] == "orphaned" and t["role"] == "system" for _, t in trs)
    assert orphaning.orphanable_filter_for_slot(slot["_id"])["status"] == {
        "$in": ["held", "pending_staff_confirmation", "confirmed"]}


def test_removed_institution_orphans_future_bookings(policy):
    past = make_slot(start=NOW - 2 * H)
    bs = [bkg("a"), bkg("b", slot=past), bkg("c", inst="other")]
    out = orphaning.bookings_to_orphan(bs, NOW, institution_id="inst-banan-1")
    assert [b["_id"] for b in out] == ["a"]


def test_rank_alternatives(policy):
    own = make_institution()
    near = make_institution(id="near", name="近处", location={"lat": 29.42, "lng": 106.55})
    far = make_institution(id="far", name="远处", region="230100",
                           location={"lat": 45.75, "lng": 126.63})
    gone = make_institution(id="gone", designation="removed")
    insts = {i["id"]: i for i in (own, near, far, gone)}
    b = bkg("a")
    t0 = b["start"]
    cands = [
        make_slot(start=t0 + 48 * H, institution_id="near"),
        make_slot(start=t0 + 24 * H, institution_id="near"),
        make_slot(start=t0 + 72 * H),                                  # same institution
        make_slot(start=t0 + 24 * H, institution_id="far", region="230100"),
        make_slot(start=t0 + 24 * H, institution_id="gone"),
        make_slot(start=t0 + 2 * H, institution_id="near", booked=5),   # full
        make_slot(start=t0 + 3 * H, institution_id="near", service="speech_training"),
        make_slot(start=t0 + 30 * 24 * H, institution_id="near"),       # beyond the horizon
    ]
    other = bkg("x", slot=make_slot(start=t0 + 96 * H, institution_id="near"))
    cands.append(make_slot(start=t0 + 96 * H, institution_id="near"))   # overlaps 'x'
    alts = orphaning.rank_alternatives(b, cands, insts, [b, other], NOW, policy)
    assert [(a["institution_id"], a["start"]) for a in alts] == [
        ("inst-banan-1", "2025-03-08T09:00:00+08:00"),
        ("near", "2025-03-06T09:00:00+08:00"),
        ("near", "2025-03-07T09:00:00+08:00")]
    assert alts[1]["distance_km"] < 5 and alts[1]["available"] == 5
    ev = events.booking_orphaned(dict(b, status="orphaned"), own, "治疗师病假", alts)
    assert ev["payload"]["alternatives"][0]["slot_id"] == alts[0]["slot_id"]
    f = orphaning.candidates_filter(b, NOW, policy)
    assert f["service"] == "movement_therapy" and f["_id"] == {"$ne": b["slot_id"]}


def test_orphan_event_cancels_escort(policy, institution):
    b = dict(bkg("a"), escort_needed=True)
    tr = bk.transition(b, "orphan", SYSTEM, NOW, policy, reason="机构退出")
    types = [e["type"] for e in events.events_for_transition(tr, b, institution, policy)]
    assert types == ["rehab_booking.booking_orphaned", "rehab_booking.escort_cancelled"]
