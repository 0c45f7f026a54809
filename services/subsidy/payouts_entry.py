"""Subsidy entrypoints for money: supervision, monthly payout batches, bank file, reconciliation,
recoveries (追回). Mixed into SubsidyService.

A batch at district scale (24,400 beneficiaries in Banan) in three reads and a few hundred writes
(docs/subsidy.md, "The monthly batch"): one read of the held entitlements, one of the region's
people (supervision in memory, identity asked only for a person it never answered about), one
of the region's lines (what is already paid); then the lines in chunks of CHUNK with
``insert_many(ordered=False)`` under their deterministic ids (a line that is already there is
refused by its unique ``_id``: paid once, whatever reruns). Each chunk is recorded before its
lines are written, and announced after the batch is done, while the staff member already has
the answer: one notify event per line (the notifier's contract), published back to back, and
one audit record per chunk.
"""
import datetime as dt
import logging
import time
import uuid

import eventlet

from services.common import authz, outbox, pages, regions
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.rpc import load, rpc
from services.subsidy import payments, schemas, views
from services.subsidy.base import CATALOGUE, SYSTEM_ACTOR
from services.subsidy.store import HELD_STATUSES

log = logging.getLogger(__name__)
# a run that died is taken over after its lease; renewed after supervision and every chunk.
# Supervision alone (two reads of 24,400 documents) took 10-50 s on the loaded 2-core machine
BATCH_LEASE = dt.timedelta(minutes=3)
ANNOUNCE_LEASE = dt.timedelta(minutes=10)  # a chunk's announcer died: another takes over
ANNOUNCE_RETRY = dt.timedelta(seconds=30)
STALE_CHUNK = dt.timedelta(minutes=2)      # a chunk pending longer: left to the relay timer
CHUNK = 500
FULL_CHECK_FACTOR = 2   # more candidate lines than this per entitlement: read what is paid
PAYERS = ("civil_affairs",)


def _ent(doc):
    return dict(doc, id=doc["_id"])


def _actor_record(actor):
    return {k: (actor or {}).get(k) for k in ("kind", "staff_id", "account_id", "roles", "region")}


def _chunk_audit(chunk, lines):
    entry = outbox.audit(chunk["actor"], chunk["batch_id"], "pay", None, "pending",
                         chunk["created_at"], data={
                             "chunk": chunk["_id"], "lines": len(lines),
                             "amount_fen": sum(ln["amount_fen"] for ln in lines),
                             "line_ids": [ln["line_id"] for ln in lines]})
    entry["id"] = uuid.uuid5(uuid.NAMESPACE_URL, "subsidy-chunk-audit:" + chunk["_id"]).hex
    return entry


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
        """Re-check the region's payable entitlements before the batch. Returns (summary, the
        region's payable entitlements after the decisions).

        Reads: every held entitlement once (a person's benefits held anywhere count for
        exclusions) and the region's people once, side by side; the rules run in memory
        (payments.supervise). Identity facts come from the copy _facts keeps on each person
        (regions, birth date; deaths arrive as person_died events): identity is asked only
        about a person it was never asked about."""
        people_read = eventlet.spawn(self.store.people_of_region, region)
        held_all = self.store.held_entitlements()
        local = people_read.wait()
        held = {}
        for e in held_all:
            held.setdefault(e["person_id"], []).append(e["policy_code"])
        ents = {e["_id"]: e for e in held_all
                if e.get("region") == region and e["status"] in payments.PAYABLE}
        people = {}
        for pid in {e["person_id"] for e in ents.values()}:
            doc = local.get(pid) or self.store.person(pid)   # kept under another region
            ident = views.cached_identity(doc)
            people[pid] = views.build_facts(ident, doc, held.get(pid, ())) if ident \
                else self._facts(pid)[0]
        decisions = payments.supervise([_ent(e) for e in ents.values()], people,
                                       CATALOGUE[region], month)
        summary = {"checked": len(ents), "keep": 0, "suspend": 0, "phase_out": 0, "end": 0}
        for d in decisions:
            summary[d["action"]] += 1
            if d["action"] == "keep":
                continue
            ent_id = d["entitlement_id"]
            ents[ent_id] = self._apply_decision(ents[ent_id], d, actor, now) or \
                self.store.entitlement(ent_id) or ents[ent_id]
        for pid, facts in people.items():
            if facts.get("death_date") or facts.get("certificate_cancelled_on"):
                self._flag_overpayments(pid, facts)
        return summary, [e for e in ents.values() if e["status"] in payments.PAYABLE]

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
                return {"created": False,
                        "batch": self._run_batch(actor, region, month, batch_id, batch)}
            if not self.store.take_over_batch(batch_id, now, now + BATCH_LEASE):
                for _ in range(20):   # another run is paying this batch: wait for it
                    eventlet.sleep(0.3)
                    batch = self.store.batch(batch_id)
                    if batch["status"] == "done":
                        return {"created": False, "batch": views.batch_view(batch)}
                raise Conflict("该批次正在生成，请稍后查看", {"batch_id": batch_id},
                               code="BATCH_IN_PROGRESS")
        return {"created": created, "batch": self._run_batch(actor, region, month, batch_id,
                                                              None if created else batch)}

    def _run_batch(self, actor, region, month, batch_id, previous=None):
        """One run of the batch (``previous``: the batch as it was — None when just created,
        ``done`` for a re-run, ``running`` when a dead run is taken over)."""
        clock, started = self.store.clock, time.monotonic()
        now = clock.now()
        timings = {}

        def lap(name):
            timings[name] = max(round(time.monotonic() - started - sum(timings.values()), 2), 0)
        summary, ents = self._supervise(region, month, actor, now)
        lap("supervision_s")
        self.store.renew_batch(batch_id, clock.now() + BATCH_LEASE)
        ledger = self.store.ledger(region)
        plan = payments.compute_batch(region, month, [_ent(e) for e in ents], CATALOGUE[region],
                                      now, paid_through=ledger)
        if len(plan["lines"]) > FULL_CHECK_FACTOR * len(ents) + 1000:
            # no ledger yet for most of them (its first batch here): what is paid is read once
            plan = payments.compute_batch(
                region, month, [_ent(e) for e in ents], CATALOGUE[region], now,
                paid_line_ids=self.store.region_line_ids(region), paid_through=ledger)
        lap("plan_s")
        names = {e["_id"]: e.get("policy_name") or "补贴" for e in ents}
        run = uuid.uuid4().hex[:8]
        written, chunks = [], {}
        for seq, part in enumerate(payments.chunked(plan["lines"], CHUNK)):
            chunk_id = "%s:%s:%03d" % (batch_id, run, seq)
            # the chunk's record comes first: if this run dies while writing the lines, the
            # announcer still finds them (those that carry this chunk's id)
            chunk = {"_id": chunk_id, "batch_id": batch_id, "region": region, "month": month,
                     "run": run, "seq": seq, "created_at": now, "actor": _actor_record(actor),
                     "lines": [{"line_id": ln["line_id"], "person_id": ln["person_id"],
                                "month": ln["month"], "amount_fen": ln["amount_fen"],
                                "title": names[ln["entitlement_id"]]} for ln in part]}
            self.store.open_chunk(chunk)
            docs = [dict(ln, _id=ln["line_id"], batch_id=batch_id, region=region,
                         chunk_id=chunk_id, created_at=now) for ln in part]
            already = self.store.insert_lines(docs)   # unique ids: never paid twice
            self.store.chunk_written(chunk_id, already)
            chunks[chunk_id] = chunk
            written += [d for d in docs if d["_id"] not in set(already)] if already else docs
            self.store.renew_batch(batch_id, clock.now() + BATCH_LEASE)
        lap("write_s")
        self.store.save_ledger(region, plan["paid_through"])   # only once the lines are in
        if previous is not None and previous.get("status") != "done":
            totals = payments.totals(self.store.lines_of_batch(batch_id))   # after a dead run
        else:
            totals = payments.add_totals(
                (previous or {}).get("totals") or payments.totals([]), payments.totals(written))
        lap("finish_s")
        done = self.store.finish_batch(batch_id, {
            "status": "done", "finished_at": clock.now(), "supervision": summary,
            "skipped": plan["skipped"], "totals": totals, "timings": timings},
            [outbox.audit(actor, batch_id, "run", "running", "done", now,
                          data={"lines": len(written), "chunks": len(chunks), "run": run})])
        self.outbox.flush(self.store.db.payout_batches, batch_id)
        log.info("payout batch %s run %s: %d lines written in %d chunks, %s", batch_id, run,
                 len(written), len(chunks), timings)
        # the staff member's answer does not wait for the citizens' messages: one confirmed
        # publish per line took 56 s for a district (make bench). Should this process stop
        # meanwhile, the relay timer announces what is left (STALE_CHUNK, ANNOUNCE_LEASE).
        eventlet.spawn_n(self._announce_batch, batch_id, run, chunks)
        return views.batch_view(done)

    def _announce_batch(self, batch_id, run, chunks):
        started = time.monotonic()
        try:
            self._announce_chunks(batch_id, chunks)
        except Exception:  # noqa: BLE001 - left to the relay timer, as after a crash
            log.exception("payout batch %s run %s: announcing stopped", batch_id, run)
            return
        log.info("payout batch %s run %s: chunks announced in %.1fs", batch_id, run,
                 time.monotonic() - started)

    # announcing chunks: their notify events and audit record ----------------------------------
    def _announce_chunks(self, batch_id=None, chunks=None):
        """Announce the chunks not yet announced: those of the batch just run (``chunks``: their
        records, in memory), or any left behind (the relay timer)."""
        now, batches = self.store.clock.now(), {}
        for marker in self.store.pending_chunks():
            if batch_id and marker["batch_id"] != batch_id:
                continue
            if marker.get("next_at") and marker["next_at"] > now:
                continue
            if batch_id is None:
                if marker["batch_id"] not in batches:
                    batches[marker["batch_id"]] = self.store.batch(marker["batch_id"]) or {}
                batch = batches[marker["batch_id"]]
                if batch.get("status") == "running" and batch.get("lease_until") and \
                        batch["lease_until"] > now:
                    continue   # its run is going on: it announces its chunks when done
                if now - marker["at"] < STALE_CHUNK:
                    continue   # its run is (or was just) writing or announcing it
            self._announce(marker, now, (chunks or {}).get(marker["_id"]))

    def _announce(self, marker, now, chunk=None):
        chunk_id = marker["_id"]
        key = "announce:" + chunk_id
        if not self.store.claim(key, lease=ANNOUNCE_LEASE):
            return   # another worker is announcing it
        chunk = chunk or self.store.chunk(chunk_id)
        if chunk is None:
            self.store.chunk_announced(chunk_id)
            return
        if marker["state"] == "writing":   # its run died while writing: only what it wrote
            lines = [ln for ln in chunk["lines"]
                     if (self.store.line(ln["line_id"]) or {}).get("chunk_id") == chunk_id]
        else:
            already = set(marker.get("duplicates") or ())
            lines = [ln for ln in chunk["lines"] if ln["line_id"] not in already]
        relay = self.outbox
        try:
            for ln in lines:   # the same event ids every time: the notifier drops repeats
                relay.provider.publish(views.payment_notice(ln, ln["title"], chunk["created_at"]),
                                       relay.headers)
        except Exception as exc:  # noqa: BLE001 - broker trouble of any kind: try again later
            log.warning("payout chunk %s not announced yet (%s): retrying", chunk_id,
                        type(exc).__name__)
            self.store.release(key)
            self.store.postpone_chunk(chunk_id, now + ANNOUNCE_RETRY)
            return
        if lines:
            self.store.write_audit(_chunk_audit(chunk, lines))
        self.store.chunk_announced(chunk_id)

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
        accounts, missing_payee: {count, amount_fen, line_ids}}``: content is the CSV of
        payments.export_bank_file for the lines still to pay (pending or failed) whose person
        has a bank account; the others are listed in missing_payee (the first 200 ids). Full
        account numbers only for civil-affairs staff asking ``full``."""
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
        content, ready, missing = payments.export_bank_file(lines, payees,
                                                            full_accounts=bool(full))
        now = self.store.clock.now()
        self.store.finish_batch(batch_id, {"last_export_at": now}, [outbox.audit(
            actor, batch_id, "export", batch["status"], batch["status"], now,
            data={"full_accounts": bool(full), "lines": len(ready),
                  "missing_payee": len(missing)})])
        self.outbox.flush(self.store.db.payout_batches, batch_id)
        ready_fen = sum(ln["amount_fen"] for ln in ready)
        return {"filename": "subsidy-%s-%s.csv" % (batch["region"], batch["month"]),
                "content_type": "text/csv; charset=utf-8", "content": content,
                "line_count": len(ready), "amount_fen": ready_fen,
                "accounts": "full" if full else "masked",
                "missing_payee": {"count": len(missing), "line_ids": missing[:200],
                                  "amount_fen": sum(ln["amount_fen"] for ln in lines) - ready_fen}}

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
                                            template="payment", page=pages.SUBSIDY,
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
