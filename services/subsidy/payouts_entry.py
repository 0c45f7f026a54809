"""Subsidy entrypoints for money: supervision, monthly payout batches, bank file, reconciliation,
recoveries (追回). Mixed into SubsidyService."""
import datetime as dt

import eventlet

from services.common import authz, outbox, regions
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.rpc import load, rpc
from services.subsidy import payments, schemas, views
from services.subsidy.base import CATALOGUE, SYSTEM_ACTOR
from services.subsidy.store import HELD_STATUSES

BATCH_LEASE = dt.timedelta(seconds=60)
PAYERS = ("civil_affairs",)


def _ent(doc):
    return dict(doc, id=doc["_id"])


class PayoutEntrypoints:
    # supervision (动态监管) -----------------------------------------------------------------------
    def _apply_decision(self, ent, d, actor, now):
        action = d["action"]
        if action == "keep" or (action == "phase_out" and ent["status"] == "phase_out"
                                and ent.get("phase_out_until") == d.get("phase_out_until")):
            return None
        to = {"suspend": "suspended", "phase_out": "phase_out", "end": "ended"}[action]
        fields = {"status": to, "reasons": d["reasons"], "changed_at": now}
        if action == "phase_out":
            fields["phase_out_until"] = d["phase_out_until"]
        if action == "end":
            fields.update(end_month=d["end_month"], held_key="ended:" + ent["_id"])
        history = {"from": ent["status"], "to": to, "action": action, "role": "system",
                   "actor_id": "system", "reason": d["reasons"][0], "at": now}
        note = d["reasons"][-1] if action == "phase_out" else d["reasons"][0]
        entries = [outbox.audit(actor, ent["_id"], action, ent["status"], to, now,
                                reason="；".join(d["reasons"])),
                   views.notify(ent["person_id"], now, ent.get("policy_name", "补贴"),
                                views.STATUS_CN[to], note)]
        doc = self.store.move_entitlement(ent["_id"], ent["status"], fields, history, entries)
        if doc:
            self.outbox.flush(self.store.db.entitlements, ent["_id"])
        return doc

    def _supervise(self, region, month, actor, now):
        ents = self.store.entitlements_in(region, ("active", "phase_out"))
        people = {}
        for pid in {e["person_id"] for e in ents}:
            people[pid] = self._facts(pid)[0]
        decisions = payments.supervise([_ent(e) for e in ents], people, CATALOGUE[region], month)
        by_id = {e["_id"]: e for e in ents}
        summary = {"checked": len(ents), "keep": 0, "suspend": 0, "phase_out": 0, "end": 0}
        for d in decisions:
            summary[d["action"]] += 1
            self._apply_decision(by_id[d["entitlement_id"]], d, actor, now)
        for pid, facts in people.items():
            if facts.get("death_date") or facts.get("certificate_cancelled_on"):
                self._flag_overpayments(pid, facts)
        return summary

    def _flag_overpayments(self, person_id, facts=None):
        """Paid lines for months after a death or certificate cancellation -> recoveries."""
        facts = facts or self._facts(person_id)[0]
        lines = [dict(ln, line_id=ln["_id"]) for ln in self.store.lines_for(person_id)]
        now = self.store.clock.now()
        found = payments.detect_overpayments(lines, {person_id: facts})
        region = {ln["_id"]: ln["region"] for ln in lines}
        for rec in found:
            doc = dict(rec, _id=rec["recovery_id"], region=region[rec["line_id"]],
                       status="open", created_at=now)
            entry = outbox.audit(SYSTEM_ACTOR, rec["line_id"], "flag_recovery", "paid", "paid",
                                 now, reason="%s后发放，需追回" % (
                                     "死亡" if rec["cause"] == "death" else "证件注销"),
                                 data={"cause_date": rec["cause_date"]})
            if self.store.record_recovery(doc, entry):
                self.outbox.flush(self.store.db.payment_lines, rec["line_id"])
        return found

    def _end_after_death(self, person_id, death_date):
        now = self.store.clock.now()
        month = death_date[:7]
        for ent in self.store.entitlements_for(person_id):
            if ent["status"] in HELD_STATUSES:
                self._apply_decision(ent, {"action": "end", "end_month": month,
                                           "reasons": ["当事人已身故，补贴终止"]}, SYSTEM_ACTOR, now)

    # batches ----------------------------------------------------------------------------------
    @rpc
    def create_payout_batch(self, actor, body):
        """One batch per region and month; a second caller (or replica) gets the same batch.
        Returns ``{"created": bool, "batch": {...}}``."""
        data = load(schemas.BatchRequest(), body)
        region = regions.validate(data["region"])
        authz.require_staff(actor, roles=PAYERS, region=region)
        now = self.store.clock.now()
        month = payments.check_batch_month(data["month"], now)   # FUTURE_MONTH: nothing written
        if region not in CATALOGUE:
            raise NotFound("该地区没有补贴政策数据", code="REGION_NOT_FOUND")
        batch_id = "pb_%s_%s" % (region, month)
        batch, created = self.store.claim_batch({
            "_id": batch_id, "region": region, "month": month, "status": "running",
            "lease_until": now + BATCH_LEASE, "created_at": now,
            "created_by": actor.get("staff_id")})
        if not created:
            if batch["status"] == "done":
                # a second run of the month pays what became payable since (an approval after
                # the first run); the unique line ids still make a second payment impossible
                return {"created": False, "batch": self._run_batch(actor, region, month, batch_id)}
            if not self.store.take_over_batch(batch_id, now, now + BATCH_LEASE):
                for _ in range(20):   # another run is paying this batch: wait for it
                    eventlet.sleep(0.3)
                    batch = self.store.batch(batch_id)
                    if batch["status"] == "done":
                        return {"created": False, "batch": views.batch_view(batch)}
                raise Conflict("该批次正在生成，请稍后查看", {"batch_id": batch_id},
                               code="BATCH_IN_PROGRESS")
        return {"created": created, "batch": self._run_batch(actor, region, month, batch_id)}

    def _run_batch(self, actor, region, month, batch_id):
        now = self.store.clock.now()
        summary = self._supervise(region, month, actor, now)
        ents = self.store.entitlements_in(region, payments.PAYABLE)
        paid = self.store.line_ids_for([e["_id"] for e in ents])
        result = payments.compute_batch(region, month, [_ent(e) for e in ents],
                                        CATALOGUE[region], now, paid_line_ids=paid)
        names = {e["_id"]: e.get("policy_name") for e in ents}
        for ln in result["lines"]:
            line_id = ln["line_id"]
            doc = dict(ln, _id=line_id, batch_id=batch_id, region=region, created_at=now,
                       _outbox=[outbox.audit(actor, line_id, "pay", None, "pending", now,
                                             data={"amount_fen": ln["amount_fen"]}),
                                views.notify(ln["person_id"], now, names[ln["entitlement_id"]],
                                             None, "%s月补贴已提交银行发放" % ln["month"],
                                             template="payment",
                                             amount=payments.fen_to_yuan(ln["amount_fen"]) + "元",
                                             page="pages/subsidy/payments")])
            if self.store.insert_line(doc):   # the unique line id: never paid twice
                self.outbox.flush(self.store.db.payment_lines, line_id)
        lines = self.store.lines_of_batch(batch_id)
        done = self.store.finish_batch(batch_id, {
            "status": "done", "finished_at": now, "supervision": summary,
            "skipped": result["skipped"], "totals": payments.totals(lines)},
            [outbox.audit(actor, batch_id, "run", "running", "done", now,
                          data={"lines": len(lines)})])
        self.outbox.flush(self.store.db.payout_batches, batch_id)
        return views.batch_view(done)

    def _batch_for(self, actor, batch_id, roles=None):
        batch = self.store.batch(batch_id)
        if batch is None:
            raise NotFound("没有找到此发放批次", {"batch_id": batch_id})
        authz.require_staff(actor, roles=roles, region=batch["region"])
        return batch

    @rpc
    def payout_batch(self, actor, batch_id):
        batch = self._batch_for(actor, batch_id)
        lines = self.store.lines_of_batch(batch_id)
        return dict(views.batch_view(batch), lines=[views.line_view(ln) for ln in lines])

    @rpc
    def export_payout_batch(self, actor, batch_id, full=False):
        """Bank file as JSON ``{filename, content_type, content, line_count, amount_fen,
        accounts}``: content is the CSV of payments.export_bank_file for the lines still to pay
        (pending or failed). Full account numbers only for civil-affairs staff asking ``full``."""
        batch = self._batch_for(actor, batch_id, roles=PAYERS + ("county_dpf", "auditor"))
        if full and not set(actor.get("roles", [])) & {"civil_affairs", "admin"}:
            raise Forbidden("只有民政发放岗位可以导出完整账号")
        lines = [dict(ln, line_id=ln["_id"]) for ln in self.store.lines_of_batch(batch_id)
                 if ln["status"] in ("pending", "failed")]
        payees, pii = {}, self.settings.pii
        for ent_id in {ln["entitlement_id"] for ln in lines}:
            ent = self.store.entitlement(ent_id)
            if ent and ent.get("bank_account_enc") and ent["person_id"] not in payees:
                name = self.identity.person_facts(ent["person_id"]).get("name")
                payees[ent["person_id"]] = {"name": name, "bank_name": ent.get("bank_name"),
                                            "account": pii.decrypt(ent["bank_account_enc"])}
        content = payments.export_bank_file(lines, payees, full_accounts=bool(full))
        now = self.store.clock.now()
        self.store.finish_batch(batch_id, {"last_export_at": now}, [outbox.audit(
            actor, batch_id, "export", batch["status"], batch["status"], now,
            data={"full_accounts": bool(full), "lines": len(lines)})])
        self.outbox.flush(self.store.db.payout_batches, batch_id)
        return {"filename": "subsidy-%s-%s.csv" % (batch["region"], batch["month"]),
                "content_type": "text/csv; charset=utf-8", "content": content,
                "line_count": len(lines), "amount_fen": sum(ln["amount_fen"] for ln in lines),
                "accounts": "full" if full else "masked"}

    @rpc
    def reconcile_payout_batch(self, actor, batch_id, body):
        data = load(schemas.Reconcile(), body)
        batch = self._batch_for(actor, batch_id, roles=PAYERS)
        lines = [dict(ln, line_id=ln["_id"]) for ln in self.store.lines_of_batch(batch_id)]
        result = payments.reconcile(lines, data["results"])
        now = self.store.clock.now()
        by_id = {ln["_id"]: ln for ln in lines}
        refused = list(result["refused"])
        newly_paid = set()
        for ch in result["changed"]:
            ln = by_id[ch["line_id"]]
            entries = [outbox.audit(actor, ch["line_id"], "reconcile", ch["from"], ch["to"], now,
                                    reason=ch["reason"])]
            if ch["to"] in ("failed", "returned"):
                entries.append(views.notify(ln["person_id"], now, "补贴发放", None,
                                            "%s月补贴发放未成功，工作人员将联系您" % ln["month"],
                                            template="payment", page="pages/subsidy/payments",
                                            amount=payments.fen_to_yuan(ln["amount_fen"]) + "元"))
            fields = {"status": ch["to"], "reconciled_at": now}
            if ch["reason"]:
                fields["bank_reason"] = ch["reason"]
            if self.store.move_line(ch["line_id"], ch["from"], fields, entries) is None:
                refused.append({"line_id": ch["line_id"], "reason": "明细状态已被其他操作改变"})
                continue
            self.outbox.flush(self.store.db.payment_lines, ch["line_id"])
            if ch["to"] == "paid":
                newly_paid.add(ln["person_id"])
        for pid in newly_paid:
            facts = self._facts(pid)[0]
            if facts.get("death_date") or facts.get("certificate_cancelled_on"):
                self._flag_overpayments(pid, facts)
        summary = payments.reconcile(
            [dict(ln, line_id=ln["_id"]) for ln in self.store.lines_of_batch(batch_id)], [])
        self.store.finish_batch(batch_id, {"reconciliation": summary["summary"]}, [])
        return {"batch_id": batch_id, "changed": result["changed"], "refused": refused,
                "summary": summary["summary"]}

    @rpc
    def recoveries(self, actor, region=None):
        region = region or (actor or {}).get("region")
        authz.require_staff(actor, region=region)
        return {"items": [{k: v for k, v in r.items() if k not in ("_id", "created_at")}
                          for r in self.store.recoveries_in(region)], "next_cursor": None}
