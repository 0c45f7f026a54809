"""Entry points for doing the task: set out, check in/out, two-sided ratings, complaints.

Mixed into ``VolunteerService`` (nameko collects inherited entry points). Each state change is
one conditional update of the task with its audit record and the citizen's notification; the
volunteer's hours, load and rating follow through ``Dispatcher.followups``.
"""
from services.common import authz, outbox
from services.common.errors import Conflict
from services.common.ids import new_id
from services.common.rpc import load, rpc
from services.volunteer import domain, events, notices, schemas, views
from services.volunteer.dispatch import audit_entry, as_task

STEP_EVENTS = {"set_out": events.task_on_the_way, "check_in": events.task_started,
               "check_out": events.task_completed}


class ExecutionMixin:
    def _roles_on(self, actor, doc):
        authz.require_actor(actor)
        vol = self.store.volunteer_by_account(actor.get("account_id")) if authz.is_citizen(actor) else None
        return domain.task_roles(actor, as_task(doc), vol["_id"] if vol else None), vol

    @rpc
    def task_step(self, actor, task_id, step):
        """``set_out`` (on the way), ``check_in``, ``check_out`` by the assigned volunteer.

        Checking out before checking in → 409 NOT_CHECKED_IN and nothing changes."""
        doc = self._task(task_id)
        roles, vol = self._roles_on(actor, doc)
        if doc.get("volunteer_id") and "volunteer" in roles and (not vol or vol["_id"] != doc["volunteer_id"]):
            roles = roles - {"volunteer"}
        now = self.store.clock.now()
        task = as_task(doc)
        decide = {"set_out": domain.set_out, "check_in": domain.check_in, "check_out": domain.check_out}[step]
        decision = decide(task, roles, now)
        after = dict(task, **decision["set"])
        name = views.decrypt(self.pii, vol.get("name_enc")) if vol else None
        entries = [audit_entry(actor, task_id, decision["audit"], now, step=step)]
        entries += notices.entries(*STEP_EVENTS[step](after, name), now)
        updated = self.store.transition("tasks", doc, decision["guard"], dict(decision["set"], followup_at=now), entries)
        if updated is None:
            raise Conflict("任务状态已变化，请刷新后重试", code="ILLEGAL_TRANSITION")
        self.outbox.flush(self.store.db.tasks, task_id)
        self.dispatcher.followups(updated, now)
        return domain.task_view_for_volunteer(views.task_with_phone(updated, self.pii), updated.get("volunteer_id"))

    @rpc
    def rate_task(self, actor, task_id, body):
        """Both sides rate 1–5 once after completion (citizen → the volunteer's rating)."""
        data = load(schemas.Rate(), body)
        doc = self._task(task_id)
        roles, _ = self._roles_on(actor, doc)
        rater = "citizen" if "requester" in roles else "volunteer"
        now = self.store.clock.now()
        decision = domain.rate(as_task(doc), rater, roles, data["stars"], now, data.get("comment"))
        entry = outbox.audit(actor, task_id, "rate", doc["status"], doc["status"], now,
                             data={"rater": rater, "stars": data["stars"]})
        if not self.store.claim("rate:%s:%s" % (task_id, rater), None):
            raise Conflict("您已评价过该任务", code="ALREADY_RATED")
        updated = self.store.update("tasks", task_id, decision["guard"], dict(decision["set"], followup_at=now), [entry])
        if updated is None:
            raise Conflict("您已评价过该任务", code="ALREADY_RATED")
        self.outbox.flush(self.store.db.tasks, task_id)
        self.dispatcher.followups(updated, now)
        return {"id": task_id, "rater": rater, "stars": data["stars"]}

    @rpc
    def complain(self, actor, task_id, body):
        """One side complains about the other → an open complaint for the region's coordinator."""
        data = load(schemas.Complain(), body)
        doc = self._task(task_id)
        roles, _ = self._roles_on(actor, doc)
        now = self.store.clock.now()
        complaint = domain.new_complaint(dict(as_task(doc), id=task_id), roles, data["reason"], now)
        cid = new_id("vc")
        complaint.update(_id=cid, _outbox=[outbox.audit(actor, cid, "file", None, "open", now,
                                                        data={"task_id": task_id, "against": complaint["against"]})])
        self.store.insert_complaint(complaint)
        self.outbox.flush(self.store.db.complaints, cid)
        return views.complaint_view(self.store.complaint(cid))
