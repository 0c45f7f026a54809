"""Events rehab_booking publishes (via the common outbox): names and payloads.

Each builder returns {"type": ..., "payload": {...}}; payloads are plain JSON (times ISO 8601 with
the +08:00 offset). ``dedupe_key`` is a logical key consumers use to ignore a repeated fact (the
outbox's event id only covers re-publishing the same outbox entry).
"""
import datetime as dt

from services.rehab_booking import catalogue
from services.rehab_booking.states import (CANCELLED, CHECKED_IN, COMPLETED, CONFIRMED, EXPIRED,
                                           NO_SHOW, ORPHANED, PENDING_STAFF_CONFIRMATION)
from services.rehab_booking.util import iso_local, iso_utc, utc

PREFIX = "rehab_booking."
BOOKING_CONFIRMED = PREFIX + "booking_confirmed"
BOOKING_RESCHEDULED = PREFIX + "booking_rescheduled"
BOOKING_CANCELLED = PREFIX + "booking_cancelled"
BOOKING_EXPIRED = PREFIX + "booking_expired"
BOOKING_ORPHANED = PREFIX + "booking_orphaned"
BOOKING_CHECKED_IN = PREFIX + "booking_checked_in"
BOOKING_COMPLETED = PREFIX + "booking_completed"
NO_SHOW_RECORDED = PREFIX + "no_show_recorded"
STAFF_CONFIRMATION_REQUIRED = PREFIX + "staff_confirmation_required"
REMINDER_DUE = PREFIX + "reminder_due"
WAITLIST_OFFERED = PREFIX + "waitlist_offered"
ESCORT_REQUESTED = PREFIX + "escort_requested"
ESCORT_CANCELLED = PREFIX + "escort_cancelled"


def _ev(kind, payload):
    return {"type": kind, "payload": payload}


def summary(booking, institution):
    """The booking as people read it: what, where, when."""
    return {
        "booking_id": booking["_id"], "person_id": booking["person_id"],
        "status": booking.get("status"), "service": booking["service"],
        "service_name": catalogue.service_name(booking["service"]),
        "institution_id": booking["institution_id"],
        "institution_name": (institution or {}).get("name"),
        "address": (institution or {}).get("address"), "region": booking.get("region"),
        "start": iso_local(booking["start"]), "end": iso_local(booking["end"]),
    }


def escort_key(booking):
    return "escort:%s:%s" % (booking["_id"], iso_utc(booking["start"]))


def escort_requested(booking, institution, policy):
    """For the volunteer service: mirrors POST /volunteer/requests (skill 'escort') plus source."""
    start, end = utc(booking["start"]), utc(booking["end"])
    lead = dt.timedelta(minutes=policy.escort_lead_minutes)
    return _ev(ESCORT_REQUESTED, {
        "dedupe_key": escort_key(booking), "source": "rehab_booking",
        "booking_id": booking["_id"], "person_id": booking["person_id"], "skill": "escort",
        "when": iso_local(start - lead),
        "duration_minutes": int((end - start + 2 * lead).total_seconds() // 60),
        "region": institution["region"], "location": institution.get("location"),
        "address": institution.get("address"), "institution_id": institution["id"],
        "institution_name": institution.get("name"), "service": booking["service"],
        "service_name": catalogue.service_name(booking["service"]),
        "companion": bool(booking.get("companion")),
        "notes": "陪同前往%s（%s）" % (institution.get("name"),
                                     catalogue.service_name(booking["service"])),
    })


def escort_cancelled(booking, reason):
    return _ev(ESCORT_CANCELLED, {"dedupe_key": "cancel:" + escort_key(booking),
                                  "escort_dedupe_key": escort_key(booking),
                                  "booking_id": booking["_id"], "person_id": booking["person_id"],
                                  "reason": reason})


def reminder_due(booking, institution, kind):
    """For the notifier: the appointment-reminder subscribe message."""
    return _ev(REMINDER_DUE, dict(summary(booking, institution), kind=kind,
                                  template="appointment_reminder",
                                  dedupe_key="reminder:%s:%s:%s" % (
                                      booking["_id"], kind, iso_utc(booking["start"]))))


def waitlist_offered(booking, institution, entry):
    return _ev(WAITLIST_OFFERED, dict(summary(booking, institution),
                                      waitlist_entry_id=entry["_id"],
                                      offer_expires_at=iso_local(booking["hold_expires_at"]),
                                      template="appointment_offer",
                                      dedupe_key="offer:%s" % booking["_id"]))


def booking_orphaned(booking, institution, reason, alternatives):
    return _ev(BOOKING_ORPHANED, dict(summary(booking, institution), reason=reason,
                                      template="appointment_changed",
                                      alternatives=[{k: a[k] for k in (
                                          "slot_id", "institution_id", "institution_name",
                                          "start", "available", "distance_km")}
                                          for a in alternatives],
                                      dedupe_key="orphaned:%s" % booking["_id"]))


def events_for_transition(tr, booking, institution, policy, alternatives=()):
    """The events one applied transition publishes. ``booking`` is the document before it."""
    after = dict(booking, **tr["update"]["$set"])
    frm, to, action = tr["from"], tr["to"], tr["action"]
    s = summary(after, institution)
    out = []
    if action in ("reschedule", "rebook"):
        out.append(_ev(BOOKING_RESCHEDULED, dict(s, previous_slot_id=booking["slot_id"],
                                                 previous_start=iso_local(booking["start"]),
                                                 template="appointment_changed")))
        if booking.get("escort_needed") and frm == CONFIRMED:
            out.append(escort_cancelled(booking, "rescheduled"))
        if booking.get("escort_needed") and to == CONFIRMED:
            out.append(escort_requested(after, institution, policy))
        return out
    if to == CONFIRMED and frm != CONFIRMED:
        out.append(_ev(BOOKING_CONFIRMED, dict(s, template="appointment_confirmed")))
        if booking.get("escort_needed"):
            out.append(escort_requested(after, institution, policy))
    elif to == PENDING_STAFF_CONFIRMATION and frm != to:
        out.append(_ev(STAFF_CONFIRMATION_REQUIRED, dict(s, reason="no_show_limit")))
    elif to == CANCELLED:
        out.append(_ev(BOOKING_CANCELLED, dict(s, by=tr["role"], reason=tr["reason"],
                                               template="appointment_cancelled")))
    elif to == EXPIRED:
        out.append(_ev(BOOKING_EXPIRED, dict(s, source=booking.get("source"))))
    elif to == ORPHANED:
        out.append(booking_orphaned(after, institution, tr["reason"], alternatives))
    elif to == CHECKED_IN:
        out.append(_ev(BOOKING_CHECKED_IN, s))
    elif to == COMPLETED and action == "complete":
        out.append(_ev(BOOKING_COMPLETED, dict(s, service_record=after.get("service_record"))))
    elif to == NO_SHOW:
        out.append(_ev(NO_SHOW_RECORDED, s))
    if booking.get("escort_needed") and frm == CONFIRMED and to in (CANCELLED, ORPHANED):
        out.append(escort_cancelled(booking, to))
    return out
