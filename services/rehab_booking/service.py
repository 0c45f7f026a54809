"""Rehab booking service (康复预约): designated institutions, slots that never overbook, holds,
waitlist offers, reminders, check-in and completion, no-shows, orphaned bookings.

Entry points are thin: validate with schemas.py, then cascades.Cascades (flows) does the reads,
the domain decides, and single conditional updates write with their outbox entries.
"""
import datetime as dt

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.timer import timer

from services.common import authz, outbox
from services.common.clock import SHANGHAI
from services.common.errors import Forbidden, ValidationFailed
from services.common.mongo import Mongo
from services.common.outbox import idempotent_handler
from services.common.rpc import RpcProxy, load, rpc
from services.common.sweeps import SWEEP_SECONDS
from services.rehab_booking import demo, domain, entries, measures, schemas, views
from services.rehab_booking.cascades import Cascades
from services.rehab_booking.store import RehabBookingStore
from services.rehab_booking.util import utc

CERT_STATUS = {"cancelled": "cancelled"}


def _parse_when(text, field, end=False):
    """'YYYY-MM-DD' (local day; ``end`` = the day after) or an ISO date-time with offset."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text) + dt.timedelta(days=1 if end else 0)
            return utc(dt.datetime.combine(day, dt.time(), SHANGHAI))
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise ValidationFailed("时间格式不正确", {field: ["应为 YYYY-MM-DD 或带时区的时间"]})
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return utc(value)


class RehabBookingService:
    name = "rehab_booking"
    store = Mongo(RehabBookingStore)
    outbox = outbox.Outbox("institutions", "schedules", "slots", "bookings", "waitlist")
    identity = RpcProxy("identity")
    config = Config()

    @property
    def flows(self):
        return Cascades(self.store, self.outbox, self.identity)

    # catalogue, institutions, slots (read) -------------------------------------------------------
    @rpc
    def services(self):
        return {"items": domain.catalogue(), "next_cursor": None}

    @rpc
    def institutions(self, actor, query):
        q = load(schemas.InstitutionsQuery(), query)
        flt = {"designation": "admitted"}
        if q.get("region"):
            flt["region"] = q["region"]
        if q.get("service"):
            flt["services"] = domain.validate_service(q["service"])
        return {"items": [views.institution_view(i) for i in self.store.institutions(flt)],
                "next_cursor": None}

    @rpc
    def slots(self, actor, query):
        q = load(schemas.SlotsQuery(), query)
        now = self.store.clock.now()
        start = _parse_when(q["from_"], "from") if q.get("from_") else now
        end = _parse_when(q["to"], "to", end=True) if q.get("to") else start + dt.timedelta(days=14)
        if end <= start or end - start > dt.timedelta(days=92):
            raise ValidationFailed("查询时间范围不正确（最多92天）", {"to": ["范围不正确"]})
        flt = {"status": "open", "start": {"$gt": max(start, now), "$lt": end}}
        service = domain.validate_service(q["service"]) if q.get("service") else None
        if service:
            flt["service"] = service
        if q.get("institution_id"):   # by the day index: reads by _id only
            found = [s for s in self.store.institution_slots(q["institution_id"], max(start, now), end)
                     if s["status"] == "open" and service in (None, s["service"])]
            found = found[:q.get("limit", 500)]
        elif q.get("region"):
            flt["region"] = q["region"]
            found = self.store.slots(flt, limit=q.get("limit", 500))
        else:
            raise ValidationFailed("请指定机构或地区", {"institution_id": ["必填"]})
        insts, items = {}, []
        for s in found:
            if s["institution_id"] not in insts:
                insts[s["institution_id"]] = self.store.institution(s["institution_id"])
            inst = insts[s["institution_id"]]
            if inst and domain.is_bookable(inst):
                policy = self.flows.policy(inst["region"], s["start"])
                items.append(views.slot_view(s, now, policy, inst))
        return {"items": items, "next_cursor": None}

    # bookings ----------------------------------------------------------------------------------
    @rpc
    def book(self, actor, body):
        authz.require_actor(actor)
        return self.flows.book(actor, load(schemas.Book(), body))

    @rpc
    def booking(self, actor, booking_id):
        flows = self.flows
        b = flows.booking(booking_id)
        self._require_reader(flows.extend_actor(actor, b["person_id"]), b)
        return views.booking_view(b, self.store.institution(b["institution_id"]))

    @rpc
    def act(self, actor, booking_id, action, body=None):
        """confirm, cancel, check_in, complete, mark_no_show, approve, reject, rate."""
        authz.require_actor(actor)
        body = body or {}
        if action == "complete":
            data = load(schemas.Complete(), body)
        elif action == "rate":
            data = load(schemas.Rate(), body)
        else:
            data = load(schemas.Reason(), body)
        return self.flows.act(actor, booking_id, action, reason=data.get("reason"), data=data)

    @rpc
    def reschedule(self, actor, booking_id, body):
        authz.require_actor(actor)
        data = load(schemas.Reschedule(), body)
        return self.flows.reschedule(actor, booking_id, data["slot_id"])

    @rpc
    def person_bookings(self, actor, person_id):
        actor = self.flows.extend_actor(actor, person_id)
        authz.require_actor(actor)
        if authz.is_citizen(actor):
            authz.require_person(actor, person_id)
        docs = sorted((b for b in self.store.person_bookings(person_id)
                       if self._may_read(actor, b)), key=lambda b: b["start"], reverse=True)[:200]
        insts = {}
        for b in docs:
            insts.setdefault(b["institution_id"], self.store.institution(b["institution_id"]))
        return {"items": [views.booking_view(b, insts[b["institution_id"]]) for b in docs],
                "next_cursor": None}

    @rpc
    def person_summary(self, actor, person_id):
        items = self.person_bookings(actor, person_id)["items"]
        waiting = [views.waitlist_view(e) for e in self.store.waitlist(
            {"person_id": person_id, "status": {"$in": list(domain.waitlist.OPEN_STATES)}})]
        return {"bookings": items[:20], "waitlist": waiting if authz.is_citizen(actor) or items
                else []}

    @staticmethod
    def _may_read(actor, b):
        if authz.is_citizen(actor):
            return b["person_id"] in actor.get("person_ids", [])
        if "institution_staff" in actor.get("roles", []) and actor.get("institution_id"):
            if actor["institution_id"] == b["institution_id"]:
                return True
        return authz.is_staff(actor) and actor.get("region") == b.get("region") and bool(
            set(actor.get("roles", [])) - {"institution_staff"})

    def _require_reader(self, actor, b):
        authz.require_actor(actor)
        if not self._may_read(actor, b):
            raise Forbidden("您无权查看该预约")

    # waitlist ----------------------------------------------------------------------------------
    @rpc
    def join_waitlist(self, actor, body):
        authz.require_actor(actor)
        return entries.join_waitlist(self.flows, actor, load(schemas.Waitlist(), body))

    @rpc
    def withdraw_waitlist(self, actor, entry_id):
        flows = self.flows
        entry = self.store.waitlist_entry(entry_id)
        if entry is None:
            raise ValidationFailed("没有找到该候补", {"id": [entry_id]})
        flt, update = domain.waitlist.withdraw(entry, flows.extend_actor(actor, entry["person_id"]),
                                               flows.now())
        return views.waitlist_view(flows.move_waitlist(flt, update, "withdraw", actor) or entry)

    # staff ---------------------------------------------------------------------------------------
    @rpc
    def save_institution(self, actor, body):
        authz.require_staff(actor, roles=("county_dpf", "institution_staff"))
        return self.flows.save_institution(actor, load(schemas.Institution(), body))

    @rpc
    def create_schedule(self, actor, body):
        authz.require_staff(actor, roles=("county_dpf", "institution_staff"))
        return self.flows.create_schedule(actor, load(schemas.Schedules(), body))

    @rpc
    def close_slot(self, actor, slot_id, body):
        authz.require_staff(actor, roles=("county_dpf", "institution_staff"))
        return self.flows.close_slot(actor, slot_id, load(schemas.Reason(), body).get("reason"))

    @rpc
    def day_bookings(self, actor, query):
        authz.require_staff(actor, roles=("county_dpf", "institution_staff"))
        q = load(schemas.DayQuery(), query)
        return measures.day_bookings(self.store, actor, q)

    @rpc
    def queue(self, actor, filters):
        authz.require_staff(actor)
        return measures.queue(self.store, actor, filters or {})

    @rpc
    def dashboard(self, actor, region):
        authz.require_staff(actor)
        return measures.dashboard(self.store, region)

    @rpc
    def audit_trail(self, actor, entity_id):
        authz.require_staff(actor)
        return outbox.audit_trail(self.store.db, entity_id)

    @rpc
    def health(self):
        return self.store.ping()

    @rpc
    def seed_demo(self, region):
        """Development only (DEV_MODE): designated institutions with two weeks of slots."""
        if str(self.config.get("DEV_MODE", "false")).lower() != "true":
            raise Forbidden("仅限开发环境")
        return demo.seed(self.flows, region)

    # events consumed -----------------------------------------------------------------------------
    @event_handler("certificate", "issued")
    @idempotent_handler
    def on_certificate_issued(self, payload):
        self._certificate(payload)

    @event_handler("certificate", "changed")
    @idempotent_handler
    def on_certificate_changed(self, payload):
        self._certificate(payload)

    @event_handler("certificate", "renewed")
    @idempotent_handler
    def on_certificate_renewed(self, payload):
        self._certificate(payload)

    @event_handler("certificate", "replaced")
    @idempotent_handler
    def on_certificate_replaced(self, payload):
        self._certificate(payload)

    @event_handler("certificate", "transferred")
    @idempotent_handler
    def on_certificate_transferred(self, payload):
        self._certificate(payload)

    @event_handler("certificate", "cancelled")
    @idempotent_handler
    def on_certificate_cancelled(self, payload):
        current = (self.store.person(payload["person_id"]) or {}).get("certificate") or {}
        if current.get("id") in (None, payload.get("certificate_id")):
            self._certificate(dict(payload, status="cancelled"))

    def _certificate(self, p):
        fact = {"id": p.get("certificate_id"), "status": p.get("status") or "valid",
                "category": p.get("category"), "grade": p.get("grade"),
                "severe": p.get("severe"), "region": p.get("region"),
                "valid_until": p.get("valid_until")}
        self.store.set_person_fact(p["person_id"], "certificate", fact, _occurred(p))

    @event_handler("subsidy", "household_status_changed")
    @idempotent_handler
    def on_household_status(self, payload):
        self.store.set_person_fact(payload["person_id"], "household_status",
                                   payload.get("status") or "none", _occurred(payload))

    @event_handler("identity", "person_died")
    @idempotent_handler
    def on_person_died(self, payload):
        self.store.set_person_fact(payload["person_id"], "deceased", True, _occurred(payload))
        self.flows.person_died(payload["person_id"])

    # timers ------------------------------------------------------------------------------------
    @timer(interval=SWEEP_SECONDS)
    def sweep(self):
        self.flows.sweep()

    @timer(interval=2)
    def settle_slot_counters(self):
        """The slots changed lately (a small list): their counters settle within seconds."""
        self.flows.recount_slots()

    @timer(interval=300, eager=True)
    def repair(self):
        self.flows.repair()

    @timer(interval=5)
    def relay_outbox(self):
        self.outbox.sweep(self.store.db)


def _occurred(payload):
    try:
        return utc(dt.datetime.fromisoformat(payload["occurred_at"]))
    except (KeyError, TypeError, ValueError):
        return dt.datetime.now(dt.timezone.utc)
