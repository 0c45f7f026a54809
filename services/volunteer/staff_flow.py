"""Coordinator entry points: verify/suspend/reinstate volunteers, complaints (three upheld →
suspended), pairs (结对), reopen/cancel needs, the need board, the work queue, the dashboard and
the person-file section. Mixed into ``VolunteerService``.
"""
import collections
import datetime as dt
import statistics

from services.common import authz, outbox, regions
from services.common.clock import iso
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.mongo import without_id
from services.common.rpc import load, rpc
from services.volunteer import domain, events, notices, schemas, views
from services.volunteer.dispatch import SYSTEM, audit_entry, as_task
from services.volunteer.profile import skill_name
from services.volunteer.settings import load_settings

COORD = ("volunteer_coordinator",)
READERS = ("volunteer_coordinator", "street_officer", "county_dpf", "auditor")
VERIFY_OVERDUE = dt.timedelta(days=3)
COMPLAINT_OVERDUE = dt.timedelta(days=7)


class StaffMixin:
    # volunteers' life cycle ---------------------------------------------------------------------
    @rpc
    def volunteer_action(self, actor, volunteer_id, action, body):
        """verify · reject · suspend · reinstate (coordinator of the volunteer's home region)."""
        authz.require_staff(actor, roles=COORD)
        data = load(schemas.Reason(), body)
        vol = self.store.volunteer(volunteer_id)
        if vol is None:
            raise NotFound("没有找到这位志愿者")
        now = self.store.clock.now()
        audit = domain.transition_volunteer(without_id(vol), action, domain.volunteer_roles(actor, vol), now,
                                            data.get("reason"))
        return self._move_volunteer(actor, vol, audit, now)

    def _move_volunteer(self, actor, vol, audit, now):
        set_ = {"status": audit["to"], "status_reason": audit.get("reason"), "status_at": now}
        set_.update(audit.get("reset") or {})
        if audit["action"] == "verify":
            set_["verified_at"] = now
        after = dict(without_id(vol), **set_)
        entries = [audit_entry(actor, vol["_id"], audit, now)]
        if audit["to"] == "active" and audit["action"] == "verify":
            entries += notices.entries(*events.volunteer_verified(after), now, {vol["_id"]: vol["account_id"]})
        if audit["to"] == "suspended":
            entries += notices.entries(*events.volunteer_suspended(after, audit.get("reason")), now,
                                       {vol["_id"]: vol["account_id"]})
        updated = self.store.transition("volunteers", vol, {"status": audit["from"]}, set_, entries)
        if updated is None:
            raise Conflict("志愿者状态已变化，请刷新后重试", code="ILLEGAL_TRANSITION")
        self.outbox.flush(self.store.db.volunteers, vol["_id"])
        return views.volunteer_view(updated, self.pii, full=False)

    # complaints -------------------------------------------------------------------------------------
    @rpc
    def decide_complaint(self, actor, complaint_id, body):
        authz.require_staff(actor, roles=COORD)
        data = load(schemas.ComplaintDecision(), body)
        c = self.store.complaint(complaint_id)
        if c is None:
            raise NotFound("没有找到这条投诉")
        roles = set(actor.get("roles") or ()) if (actor.get("region") == c["region"] or "admin" in actor["roles"]) else set()
        now = self.store.clock.now()
        d = domain.decide_complaint(without_id(c), data["action"], roles, now, data["reason"])
        set_ = dict(d["set"], followup_at=now) if d.get("volunteer_inc") else d["set"]
        if not self.store.claim("c:%s" % complaint_id, None):
            raise Conflict("这条投诉已处理", code="ILLEGAL_TRANSITION")
        updated = self.store.update("complaints", complaint_id, d["guard"], set_, [audit_entry(actor, complaint_id, d["audit"], now)])
        if updated is None:
            self.store.release("c:%s" % complaint_id)
            raise Conflict("这条投诉已处理", code="ILLEGAL_TRANSITION")
        self.outbox.flush(self.store.db.complaints, complaint_id)
        if d.get("volunteer_inc"):
            self._complaint_followup(updated, now)
        vol = self.store.volunteer(c["volunteer_id"])
        return dict(views.complaint_view(self.store.complaint(complaint_id)),
                    volunteer_status=vol["status"] if vol else None,
                    volunteer_upheld_since_review=(vol or {}).get("upheld_since_review", 0))

    def _complaint_followup(self, complaint, now):
        """Count the upheld complaint once; at the threshold suspend pending review (system)."""
        vol = self.store.count_upheld_once(complaint["volunteer_id"], complaint["_id"]) or \
            self.store.volunteer(complaint["volunteer_id"])
        audit = domain.suspension_due(without_id(vol), now) if vol else None
        if audit:
            try:
                self._move_volunteer(SYSTEM, vol, audit, now)
            except Conflict:
                pass  # moved by someone else meanwhile
        self.store.db.complaints.update_one({"_id": complaint["_id"]}, {"$unset": {"followup_at": ""}})

    def complaint_repairs(self, before):
        for c in self.store.db.complaints.find({"followup_at": {"$lte": before}}).limit(50):
            self._complaint_followup(c, self.store.clock.now())

    # pairs and needs ----------------------------------------------------------------------------------
    @rpc
    def create_pair(self, actor, body):
        """A coordinator pairs a volunteer with a person (结对): their needs go to the pair first."""
        authz.require_staff(actor, roles=COORD)
        data = load(schemas.Pair(), body)
        vol = self.store.volunteer(data["volunteer_id"])
        if vol is None:
            raise NotFound("没有找到这位志愿者")
        now = self.store.clock.now()
        pair = domain.new_pair(data["person_id"], without_id(vol), data.get("skills"),
                               domain.volunteer_roles(actor, vol), now)
        pair["_outbox"] = [outbox.audit(actor, "%s|%s" % (pair["person_id"], vol["_id"]), "pair", None, "active", now)]
        doc = self.store.upsert_pair(pair)
        self.outbox.flush(self.store.db.pairs, doc["_id"])
        return {"id": doc["_id"], "person_id": doc["person_id"], "volunteer_id": doc["volunteer_id"],
                "skills": doc.get("skills"), "status": doc["status"], "since": iso(doc["since"])}

    @rpc
    def staff_request_action(self, actor, request_id, action, body):
        """``cancel`` (any open need) or ``reopen`` (an unmatched one: re-plan without those asked)."""
        authz.require_staff(actor, roles=COORD)
        data = load(schemas.Reason(), body)
        doc = self._task(request_id)
        roles = domain.task_roles(actor, as_task(doc))
        if action == "cancel":
            return self._cancel(actor, doc, roles, data.get("reason"))
        now = self.store.clock.now()
        audit = domain.transition_task(as_task(doc), "reopen", roles, now, data.get("reason"))
        updated = self.store.transition("tasks", doc, {"status": "unmatched"},
                                    {"status": "open", "alert": None, "wave_plan": [], "current_wave": 0,
                                     "current_wave_ids": [], "wave_expires_at": None, "followup_at": now},
                                    [audit_entry(actor, request_id, audit, now)])
        if updated is None:
            raise Conflict("需求状态已变化，请刷新后重试", code="ILLEGAL_TRANSITION")
        self.outbox.flush(self.store.db.tasks, request_id)
        self.dispatcher.start(updated, now, urgent=updated.get("urgent"))
        return views.staff_request_view(self.store.task(request_id), self.pii)

    @rpc
    def board(self, actor, filters=None):
        """The need board (需求看板): open needs of the caller's region, alerts first."""
        authz.require_staff(actor, roles=READERS)
        filters = filters or {}
        status = filters.get("status") or "all"
        statuses = ("open", "offering", "unmatched") if status == "all" else (status,)
        docs = self.store.board(actor["region"], statuses, int(filters.get("limit") or 100))
        docs.sort(key=lambda d: (d.get("alert") != "unmatched", d["when"]))
        return {"items": [views.staff_request_view(d, self.pii) for d in docs], "next_cursor": None}

    # staff queue, dashboard, person file --------------------------------------------------------------
    @rpc
    def queue(self, actor, filters=None):
        """Coordinators' work: unmatched needs (the alert after the last wave), pending
        verifications, open complaints. ``status``: unmatched · pending_verification · complaint."""
        authz.require_staff(actor)
        filters = filters or {}
        if not set(actor.get("roles") or ()) & {"volunteer_coordinator", "admin"}:
            return {"items": [], "next_cursor": None}
        region, limit, now = actor["region"], int(filters.get("limit") or 50), self.store.clock.now()
        kind = filters.get("status")
        items = []
        if kind in (None, "unmatched"):
            items += [{"kind": "unmatched", "id": d["_id"], "since": iso(d.get("unmatched_at") or d["created_at"]),
                       "title": "未匹配：%s" % skill_name(d["skill"]), "when": iso(d["when"]),
                       "overdue": True, "alert": True, "reason": d.get("unmatched_reason")}
                      for d in self.store.board(region, ("unmatched",), limit)]
        if kind in (None, "pending_verification"):
            items += [{"kind": "pending_verification", "id": v["_id"], "since": iso(v["created_at"]),
                       "title": "志愿者注册待审核", "overdue": now - v["created_at"] > VERIFY_OVERDUE}
                      for v in self.store.pending_volunteers(region, limit)]
        if kind in (None, "complaint"):
            items += [{"kind": "complaint", "id": c["_id"], "since": iso(c["created_at"]), "task_id": c["task_id"],
                       "title": "服务投诉待处理", "overdue": now - c["created_at"] > COMPLAINT_OVERDUE}
                      for c in self.store.open_complaints(region, limit)]
        items.sort(key=lambda i: (not i.get("alert"), i["since"]), reverse=False)
        if filters.get("sort") == "newest":
            items.sort(key=lambda i: i["since"], reverse=True)
        return {"items": items[:limit], "next_cursor": None}

    @rpc
    def dashboard(self, actor, region):
        """Registered volunteers per registered population (≥1.5‰, 001) and response time."""
        authz.require_staff(actor)
        regions.validate(region)
        now = self.store.clock.now()
        cfg = load_settings()
        statuses = self.store.volunteer_statuses(region)
        active = statuses["active"]
        population = (cfg.get("registered_population") or {}).get(region)
        per_mille = round(active * 1000 / population, 4) if population else None
        tasks = self.store.region_tasks_brief(region)
        since = now - dt.timedelta(days=30)
        waits = sorted((t["accepted_at"] - t["matching_started_at"]).total_seconds() / 60
                       for t in tasks if t.get("accepted_at") and t["accepted_at"] >= since
                       and t.get("matching_started_at"))
        by_status = collections.Counter(t.get("status") for t in tasks)
        target = cfg.get("volunteers_per_mille_target", 1.5)
        return {
            "registered_volunteers": sum(statuses.values()),
            "active_volunteers": active, "pending_verification": statuses["pending"],
            "registered_population": population, "volunteers_per_mille": per_mille,
            "volunteers_per_mille_target": target, "volunteers_target_met": per_mille is not None and per_mille >= target,
            "response_time_minutes": {"median": round(statistics.median(waits), 1) if waits else None,
                                      "mean": round(statistics.mean(waits), 1) if waits else None,
                                      "accepted_last_30_days": len(waits)},
            "open_needs": by_status["open"] + by_status["offering"],
            "unmatched_needs": by_status["unmatched"],
            "population_is_approximate": True,
        }

    @rpc
    def person_summary(self, actor, person_id):
        """This service's part of the person file (一人一档): the person's help requests."""
        authz.require_actor(actor)
        docs = self.store.tasks_for_person(person_id)
        if authz.is_citizen(actor):
            authz.require_person(actor, person_id)
            return {"requests": [views.citizen_request_view(d, self.store.volunteer(d.get("volunteer_id")), self.pii)
                                 for d in docs]}
        if not authz.is_staff(actor):
            raise Forbidden()
        return {"requests": [views.staff_request_view(d, self.pii) for d in docs
                             if authz.can_read_as_staff(actor, [d["region"]])]}
