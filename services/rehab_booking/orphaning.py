"""Orphaned bookings (失效预约): a closed slot or a removed institution leaves bookings without a
place; they become ``orphaned``, the citizen is told and offered other slots (ranked here).

Ranking (suite decision): the same institution first; then nearer institutions (5 km bands,
institutions in the same region without a location count as 0 km); then closeness in time to the
original start. Candidates: same service, open, starting after now and within
``alternative_horizon_days`` of the original start, at an admitted institution offering the
service in the same region or within ``alternative_max_km``, with a place free for this person,
not overlapping the person's other bookings.
"""
import datetime as dt

from services.rehab_booking import booking as booking_mod
from services.rehab_booking import capacity
from services.rehab_booking import institution as inst_mod
from services.rehab_booking.states import ORPHANABLE
from services.rehab_booking.util import haversine_km, iso_local, utc

SYSTEM_ACTOR = {"kind": "system"}
DISTANCE_BAND_KM = 5


def orphanable_filter_for_slot(slot_id):
    return {"slot_id": slot_id, "status": {"$in": list(ORPHANABLE)}}


def orphanable_filter_for_institution(institution_id, now):
    return {"institution_id": institution_id, "status": {"$in": list(ORPHANABLE)},
            "start": {"$gt": utc(now)}}


def bookings_to_orphan(bookings, now, slot_id=None, institution_id=None):
    """Which of ``bookings`` a slot closure (slot_id) or institution removal (institution_id)
    orphans: held / pending / confirmed ones on that slot, or at that institution in future."""
    now = utc(now)
    out = []
    for b in bookings:
        if b.get("status") not in ORPHANABLE:
            continue
        if slot_id is not None and b.get("slot_id") == slot_id:
            out.append(b)
        elif institution_id is not None and b.get("institution_id") == institution_id \
                and utc(b["start"], "start") > now:
            out.append(b)
    return out


def orphan_transitions(bookings, now, policy, reason, slot_id=None, institution_id=None):
    """[(booking, transition)] for the system actor; the store applies each conditionally."""
    return [(b, booking_mod.transition(b, "orphan", SYSTEM_ACTOR, now, policy, reason=reason))
            for b in bookings_to_orphan(bookings, now, slot_id, institution_id)]


def candidates_filter(booking, now, policy):
    """Store query for candidate slots (the rest is ranked in rank_alternatives)."""
    start = utc(booking["start"], "start")
    horizon = dt.timedelta(days=policy.alternative_horizon_days)
    return {"service": booking["service"], "status": "open",
            "start": {"$gt": max(utc(now), start - horizon), "$lte": start + horizon},
            "_id": {"$ne": booking["slot_id"]}}


def rank_alternatives(booking, candidate_slots, institutions, person_bookings, now, policy,
                      priority=False, limit=5):
    """Ranked alternatives [{slot_id, institution_id, institution_name, start, available,
    distance_km, same_institution, same_region}] for an orphaned (or to-be-orphaned) booking.

    ``institutions``: {institution_id: institution}, including the booking's own.
    """
    now = utc(now)
    origin = institutions.get(booking["institution_id"]) or {}
    start0 = utc(booking["start"], "start")
    horizon = dt.timedelta(days=policy.alternative_horizon_days)
    seats = booking.get("seats", 1)
    ranked = []
    for s in candidate_slots:
        inst = institutions.get(s.get("institution_id"))
        if s["_id"] == booking["slot_id"] or s.get("service") != booking["service"] or not inst:
            continue
        if not inst_mod.is_bookable(inst) or s["service"] not in inst.get("services", ()):
            continue
        start = utc(s["start"], "start")
        if start <= now + dt.timedelta(minutes=policy.min_lead_minutes) \
                or abs(start - start0) > horizon:
            continue
        av = capacity.availability(s, now, policy)
        free = av["available_priority"] if priority else av["available_general"]
        if free < seats:
            continue
        if capacity.conflicting_bookings(person_bookings, start, utc(s["end"], "end"),
                                         ignore_id=booking["_id"]):
            continue
        same_inst = inst["id"] == booking["institution_id"]
        same_region = inst.get("region") == booking.get("region")
        dist = 0.0 if same_inst else haversine_km(origin.get("location"), inst.get("location"))
        if dist is None:
            if not same_region:
                continue
            dist = 0.0
        if not (same_inst or same_region or dist <= policy.alternative_max_km):
            continue
        key = (0 if same_inst else 1, int(dist // DISTANCE_BAND_KM),
               abs((start - start0).total_seconds()), start, s["_id"])
        ranked.append((key, {"slot_id": s["_id"], "institution_id": inst["id"],
                             "institution_name": inst.get("name"), "start": iso_local(start),
                             "available": free, "distance_km": round(dist, 1),
                             "same_institution": same_inst, "same_region": same_region}))
    ranked.sort(key=lambda kv: kv[0])
    return [v for _, v in ranked[:limit]]
