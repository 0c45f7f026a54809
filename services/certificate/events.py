"""Events the certificate service publishes (source service name ``certificate``).

Each builder returns ``{"type": <event type>, "payload": {...}}`` for the outbox. Payloads hold
JSON-safe values only (ISO strings for dates and times) and never the ID or certificate number
(personal data): consumers key on ``person_id`` and ``certificate_id``. ``event_id`` is
deterministic (entity id + version + type) so a relay retry or a replay dedupes downstream.

    certificate.issued       new certificate (新办)
    certificate.changed      category/grade changed after re-assessment (变更)
    certificate.renewed      renewed / 3rd-generation card (换领)
    certificate.replaced     lost or damaged card re-issued (补办)
    certificate.transferred  moved to another household-registration region (迁移)
    certificate.cancelled    cancelled (注销: death, recovery, voluntary, fraud)
    certificate.expiring     a valid certificate is within the reminder window
    certificate.application_status_changed   every workflow step (for the notifier)
"""
from services.common.clock import iso

ISSUED, CHANGED, RENEWED = "issued", "changed", "renewed"
REPLACED, TRANSFERRED, CANCELLED = "replaced", "transferred", "cancelled"
EXPIRING, APPLICATION_STATUS_CHANGED = "expiring", "application_status_changed"

# transaction type -> the event its completion publishes
EVENT_FOR_TRANSACTION = {"new": ISSUED, "change": CHANGED, "renewal": RENEWED,
                         "replacement": REPLACED, "transfer": TRANSFERRED,
                         "cancellation": CANCELLED}


def _certificate_fields(certificate):
    return {
        "certificate_id": certificate["id"],
        "person_id": certificate["person_id"],
        "category": certificate["category"],
        "grade": certificate["grade"],
        "severe": certificate["severe"],
        "region": certificate["region"],
        "valid_from": certificate["valid_from"],
        "valid_until": certificate["valid_until"],
        "status": certificate["status"],
    }


def completion_event(application, certificate, previous, now, version):
    """The business event closing an application (issued, changed, ..., cancelled).

    ``certificate`` is the new record (or, for cancellation, the cancelled record);
    ``previous`` the superseded record or None.
    """
    kind = EVENT_FOR_TRANSACTION[application["type"]]
    payload = _certificate_fields(certificate)
    payload.update({
        "event_id": "%s.%d.%s" % (application["id"], version, kind),
        "application_id": application["id"],
        "transaction": application["type"],
        "previous_certificate_id": previous["id"] if previous else None,
        "occurred_at": iso(now),
    })
    if kind == CHANGED and previous:
        payload.update(previous_category=previous["category"], previous_grade=previous["grade"])
    if kind == TRANSFERRED and previous:
        payload.update(from_region=previous["region"], to_region=certificate["region"],
                       cross_province=application["cross_province"])
    if kind == CANCELLED:
        payload["reason"] = application["cancellation_reason"]
        payload["previous_certificate_id"] = None
    return {"type": kind, "payload": payload}


def cancelled_without_application(certificate, reason, now):
    """certificate.cancelled for a cancellation that came from a feed (e.g. a death record)."""
    payload = _certificate_fields(certificate)
    payload.update({"event_id": "%s.cancelled" % certificate["id"], "application_id": None,
                    "transaction": "cancellation", "previous_certificate_id": None,
                    "reason": reason, "occurred_at": iso(now)})
    return {"type": CANCELLED, "payload": payload}


def expiring_event(certificate, days_left, now):
    payload = _certificate_fields(certificate)
    payload.update({"event_id": "%s.expiring" % certificate["id"], "days_left": days_left,
                    "occurred_at": iso(now)})
    return {"type": EXPIRING, "payload": payload}


def status_event(application, audit, version):
    """certificate.application_status_changed: what the notifier tells the applicant."""
    return {"type": APPLICATION_STATUS_CHANGED, "payload": {
        "event_id": "%s.%d.%s" % (application["id"], version, APPLICATION_STATUS_CHANGED),
        "application_id": application["id"],
        "person_id": application["person_id"],
        "transaction": application["type"],
        "from": audit["from"],
        "to": audit["to"],
        "action": audit["action"],
        "reason": audit["reason"],
        "filed_region": application["filed_region"],
        "handling_region": application["handling_region"],
        "occurred_at": iso(audit["at"]),
    }}
