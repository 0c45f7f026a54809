"""Running the pure matching/wave rules against the store (service code, no nameko).

Every task state change is ONE conditional ``find_one_and_update`` carrying its audit record and
its notify events in ``_outbox`` and a ``followup_at`` stamp. The writes to *other* documents
that follow (offer documents, the volunteer's load and hours) are idempotent and done by
``followups`` right after; if a crash interrupts them, the offer sweep finds the stamp and
finishes them (``Dispatcher.repair``). So the task document is always the truth, and offers and
load catch up with it.
"""
import datetime as dt
import logging

from services.common import outbox
from services.common.mongo import without_id
from services.volunteer import domain, events, hours, notices
from services.volunteer.settings import section
from services.volunteer.store import offer_id

log = logging.getLogger(__name__)
SYSTEM = {"kind": "system"}
FOLLOWUP_GRACE = dt.timedelta(seconds=5)


def audit_entry(actor, entity_id, audit, now, **data):
    return outbox.audit(actor or SYSTEM, entity_id, audit["action"], audit["from"], audit["to"], now,
                        audit.get("reason"), data=dict(data, role=audit.get("role")))


def as_task(doc):
    return without_id(doc) if doc else None


class Dispatcher:
    """``Dispatcher(store, relay)``: ``relay`` is the service's outbox dependency (``flush``)."""

    def __init__(self, store, relay):
        self.store, self.relay = store, relay

    def flush(self, coll, doc_id):
        self.relay.flush(self.store.db[coll], doc_id)

    def accounts(self, volunteer_ids):
        return {vid: v.get("account_id") for vid, v in self.store.volunteers_by_ids(set(volunteer_ids)).items()}

    # matching ---------------------------------------------------------------------------------------
    def rank(self, task, now):
        """Candidates → (ranking, pair volunteer id) with the store's facts as context."""
        cfg = section("matching", task["region"])
        box = domain.bounding_box_around(task["location"], cfg["max_radius_km"])
        profiles = {v["_id"]: without_id(v) for v in self.store.candidates(task["skill"], box)}
        nearby = list(profiles)
        pairs = [without_id(p) for p in self.store.pairs_for(task["person_id"])]
        pair_ids = [p["volunteer_id"] for p in pairs if p.get("status") == "active"]
        for vid, v in self.store.volunteers_by_ids(set(pair_ids) - set(profiles)).items():
            profiles[vid] = without_id(v)
        # the busy check and the recent load from the profiles: their live tasks and last accepts
        live = {vid: v.get("active_task_ids") or () for vid, v in profiles.items()}
        times = self.store.task_times({tid for tids in live.values() for tid in tids})
        assigned = [{"id": tid, "volunteer_id": vid, "status": "accepted", "when": times[tid][0],
                     "duration_minutes": times[tid][1]}
                    for vid, tids in live.items() for tid in tids if tid in times]
        accepted_at = {vid: v.get("recent_accepts") or [] for vid, v in profiles.items()}
        context = {
            "busy_ids": domain.busy_volunteer_ids(task, assigned),
            "recent_load": domain.recent_load(accepted_at, now, task["region"]),
            "completed_together": self.store.completed_together(task["person_id"], list(profiles)),
            "pair_volunteer_ids": pair_ids, "excluded_ids": domain.exclusions(task)}
        ranking = domain.rank_candidates(task, [profiles[v] for v in nearby], context)
        return ranking, domain.pair_for(task, pairs, profiles, context)

    def start(self, doc, now, urgent=False):
        """Plan the waves of an open task and send the first (or mark it unmatched)."""
        task = as_task(doc)
        cfg = section("matching", task["region"])
        ranking, pair_vid = self.rank(task, now)
        size, count = (cfg["broadcast_wave_size"], 1) if urgent else (cfg["wave_size"], cfg["max_waves"])
        plan = domain.plan_waves(ranking["ranked"], size, count, pair_vid)
        decision = domain.start_matching(task, plan, now)
        decision["set"].update(matching_started_at=now, filtered_out=ranking["filtered_out"], urgent=bool(urgent))
        return self.apply(doc, decision, now, ranking["filtered_out"])

    def advance(self, doc, now):
        """The offer sweep's step for one task: next wave, or unmatched (coordinator alert)."""
        decision = domain.next_wave_due(as_task(doc), now)
        if decision["action"] in ("none", "wait"):
            return None
        return self.apply(doc, decision, now, doc.get("filtered_out"))

    def apply(self, doc, decision, now, filtered_out=None):
        """One conditional update for a ``send_wave``/``unmatched`` decision; None if it missed."""
        task = as_task(doc)
        tid = task["id"]
        expired = []
        if decision.get("expire_wave"):
            expired = [o["volunteer_id"] for o in self.store.pending_offers(tid, decision["expire_wave"])]
        set_ = dict(decision["set"], followup_at=now)
        data = {"wave": decision.get("wave"), "timed_out": len(expired)}
        if decision["action"] == "send_wave":
            set_.update(current_wave_ids=decision["volunteer_ids"], wave_sent_at=now)
            after = dict(task, **set_)
            accounts = self.accounts(decision["volunteer_ids"])
            entries = [audit_entry(SYSTEM, tid, decision["audit"], now, volunteer_ids=decision["volunteer_ids"], **data)]
            for offer in domain.make_offers(tid, decision, now):
                offer["id"] = offer_id(tid, offer["wave"], offer["volunteer_id"])
                entries += notices.entries(*events.offer_sent(offer, after), now, accounts)
        else:
            set_.update(alert="unmatched", unmatched_reason=decision["reason"], current_wave_ids=[])
            after = dict(task, **set_)
            entries = [audit_entry(SYSTEM, tid, decision["audit"], now, **data)]
            entries += notices.entries(*events.task_unmatched(after, decision["reason"], filtered_out), now)
        add = {"timed_out_ids": {"$each": expired}} if expired else None
        updated = self.store.transition("tasks", doc, decision["guard"], set_, entries, addToSet=add)
        if updated is None:
            return None  # another replica (or an accept) moved the task first
        self.flush("tasks", tid)
        return self.followups(updated, now)

    # the idempotent writes that follow a task transition ----------------------------------------------
    def followups(self, doc, now):
        """Bring offers and the volunteer's load/hours in line with the task; clear the stamp."""
        task, tid, status = as_task(doc), doc["_id"], doc["status"]
        if status == "open":  # created or reopened, matching not started (a crash in between)
            return self.start(doc, now, urgent=doc.get("urgent"))
        if status == "offering":
            wave = doc.get("current_wave") or 0
            self.store.upsert_offers([{
                "_id": offer_id(tid, wave, vid), "task_id": tid, "volunteer_id": vid, "wave": wave,
                "status": "pending", "sent_at": doc.get("wave_sent_at") or now,
                "expires_at": doc["wave_expires_at"]} for vid in doc.get("current_wave_ids") or ()])
            self.store.close_offers(tid, "expired", now, below_wave=wave)
        elif status == "unmatched":
            self.store.close_offers(tid, "expired", now)
        elif status == "cancelled":
            self.store.close_offers(tid, "withdrawn", now)
        else:  # accepted, in_progress, completed: first accept won
            if doc.get("accepted_offer_id"):
                self.store.set_offer(doc["accepted_offer_id"], {"status": "pending"},
                                     {"status": "accepted", "answered_at": doc.get("accepted_at") or now})
            self.store.close_offers(tid, "taken", now, except_id=doc.get("accepted_offer_id"))
        vid = doc.get("volunteer_id")
        flags = {}
        if vid and status in ("accepted", "in_progress", "completed", "cancelled") and not doc.get("load_added"):
            self.store.add_load(vid, tid, doc.get("accepted_at") or now)
            flags["load_added"] = True
        if vid and status in ("completed", "cancelled") and not doc.get("load_removed"):
            minutes = doc.get("credited_minutes") or 0 if status == "completed" else 0
            inc = {"logged_minutes": minutes, "completed_count": 1} if status == "completed" else None
            before = self.store.remove_load(vid, tid, inc)
            if before is not None and minutes:
                self.credit_stars(before, minutes, now)
            flags["load_removed"] = True
        rating = (doc.get("ratings") or {}).get("by_citizen")
        if vid and rating and not doc.get("rating_counted"):
            if self.store.claim("rating:%s" % tid, None):
                self.store.update("volunteers", vid, None, None, None,
                                  inc={"rating_sum": rating["stars"], "rating_count": 1})
            flags["rating_counted"] = True
        # clear the stamp unless a later transition set a new one (read, then write by _id:
        # a filter on followup_at scans every task on FerretDB v1)
        fresh = self.store.task(tid)
        if fresh is not None and fresh.get("followup_at") == doc.get("followup_at"):
            self.store.db.tasks.update_one({"_id": tid}, {"$set": flags, "$unset": {"followup_at": ""}}
                                           if flags else {"$unset": {"followup_at": ""}})
            self.store.unmark_due("followups", tid, doc.get("followup_at"))
        task.update(flags)
        return doc

    def credit_stars(self, before, minutes, now):
        total = (before.get("logged_minutes") or 0) + minutes
        level = hours.star_level(total)
        reached = domain.stars_reached(before.get("logged_minutes") or 0, total)
        entries = []
        if reached:
            vol = dict(without_id(before), logged_minutes=total)
            entries = notices.entries(*events.star_level_reached(vol, reached, level["hours"]), now,
                                      {before["_id"]: before.get("account_id")})
            entries.append(outbox.audit(SYSTEM, before["_id"], "star_level", before.get("stars") or 0, reached, now))
        self.store.update("volunteers", before["_id"], None, {"stars": level["stars"]}, entries)
        if entries:
            self.flush("volunteers", before["_id"])

    # crash repair and the offer sweep ----------------------------------------------------------------
    def sweep(self, now):
        """Send due waves and finish interrupted follow-ups; returns how many tasks moved."""
        batch = section("matching")["sweep_batch"]
        moved = 0
        for doc in self.store.due_tasks(now, batch):
            try:
                moved += 1 if self.advance(doc, now) else 0
            except Exception:  # noqa: BLE001 - one bad task must not stop the sweep
                log.exception("offer sweep failed for task %s", doc["_id"])
        for doc in self.store.followup_tasks(now - FOLLOWUP_GRACE, batch):
            self.followups(doc, now)
        return moved
