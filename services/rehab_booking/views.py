"""What clients see (plain JSON dicts, ISO times with +08:00) and what goes into the outbox.

The domain's events (events.py) are mapped here onto the suite's contracts (docs/events.md):
``escort_requested`` / ``escort_cancelled`` for the volunteer service and ``notify`` for the
notifier. The other domain facts (confirmed, checked in, ...) are kept in the audit trail, not
published: no service consumes them, and an event with no queue bound would sit in the outbox.
"""
from services.common import outbox, pages
from services.rehab_booking import capacity, catalogue, events
from services.rehab_booking.util import iso_local, local

TEMPLATE_STATUS = {"appointment_confirmed": "预约成功", "appointment_cancelled": "预约已取消",
                   "appointment_changed": "预约有变动", "appointment_offer": "候补到号"}


def institution_view(inst):
    keys = ("name", "region", "address", "location", "services", "accessibility",
            "opening_hours", "phone", "designation")
    out = {k: inst.get(k) for k in keys}
    out["id"] = inst["_id"]
    out["service_names"] = [catalogue.service_name(s) for s in inst.get("services", ())]
    return out


def slot_view(slot, now, policy, institution=None):
    av = capacity.availability(slot, now, policy)
    out = {"id": slot["_id"], "institution_id": slot["institution_id"],
           "service": slot["service"], "service_name": catalogue.service_name(slot["service"]),
           "start": iso_local(slot["start"]), "end": iso_local(slot["end"]),
           "duration_minutes": slot.get("duration_minutes"), "status": slot.get("status"),
           "capacity": slot["capacity"], "booked": slot.get("booked", 0),
           "available": av["available"], "available_priority": av["available_priority"],
           "priority_reserved": slot.get("priority_reserved", 0)}
    if institution is not None:
        out["institution_name"] = institution.get("name")
    return out


def booking_view(b, institution=None):
    out = {"id": b["_id"], "person_id": b["person_id"], "status": b["status"],
           "slot_id": b["slot_id"], "institution_id": b["institution_id"],
           "region": b.get("region"), "service": b["service"],
           "service_name": catalogue.service_name(b["service"]),
           "start": iso_local(b["start"]), "end": iso_local(b["end"]),
           "hold_expires_at": iso_local(b.get("hold_expires_at")),
           "companion": b.get("companion"), "escort_needed": b.get("escort_needed", False),
           "needs_staff_confirmation": b.get("needs_staff_confirmation", False),
           "source": b.get("source"), "priority": b.get("priority", False),
           "created_at": iso_local(b.get("created_at")), "rating": b.get("rating"),
           "service_record": b.get("service_record"), "cancel_reason": b.get("cancel_reason"),
           "orphan_reason": b.get("orphan_reason"), "alternatives": b.get("alternatives", [])}
    if institution is not None:
        out["institution_name"] = institution.get("name")
        out["address"] = institution.get("address")
    return out


def waitlist_view(e):
    return {"id": e["_id"], "person_id": e["person_id"], "status": e["status"],
            "institution_id": e["institution_id"], "service": e["service"], "date": e["date"],
            "slot_id": e.get("slot_id"), "priority": e.get("priority", False),
            "offer_booking_id": e.get("offer_booking_id"),
            "offer_expires_at": iso_local(e.get("offer_expires_at")),
            "created_at": iso_local(e.get("created_at"))}


def _when(iso_text):
    return (iso_text or "")[:16].replace("T", " ")


def notify_payload(p):
    """A domain event payload carrying ``template`` → the notifier's ``notify`` payload."""
    reminder = p["template"] == "appointment_reminder"
    data = {"title": p.get("service_name") or "康复预约", "time": _when(p.get("start")),
            "place": p.get("institution_name") or "", "status": TEMPLATE_STATUS.get(
                p["template"], "预约提醒"), "note": ""}
    if reminder:
        data["note"] = "%s后开始，请按时到达" % p.get("kind", "").replace("h", "小时")
    elif p["template"] == "appointment_offer":
        data["note"] = "请在%s前确认" % _when(p.get("offer_expires_at"))[11:]
    elif p.get("reason"):
        data["note"] = str(p["reason"])[:20]
    return {"person_id": p["person_id"],
            "template": "appointment_reminder" if reminder else "appointment_update",
            "data": data, "page": pages.booking(p["booking_id"])}


def outbox_entries(domain_events, now, notify=True):
    """Outbox events for the domain events of one change (notifications only if ``notify``)."""
    out = []
    for ev in domain_events:
        kind, payload = ev["type"], ev["payload"]
        if kind == events.ESCORT_REQUESTED:
            out.append(outbox.event("escort_requested", payload, now))
        elif kind == events.ESCORT_CANCELLED:
            out.append(outbox.event("escort_cancelled", payload, now))
        elif notify and payload.get("template"):
            out.append(outbox.event("notify", notify_payload(payload), now))
    return out


def local_day(value):
    return local(value).date().isoformat()
