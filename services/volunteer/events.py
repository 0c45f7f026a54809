"""Events the volunteer service publishes (through the outbox) and the ones it consumes.

Each builder returns ``(name, payload)``; the outbox adds ``event_id`` and ``occurred_at``.
``notify`` lists who the notifier should message: ``{"volunteer_id"}`` or ``{"person_id"}``
(the notifier resolves accounts/openids and subscribe-message quota) or ``{"role", "region"}``
for a staff alert. Offer payloads never carry address, phone, location or the person.
"""
from services.common.clock import iso
from services.volunteer.privacy import mask_name, offer_view

OFFER_SENT = "volunteer.offer_sent"
OFFERS_CLOSED = "volunteer.offers_closed"
TASK_ACCEPTED = "volunteer.task_accepted"
TASK_ON_THE_WAY = "volunteer.task_on_the_way"
TASK_STARTED = "volunteer.task_started"
TASK_COMPLETED = "volunteer.task_completed"
TASK_CANCELLED = "volunteer.task_cancelled"
TASK_UNMATCHED = "volunteer.task_unmatched"
VOLUNTEER_VERIFIED = "volunteer.volunteer_verified"
VOLUNTEER_SUSPENDED = "volunteer.volunteer_suspended"
STAR_LEVEL_REACHED = "volunteer.star_level_reached"

CONSUMES = ("rehab_booking.escort_requested", "rehab_booking.escort_cancelled", "identity.person_died")


def offer_sent(offer, task):
    payload = dict(offer_view(offer, task), volunteer_id=offer["volunteer_id"], wave=offer["wave"])
    return OFFER_SENT, dict(payload, notify=[{"volunteer_id": offer["volunteer_id"]}])


def offers_closed(task, volunteer_ids, reason):
    """Other pending offers closed because the task was ``taken`` or ``cancelled``."""
    return OFFERS_CLOSED, {"task_id": task.get("id"), "volunteer_ids": list(volunteer_ids),
                           "reason": reason, "notify": [{"volunteer_id": v} for v in volunteer_ids]}


def _citizen(name, task, volunteer_name=None, **extra):
    payload = {"task_id": task.get("id"), "person_id": task["person_id"], "volunteer_id": task.get("volunteer_id"),
               "volunteer_name_masked": mask_name(volunteer_name), "skill": task["skill"],
               "when": iso(task["when"]), "source": task.get("source"), "source_ref": task.get("source_ref"),
               "notify": [{"person_id": task["person_id"]}]}
    payload.update(extra)
    return name, payload


def task_accepted(task, volunteer_name=None):
    return _citizen(TASK_ACCEPTED, task, volunteer_name, accepted_at=iso(task.get("accepted_at")))


def task_on_the_way(task, volunteer_name=None):
    return _citizen(TASK_ON_THE_WAY, task, volunteer_name, on_the_way_at=iso(task.get("on_the_way_at")))


def task_started(task, volunteer_name=None):
    return _citizen(TASK_STARTED, task, volunteer_name, checked_in_at=iso(task.get("checked_in_at")))


def task_completed(task, volunteer_name=None):
    """Citizen: "done, please rate"; also read by rehab_booking for escorts."""
    return _citizen(TASK_COMPLETED, task, volunteer_name, checked_out_at=iso(task.get("checked_out_at")),
                    credited_minutes=task.get("credited_minutes"))


def task_cancelled(task, by_role, reason):
    notify = [{"person_id": task["person_id"]}]
    if task.get("volunteer_id"):
        notify.append({"volunteer_id": task["volunteer_id"]})
    return TASK_CANCELLED, {"task_id": task.get("id"), "person_id": task["person_id"],
                            "volunteer_id": task.get("volunteer_id"), "by_role": by_role, "reason": reason,
                            "source": task.get("source"), "source_ref": task.get("source_ref"), "notify": notify}


def task_unmatched(task, reason, filtered_out=None):
    """Coordinator alert (staff queue) and a "still looking" message to the citizen."""
    offered = sum(len(w["volunteer_ids"]) for w in task.get("wave_plan") or ())
    return TASK_UNMATCHED, {
        "task_id": task.get("id"), "region": task["region"], "skill": task["skill"], "when": iso(task["when"]),
        "reason": reason, "waves_sent": task.get("current_wave") or 0, "offered_count": offered,
        "filtered_out": dict(filtered_out or {}), "source": task.get("source"), "source_ref": task.get("source_ref"),
        "notify": [{"role": "volunteer_coordinator", "region": task["region"]}, {"person_id": task["person_id"]}]}


def volunteer_verified(volunteer):
    return VOLUNTEER_VERIFIED, {"volunteer_id": volunteer.get("id"), "region": volunteer["home_region"],
                                "notify": [{"volunteer_id": volunteer.get("id")}]}


def volunteer_suspended(volunteer, reason):
    return VOLUNTEER_SUSPENDED, {
        "volunteer_id": volunteer.get("id"), "region": volunteer["home_region"], "reason": reason,
        "upheld_complaints": volunteer.get("upheld_complaints", 0),
        "notify": [{"volunteer_id": volunteer.get("id")},
                   {"role": "volunteer_coordinator", "region": volunteer["home_region"]}]}


def star_level_reached(volunteer, stars, hours):
    return STAR_LEVEL_REACHED, {"volunteer_id": volunteer.get("id"), "region": volunteer["home_region"],
                                "stars": stars, "hours": hours, "notify": [{"volunteer_id": volunteer.get("id")}]}


def request_from_escort_event(payload):
    """``rehab_booking.escort_requested`` (docs/events.md) → input for
    ``tasks.validate_request(..., source="rehab_escort")``.

    Payload: ``dedupe_key, booking_id, person_id, when, duration_minutes, region, location,
    address, institution_name?, service_name?, companion?, notes?`` (``start`` is accepted as an
    older name of ``when``). ``source_ref`` is the booking id.
    """
    parts = ["康复预约陪同"]
    for key in ("institution_name", "service_name"):
        if payload.get(key):
            parts.append(str(payload[key]))
    if payload.get("notes"):
        parts.append(str(payload["notes"]))
    notes = "：".join(parts[:2]) + ("；" + "；".join(parts[2:]) if len(parts) > 2 else "")
    return {"person_id": payload.get("person_id"), "skill": payload.get("skill") or "escort",
            "when": payload.get("when") or payload.get("start"),
            "duration_minutes": payload.get("duration_minutes"), "region": payload.get("region"),
            "location": payload.get("location"), "address": payload.get("address"),
            "contact_phone": payload.get("contact_phone"), "notes": notes[:500],
            "source_ref": payload.get("booking_id") or payload.get("dedupe_key")}
