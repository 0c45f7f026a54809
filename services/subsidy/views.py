"""Helpers of the subsidy service: facts assembly, notify events and response views. Pure."""
import datetime as dt
import uuid

from services.common import outbox, pages
from services.common.clock import SHANGHAI, iso
from services.common.crypto import mask_account
from services.subsidy import payments, workflow

STATUS_CN = {"submitted": "已提交", "street_review": "街道初审", "county_review": "残联审核",
             "civil_affairs_review": "民政审批", "approved": "已批准", "rejected": "未通过",
             "returned": "已退回", "withdrawn": "已撤回", "active": "发放中",
             "phase_out": "渐退期", "suspended": "已暂停", "ended": "已终止"}
CERT_STATUSES = ("valid", "expired", "cancelled", "replaced")


def local_time(now):
    return now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def local_date(value):
    """An ISO timestamp or datetime -> the Asia/Shanghai date (ISO string)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(SHANGHAI).date().isoformat()


def notify(person_id, now, title, status, note="", template="application_status", page=None,
           **extra):
    data = {"title": title, "time": local_time(now), "note": note}
    if template == "application_status":
        data["status"] = status
    data.update(extra)
    return outbox.event("notify", {"person_id": person_id, "template": template, "data": data,
                                   "page": page or pages.SUBSIDY}, now)


def cert_from_event(payload):
    """The certificate facts subsidy keeps from a certificate event."""
    status = payload.get("status") or "valid"
    if payload.get("event_type") == "cancelled" or status not in CERT_STATUSES:
        status = "cancelled"   # an unknown status is treated as not valid
    cert = {"certificate_id": payload.get("certificate_id"), "status": status,
            "category": payload.get("category"), "grade": payload.get("grade"),
            "severe": payload.get("severe"), "region": payload.get("region") or
            payload.get("to_region"), "valid_from": payload.get("valid_from"),
            "valid_until": payload.get("valid_until")}
    if status == "cancelled":
        cert["cancelled_on"] = local_date(payload.get("occurred_at")) \
            if payload.get("occurred_at") else None
    return cert


def build_facts(ident, local, held=()):
    """rules.py facts (plus supervision's extra keys) from identity's person_facts and the local
    copy of certificate and household facts."""
    cert = local.get("certificate")
    rules_cert = None
    if cert and cert.get("category") and cert.get("grade"):
        rules_cert = {"status": cert["status"], "category": cert["category"],
                      "grade": cert["grade"], "valid_until": cert.get("valid_until")}
    death = (ident or {}).get("deceased_on") or local.get("death_date")
    household = (ident or {}).get("household_region") or (cert or {}).get("region")
    return {"certificate": rules_cert, "birth_date": (ident or {}).get("birth_date"),
            "household_status": local.get("household_status") or "none",
            "household_region": household,
            "residence_region": (ident or {}).get("residence_region") or household,
            "benefits_held": list(held), "alive": not death, "death_date": death,
            "certificate_cancelled_on": (cert or {}).get("cancelled_on"),
            "previous_household_status": local.get("previous_household_status"),
            "household_status_since": local.get("household_status_since"),
            "per_capita_income_fen": local.get("per_capita_income_fen")}


IDENTITY_CACHE = ("birth_date", "household_region", "residence_region")


def cached_identity(local):
    """What identity's person_facts gave subsidy last time (kept on the local copy by
    SubsidyBase._facts), in person_facts' shape; None when identity was never asked."""
    if not all(k in local for k in IDENTITY_CACHE):
        return None
    return {"birth_date": local["birth_date"], "household_region": local["household_region"],
            "residence_region": local["residence_region"], "deceased_on": local.get("death_date")}


def payment_notice(line, title, now):
    """The citizen's notify event for a new payment line (template ``payment``), with an event id
    derived from the line id: announcing a chunk again sends the same events (the notifier
    drops an event id it has seen)."""
    ev = notify(line["person_id"], now, title, None, "%s月补贴已提交银行发放" % line["month"],
                template="payment", amount=payments.fen_to_yuan(line["amount_fen"]) + "元",
                page=pages.SUBSIDY)
    ev["id"] = uuid.uuid5(uuid.NAMESPACE_URL, "subsidy-payment:" + line["line_id"]).hex
    return ev


def month_now(now):
    return payments.month_of(now.astimezone(SHANGHAI).date())


def _history(entries):
    return [{"from": h.get("from"), "to": h.get("to"), "action": h.get("action"),
             "role": h.get("role"), "actor_id": h.get("actor_id"), "reason": h.get("reason"),
             "at": iso(h.get("at"))} for h in entries or []]


def application_view(doc, now, chain):
    deadline = workflow.step_deadline(doc, chain)
    return {"id": doc["_id"], "person_id": doc["person_id"], "policy_code": doc["policy_code"],
            "policy_name": doc.get("policy_name"), "status": doc["status"],
            "status_name": STATUS_CN.get(doc["status"], doc["status"]),
            "current_step": doc["status"] if doc["status"] in dict(
                (s["step"], 1) for s in chain) else None,
            "current_role": doc.get("current_role"),
            "filing_region": doc["filing_region"], "handling_region": doc["handling_region"],
            "routed": doc.get("routed", False), "cross_province": doc.get("cross_province", False),
            "source": doc.get("source"), "submitted_by": doc.get("submitted_by"),
            "start_month": doc.get("start_month"),
            "bank_account_masked": doc.get("bank_account_masked"),
            "estimated_amount_fen": doc.get("amount_fen"),
            "step_deadline": iso(deadline), "overdue": bool(deadline and now >= deadline),
            "entitlement_id": doc.get("entitlement_id"),
            "created_at": iso(doc.get("created_at")), "history": _history(doc.get("history"))}


def entitlement_view(doc):
    return {"id": doc["_id"], "person_id": doc["person_id"], "policy_code": doc["policy_code"],
            "policy_name": doc.get("policy_name"), "region": doc["region"],
            "status": doc["status"], "status_name": STATUS_CN.get(doc["status"]),
            "start_month": doc["start_month"], "end_month": doc.get("end_month"),
            "phase_out_until": doc.get("phase_out_until"), "grade": doc.get("grade"),
            "reasons": doc.get("reasons") or [], "application_id": doc.get("application_id"),
            "history": _history(doc.get("history"))}


def line_view(doc):
    return {"line_id": doc["_id"], "batch_id": doc["batch_id"],
            "entitlement_id": doc["entitlement_id"], "person_id": doc["person_id"],
            "policy_code": doc["policy_code"], "month": doc["month"],
            "amount_fen": doc["amount_fen"], "status": doc["status"],
            "bank_reason": doc.get("bank_reason"), "recovery": doc.get("recovery")}


def suggestion_view(doc):
    return {"id": doc["_id"], "person_id": doc["person_id"], "policy_code": doc["policy_code"],
            "policy_name": doc.get("policy_name"), "region": doc["region"],
            "status": doc["status"], "reasons": doc.get("reasons") or [],
            "monthly_amount_fen": doc.get("monthly_amount_fen"),
            "amount_fen": doc.get("amount_fen"), "amount_is_example": doc.get("amount_is_example"),
            "application_id": doc.get("application_id"), "created_at": iso(doc.get("created_at"))}


def batch_view(doc):
    return {"id": doc["_id"], "region": doc["region"], "month": doc["month"],
            "status": doc["status"], "totals": doc.get("totals"),
            "supervision": doc.get("supervision"), "skipped": doc.get("skipped", []),
            "reconciliation": doc.get("reconciliation"),
            "created_at": iso(doc.get("created_at")), "finished_at": iso(doc.get("finished_at"))}


def masked(account):
    return mask_account(account) if account else None
