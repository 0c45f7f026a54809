"""Appointment reminders (预约提醒), 24 h and 2 h before the start by default.

When a booking becomes confirmed the service stores ``remind_at_<k>`` for every offset k in
policy.reminder_offsets_hours (``reminder_fields``). A reminder whose time had already passed
when the booking was confirmed is not sent (the confirmation message covers it): its
``reminded_<k>`` is set to "skipped". A sweep takes the bookings whose ``next_reminder_at``
has come (a work list) and claims each with ``claim`` ({reminded_<k>: {$nin: [true, "skipped"]}}), so replicas never send one twice.
"""
import datetime as dt

from services.rehab_booking import states
from services.rehab_booking.util import utc


def kind_for(hours):
    """24 -> '24h', 2 -> '2h', 0.5 -> '0.5h'."""
    return ("%g" % hours) + "h"


def kinds(policy):
    return [kind_for(h) for h in sorted(policy.reminder_offsets_hours, reverse=True)]


def reminder_fields(start, confirmed_at, policy):
    """Fields to $set when a booking (re)enters confirmed: remind_at_<k> and reminded_<k>.

    Of the reminders already due at confirmation only the nearest one to the start
    would duplicate the confirmation notice, so every already-due reminder is skipped.
    """
    start, confirmed_at = utc(start, "start"), utc(confirmed_at, "confirmed_at")
    out = {}
    for hours in policy.reminder_offsets_hours:
        k = kind_for(hours)
        at = start - dt.timedelta(hours=hours)
        out["remind_at_%s" % k] = at
        out["reminded_%s" % k] = "skipped" if at <= confirmed_at else False
    return out


def is_due(booking, kind, now):
    """Confirmed, time reached, not yet sent, not started."""
    now = utc(now)
    at = booking.get("remind_at_%s" % kind)
    return (booking.get("status") == states.CONFIRMED and at is not None
            and utc(at, "remind_at") <= now < utc(booking["start"], "start")
            and booking.get("reminded_%s" % kind) not in (True, "skipped"))


def due_reminders(bookings, now, policy):
    """[(booking_id, kind)] due at ``now``; if several kinds are due for one booking (the sweep
    was late) only the nearest to the start is sent and the others are to be skipped."""
    out = []
    for b in bookings:
        due = [k for k in kinds(policy) if is_due(b, k, now)]
        if due:
            out.append((b["_id"], due[-1]))
    return out


def next_reminder_at(booking):
    """The earliest reminder time of a confirmed booking still to be sent (the sweep's work
    list), or None."""
    if booking.get("status") != states.CONFIRMED:
        return None
    times = [utc(at, "remind_at") for key, at in booking.items()
             if key.startswith("remind_at_") and at is not None
             and booking.get("reminded_" + key[len("remind_at_"):]) not in (True, "skipped")]
    return min(times) if times else None


def claim(booking_id, kind, now, skip_kinds=()):
    """(filter, update) claiming one reminder; others already overdue are marked skipped."""
    now = utc(now)
    update = {"$set": {"reminded_%s" % kind: True, "reminded_%s_at" % kind: now}}
    for k in skip_kinds:
        if k != kind:
            update["$set"]["reminded_%s" % k] = "skipped"
    return ({"_id": booking_id, "status": states.CONFIRMED,
             "reminded_%s" % kind: {"$nin": [True, "skipped"]}}, update)
