"""Outbox entries of the certificate service: events, audit records and the citizen's notices,
built from the domain's Transition so every step writes all three in one update (pure)."""
from services.common import outbox, pages
from services.common.clock import SHANGHAI
from services.certificate import domain, events, workflow


def local_time(now):
    return now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def notify_status(app, audit, now):
    note = audit.get("reason") or ""
    if app["status"] == workflow.ISSUED:
        note = note or "电子证照已可在小程序中出示"
    elif app["status"] == workflow.ASSESSMENT_SCHEDULED and app.get("assessment"):
        note = note or "评定时间：%s" % local_time(app["assessment"]["scheduled_at"])
    return outbox.event("notify", {
        "person_id": app["person_id"], "template": "application_status",
        "data": {"title": "残疾人证%s" % domain.TRANSACTION_TYPES[app["type"]],
                 "status": workflow.STATUS_NAMES.get(app["status"], app["status"]),
                 "time": local_time(now), "note": note},
        "page": pages.application("certificate", app["id"])}, now)


def _audit(actor, audit, entity_id, now, data=None):
    return outbox.audit(actor, entity_id, audit["action"], audit["from"], audit["to"], now,
                        audit.get("reason"), data=dict({"role": audit.get("actor_role")},
                                                       **(data or {})))


def for_transition(tr, actor, now, notify=True):
    """(application entries, new certificate entries, ended certificate entries)."""
    app = tr.application
    app_entries = [outbox.event(e["type"], e["payload"], now) for e in tr.events]
    app_entries.append(_audit(actor, tr.audit, app["id"], now, {
        "type": app["type"], "handling_region": app["handling_region"]}))
    if notify:
        app_entries.append(notify_status(app, tr.audit, now))
    cert_entries, ended_entries = [], []
    if tr.certificate is not None:
        cert_entries.append(outbox.audit(actor, tr.certificate["id"], "issue", None,
                                         domain.CERT_VALID, now, data={
                                             "application_id": app["id"],
                                             "transaction": app["type"]}))
    if tr.ended_certificate is not None:
        ended = tr.ended_certificate
        ended_entries.append(outbox.audit(actor, ended["id"], app["type"], domain.CERT_VALID,
                                          ended["status"], now, ended.get("cancellation_reason"),
                                          data={"application_id": app["id"],
                                                "replaced_by": ended.get("replaced_by")}))
    return app_entries, cert_entries, ended_entries


def for_expiry(cert, days_left, now):
    ev = events.expiring_event(cert, days_left, now)
    return [outbox.event(ev["type"], ev["payload"], now),
            outbox.event("notify", {
                "person_id": cert["person_id"], "template": "certificate_expiry",
                "data": {"title": "残疾人证即将到期", "time": cert["valid_until"],
                         "note": "还有%d天到期，请及时办理换领" % days_left},
                "page": pages.CERTIFICATE_CARD}, now),
            outbox.audit(None, cert["id"], "expiry_reminder", domain.CERT_VALID,
                         domain.CERT_VALID, now, data={"days_left": days_left})]


def for_death(cancelled, date, now):
    ev = events.cancelled_without_application(cancelled, "death", now)
    return [outbox.event(ev["type"], ev["payload"], now),
            outbox.audit(None, cancelled["id"], "cancel_on_death", domain.CERT_VALID,
                         domain.CERT_CANCELLED, now, "死亡", data={"date": date})]


def for_card(cert, audit, actor, now):
    out = [outbox.audit(actor, cert["id"], "card_" + audit["action"], audit["from"], audit["to"],
                        now, data={"role": audit.get("actor_role")})]
    if audit["to"] in (domain.CARD_READY, domain.CARD_MAILED):
        out.append(outbox.event("notify", {
            "person_id": cert["person_id"], "template": "application_status",
            "data": {"title": "残疾人证制卡", "status": "可领取" if audit["to"] == domain.CARD_READY
                     else "已邮寄", "time": local_time(now),
                     "note": "请携带身份证到办理地点领取" if audit["to"] == domain.CARD_READY
                     else "实体卡已寄出"},
            "page": pages.CERTIFICATE_CARD}, now))
    return out


def closing(app, reason, now, version):
    """An open application ended by the system (the applicant died): fields + entries."""
    to = workflow.CERTIFICATE_CANCELLED if app["type"] == "cancellation" else workflow.REJECTED
    audit = {"entity": "certificate_application", "entity_id": app["id"], "from": app["status"],
             "to": to, "action": "close", "actor_role": "system", "actor_kind": "system",
             "actor_id": "system", "region": None, "at": now, "reason": reason}
    fields = {"status": to, "updated_at": now, "version": version,
              "rejection_reason": reason if to == workflow.REJECTED else app.get("rejection_reason"),
              "history": list(app.get("history") or []) + [audit]}
    closed = dict(app, **fields)
    ev = events.status_event(closed, audit, version)
    return fields, [outbox.event(ev["type"], ev["payload"], now),
                    outbox.audit(None, app["id"], "close", app["status"], to, now, reason)]
