"""What the subsidy service's entrypoint groups share: the policy catalogue, facts look-up,
application creation (citizen, one-tap confirm, automatic case) and discovery writes."""
import logging

from services.common import authz, outbox, pages
from services.common.errors import Conflict, Forbidden, NotFound, RuleRefused
from services.subsidy import discovery, policy, rules, views, workflow
from services.subsidy.store import HELD_STATUSES, OPEN_STATUSES, suggestion_id

log = logging.getLogger(__name__)
CATALOGUE = policy.load_all()
SYSTEM_ACTOR = {"kind": "system"}


def chain_of(doc):
    return CATALOGUE[doc["handling_region"]][doc["policy_code"]]["review_chain"]


class SubsidyBase:
    # facts ------------------------------------------------------------------------------------
    def _facts(self, person_id):
        """(facts, identity facts, local copy). Caches the identity facts subsidy needs for
        its dashboard (regions, birth date) on the local copy; never the ID number or name."""
        ident = self.identity.person_facts(person_id)
        local = self.store.person(person_id)
        cache = {"birth_date": ident.get("birth_date"),
                 "household_region": ident.get("household_region"),
                 "residence_region": ident.get("residence_region"),
                 "served_region": rules.serving_region(ident.get("household_region")),
                 "death_date": ident.get("deceased_on") or local.get("death_date")}
        if any(local.get(k) != v for k, v in cache.items()):
            local = self.store.set_fields(person_id, cache)
        held = [e["policy_code"] for e in self.store.entitlements_for(person_id)
                if e["status"] in HELD_STATUSES]
        return views.build_facts(ident, local, held), ident, local

    def _person_regions(self, person_id):
        local = self.store.person(person_id)
        if not local.get("household_region"):
            local = self._facts(person_id)[2]
        return [local.get("household_region"), local.get("residence_region"),
                rules.serving_region(local.get("household_region")),
                rules.serving_region(local.get("residence_region"))]

    def _require_reader(self, actor, person_id):
        if authz.is_citizen(actor):
            return authz.require_person(actor, person_id)
        return authz.require_person_or_staff(actor, person_id, self._person_regions(person_id))

    # applications -----------------------------------------------------------------------------
    def _open_application(self, actor, person_id, code, residence_region, bank_account=None,
                          bank_name=None, source="citizen", suggestion_id=None):
        """Check and insert a new application, already received into the first review step.
        Raises UNKNOWN_POLICY 400, POLICY_NOT_IN_REGION 404, NOT_ELIGIBLE 422,
        APPLICATION_EXISTS / ALREADY_ENTITLED 409; nothing is written on any of them."""
        if code not in policy.POLICY_CODES:
            policy.get_policy(CATALOGUE, None, code)      # raises UNKNOWN_POLICY (400)
        facts, ident, _ = self._facts(person_id)
        facts = dict(facts, residence_region=residence_region or facts["residence_region"])
        where = rules.competent_region(facts)
        pol = policy.get_policy(CATALOGUE, where["handling_region"], code)
        now = self.store.clock.now()
        result = rules.evaluate(facts, pol, now.astimezone(views.SHANGHAI).date())
        if not result["eligible"]:
            raise RuleRefused("不符合%s的条件：%s" % (pol["short_name"], "；".join(
                f["reason"] for f in result["failures"])),
                {"reasons": result["reasons"], "failures": result["failures"]},
                code="NOT_ELIGIBLE")
        if code in facts["benefits_held"]:
            raise Conflict("您已享受%s，无需重复申请" % pol["short_name"], code="ALREADY_ENTITLED")
        app_id = self.store.next_application_id(person_id, code)   # sapp_{person}_{code}_{n}
        doc = {"_id": app_id, "person_id": person_id, "policy_code": code,
               "policy_name": pol["name"], "status": "submitted",
               "filing_region": where["filing_region"],
               "handling_region": where["handling_region"], "routed": where["routed"],
               "cross_province": where["cross_province"]}
        step = workflow.transition(dict(doc, id=app_id), "receive", SYSTEM_ACTOR, now,
                                   chain=pol["review_chain"])
        submitter = (actor or {}).get("account_id") or (actor or {}).get("staff_id") or "system"
        pii = self.settings.pii
        doc.update(step["changes"], open_key="%s:%s" % (person_id, code), source=source,
                   submitted_by={"kind": (actor or {}).get("kind", "system"), "id": submitter},
                   suggestion_id=suggestion_id, created_at=now,
                   start_month=views.month_now(now), amount_fen=result.get("amount_fen"),
                   bank_account_enc=pii.encrypt(bank_account) if bank_account else None,
                   bank_account_masked=views.masked(bank_account), bank_name=bank_name,
                   entitlement_pending=False,
                   history=[{"from": None, "to": "submitted", "action": "submit",
                             "role": "applicant" if source == "citizen" else source,
                             "actor_id": submitter, "reason": None, "at": now},
                            step["audit"]])
        routed = "，已转%s办理" % rules.region_label(where["handling_region"]) \
            if where["routed"] else ""
        doc["_outbox"] = [
            outbox.audit(actor or SYSTEM_ACTOR, app_id, "submit", None, "submitted", now,
                         data={"policy_code": code, "source": source,
                               "filing_region": where["filing_region"]}),
            outbox.audit(SYSTEM_ACTOR, app_id, "receive", "submitted", doc["status"], now,
                         data={"handling_region": where["handling_region"]}),
            views.notify(person_id, now, pol["short_name"] + "申请",
                         views.STATUS_CN[doc["status"]],
                         ("已为您自动受理" if source == "automatic" else "已受理") + routed,
                         page=pages.application("subsidy", app_id))]
        if not self.store.insert_application(doc):
            raise Conflict("您已有一件%s申请正在办理" % pol["short_name"],
                           {"policy_code": code}, code="APPLICATION_EXISTS")
        self.outbox.flush(self.store.db.applications, app_id)
        return doc

    def _load_application(self, actor, app_id):
        doc = self.store.application(app_id)
        if doc is None:
            raise NotFound("没有找到此申请", {"application_id": app_id})
        if authz.is_citizen(actor):
            authz.require_person(actor, doc["person_id"])
        elif not authz.can_read_as_staff(actor, [doc["filing_region"], doc["handling_region"]]):
            authz.require_actor(actor)
            raise Forbidden("只能查看本辖区的申请")
        return doc

    # discovery (主动发现) ------------------------------------------------------------------------
    def _discover(self, person_id):
        """Evaluate the person where their case is handled; suggest, or open automatic cases."""
        facts, ident, _ = self._facts(person_id)
        if not facts["alive"]:
            return []
        handling = rules.serving_region(facts.get("household_region"))
        if handling is None or rules.serving_region(facts.get("residence_region")) is None:
            return []
        now = self.store.clock.now()
        apps = self.store.applications_for(person_id)
        applied = [a["policy_code"] for a in apps if a["status"] in OPEN_STATUSES]
        suggested = [s["policy_code"] for s in self.store.suggestions_for(person_id)]
        found = discovery.discover(facts, CATALOGUE[handling], now.astimezone(
            views.SHANGHAI).date(), held=facts["benefits_held"], applied=applied,
            suggested=suggested)
        done = []
        for item in found:
            if item["mode"] == "automatic":
                try:
                    self._open_application(SYSTEM_ACTOR, person_id, item["policy_code"],
                                           facts["residence_region"], source="automatic")
                    done.append(item)
                except (Conflict, RuleRefused, NotFound) as exc:
                    log.info("automatic case not opened: %s", exc.code)
                continue
            sug_id = suggestion_id(person_id, item["policy_code"])   # one per benefit, ever
            doc = {"_id": sug_id, "key": "%s:%s" % (person_id, item["policy_code"]),
                   "person_id": person_id, "policy_code": item["policy_code"],
                   "policy_name": item["policy_name"], "region": handling, "status": "open",
                   "reasons": item["reasons"], "kind": item["kind"],
                   "amount_fen": item.get("amount_fen"),
                   "monthly_amount_fen": item.get("monthly_amount_fen"),
                   "amount_is_example": item.get("amount_is_example"), "created_at": now,
                   "_outbox": [outbox.audit(SYSTEM_ACTOR, sug_id, "suggest", None, "open", now,
                                            data={"policy_code": item["policy_code"]}),
                               views.notify(person_id, now, "可申领" + item["policy_name"],
                                            "待确认", "点击一键申请",
                                            page=pages.HOME)]}
            if self.store.insert_suggestion(doc):
                self.outbox.flush(self.store.db.suggestions, sug_id)
                done.append(item)
        return done
