"""What the certificate service returns (pure): plain JSON-able dicts, masked where they must be.

The certificate number holds the ID number: shown in full only to the holder, their guardian
(citizens acting for the person) and competent staff (the certificate's region, a working role);
everyone else sees ``500***********123X42``.
"""
import datetime as dt

from services.common import idnumber
from services.certificate import domain, workflow
from services.certificate.applications import can_view
from services.certificate.domain import TRANSACTION_TYPES

COMPETENT_ROLES = frozenset({"street_officer", "county_dpf", "assessor", "admin"})


def jsonable(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


def mask_number(number):
    return idnumber.mask(number[:18]) + number[18:] if number else None


def may_see_number(actor, certificate):
    if actor.get("kind") == "citizen":
        return certificate["person_id"] in (actor.get("person_ids") or ())
    return actor.get("kind") == "staff" and actor.get("region") == certificate["region"] and \
        bool(COMPETENT_ROLES & set(actor.get("roles") or ()))


def certificate_view(cert, actor, number, today):
    """``number`` is the decrypted number (or None when the caller did not decrypt it)."""
    if cert is None:
        return None
    shown = number if number and may_see_number(actor, cert) else mask_number(number)
    return jsonable({
        "id": cert["id"], "person_id": cert["person_id"], "number": shown,
        "number_masked": not (number and may_see_number(actor, cert)),
        "category": cert["category"], "category_name": domain.CATEGORIES[cert["category"]],
        "grade": cert["grade"], "grade_name": domain.GRADES[cert["grade"]],
        "severe": cert["severe"], "components": cert.get("components") or [],
        "status": domain.effective_status(cert, today), "region": cert["region"],
        "valid_from": cert["valid_from"], "valid_until": cert["valid_until"],
        "issued_at": cert.get("issued_at"), "transaction": cert.get("transaction"),
        "application_id": cert.get("application_id"),
        "previous_certificate_id": cert.get("previous_certificate_id"),
        "replaced_by": cert.get("replaced_by"),
        "cancellation_reason": cert.get("cancellation_reason"), "ended_at": cert.get("ended_at"),
        "generation": cert.get("generation"), "card": cert.get("card"),
        "expiry_reminded_at": cert.get("expiry_reminded_at"),
    })


def internal_certificate(cert, today):
    """For other services (certificate.current_certificate): no number, no personal data."""
    return jsonable({k: cert.get(k) for k in (
        "id", "person_id", "category", "grade", "severe", "region", "valid_from", "valid_until",
        "issued_at", "transaction")} | {"status": domain.effective_status(cert, today),
                                        "card_status": (cert.get("card") or {}).get("status")})


def _history(entry):
    return {k: entry.get(k) for k in ("from", "to", "action", "actor_role", "actor_kind",
                                      "actor_id", "region", "at", "reason")}


def application_view(app, actor):
    return jsonable({
        "id": app["id"], "type": app["type"], "type_name": TRANSACTION_TYPES[app["type"]],
        "status": app["status"], "status_name": workflow.STATUS_NAMES.get(app["status"]),
        "person_id": app["person_id"], "filed_region": app["filed_region"],
        "handling_region": app["handling_region"], "from_region": app.get("from_region"),
        "cross_province": app["cross_province"], "certificate_id": app.get("certificate_id"),
        "claimed_category": app.get("claimed_category"), "claimed_grade": app.get("claimed_grade"),
        "home_visit": app.get("home_visit"), "bed_bound": app.get("bed_bound"),
        "reason": app.get("reason"), "cancellation_reason": app.get("cancellation_reason"),
        "submitted_by": {"kind": app["submitted_by"]["kind"],
                         "relationship": app["submitted_by"]["relationship"],
                         "staff_id": app["submitted_by"].get("staff_id")},
        "assessment": app.get("assessment"), "assessment_result": app.get("assessment_result"),
        "notice": app.get("notice"), "return_reasons": app.get("return_reasons") or [],
        "rejection_reason": app.get("rejection_reason"),
        "issued_certificate_id": app.get("issued_certificate_id"),
        "created_at": app["created_at"], "updated_at": app["updated_at"],
        "version": app["version"], "history": [_history(h) for h in app.get("history") or []],
        "available_actions": workflow.available_actions(app, actor) if can_view(app, actor) else [],
    })


def queue_item(app, actor, now, deadline_days):
    waiting = now - app["updated_at"]
    return jsonable({
        "id": app["id"], "type": app["type"], "type_name": TRANSACTION_TYPES[app["type"]],
        "status": app["status"], "status_name": workflow.STATUS_NAMES.get(app["status"]),
        "person_id": app["person_id"], "filed_region": app["filed_region"],
        "handling_region": app["handling_region"], "cross_province": app["cross_province"],
        "home_visit": app.get("home_visit"), "assessment": app.get("assessment"),
        "created_at": app["created_at"], "waiting_since": app["updated_at"],
        "waiting_days": waiting.days, "overdue": waiting > dt.timedelta(days=deadline_days),
        "available_actions": workflow.available_actions(app, actor),
    })
