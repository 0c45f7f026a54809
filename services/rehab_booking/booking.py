"""Bookings (康复预约): the explicit state machine and the plans for book / reschedule.

Every function is pure: it takes facts (booking, slot, institution, person, the person's other
bookings, no-show history), an actor, ``now`` and the region's policy, and returns decisions —
the document to insert, the seat claims (capacity.py), the conditional ``filter``/``update`` for
the booking and what the audit record needs (from, to, action, reason, role, at).
"""
import datetime as dt

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.rehab_booking import capacity, eligibility, reminders
from services.rehab_booking import institution as inst_mod
from services.rehab_booking.states import (CANCELLED, CHECKED_IN, COMPLETED, CONFIRMED, EXPIRED,
                                           HELD, NO_SHOW, ORPHANED, PENDING_STAFF_CONFIRMATION,
                                           SEAT_HOLDING)
from services.rehab_booking.util import (ROLE_ADMIN, ROLE_CITIZEN, ROLE_INSTITUTION_STAFF,
                                         ROLE_SYSTEM, actor_roles, local, utc)

C, S, A, SYS = ROLE_CITIZEN, ROLE_INSTITUTION_STAFF, ROLE_ADMIN, ROLE_SYSTEM

# (state, action) -> (next state, roles allowed)
TRANSITIONS = {
    (HELD, "confirm"): (CONFIRMED, {C, S, A}),
    (HELD, "request_staff_confirmation"): (PENDING_STAFF_CONFIRMATION, {C, S, A}),
    (HELD, "cancel"): (CANCELLED, {C, S, A}),
    (HELD, "expire"): (EXPIRED, {SYS}),
    (HELD, "orphan"): (ORPHANED, {SYS, S, A}),
    (PENDING_STAFF_CONFIRMATION, "approve"): (CONFIRMED, {S, A}),
    (PENDING_STAFF_CONFIRMATION, "reject"): (CANCELLED, {S, A}),
    (PENDING_STAFF_CONFIRMATION, "cancel"): (CANCELLED, {C, S, A}),
    (PENDING_STAFF_CONFIRMATION, "reschedule"): (PENDING_STAFF_CONFIRMATION, {C, S, A}),
    (PENDING_STAFF_CONFIRMATION, "expire"): (EXPIRED, {SYS}),
    (PENDING_STAFF_CONFIRMATION, "orphan"): (ORPHANED, {SYS, S, A}),
    (CONFIRMED, "cancel"): (CANCELLED, {C, S, A}),
    (CONFIRMED, "reschedule"): (CONFIRMED, {C, S, A}),
    (CONFIRMED, "check_in"): (CHECKED_IN, {S, A}),
    (CONFIRMED, "mark_no_show"): (NO_SHOW, {S, A, SYS}),
    (CONFIRMED, "orphan"): (ORPHANED, {SYS, S, A}),
    (CHECKED_IN, "complete"): (COMPLETED, {S, A}),
    (COMPLETED, "rate"): (COMPLETED, {C}),
    (ORPHANED, "rebook"): (CONFIRMED, {C, S, A}),
    (ORPHANED, "cancel"): (CANCELLED, {C, S, A, SYS}),
}

# Citizen actions bound by the cancel cut-off (cancel of a mere hold is always allowed).
_CUTOFF_ACTIONS = {"cancel", "reschedule"}
_STAFF_REASON_ACTIONS = {"reject", "cancel", "orphan"}


def allowed_actions(booking, actor):
    """Actions the actor's roles permit in the booking's current state (ignores time guards)."""
    roles = actor_roles(actor)
    return sorted(a for (s, a), (_, r) in TRANSITIONS.items()
                  if s == booking.get("status") and roles & r)


def _role_for(actor, allowed, booking):
    """The role the actor acts in, checking ownership; Forbidden if none fits."""
    actor = actor or {}
    roles = actor_roles(actor) & allowed
    if ROLE_SYSTEM in roles:
        return ROLE_SYSTEM
    if ROLE_INSTITUTION_STAFF in roles and actor.get("institution_id") == booking.get(
            "institution_id"):
        return ROLE_INSTITUTION_STAFF
    if ROLE_ADMIN in roles and actor.get("region") == booking.get("region"):
        return ROLE_ADMIN
    if ROLE_CITIZEN in roles and booking.get("person_id") in (actor.get("person_ids") or ()):
        return ROLE_CITIZEN
    raise Forbidden("您无权对该预约进行此操作")


def confirm_action(booking):
    """The action /confirm maps to: staff confirmation needed after repeated no-shows."""
    return "request_staff_confirmation" if booking.get("needs_staff_confirmation") else "confirm"


def citizen_may_change(booking, now, policy):
    """Cancel / reschedule allowed for the citizen until ``start - cancel_cutoff_hours``."""
    return utc(now) <= utc(booking["start"], "start") - policy.cancel_cutoff


def hold_expired(booking, now):
    """A held booking past its hold_expires_at, or one awaiting staff at its start."""
    now = utc(now)
    if booking.get("status") == HELD:
        return now >= utc(booking["hold_expires_at"], "hold_expires_at")
    if booking.get("status") == PENDING_STAFF_CONFIRMATION:
        return now >= utc(booking["start"], "start")
    return False


def expiry_at(booking):
    """When ``hold_expired`` becomes true for this booking (the sweep's work list), or None."""
    if booking.get("status") == HELD:
        return booking.get("hold_expires_at")
    if booking.get("status") == PENDING_STAFF_CONFIRMATION:
        return booking.get("start")
    return None


def _guard(booking, action, role, now, policy, reason, data):
    start, end = utc(booking["start"], "start"), utc(booking["end"], "end")
    status = booking["status"]
    if action in ("confirm", "request_staff_confirmation"):
        if now >= utc(booking["hold_expires_at"], "hold_expires_at"):
            raise Conflict("预约锁定已超时，请重新预约", code="HOLD_EXPIRED")
        if now >= start:
            raise RuleRefused("该时段已开始", code="SLOT_IN_PAST")
    elif action == "expire":
        if not hold_expired(booking, now):
            raise Conflict("预约尚未超时", code="HOLD_NOT_EXPIRED")
    elif action in _CUTOFF_ACTIONS:
        if role == ROLE_CITIZEN and status != HELD and not citizen_may_change(booking, now,
                                                                             policy):
            raise RuleRefused("距开始不足%g小时，不能取消或改约，请联系机构" %
                              policy.cancel_cutoff_hours, code="CUTOFF_PASSED")
        if status != ORPHANED and now >= start:
            raise RuleRefused("该时段已开始", code="SLOT_IN_PAST")
    elif action in ("approve", "reject"):
        if now >= start:
            raise RuleRefused("该时段已开始", code="SLOT_IN_PAST")
    elif action == "check_in":
        if not start - dt.timedelta(minutes=policy.check_in_open_minutes) <= now < end:
            raise RuleRefused("不在签到时间内", code="CHECK_IN_WINDOW")
    elif action == "mark_no_show":
        if now < start + dt.timedelta(minutes=policy.no_show_grace_minutes):
            raise RuleRefused("开始%d分钟后才能登记爽约" % policy.no_show_grace_minutes,
                              code="TOO_EARLY")
    elif action == "complete":
        record = (data or {}).get("service_record")
        if not isinstance(record, dict) or not (record.get("summary") or "").strip():
            raise ValidationFailed("完成服务需填写服务记录", {"service_record": ["需要 summary"]})
    elif action == "rate":
        rating = (data or {}).get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise ValidationFailed("评分应为1到5", {"rating": ["应为1到5的整数"]})
        if booking.get("rating") is not None:
            raise Conflict("已经评价过了", code="ALREADY_RATED")
    if action in _STAFF_REASON_ACTIONS and role != ROLE_CITIZEN and not (reason or "").strip():
        raise ValidationFailed("请说明原因", {"reason": ["必填"]})


def transition(booking, action, actor, now, policy, reason=None, data=None):
    """Decide one state change. Returns
    {from, to, action, role, reason, at, filter, update, releases_seat}.

    ``filter`` is {"_id", "status": from} (plus the current slot for reschedule/rebook: use
    plan_reschedule for those, it adds the seat moves). Raises Conflict ILLEGAL_TRANSITION,
    Forbidden, RuleRefused (CUTOFF_PASSED, SLOT_IN_PAST, CHECK_IN_WINDOW, TOO_EARLY),
    Conflict (HOLD_EXPIRED, HOLD_NOT_EXPIRED, ALREADY_RATED) or ValidationFailed.
    """
    now = utc(now)
    current = booking.get("status")
    step = TRANSITIONS.get((current, action))
    if step is None:
        raise Conflict("预约当前状态（%s）不允许此操作（%s）" % (current, action),
                       {"from": current, "action": action}, code="ILLEGAL_TRANSITION")
    target, allowed = step
    role = _role_for(actor, allowed, booking)
    _guard(booking, action, role, now, policy, reason, data)
    fields = {"status": target, "updated_at": now}
    if target != current:
        fields["%s_at" % target] = now
    if target == CONFIRMED and current != CONFIRMED:
        fields.update(reminders.reminder_fields(booking["start"], now, policy))
    if target == CANCELLED:
        fields.update(cancelled_by=role, cancel_reason=reason)
    if action == "complete":
        fields["service_record"] = dict(data["service_record"])
    if action == "rate":
        fields["rating"] = data["rating"]
        if data.get("comment"):
            fields["rating_comment"] = str(data["comment"])[:500]
    if action == "orphan":
        fields["orphan_reason"] = reason
    return {"from": current, "to": target, "action": action, "role": role, "reason": reason,
            "at": now, "filter": {"_id": booking["_id"], "status": current},
            "update": {"$set": fields},
            "releases_seat": current in SEAT_HOLDING and target in (CANCELLED, EXPIRED)}


def _ensure_slot_open(slot, institution, now, policy):
    if slot.get("institution_id") != institution.get("id"):
        raise ValidationFailed("时段与机构不一致", {"slot_id": [slot.get("_id")]})
    inst_mod.ensure_bookable(institution, slot["service"])
    if slot.get("status") != "open":
        raise Conflict("该时段已关闭", {"slot_id": slot["_id"]}, code="SLOT_CLOSED")
    if utc(slot["start"], "start") <= now + dt.timedelta(minutes=policy.min_lead_minutes):
        raise RuleRefused("该时段已过，不能预约", {"slot_id": slot["_id"]}, code="SLOT_IN_PAST")


def _ensure_may_book_for(actor, person_id, institution):
    roles = actor_roles(actor)
    actor = actor or {}
    if ROLE_SYSTEM in roles:
        return ROLE_SYSTEM                 # a waitlist offer made by the sweep
    if ROLE_CITIZEN in roles and person_id in (actor.get("person_ids") or ()):
        return ROLE_CITIZEN
    if ROLE_INSTITUTION_STAFF in roles and actor.get("institution_id") == institution.get("id"):
        return ROLE_INSTITUTION_STAFF      # booking made at the desk or by phone
    if ROLE_ADMIN in roles and actor.get("region") == institution.get("region"):
        return ROLE_ADMIN
    raise Forbidden("您只能为本人或被监护人预约")


def plan_booking(booking_id, person, slot, institution, person_bookings, no_show_times, actor,
                 now, policy, companion=None, escort_needed=False, confirm_now=False,
                 hold_minutes=None, source=None):
    """Decide a new booking. Returns {"booking": doc, "seat_claims": [...]}.

    The store tries the seat claims in order (capacity.seat_claims), sets
    ``booking["seat_pool"] = claim["pool"]`` from the one that matched (the doc carries the
    first claim's pool as a default) and inserts the booking;
    none matching -> SLOT_FULL. The booking starts ``held`` (expires after hold_minutes, or
    ``hold_minutes`` for a waitlist offer); with ``confirm_now`` it starts ``confirmed`` — or
    ``pending_staff_confirmation`` when the person has reached the no-show limit.
    """
    now = utc(now)
    role = _ensure_may_book_for(actor, person.get("person_id"), institution)
    _ensure_slot_open(slot, institution, now, policy)
    start, end = utc(slot["start"], "start"), utc(slot["end"], "end")
    elig = eligibility.ensure_eligible(person, slot["service"], policy, local(start).date())
    capacity.ensure_no_overlap(person_bookings, start, end)
    companion = capacity.validate_companion(companion, policy)
    seats = capacity.seats_needed(companion, policy)
    needs_staff = eligibility.needs_staff_confirmation(no_show_times, now, policy)
    claims = capacity.seat_claims(slot, elig["priority"], seats, now, policy)
    hold = dt.timedelta(minutes=hold_minutes) if hold_minutes else policy.hold
    doc = {
        "_id": booking_id, "person_id": person["person_id"], "slot_id": slot["_id"],
        "institution_id": institution["id"], "region": institution["region"],
        "service": slot["service"], "start": start, "end": end, "status": HELD,
        "hold_expires_at": min(now + hold, start), "created_at": now, "updated_at": now,
        "created_by_role": role, "seats": seats, "seat_pool": claims[0]["pool"],
        "priority": elig["priority"], "eligibility_basis": elig["basis"],
        "needs_staff_confirmation": needs_staff, "companion": companion,
        "escort_needed": bool(escort_needed), "source": source or "direct",
    }
    if confirm_now:
        target = PENDING_STAFF_CONFIRMATION if needs_staff else CONFIRMED
        doc["status"] = target
        doc["%s_at" % target] = now
        if target == CONFIRMED:
            doc.update(reminders.reminder_fields(start, now, policy))
    return {"booking": doc, "seat_claims": claims}


def plan_reschedule(booking, new_slot, institution, person, person_bookings, actor, now, policy,
                    action="reschedule"):
    """Move a booking to another slot of the same service (``action`` 'rebook' for an orphaned
    booking accepting an alternative). Returns {transition, seat_claims, release}.

    The store: 1) claims a place on the new slot (seat_claims); 2) applies the booking update
    with ``transition["filter"]`` (which pins the old slot; set ``seat_pool`` to the matched
    claim's pool); 3) only if 2 matched, releases the
    old place with ``release`` (None for an orphaned booking, whose slot is closed); if 2
    did not match, gives back the new place.
    """
    now = utc(now)
    if new_slot.get("_id") == booking.get("slot_id"):
        raise ValidationFailed("新时段与原时段相同", {"slot_id": [new_slot.get("_id")]})
    if new_slot.get("service") != booking.get("service"):
        raise ValidationFailed("改约只能选择相同的服务项目", {"slot_id": [new_slot.get("_id")]})
    tr = transition(booking, action, actor, now, policy)
    _ensure_slot_open(new_slot, institution, now, policy)
    start, end = utc(new_slot["start"], "start"), utc(new_slot["end"], "end")
    elig = eligibility.ensure_eligible(person, new_slot["service"], policy, local(start).date())
    capacity.ensure_no_overlap(person_bookings, start, end, ignore_id=booking["_id"])
    seats = booking.get("seats", 1)
    claims = capacity.seat_claims(new_slot, elig["priority"], seats, now, policy)
    fields = tr["update"]["$set"]
    fields.update(slot_id=new_slot["_id"], institution_id=institution["id"],
                  region=institution["region"], start=start, end=end,
                  seat_pool=claims[0]["pool"], previous_slot_id=booking["slot_id"])
    if tr["to"] == CONFIRMED:
        fields.update(reminders.reminder_fields(start, now, policy))
    tr["filter"]["slot_id"] = booking["slot_id"]
    release = None if booking["status"] == ORPHANED else capacity.release_update(booking)
    return {"transition": tr, "seat_claims": claims, "release": release}
