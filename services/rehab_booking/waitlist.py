"""Waitlist (候补): joining, queue order, offering a freed place, and what follows an offer.

Order (suite decision, policy ``waitlist_priority_first``, default on): priority groups
(特困/低保/低保边缘, 003 L329) first, then first come first served (created_at, then id).
An offer *is* a held booking: the next person gets a place held for
``waitlist_offer_minutes`` (plan via booking.plan_booking with source "waitlist"), so nobody else
can take it meanwhile. They confirm it like any hold; if the deadline passes the hold expires
(the normal expiry sweep), the place is freed and ``next_offer`` picks the next person. A person
whose offer lapsed or who declined leaves the queue (they may join again at the back).

Entry: {_id, person_id, region, service, institution_id, slot_id?, date (local, ISO),
        priority, status, created_at, valid_until, offered_slot_ids: [], offer_booking_id?}
"""
import datetime as dt

from services.common.clock import SHANGHAI
from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.rehab_booking import capacity, catalogue, eligibility
from services.rehab_booking import institution as inst_mod
from services.rehab_booking.states import CANCELLED, CONFIRMED, EXPIRED, PENDING_STAFF_CONFIRMATION
from services.rehab_booking.util import ROLE_CITIZEN, actor_roles, local, utc

WAITING, OFFERED, FULFILLED, LAPSED, DECLINED, WITHDRAWN, CLOSED = (
    "waiting", "offered", "fulfilled", "lapsed", "declined", "withdrawn", "closed")
OPEN_STATES = (WAITING, OFFERED)


def _same_target(a, b):
    return (a.get("slot_id") or None, a["institution_id"], a["service"], a["date"]) == \
        (b.get("slot_id") or None, b["institution_id"], b["service"], b["date"])


def new_entry(entry_id, person, request, institution, existing_entries, actor, now, policy,
              slot=None):
    """Decide joining the waitlist. ``request`` is {slot_id} (``slot`` given) or
    {service, institution_id, date "YYYY-MM-DD"}. Returns the entry document.

    Refused: a slot that still has a place for this person (SLOT_AVAILABLE: book it), a past
    target, a person not eligible, a duplicate open entry (WAITLIST_DUPLICATE).
    """
    now = utc(now)
    actor = actor or {}
    if not (ROLE_CITIZEN in actor_roles(actor)
            and person.get("person_id") in (actor.get("person_ids") or ())):
        raise Forbidden("您只能为本人或被监护人登记候补")
    if request.get("slot_id"):
        if slot is None or slot.get("_id") != request["slot_id"]:
            raise ValidationFailed("候补时段不存在", {"slot_id": [request["slot_id"]]})
        service, day = slot["service"], local(slot["start"]).date()
        valid_until = utc(slot["start"], "start")
        if slot.get("institution_id") != institution.get("id"):
            raise ValidationFailed("时段与机构不一致", {"slot_id": [slot["_id"]]})
    else:
        service = catalogue.validate_service(request.get("service"))
        if request.get("institution_id") != institution.get("id"):
            raise ValidationFailed("请指定机构", {"institution_id": ["必填"]})
        try:
            day = dt.date.fromisoformat(request.get("date") or "")
        except (TypeError, ValueError):
            raise ValidationFailed("日期格式不正确", {"date": ["应为 YYYY-MM-DD"]})
        valid_until = utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI))
    inst_mod.ensure_bookable(institution, service)
    if valid_until <= now:
        raise RuleRefused("候补的时间已过", code="SLOT_IN_PAST")
    elig = eligibility.ensure_eligible(person, service, policy, day)
    if slot is not None:
        av = capacity.availability(slot, now, policy)
        free = av["available_priority"] if elig["priority"] else av["available_general"]
        if free > 0:
            raise RuleRefused("该时段还有名额，请直接预约", {"slot_id": slot["_id"]},
                              code="SLOT_AVAILABLE")
    entry = {"_id": entry_id, "person_id": person["person_id"], "region": institution["region"],
             "institution_id": institution["id"], "service": service, "date": day.isoformat(),
             "slot_id": slot["_id"] if slot is not None else None,
             "priority": elig["priority"], "status": WAITING, "created_at": now,
             "valid_until": valid_until, "offered_slot_ids": []}
    for e in existing_entries:
        if e.get("person_id") == entry["person_id"] and e.get("status") in OPEN_STATES \
                and _same_target(e, entry):
            raise Conflict("您已在候补队列中", {"waitlist_entry_id": e["_id"]},
                           code="WAITLIST_DUPLICATE")
    return entry


def order_key(entry, policy):
    first = (not entry.get("priority")) if policy.waitlist_priority_first else False
    return (first, utc(entry["created_at"], "created_at"), entry["_id"])


def queue(entries, policy):
    """Waiting entries in offer order."""
    return sorted((e for e in entries if e.get("status") == WAITING),
                  key=lambda e: order_key(e, policy))


def matches(entry, slot):
    """Does a freed place on ``slot`` serve this entry?"""
    if entry.get("slot_id"):
        return entry["slot_id"] == slot["_id"]
    return (entry["institution_id"] == slot["institution_id"]
            and entry["service"] == slot["service"]
            and entry["date"] == local(slot["start"]).date().isoformat())


def next_offer(entries, slot, now, policy):
    """The entry to offer a place on ``slot`` to now, or None.

    Skips entries already offered this slot. If only reserved places are free (before the
    release time) only priority entries qualify.
    """
    now = utc(now)
    if slot.get("status") != "open" or utc(slot["start"], "start") <= now:
        return None
    av = capacity.availability(slot, now, policy)
    for e in queue(entries, policy):
        if not matches(e, slot) or slot["_id"] in (e.get("offered_slot_ids") or ()):
            continue
        if utc(e["valid_until"], "valid_until") <= now:
            continue
        if av["available_general"] >= 1 or (e.get("priority") and av["available_priority"] >= 1):
            return e
    return None


def offer_update(entry, slot, booking, now):
    """(filter, update) marking the entry offered, conditional on it still waiting."""
    return ({"_id": entry["_id"], "status": WAITING},
            {"$set": {"status": OFFERED, "offer_booking_id": booking["_id"],
                      "offered_at": utc(now), "offer_expires_at": booking["hold_expires_at"]},
             "$push": {"offered_slot_ids": slot["_id"]}})


def offer_hold_minutes(policy):
    return policy.waitlist_offer_minutes


def after_offer(entry, booking_status, now):
    """(filter, update) for the entry once its offered booking settles, or None if unsettled:
    confirmed/pending staff -> fulfilled; expired -> lapsed; cancelled -> declined."""
    outcome = {CONFIRMED: FULFILLED, PENDING_STAFF_CONFIRMATION: FULFILLED,
               EXPIRED: LAPSED, CANCELLED: DECLINED}.get(booking_status)
    if outcome is None:
        return None
    return ({"_id": entry["_id"], "status": OFFERED},
            {"$set": {"status": outcome, "settled_at": utc(now)}})


def withdraw(entry, actor, now):
    """The citizen leaves the queue."""
    actor = actor or {}
    if entry.get("person_id") not in (actor.get("person_ids") or ()):
        raise Forbidden("您无权操作此候补")
    if entry.get("status") not in OPEN_STATES:
        raise Conflict("候补已结束", code="ILLEGAL_TRANSITION")
    return ({"_id": entry["_id"], "status": entry["status"]},
            {"$set": {"status": WITHDRAWN, "settled_at": utc(now)}})


def stale_filter(now):
    """Store sweep: waiting entries whose target has passed (set them to 'closed')."""
    return {"status": WAITING, "valid_until": {"$lte": utc(now)}}
