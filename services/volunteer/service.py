"""Volunteer service (助残志愿服务): registration, requests, matching in waves, first accept wins,
execution, ratings, complaints, pairs. Thin entry points over the pure domain (domain.py) and
the store; matching and the offer sweep run in dispatch.py. See docs/volunteer-service.md.
"""
import datetime as dt
import logging
import time

import eventlet

from nameko.events import event_handler
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common import authz, outbox
from services.common.crypto import PersonalData
from services.common.errors import Conflict, Forbidden, NotFound, ServiceError
from services.common.ids import new_id
from services.common.mongo import DuplicateKeyError, Mongo, without_id
from services.common.outbox import idempotent_handler
from services.common.rpc import RpcProxy, load, rpc
from services.common.sweeps import SWEEP_SECONDS
from services.volunteer import domain, events, notices, schemas, tasks, views
from services.volunteer.dispatch import SYSTEM, Dispatcher, audit_entry, as_task
from services.volunteer.execution_flow import ExecutionMixin
from services.volunteer.staff_flow import StaffMixin
from services.volunteer.store import VolunteerStore, escort_task_id

log = logging.getLogger(__name__)


class Pii(DependencyProvider):
    def setup(self):
        self.value = PersonalData.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.value


class VolunteerService(ExecutionMixin, StaffMixin):
    name = "volunteer"
    store = Mongo(VolunteerStore)
    outbox = outbox.Outbox("tasks", "volunteers", "complaints", "pairs")
    pii = Pii()
    identity = RpcProxy("identity")

    @property
    def dispatcher(self):
        return Dispatcher(self.store, self.outbox)

    # volunteers ---------------------------------------------------------------------------------------
    @rpc
    def register(self, actor, body):
        """A WeChat account registers as a volunteer → {id, status: pending}."""
        authz.require_actor(actor)
        if not authz.is_citizen(actor):
            raise Forbidden("请使用微信小程序注册志愿者")
        data = load(schemas.RegisterVolunteer(), body)
        profile = domain.validate_profile(data)
        if self.store.volunteer_by_account(actor["account_id"]):
            raise Conflict("您已注册为志愿者", code="ALREADY_REGISTERED")
        me = self.identity.me(actor)
        person = me.get("person") or {}
        now = self.store.clock.now()
        # a key filed by a registration that died before its insert is taken over here
        vid = self.store.volunteer_id_for_account(actor["account_id"], new_id("vol"))
        name = person.get("name") or data.get("name")
        doc = dict(profile, _id=vid, account_id=actor["account_id"], person_id=person.get("id"),
                   name_enc=self.pii.encrypt(name) if name else None,
                   phone_enc=self.pii.encrypt(data["phone"]) if data.get("phone") else None,
                   real_name_verified=bool(person.get("name")), created_at=now, logged_minutes=0,
                   rating_sum=0, rating_count=0, upheld_complaints=0, upheld_since_review=0,
                   upheld_complaint_ids=[], active_task_ids=[], accepted_count=0, completed_count=0,
                   stars=0, version=0, _outbox=[outbox.audit(actor, vid, "register", None, "pending", now)])
        try:
            self.store.insert_volunteer(doc)
        except DuplicateKeyError:
            raise Conflict("您已注册为志愿者", code="ALREADY_REGISTERED")
        self.outbox.flush(self.store.db.volunteers, vid)
        return {"id": vid, "status": "pending"}

    def _my_volunteer(self, actor, required=True):
        authz.require_actor(actor)
        vol = self.store.volunteer_by_account(actor.get("account_id")) if authz.is_citizen(actor) else None
        if vol is None and required:
            raise NotFound("您还没有注册为志愿者", code="NOT_A_VOLUNTEER")
        return vol

    @rpc
    def my_profile(self, actor):
        return views.volunteer_view(self._my_volunteer(actor), self.pii)

    @rpc
    def volunteer_profile(self, account_id):
        """Internal (identity's GET /me may show it): the account's volunteer profile or None."""
        vol = self.store.volunteer_by_account(account_id)
        return views.volunteer_view(vol, self.pii) if vol else None

    @rpc
    def my_offers(self, actor, filters=None):
        vol = self._my_volunteer(actor)
        status = (filters or {}).get("status") or "pending"
        statuses = ("pending", "accepted", "declined", "expired", "taken", "withdrawn") if status == "all" else (status,)
        offers = self.store.offers_for_volunteer(vol["_id"], statuses)
        now = self.store.clock.now()
        if status == "pending":
            offers = [o for o in offers if o["expires_at"] > now]
        tasks = self.store.tasks_by_ids({o["task_id"] for o in offers})
        return {"items": [views.offer_row(o, tasks[o["task_id"]]) for o in offers if o["task_id"] in tasks],
                "next_cursor": None}

    @rpc
    def my_tasks(self, actor):
        vol = self._my_volunteer(actor)
        return {"items": [domain.task_view_for_volunteer(views.task_with_phone(t, self.pii), vol["_id"])
                          for t in self.store.tasks_for_volunteer(vol["_id"])], "next_cursor": None}

    # requests -----------------------------------------------------------------------------------------
    @rpc
    def create_request(self, actor, body):
        """A citizen asks for help for themself or a ward → 201 the request."""
        authz.require_actor(actor)
        if not authz.is_citizen(actor):
            raise Forbidden("工作人员请使用热线需求登记")
        data = load(schemas.HelpRequest(), body)
        if data["person_id"] not in actor.get("person_ids", []) and not self.identity.may_act_for(
                actor["account_id"], data["person_id"]):
            raise Forbidden("您只能为本人或被监护人申请", {"person_id": data["person_id"]})
        actor = dict(actor, person_ids=list(actor.get("person_ids", [])) + [data["person_id"]])
        return self._create(actor, body, data, "citizen")

    @rpc
    def create_staff_request(self, actor, body):
        """Staff record a need (12385 hotline, walk-in, visit) → 201 the request."""
        authz.require_staff(actor, roles=tasks.STAFF_CREATORS)
        data = load(schemas.StaffRequest(), body)
        return self._create(actor, body, data, "staff", urgent=data.get("urgent"))

    def _create(self, actor, raw, data, source, urgent=False, task_id=None):
        now = self.store.clock.now()
        fields = dict(raw, location=raw.get("location"))
        fields.pop("urgent", None)
        task = domain.validate_request(fields, now, source)
        domain.check_can_create(actor, task)
        tid = task_id or new_id("vt")
        phone = task.pop("contact_phone", None)
        doc = dict(task, _id=tid, contact_phone_enc=self.pii.encrypt(phone) if phone else None,
                   declined_ids=[], timed_out_ids=[], released_ids=[], current_wave=0,
                   created_by={"kind": actor.get("kind"), "id": actor.get("account_id") or actor.get("staff_id")},
                   urgent=bool(urgent), followup_at=now, version=0,
                   _outbox=[outbox.audit(actor, tid, "create", None, "open", now, data={"source": source})])
        self.store.insert_task(doc)
        self.outbox.flush(self.store.db.tasks, tid)
        self.dispatcher.start(self.store.task(tid), now, urgent=urgent)
        if actor is SYSTEM:
            return tid
        return self._request_view(actor, self.store.task(tid))

    @rpc
    def get_request(self, actor, request_id):
        authz.require_actor(actor)
        doc = self.store.task(request_id)
        if doc is None:
            raise NotFound("没有找到这条服务需求")
        return self._request_view(actor, doc)

    def _request_view(self, actor, doc):
        if authz.is_staff(actor):
            if domain.task_roles(actor, as_task(doc)):
                return views.staff_request_view(doc, self.pii)
            raise Forbidden("只能查看本辖区的服务需求")
        if doc["person_id"] in (actor.get("person_ids") or ()) or self.identity.may_act_for(
                actor["account_id"], doc["person_id"]):
            return views.citizen_request_view(doc, self.store.volunteer(doc.get("volunteer_id")), self.pii)
        vol = self.store.volunteer_by_account(actor.get("account_id"))
        if vol and (doc.get("volunteer_id") == vol["_id"] or any(
                o["volunteer_id"] == vol["_id"] for o in self.store.offers_of_task(doc["_id"]))):
            return domain.task_view_for_volunteer(views.task_with_phone(doc, self.pii), vol["_id"])
        raise Forbidden("您无权查看这条服务需求")

    @rpc
    def cancel_request(self, actor, request_id, body):
        """The requester (or a coordinator of the region) cancels a request that is not done."""
        data = load(schemas.Reason(), body)
        doc = self._task(request_id)
        roles = domain.task_roles(actor, as_task(doc))
        return self._cancel(actor, doc, roles, data.get("reason") or "申请人取消")

    def _cancel(self, actor, doc, roles, reason):
        now = self.store.clock.now()
        task = as_task(doc)
        audit = domain.transition_task(task, "cancel", roles, now, reason)
        after = dict(task, status="cancelled")
        accounts = self.dispatcher.accounts([doc["volunteer_id"]]) if doc.get("volunteer_id") else {}
        entries = [audit_entry(actor, doc["_id"], audit, now)]
        entries += notices.entries(*events.task_cancelled(after, audit["role"], reason), now, accounts)
        updated = self.store.transition("tasks", doc, {"status": doc["status"]},
                                    {"status": "cancelled", "cancelled_at": now, "cancel_reason": reason,
                                     "wave_expires_at": None, "alert": None, "followup_at": now}, entries)
        if updated is None:
            raise Conflict("需求状态已变化，请刷新后重试", code="ILLEGAL_TRANSITION")
        self.outbox.flush(self.store.db.tasks, doc["_id"])
        self.dispatcher.followups(updated, now)
        return {"id": doc["_id"], "status": "cancelled"}

    def _task(self, task_id):
        doc = self.store.task(task_id)
        if doc is None:
            raise NotFound("没有找到这条服务需求")
        return doc

    # offers: first accept wins ----------------------------------------------------------------------
    def _my_offer(self, actor, offer_id):
        vol = self._my_volunteer(actor)
        offer = self.store.offer(offer_id)
        if offer is None:
            raise NotFound("没有找到这条服务邀请")
        return vol, offer

    @rpc
    def accept_offer(self, actor, offer_id):
        """One claimed conditional update on the task decides: a later accept gets 409 TASK_TAKEN."""
        for _ in range(4):
            result = self._try_accept(actor, offer_id)
            if result is not None:
                return result
        raise Conflict("任务状态正在变化，请稍后重试", code="TASK_BUSY")

    def _try_accept(self, actor, offer_id):
        vol, offer = self._my_offer(actor, offer_id)
        if vol.get("status") != "active":   # suspended since the offer went out
            raise Forbidden("您的志愿者资格已暂停，不能接单", code="VOLUNTEER_NOT_ACTIVE")
        now = self.store.clock.now()
        doc = self._task(offer["task_id"])
        decision = domain.accept_offer(as_task(doc), dict(without_id(offer)), vol["_id"], now)
        if decision["action"] == "already_yours":
            return self._accepted_view(doc, vol)
        set_ = dict(decision["set"], accepted_offer_id=offer["_id"], alert=None, followup_at=now,
                    response_seconds=int((now - (doc.get("matching_started_at") or now)).total_seconds()))
        after = dict(as_task(doc), **set_)
        name = views.decrypt(self.pii, vol.get("name_enc"))
        entries = [audit_entry(actor, doc["_id"], decision["audit"], now, offer_id=offer["_id"], volunteer_id=vol["_id"])]
        entries += notices.entries(*events.task_accepted(after, name), now)
        updated = self.store.transition("tasks", doc, decision["guard"], set_, entries)
        if updated is None:
            current = self._moved_on(doc)
            if current is None or current["status"] == "offering":
                return None  # another transition (e.g. the next wave) is in flight: look again
            if domain.explain_failed_accept(as_task(current), vol["_id"]) == "already_yours":
                return self._accepted_view(current, vol)
            raise Conflict("该任务已被其他志愿者接单", code="TASK_TAKEN")
        self.outbox.flush(self.store.db.tasks, doc["_id"])
        self.dispatcher.followups(updated, now)
        return self._accepted_view(updated, vol)

    def _moved_on(self, doc, seconds=3.0):
        """After a missed claim: the task once the other transition has been written (or None)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            current = self.store.task(doc["_id"])
            if (current.get("version") or 0) != (doc.get("version") or 0):
                return current
            eventlet.sleep(0.05)
        return None

    def _accepted_view(self, doc, vol):
        return domain.task_view_for_volunteer(views.task_with_phone(doc, self.pii), vol["_id"])

    @rpc
    def decline_offer(self, actor, offer_id, body):
        """A decline keeps the volunteer out of this task's later waves, nothing else."""
        data = load(schemas.Reason(), body)
        vol, offer = self._my_offer(actor, offer_id)
        now = self.store.clock.now()
        decision = domain.decline_offer(without_id(offer), vol["_id"], now, data.get("reason"))
        if self.store.set_offer(offer["_id"], decision["offer_guard"], decision["offer_set"]) is None:
            raise Conflict("这条邀请的状态已变化，请刷新", code="ILLEGAL_TRANSITION")
        entry = outbox.audit(actor, offer["task_id"], "decline", "pending", "declined", now, data.get("reason"),
                             data={"offer_id": offer["_id"], "volunteer_id": vol["_id"]})
        doc = self.store.update("tasks", offer["task_id"], None, None, [entry],
                                addToSet={"declined_ids": vol["_id"]})
        self.outbox.flush(self.store.db.tasks, offer["task_id"])
        if doc is not None:
            self.dispatcher.advance(doc, now)  # everyone in the wave said no → next wave at once
        return {"id": offer["_id"], "status": "declined"}

    # events from other services -------------------------------------------------------------------
    @event_handler("rehab_booking", "escort_requested")
    @idempotent_handler
    def on_escort_requested(self, payload):
        tid = escort_task_id(payload.get("dedupe_key") or payload.get("booking_id") or payload.get("event_id"))
        if self.store.task(tid):
            return
        raw = domain.request_from_escort_event(payload)
        try:
            self._create(SYSTEM, raw, raw, "rehab_escort", task_id=tid)
        except DuplicateKeyError:
            return
        except ServiceError as exc:  # the booking's data does not make a valid task: say why, no PII
            log.warning("escort request %s refused: %s %s", payload.get("booking_id"), exc.code,
                        sorted((exc.details or {}).keys()))

    @event_handler("rehab_booking", "escort_cancelled")
    @idempotent_handler
    def on_escort_cancelled(self, payload):
        doc = self.store.task(escort_task_id(payload.get("escort_dedupe_key") or payload.get("booking_id")))
        if doc and doc["status"] not in tasks.TERMINAL and doc["status"] != "in_progress":
            self._cancel(SYSTEM, doc, {"system"}, payload.get("reason") or "康复预约已取消")

    @event_handler("identity", "person_died")
    @idempotent_handler
    def on_person_died(self, payload):
        for doc in self.store.open_tasks_for_person(payload["person_id"]):
            if doc["status"] != "in_progress":
                try:
                    self._cancel(SYSTEM, doc, {"system"}, "服务对象已故")
                except Conflict:
                    pass
        self.store.db.pairs.update_many({"person_id": payload["person_id"]}, {"$set": {"status": "ended"}})

    # platform -----------------------------------------------------------------------------------------
    @rpc
    def health(self):
        return self.store.ping()

    @rpc
    def audit_trail(self, actor, entity_id):
        authz.require_staff(actor)
        return outbox.audit_trail(self.store.db, entity_id)

    @timer(interval=5)
    def relay_outbox(self):
        self.outbox.sweep(self.store.db)

    @timer(interval=SWEEP_SECONDS)
    def sweep_offers(self):
        """Expired waves → the next wave or unmatched (claimed by a conditional update, so
        replicas never send a wave twice); unfinished follow-ups are completed."""
        now = self.store.clock.now()
        self.dispatcher.sweep(now)
        self.complaint_repairs(now - dt.timedelta(seconds=5))
