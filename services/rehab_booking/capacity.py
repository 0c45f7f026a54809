"""Slot capacity (名额): availability, seat claims as conditional updates, releases, overlap.

Counters on a slot: ``booked`` (all places taken), ``general_booked`` (general pool) and
``priority_booked`` (the pool reserved for priority groups, ``priority_reserved`` places).
Every claim filter carries ``booked <= capacity - seats``, so whatever the interleaving the
total never exceeds capacity; before the release time the general pool is also capped at
``capacity - priority_reserved``. The store runs the claims in order with
``find_one_and_update(filter, update)`` and stops at the first that matches; none matching
means SLOT_FULL. FerretDB has no transactions and no ``$expr``, so the read values of
``capacity`` and ``priority_reserved`` are pinned in the filter (a concurrent change makes the
claim miss instead of overbooking).

A companion (陪同人员) does not take a place unless the region's policy says so
(``companion_consumes_capacity``): capacity counts the people receiving the service.
"""
from services.common.errors import Conflict, ValidationFailed
from services.rehab_booking import states
from services.rehab_booking.util import utc

GENERAL, PRIORITY = "general", "priority"

COMPANION_RELATIONSHIPS = ("parent", "spouse", "child", "relative", "caregiver", "other")


def validate_companion(companion, policy):
    """None, or {relationship, name?, count: 1..max_companions} normalised."""
    if companion in (None, False, {}):
        return None
    if companion is True:
        companion = {"relationship": "caregiver"}
    if not isinstance(companion, dict):
        raise ValidationFailed("陪同人员信息格式不正确", {"companion": ["格式不正确"]})
    rel = companion.get("relationship", "caregiver")
    if rel not in COMPANION_RELATIONSHIPS:
        raise ValidationFailed("陪同人员关系不正确", {"companion": ["未知的关系：%s" % rel]})
    count = companion.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) \
            or not 1 <= count <= policy.max_companions:
        raise ValidationFailed("陪同人数最多%d人" % policy.max_companions,
                               {"companion": ["人数超出"]})
    out = {"relationship": rel, "count": count}
    if companion.get("name"):
        out["name"] = str(companion["name"]).strip()
    return out


def seats_needed(companion, policy):
    """Places a booking takes: 1, plus the companions if they consume capacity."""
    if companion and policy.companion_consumes_capacity:
        return 1 + companion.get("count", 1)
    return 1


def reserve_released(slot, now, policy):
    """Reserved places still free open to everyone from ``start - priority_release_hours``."""
    return utc(now) >= utc(slot["start"], "start") - policy.priority_release


def availability(slot, now, policy):
    """{capacity, booked, reserved, reserved_free, available_general, available_priority,
    available (what a general citizen sees), released}. Closed or started slots show 0."""
    cap, booked = slot["capacity"], slot.get("booked", 0)
    reserved = slot.get("priority_reserved", 0)
    released = reserve_released(slot, now, policy)
    total_free = max(0, cap - booked)
    reserved_free = max(0, reserved - slot.get("priority_booked", 0))
    if released:
        general = total_free
    else:
        general = min(total_free, max(0, cap - reserved - slot.get("general_booked", 0)))
    if slot.get("status") != "open" or utc(slot["start"], "start") <= utc(now):
        total_free = general = 0
    return {"capacity": cap, "booked": booked, "reserved": reserved,
            "reserved_free": reserved_free if total_free else 0,
            "available_general": general, "available_priority": total_free,
            "available": general, "released": released}


def free_places(slot, now):
    """Places left on the slot as last counted; None for a closed or started slot (the booking
    plan gives those their own answer)."""
    if slot.get("status") != "open" or utc(slot["start"], "start") <= utc(now):
        return None
    return max(0, slot["capacity"] - slot.get("booked", 0))


def seat_order(numbers, first):
    """The seat numbers of a pool starting from the ``first``-th (wrapping round): racing
    bookings that start apart mostly take a place at their first insert; the full round
    still tries every seat."""
    numbers = list(numbers)
    if not numbers:
        return numbers
    k = first % len(numbers)
    return numbers[k:] + numbers[:k]


def slot_full_error(slot_id):
    return Conflict("该时段名额已满", {"slot_id": slot_id}, code="SLOT_FULL")


def seat_claims(slot, priority, seats, now, policy):
    """Ordered claims [{pool, filter, update}] for the store to try; raises SLOT_FULL if the
    slot (as read) has no place for this person.

    A priority person takes a reserved place first, then a general one; anyone else only
    general places (all free places once the reserve is released).
    """
    av = availability(slot, now, policy)
    cap, reserved = slot["capacity"], slot.get("priority_reserved", 0)
    base = {"_id": slot["_id"], "status": "open", "capacity": cap, "priority_reserved": reserved,
            "booked": {"$lte": cap - seats}}
    claims = []
    if priority and av["reserved_free"] >= seats:
        claims.append({"pool": PRIORITY,
                       "filter": dict(base, priority_booked={"$lte": reserved - seats}),
                       "update": {"$inc": {"booked": seats, "priority_booked": seats}}})
    if av["available_general"] >= seats:
        f = dict(base)
        if not av["released"]:
            f["general_booked"] = {"$lte": cap - reserved - seats}
        claims.append({"pool": GENERAL, "filter": f,
                       "update": {"$inc": {"booked": seats, "general_booked": seats}}})
    if not claims:
        raise slot_full_error(slot["_id"])
    return claims


def release_update(booking):
    """(filter, update) giving a booking's places back to its slot. Run it only after the
    booking's own conditional state change succeeded, so a place is released once."""
    seats, pool = booking.get("seats", 1), booking.get("seat_pool", GENERAL)
    counter = "%s_booked" % pool
    return ({"_id": booking["slot_id"], "booked": {"$gte": seats}, counter: {"$gte": seats}},
            {"$inc": {"booked": -seats, counter: -seats}})


def recount(bookings):
    """Counters recomputed from a slot's bookings (repair sweep after a crash between the
    booking write and the slot write): {booked, general_booked, priority_booked}."""
    out = {"booked": 0, "general_booked": 0, "priority_booked": 0}
    for b in bookings:
        if b.get("status") in states.SEAT_HOLDING:
            seats = b.get("seats", 1)
            out["booked"] += seats
            out["%s_booked" % b.get("seat_pool", GENERAL)] += seats
    return out


def overlaps(a_start, a_end, b_start, b_end):
    """Half-open intervals [start, end) overlap."""
    return utc(a_start) < utc(b_end) and utc(b_start) < utc(a_end)


def conflicting_bookings(bookings, start, end, ignore_id=None):
    """The person's active bookings that overlap [start, end) (other than ``ignore_id``)."""
    return [b for b in bookings
            if b.get("status") in states.ACTIVE and b.get("_id") != ignore_id
            and overlaps(b["start"], b["end"], start, end)]


def ensure_no_overlap(bookings, start, end, ignore_id=None):
    clash = conflicting_bookings(bookings, start, end, ignore_id)
    if clash:
        raise Conflict("您在该时间段已有其他预约", {"booking_ids": [b["_id"] for b in clash]},
                       code="OVERLAPPING_BOOKING")
