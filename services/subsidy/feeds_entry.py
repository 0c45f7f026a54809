"""Subsidy entrypoints fed by others: certificate and identity events, the civil-affairs household
status feed. Mixed into SubsidyService. Every accepted fact triggers discovery (主动发现)."""
import datetime as dt
import logging

from nameko.events import event_handler

from services.common import authz, outbox
from services.common.errors import NotFound, ServiceError, ValidationFailed
from services.common.outbox import idempotent_handler
from services.common.rpc import load, rpc
from services.subsidy import rules, schemas, supervision, views
from services.subsidy.base import SYSTEM_ACTOR
from services.subsidy.store import HELD_STATUSES

log = logging.getLogger(__name__)


def _occurred(payload):
    try:
        value = dt.datetime.fromisoformat(payload["occurred_at"])
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    except (KeyError, TypeError, ValueError):
        return None


class FeedEntrypoints:
    # certificate events (event-carried state) ---------------------------------------------------
    def _on_certificate(self, payload, discover=True):
        person_id = payload.get("person_id")
        if not person_id:
            return
        cert = views.cert_from_event(payload)
        current = self.store.person(person_id).get("certificate") or {}
        if (cert["status"] != "valid" and current.get("status") == "valid"
                and current.get("certificate_id") not in (None, cert["certificate_id"])):
            return   # an old certificate's end does not override the newer valid one
        occurred = _occurred(payload) or self.store.clock.now()
        if self.store.set_certificate(person_id, cert, occurred) is None:
            return   # an older event than the one we hold
        if cert["status"] == "valid" and cert.get("grade"):
            self._follow_grade(person_id, cert["grade"])
        try:
            if discover and cert["status"] == "valid":
                self._discover(person_id)
            if cert["status"] == "cancelled":
                self._flag_overpayments(person_id)
        except NotFound:
            log.warning("certificate event for a person identity does not know")

    def _follow_grade(self, person_id, grade):
        """A changed grade changes the amount of later payments (never of paid months)."""
        now = self.store.clock.now()
        for ent in self.store.entitlements_for(person_id):
            if ent["status"] in HELD_STATUSES and ent.get("grade") != grade:
                entry = outbox.audit(SYSTEM_ACTOR, ent["_id"], "grade_changed", ent["status"],
                                     ent["status"], now, data={"from": ent.get("grade"),
                                                               "to": grade})
                if self.store.set_grade(ent["_id"], grade, [entry]):
                    self.outbox.flush(self.store.db.entitlements, ent["_id"])

    @event_handler("certificate", "issued")
    @idempotent_handler
    def on_certificate_issued(self, payload):
        self._on_certificate(payload)

    @event_handler("certificate", "changed")
    @idempotent_handler
    def on_certificate_changed(self, payload):
        self._on_certificate(payload)

    @event_handler("certificate", "renewed")
    @idempotent_handler
    def on_certificate_renewed(self, payload):
        self._on_certificate(payload)

    @event_handler("certificate", "replaced")
    @idempotent_handler
    def on_certificate_replaced(self, payload):
        self._on_certificate(payload)

    @event_handler("certificate", "transferred")
    @idempotent_handler
    def on_certificate_transferred(self, payload):
        self._on_certificate(payload)

    @event_handler("certificate", "cancelled")
    @idempotent_handler
    def on_certificate_cancelled(self, payload):
        self._on_certificate(dict(payload, status="cancelled"), discover=False)

    @event_handler("identity", "person_died")
    @idempotent_handler
    def on_person_died(self, payload):
        person_id, date = payload.get("person_id"), payload.get("date")
        if not person_id or not date:
            return
        self.store.set_fields(person_id, {"death_date": date})
        self._end_after_death(person_id, date)
        self._flag_overpayments(person_id)

    # the civil-affairs household status feed ----------------------------------------------------
    @rpc
    def household_status_feed(self, actor, body):
        """``{records: [{id_number, status, since, per_capita_income_fen?}]}`` ->
        ``{accepted, refused: [{index, code, reason}]}``; a refused record writes nothing."""
        authz.require_staff(actor, roles=("civil_affairs",))
        data = load(schemas.HouseholdFeed(), body)
        region = actor.get("region")
        refused, valid = [], []
        for i, raw in enumerate(data["records"]):
            try:
                valid.append((i, supervision.validate_household_record(raw)))
            except ValidationFailed as exc:
                refused.append({"index": i, "code": exc.code, "reason": exc.message,
                                "details": exc.details})
        known = self.identity.resolve_people([r["id_number"] for _, r in valid]) if valid else {}
        to_create = [r["id_number"] for _, r in valid if not known.get(r["id_number"])
                     and rules.serving_region(r["id_number"][:6]) == region]
        if to_create:
            known.update(self.identity.resolve_people(to_create, create=True))
        accepted = 0
        for i, rec in valid:
            person_id = known.get(rec["id_number"])
            reason = self._household_record(actor, region, person_id, rec)
            if reason:
                refused.append({"index": i, "code": "RECORD_REFUSED", "reason": reason})
            else:
                accepted += 1
        refused.sort(key=lambda r: r["index"])
        return {"accepted": accepted, "refused": refused}

    def _household_record(self, actor, region, person_id, rec):
        """Apply one valid record; return a refusal reason or None."""
        if person_id is None:
            return "此人不属于本辖区"
        facts, ident, local = self._facts(person_id)
        if region not in (rules.serving_region(ident.get("household_region")),
                          rules.serving_region(ident.get("residence_region"))):
            return "此人不属于本辖区"
        since = rec["since"].isoformat()
        if local.get("household_status_since") and since < local["household_status_since"]:
            return "认定日期早于系统中已有的记录"
        old = local.get("household_status") or "none"
        now = self.store.clock.now()
        fields = {"household_status": rec["status"], "household_status_since": since,
                  "per_capita_income_fen": rec["per_capita_income_fen"],
                  "household_source": "civil_affairs:%s" % region, "household_updated_at": now}
        entries = [outbox.audit(actor, "hh_" + person_id, "household_status", old, rec["status"],
                                now, data={"since": since})]
        if old != rec["status"]:
            fields["previous_household_status"] = old
            entries.append(outbox.event("household_status_changed", {
                "person_id": person_id, "status": rec["status"], "since": since}, now))
        self.store.set_fields(person_id, fields, entries)
        self.outbox.flush(self.store.db.people, person_id)
        try:
            self._discover(person_id)
        except ServiceError as exc:
            log.info("discovery after household record skipped: %s", exc.code)
        return None

