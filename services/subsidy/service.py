"""Subsidy service (补贴): policies as data, eligibility with reasons, applications through the
review chain, entitlements, monthly payouts, proactive discovery and dynamic supervision.

Entry points are thin; the rules live in policy.py, rules.py, workflow.py, payments.py,
supervision.py and discovery.py. Money entrypoints: payouts_entry.py; events and the
civil-affairs feed: feeds_entry.py; shared helpers: base.py.
"""
import datetime as dt

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common import authz, outbox, pages, regions
from services.common.crypto import PersonalData
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.mongo import Mongo
from services.common.rpc import RpcProxy, load, rpc
from services.subsidy import policy, rules, schemas, views, workflow
from services.subsidy.base import CATALOGUE, SYSTEM_ACTOR, SubsidyBase, chain_of
from services.subsidy.feeds_entry import FeedEntrypoints
from services.subsidy.payouts_entry import PayoutEntrypoints
from services.subsidy.store import HELD_STATUSES, OUTBOX_COLLECTIONS, SubsidyStore

STEP_OF_ROLE = {role: step for step, role in policy.REVIEW_STEPS.items()}
GRANT_GRACE = dt.timedelta(minutes=2)
READ_ALL_ROLES = {"admin", "auditor"}
COVERAGE = ("living_allowance", "nursing_allowance")


class Settings(DependencyProvider):
    def setup(self):
        self.value = type("Settings", (), {"pii": PersonalData.from_config(self.container.config)})

    def get_dependency(self, worker_ctx):
        return self.value


class SubsidyService(SubsidyBase, FeedEntrypoints, PayoutEntrypoints):
    name = "subsidy"
    store = Mongo(SubsidyStore)
    settings = Settings()
    identity = RpcProxy("identity")
    outbox = outbox.Outbox(*OUTBOX_COLLECTIONS)

    @rpc
    def health(self):
        return self.store.ping()

    @rpc
    def audit_trail(self, actor, entity_id):
        authz.require_staff(actor)
        return outbox.audit_trail(self.store.db, entity_id)

    # catalogue and eligibility ----------------------------------------------------------------
    @rpc
    def policies(self, region):
        region = regions.validate(region)
        today = self.store.clock.today_local()
        return {"region": region, "region_name": regions.name(region),
                "items": policy.active_catalogue(CATALOGUE.get(region, {}), today),
                "next_cursor": None}

    @rpc
    def eligibility(self, actor, person_id, region=None):
        self._require_reader(actor, person_id)
        facts = self._facts(person_id)[0]
        today = self.store.clock.today_local()
        if region:
            region = regions.validate(region)
            out = {"region": region, "results": rules.evaluate_all(
                facts, CATALOGUE.get(region, {}), today)}
        else:
            out = rules.eligibility(facts, CATALOGUE, today)
            out["region"] = out["handling_region"]
        out["region_name"] = regions.name(out["region"])
        out["items"] = out.pop("results")
        out["next_cursor"] = None
        return out

    # applications -----------------------------------------------------------------------------
    @rpc
    def apply(self, actor, body):
        data = load(schemas.Apply(), body)
        if authz.is_citizen(actor):
            authz.require_person(actor, data["person_id"])
        else:   # a window clerk files for the person where they live
            authz.require_staff(actor, region=rules.serving_region(data["residence_region"]))
        doc = self._open_application(actor, data["person_id"], data["policy_code"],
                                     data["residence_region"], data.get("bank_account"),
                                     data.get("bank_name"))
        return views.application_view(doc, self.store.clock.now(), chain_of(doc))

    @rpc
    def application(self, actor, app_id):
        doc = self._load_application(actor, app_id)
        return views.application_view(doc, self.store.clock.now(), chain_of(doc))

    @rpc
    def staff_action(self, actor, app_id, body):
        data = load(schemas.StaffAction(), body)
        authz.require_staff(actor)
        return self._move(actor, self._load_application(actor, app_id), data)

    @rpc
    def citizen_action(self, actor, app_id, body):
        data = load(schemas.CitizenAction(), body)
        doc = self._load_application(actor, app_id)
        authz.require_person(actor, doc["person_id"])
        return self._move(actor, doc, data)

    def _move(self, actor, doc, data):
        now, chain = self.store.clock.now(), chain_of(doc)
        step = workflow.transition(dict(doc, id=doc["_id"]), data["action"], actor, now,
                                   data.get("reason"), chain=chain)
        to, fields = step["changes"]["status"], dict(step["changes"])
        note = step["audit"]["reason"] or ""
        if to in workflow.TERMINAL:
            fields["open_key"] = "closed:" + doc["_id"]
        if to == "approved":   # the entitlement's id is fixed now: granting it is repeatable
            fields.update(entitlement_pending=True, approved_at=now,
                          entitlement_id=self.store.next_entitlement_id(doc["person_id"],
                                                                        doc["policy_code"]))
            note = "自%s起按月发放" % doc["start_month"]
            self.store.grant_pending(doc["_id"])
        elif to in policy.REVIEW_STEPS:
            note = note or "已转%s" % views.STATUS_CN[to]
        entries = [outbox.audit(actor, doc["_id"], data["action"], doc["status"], to, now,
                                reason=step["audit"]["reason"],
                                data={"role": step["audit"]["role"]}),
                   views.notify(doc["person_id"], now, doc["policy_name"][:12] + "申请",
                                views.STATUS_CN[to], note,
                                page=pages.application("subsidy", doc["_id"]))]
        moved = self.store.move_application(doc["_id"], doc["status"], fields, step["audit"],
                                            entries)
        if moved is None:
            if to == "approved":
                self.store.drop_grant_pending(doc["_id"])
            raise Conflict("该申请已被其他人处理，请刷新后再试", code="ILLEGAL_TRANSITION")
        self.outbox.flush(self.store.db.applications, doc["_id"])
        if to == "approved":
            self._grant(moved)
        return views.application_view(self.store.application(doc["_id"]), now, chain)

    def _grant(self, app):
        """The entitlement of an approved application (deterministic id: safe to repeat)."""
        now = self.store.clock.now()
        cert = self.store.person(app["person_id"]).get("certificate") or {}
        pol = CATALOGUE[app["handling_region"]][app["policy_code"]]
        ent_id = app["entitlement_id"]
        self.store.insert_entitlement({
            "_id": ent_id, "held_key": "%s:%s" % (app["person_id"], app["policy_code"]),
            "person_id": app["person_id"], "policy_code": app["policy_code"],
            "policy_name": app["policy_name"], "kind": pol["kind"],
            "region": app["handling_region"], "start_month": app["start_month"],
            "end_month": None, "status": "active", "grade": cert.get("grade"),
            "phase_out_until": None, "application_id": app["_id"],
            "bank_account_enc": app.get("bank_account_enc"), "bank_name": app.get("bank_name"),
            "reasons": [], "history": [], "created_at": now,
            "_outbox": [outbox.audit(SYSTEM_ACTOR, ent_id, "grant", None, "active", now,
                                     data={"application_id": app["_id"]})]})
        self.store.entitlement_created(app["_id"])
        self.outbox.flush(self.store.db.entitlements, ent_id)

    # suggestions ------------------------------------------------------------------------------
    @rpc
    def suggestions(self, actor, person_id):
        self._require_reader(actor, person_id)
        items = [views.suggestion_view(s) for s in self.store.suggestions_for(person_id)
                 if s["status"] == "open"]
        return {"items": items, "next_cursor": None}

    def _suggestion(self, actor, person_id, suggestion_id):
        authz.require_person(actor, person_id)
        sug = self.store.suggestion(suggestion_id)
        if sug is None or sug["person_id"] != person_id:
            raise NotFound("没有找到此提醒", {"suggestion_id": suggestion_id})
        if sug["status"] != "open":
            raise Conflict("此提醒已处理", {"status": sug["status"]}, code="SUGGESTION_CLOSED")
        return sug

    @rpc
    def confirm_suggestion(self, actor, person_id, suggestion_id, body=None):
        data = load(schemas.Confirm(), body or {})
        sug = self._suggestion(actor, person_id, suggestion_id)
        doc = self._open_application(actor, person_id, sug["policy_code"],
                                     data.get("residence_region"), data.get("bank_account"),
                                     data.get("bank_name"), source="suggestion",
                                     suggestion_id=suggestion_id)
        now = self.store.clock.now()
        self.store.move_suggestion(suggestion_id, "open", {
            "status": "confirmed", "application_id": doc["_id"], "closed_at": now},
            [outbox.audit(actor, suggestion_id, "confirm", "open", "confirmed", now,
                          data={"application_id": doc["_id"]})])
        self.outbox.flush(self.store.db.suggestions, suggestion_id)
        return views.application_view(doc, now, chain_of(doc))

    @rpc
    def dismiss_suggestion(self, actor, person_id, suggestion_id, body=None):
        data = load(schemas.Dismiss(), body or {})
        self._suggestion(actor, person_id, suggestion_id)
        now = self.store.clock.now()
        doc = self.store.move_suggestion(suggestion_id, "open", {
            "status": "dismissed", "closed_at": now},
            [outbox.audit(actor, suggestion_id, "dismiss", "open", "dismissed", now,
                          reason=data.get("reason"))])
        if doc is None:
            raise Conflict("此提醒已处理", code="SUGGESTION_CLOSED")
        self.outbox.flush(self.store.db.suggestions, suggestion_id)
        return views.suggestion_view(doc)

    # the person's records ---------------------------------------------------------------------
    @rpc
    def entitlements(self, actor, person_id):
        self._require_reader(actor, person_id)
        return {"items": [views.entitlement_view(e)
                          for e in self.store.entitlements_for(person_id)], "next_cursor": None}

    @rpc
    def payments(self, actor, person_id):
        self._require_reader(actor, person_id)
        return {"items": [views.line_view(ln) for ln in self.store.lines_for(person_id)],
                "next_cursor": None}

    @rpc
    def person_summary(self, actor, person_id):
        self._require_reader(actor, person_id)
        now = self.store.clock.now()
        ents = self.store.entitlements_for(person_id)
        return {"suggestions": [views.suggestion_view(s)
                                for s in self.store.suggestions_for(person_id)
                                if s["status"] == "open"],
                "applications": [views.application_view(a, now, chain_of(a))
                                 for a in self.store.applications_for(person_id)],
                "entitlements": [views.entitlement_view(e) for e in ents],
                "payments": [views.line_view(ln)
                             for ln in self.store.lines_for(person_id, ents)]}

    # staff: queue and dashboard ---------------------------------------------------------------
    @rpc
    def queue(self, actor, filters):
        authz.require_staff(actor)
        region, roles, now = actor["region"], set(actor.get("roles", [])), self.store.clock.now()
        status = (filters or {}).get("status")
        if status == "routed_out":      # filed here, handled by the competent region elsewhere
            docs = self.store.routed_out(region)
        else:
            mine = [s for s, r in policy.REVIEW_STEPS.items() if r in roles or roles & READ_ALL_ROLES]
            if status in policy.REVIEW_STEPS and status not in mine:
                raise Forbidden("您的岗位不处理此环节", {"status": status})
            wanted = mine if status in (None, "overdue") else [status]
            docs = self.store.applications_in(region, wanted)
        items = [views.application_view(d, now, chain_of(d)) for d in docs]
        if status == "overdue":
            items = [i for i in items if i["overdue"]]
        if (filters or {}).get("sort") == "newest":
            items.reverse()
        cursor = str((filters or {}).get("cursor") or "0")
        start = int(cursor) if cursor.isdigit() else 0   # an opaque offset; junk = first page
        limit = int((filters or {}).get("limit") or 50)
        page = items[start:start + limit]
        return {"items": page, "overdue_count": sum(1 for i in items if i["overdue"]),
                "next_cursor": str(start + limit) if start + limit < len(items) else None}

    @rpc
    def dashboard(self, actor, region):
        authz.require_staff(actor)
        if region != actor.get("region") and "admin" not in actor.get("roles", []):
            raise Forbidden("只能查看本辖区的指标", {"region": region})
        today, now = self.store.clock.today_local(), self.store.clock.now()
        pols = CATALOGUE.get(region, {})
        holders = {}
        for e in self.store.entitlements_in(region, HELD_STATUSES):
            holders.setdefault(e["policy_code"], set()).add(e["person_id"])
        coverage = {code: {"eligible": len(holders.get(code, ())),
                           "covered": len(holders.get(code, ()))} for code in COVERAGE}
        for local in self.store.people_in(region):
            held = [c for c, ps in holders.items() if local["_id"] in ps]
            facts = views.build_facts(local, local, held)
            for code in COVERAGE:
                if code in pols and code not in held and local.get("certificate") and \
                        rules.evaluate(facts, pols[code], today)["eligible"]:
                    coverage[code]["eligible"] += 1
        for c in coverage.values():
            c["rate"] = round(c["covered"] / c["eligible"], 4) if c["eligible"] else None
        steps, overdue = {}, 0
        for app in self.store.applications_in(region):
            overdue += workflow.is_overdue(app, now, chain_of(app))
            hist = app.get("history") or []
            for prev, h in zip(hist, hist[1:]):
                if h.get("from") in policy.REVIEW_STEPS and prev.get("at") and h.get("at"):
                    s = steps.setdefault(h["from"], {"count": 0, "total_hours": 0.0})
                    s["count"] += 1
                    s["total_hours"] += (h["at"] - prev["at"]).total_seconds() / 3600
        processing = {k: {"count": v["count"],
                          "average_hours": round(v["total_hours"] / v["count"], 2)}
                      for k, v in steps.items()}
        recov = self.store.recoveries_in(region)
        return {"living_allowance_coverage": coverage["living_allowance"],
                "nursing_allowance_coverage": coverage["nursing_allowance"],
                "processing_time_per_step": processing, "overdue_applications": overdue,
                "open_recoveries": {"count": len(recov),
                                    "amount_fen": sum(r["amount_fen"] for r in recov)}}

    # timers -----------------------------------------------------------------------------------
    @timer(interval=5)
    def relay_outbox(self):
        now = self.store.clock.now()
        for pending in self.store.grants_pending():   # a crash between approval and grant
            app = self.store.application(pending["_id"])
            if app and app["status"] == "approved" and app.get("entitlement_id"):
                self._grant(app)
            elif now - pending["at"] > GRANT_GRACE:   # the approval itself never happened
                self.store.drop_grant_pending(pending["_id"])
        self._announce_chunks()
        self.outbox.sweep(self.store.db)
