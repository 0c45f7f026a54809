"""Sweeps and cascades: hold expiry, reminders, waitlist offers, orphaning, deaths, and the staff
writes on institutions, schedules and slots. Each item is claimed by a conditional update, so
replicas running the same sweep never do one thing twice.
"""
import datetime as dt
import logging

from services.common import outbox
from services.common.errors import Conflict, Forbidden, ServiceError
from services.common.ids import new_id
from services.rehab_booking import domain, orphaning, policy as policy_mod, views
from services.rehab_booking.events import reminder_due
from services.rehab_booking.flows import SYSTEM, Flows, inst_doc
from services.rehab_booking.schedule import can_manage_institution
from services.rehab_booking.states import ORPHANABLE, ORPHANED
from services.rehab_booking.util import utc

log = logging.getLogger(__name__)


def reminder_kinds():
    kinds = set()
    for versions in policy_mod._all_policies().values():
        for p in versions:
            kinds.update(domain.reminders.kinds(p))
    return sorted(kinds)


class Cascades(Flows):
    # sweeps -----------------------------------------------------------------------------------
    def sweep(self):
        """Due work (every SWEEP_SECONDS): holds, reminders, waitlist offers."""
        self._run(self.expire_holds, self.send_reminders, self.offer_waiting,
                  self.close_stale_waitlist)

    def repair(self):
        """Rare (at start and every few minutes): the jobs that only find work after a crash.
        Their queries read all slots and institutions (FerretDB v1 scans for any filter but
        ``_id``), too much to do every 2 s at a city's scale."""
        self._run(self.finish_orphaning)

    @staticmethod
    def _run(*jobs):
        for job in jobs:
            try:
                job()
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                log.exception("rehab sweep %s failed", job.__name__)

    def _each(self, items, fn):
        for item in items:
            try:
                fn(item)
            except Conflict:
                pass                                   # another replica got there first
            except ServiceError as exc:
                log.warning("rehab sweep: %s on %s", exc.code, item.get("_id"))

    def recount_slots(self):
        """The slot counters are a cache of the seat documents: settle recent changes."""
        self.store.recount_recent(self.now() - dt.timedelta(seconds=20))

    def expire_holds(self):
        now = self.now()
        self._each(self.store.due_bookings("expiry", now, lambda b: domain.hold_expired(b, now)),
                   self._expire)

    def _expire(self, b):
        policy = self.policy(b["region"], b["start"])
        tr = domain.transition(b, "expire", SYSTEM, self.now(), policy)
        self.apply(b, tr, SYSTEM, self.institution(b["institution_id"]), policy)

    def send_reminders(self):
        now = self.now()
        kinds = reminder_kinds()
        self._each(self.store.due_bookings("reminders", now, lambda b: any(
            domain.reminders.is_due(b, kind, now) for kind in kinds)), self._remind)

    def _remind(self, b):
        now = self.now()
        policy = self.policy(b["region"], b["start"])
        due = domain.reminders.due_reminders([b], now, policy)
        if not due:
            return
        kind = due[0][1]
        others = [k for k in domain.reminders.kinds(policy) if k != kind
                  and domain.reminders.is_due(b, k, now)]
        flt, update = domain.reminders.claim(b["_id"], kind, now, skip_kinds=others)
        inst = self.institution(b["institution_id"])
        update["$push"] = {"_outbox": {"$each": views.outbox_entries(
            [reminder_due(b, inst, kind)], now) + [outbox.audit(
                SYSTEM, b["_id"], "remind_" + kind, b["status"], b["status"], now)]}}
        if self.store.claim("remind:%s:%s:%s" % (b["_id"], kind, b["start"].isoformat())) \
                and self.store.apply_booking(flt, update):
            self.relay.flush(self.store.db.bookings, b["_id"])

    def offer_waiting(self):
        self._each(self.store.slots_with_waiters(self.now()), lambda s: self.offer_next(s["_id"]))

    def close_stale_waitlist(self):
        now = self.now()
        for e in self.store.waitlist(domain.waitlist.stale_filter(now), limit=200):
            self.move_waitlist({"_id": e["_id"], "status": "waiting"},
                               {"$set": {"status": "closed", "settled_at": now}},
                               action="close", reason="候补日期已过")

    def finish_orphaning(self):
        """Cascades cut short by a crash: closed slots and removed institutions not yet done."""
        self._each(self.store.removed_institutions_pending(), self.orphan_institution)
        self._each(self.store.closed_slots_pending(), self.orphan_slot)

    # orphaning --------------------------------------------------------------------------------
    def close_slot(self, actor, slot_id, reason):
        slot = self.slot(slot_id)
        inst = self.institution(slot["institution_id"])
        decision = domain.close_slot(slot, inst, actor, self.now(), reason)
        self._close(slot, decision, actor)
        return views.slot_view(self.store.slot(slot_id), self.now(),
                               self.policy(inst["region"], slot["start"]), inst)

    def _close(self, slot, d, actor):
        update = {"$set": dict(d["update"]["$set"], orphaning_done=False),
                  "$push": {"_outbox": {"$each": [outbox.audit(
                      actor, slot["_id"], "close", d["from"], d["to"], d["at"], d["reason"])]}}}
        doc = self.store.update_slot(d["filter"], update)
        if doc is None:
            raise Conflict("该时段已关闭", {"slot_id": slot["_id"]}, code="ILLEGAL_TRANSITION")
        self.relay.flush(self.store.db.slots, slot["_id"])
        self.orphan_slot(doc)

    def orphan_slot(self, slot):
        reason = slot.get("closed_reason") or "时段已关闭"
        self._each(self.store.bookings(orphaning.orphanable_filter_for_slot(slot["_id"])),
                   lambda b: self.orphan_booking(b, reason))
        for e in self.store.waitlist({"slot_id": slot["_id"], "status": "waiting"}):
            self.move_waitlist({"_id": e["_id"], "status": "waiting"},
                               {"$set": {"status": "closed", "closed_reason": "slot_closed"}},
                               action="close", reason="slot_closed")
        self.store.update_slot({"_id": slot["_id"], "orphaning_done": False},
                               {"$set": {"orphaning_done": True}})

    def orphan_booking(self, b, reason):
        now = self.now()
        policy = self.policy(b["region"], b["start"])
        tr = domain.transition(b, "orphan", SYSTEM, now, policy, reason=reason)
        alternatives = self.alternatives(b, policy)
        self.apply(b, tr, SYSTEM, self.institution(b["institution_id"]), policy,
                   alternatives=alternatives, extra_set={"alternatives": alternatives})

    def alternatives(self, b, policy):
        now = self.now()
        candidates = self.store.slots(orphaning.candidates_filter(b, now, policy), limit=300)
        ids = {s["institution_id"] for s in candidates} | {b["institution_id"]}
        insts = {i: inst_doc(self.store.institution(i)) for i in ids}
        insts = {k: v for k, v in insts.items() if v}
        return orphaning.rank_alternatives(b, candidates, insts,
                                           self.store.person_active(b["person_id"]), now, policy,
                                           priority=b.get("priority", False))

    def orphan_institution(self, inst):
        inst = inst_doc(inst)
        now = self.now()
        for slot in self.store.slots(domain.slots_to_close_for_removed_institution(inst["id"],
                                                                                    now)):
            d = {"filter": {"_id": slot["_id"], "status": "open"},
                 "update": {"$set": {"status": "closed", "closed_at": now,
                                     "closed_reason": "机构已退出定点"}},
                 "from": "open", "to": "closed", "reason": "机构已退出定点", "at": now}
            try:
                self._close(slot, d, SYSTEM)
            except Conflict:
                pass
        self._each(self.store.bookings(orphaning.orphanable_filter_for_institution(inst["id"],
                                                                                   now)),
                   lambda b: self.orphan_booking(b, "机构已退出定点"))
        self.store.update_institution({"_id": inst["id"], "orphaning_done": False},
                                      {"$set": {"orphaning_done": True}})

    # deaths -----------------------------------------------------------------------------------
    def person_died(self, person_id):
        now = self.now()
        future = [b for b in self.store.person_bookings(person_id)
                  if utc(b["start"]) > utc(now) and b["status"] in set(ORPHANABLE) | {ORPHANED}]
        for b in future:
            actor = {"kind": "staff", "staff_id": "system:person_died", "roles": ["admin"],
                     "region": b["region"]}
            try:
                policy = self.policy(b["region"], b["start"])
                tr = domain.transition(b, "cancel", actor, now, policy, reason="当事人已身故")
                self.apply(b, tr, actor, self.institution(b["institution_id"]), policy,
                           notify=False)
            except ServiceError as exc:
                log.warning("person_died: booking %s not cancelled: %s", b["_id"], exc.code)
        for e in self.store.waitlist({"person_id": person_id,
                                      "status": {"$in": list(domain.waitlist.OPEN_STATES)}}):
            self.move_waitlist({"_id": e["_id"], "status": e["status"]},
                               {"$set": {"status": "closed", "closed_reason": "deceased"}},
                               action="close", reason="deceased")

    # staff writes: institutions and schedules -------------------------------------------------
    def save_institution(self, actor, data):
        now = self.now()
        if data.get("action"):
            return self.designate(actor, data, now)
        existing = self.store.institution(data["id"]) if data.get("id") else None
        fields = {k: v for k, v in data.items() if k not in ("action", "reason")}
        if existing is None:
            roles = set(actor.get("roles", []))
            if not roles & {"county_dpf", "admin"} or actor.get("region") != data.get("region"):
                raise Forbidden("只有本地区的区县残联可以新增定点机构")
            record = domain.validate_institution(dict(fields, id=data.get("id") or new_id("inst"),
                                                      designation="admitted"))
            doc = dict(record, _id=record["id"], created_at=now, updated_at=now,
                       orphaning_done=True, _outbox=[outbox.audit(
                           actor, record["id"], "create", None, "admitted", now)])
            self.store.insert_institution(doc)
            self.relay.flush(self.store.db.institutions, doc["_id"])
            return views.institution_view(doc)
        current = inst_doc(existing)
        if not can_manage_institution(actor, current):
            raise Forbidden("只能管理本机构或本地区的定点机构")
        base = {k: v for k, v in current.items() if not k.startswith("_")}
        record = domain.validate_institution(dict(base, **fields, designation=current[
            "designation"]))
        if record["region"] != current["region"] and actor.get("region") != record["region"]:
            raise Forbidden("只能管理本地区的定点机构")
        doc = self.store.update_institution(
            {"_id": current["id"], "designation": current["designation"]},
            {"$set": dict(record, updated_at=now), "$push": {"_outbox": {"$each": [
                outbox.audit(actor, current["id"], "update", current["designation"],
                             current["designation"], now)]}}})
        if doc is None:
            raise Conflict("机构信息已变化，请刷新后重试", code="ILLEGAL_TRANSITION")
        self.relay.flush(self.store.db.institutions, doc["_id"])
        return views.institution_view(doc)

    def designate(self, actor, data, now):
        if not data.get("id"):
            from services.common.errors import ValidationFailed
            raise ValidationFailed("请指定机构", {"id": ["必填"]})
        inst = self.institution(data["id"])
        tr = domain.designation_transition(inst, data["action"], actor, now, data.get("reason"))
        sets = dict(tr["update"]["$set"])
        if tr["to"] == "removed":
            sets["orphaning_done"] = False
        doc = self.store.update_institution(tr["filter"], {"$set": sets, "$push": {
            "_outbox": {"$each": [outbox.audit(actor, inst["id"], tr["action"], tr["from"],
                                               tr["to"], now, tr["reason"])]}}})
        if doc is None:
            raise Conflict("机构状态已变化，请刷新后重试", code="ILLEGAL_TRANSITION")
        self.relay.flush(self.store.db.institutions, doc["_id"])
        if tr["to"] == "removed":
            self.orphan_institution(doc)
        return views.institution_view(self.store.institution(inst["id"]))

    def create_schedule(self, actor, data):
        inst = self.institution(data["institution_id"])
        if not can_manage_institution(actor, inst):
            raise Forbidden("只能管理本机构的排班")
        now = self.now()
        policy = self.policy(inst["region"], data["from_"])
        templates = [domain.validate_template(t, inst) for t in data["templates"]]
        slots = domain.expand_slots(inst, templates, data["from_"], data["to"], policy,
                                    holidays=data.get("holidays") or (), now=now)
        sid = new_id("sch")
        created = self.store.insert_slots(slots)
        self.store.insert_schedule({
            "_id": sid, "institution_id": inst["id"], "templates": templates,
            "from": data["from_"].isoformat(), "to": data["to"].isoformat(),
            "holidays": [h.isoformat() for h in data.get("holidays") or ()],
            "created_at": now, "slots_created": created,
            "_outbox": [outbox.audit(actor, sid, "create", None, "generated", now,
                                     data={"institution_id": inst["id"], "slots": created})]})
        self.relay.flush(self.store.db.schedules, sid)
        return {"id": sid, "institution_id": inst["id"], "slots_created": created,
                "slots_existing": len(slots) - created, "slot_ids": [s["_id"] for s in slots]}
