"""Volunteer storage: volunteers, tasks (requests), offers, complaints, pairs. The only place that
queries. FerretDB v1 has no geo queries: candidates are pre-selected with a lat/lng box (plain
range queries) and the domain computes exact distances (services/volunteer/geo.py).

FerretDB v1 does not serialise concurrent conditional updates of one document (racing
``find_one_and_update`` calls with the same filter can all match), so every "only once" goes
through a unique insert into ``claims`` first: a task transition claims ``t:<task>:<version>``
and its update is guarded by that version and increments it (``transition``); a volunteer's by
``v:<volunteer>:<version>``; follow-ups claim their own keys. The conditional update stays as
the second guard (and is the only one MongoDB 7 would need).
"""
import collections
import datetime as dt
import hashlib
import threading
import time

from pymongo import ReturnDocument

from services.common import outbox
from services.common.mongo import BaseStore, holds, insert_new

LIVE = ("accepted", "in_progress")
CLAIM_LEASE = dt.timedelta(seconds=30)
OPEN_NEEDS = ("open", "offering", "unmatched")


def offer_id(task_id, wave, volunteer_id):
    """Deterministic offer id: re-sending a wave after a crash cannot duplicate an offer."""
    digest = hashlib.sha1(("%s|%s|%s" % (task_id, wave, volunteer_id)).encode()).hexdigest()
    return "of_" + digest[:20]


def escort_task_id(dedupe_key):
    """The task made from a rehab escort request: one per dedupe key (idempotent consumer)."""
    return "vt_" + hashlib.sha1(("escort|%s" % dedupe_key).encode()).hexdigest()[:20]


# what matching reads of a volunteer: rank_candidates and pair_for, the busy check (the live
# tasks) and the recent load (the last accept times)
PROFILE_FIELDS = ("status", "person_id", "skills", "languages", "availability", "location",
                  "rating_sum", "rating_count", "active_task_ids", "recent_accepts")
RECENT_ACCEPTS_KEPT = 50   # more than any load_cap: the load score counts at most load_cap
ROSTER_MAX_AGE = 300       # seconds: read all again anyway (a crash between a write and its log)
_ROSTERS = {}              # database name -> {"next", "read_at", "volunteers": {id: profile}}
_ROSTER_LOCK = threading.Lock()   # green under nameko: one reader at a time, the others wait
_TASK_TIMES = {}           # task id -> (when, duration_minutes): set at creation, never changed
TASK_TIMES_KEPT = 50_000   # then forgotten and read again (bounds the process's memory)
# the sweeps' work lists (``due_<kind>``: task id -> at): what is in flight, not every task
DUE = {"waves": "wave_expires_at", "followups": "followup_at"}


class VolunteerStore(BaseStore):
    claim_lease = CLAIM_LEASE

    @staticmethod
    def ensure_indexes(db):
        BaseStore.backfill_keys(db, "account", "volunteers", "account_id")
        BaseStore.backfill_lists(db, "person_tasks", "tasks", "person_id", "_id")
        BaseStore.backfill_lists(db, "volunteer_tasks", "tasks", "volunteer_id", "_id")
        BaseStore.backfill_lists(db, "volunteer_offers", "offers", "volunteer_id", "_id")
        BaseStore.backfill_lists(db, "task_offers", "offers", "task_id", "_id")
        for kind, field in DUE.items():
            BaseStore.backfill_due(db, kind, "tasks", field)
        db.volunteers.create_index([("status", 1), ("home_region", 1)])
        db.volunteers.create_index([("status", 1), ("skills", 1), ("location.lat", 1)])
        db.tasks.create_index([("status", 1), ("wave_expires_at", 1)])
        db.tasks.create_index([("volunteer_id", 1), ("status", 1)])
        db.tasks.create_index([("person_id", 1), ("created_at", 1)])
        db.tasks.create_index([("region", 1), ("status", 1)])
        db.tasks.create_index("followup_at")
        db.offers.create_index([("task_id", 1), ("wave", 1)])
        db.offers.create_index([("volunteer_id", 1), ("status", 1)])
        db.complaints.create_index([("region", 1), ("status", 1)])
        db.complaints.create_index("task_id")
        db.pairs.create_index("person_id")
        outbox.ensure_indexes(db)

    def transition(self, coll, doc, guard, set_, entries=None, **ops):
        """A state change of a task/volunteer: claim ``<t|v>:<id>:<version>``, then one update
        guarded by ``guard`` and the version (which it increments) → the document after, or
        None when someone else moved it first."""
        version = doc.get("version") or 0
        key = "%s:%s:%d" % ("t" if coll == "tasks" else coll[0], doc["_id"], version)
        if not self.claim(key):
            return None
        # the claim decided; the guard is checked on a fresh read and the update filters by _id
        # alone (FerretDB v1 scans the whole collection for any other filter)
        fresh = self.db[coll].find_one({"_id": doc["_id"]}) or {}
        if (fresh.get("version") or 0) != version or not holds(fresh, guard or {}):
            self.release(key)
            return None
        ops["inc"] = dict(ops.get("inc") or {}, version=1)
        if coll == "tasks" and (set_ or {}).get("volunteer_id"):   # listed first, as on insert
            self.append_ref("volunteer_tasks", set_["volunteer_id"], doc["_id"])
        return self.update(coll, doc["_id"], None, set_, entries, **ops)

    # generic conditional update: the guard is the transition ----------------------------------
    def update(self, coll, doc_id, guard=None, set_=None, entries=None, **ops):
        """One update by _id → the document after, or None when ``guard`` does not hold on a
        fresh read (decide "only once" with a claim first: the read and the write are two steps,
        as FerretDB v1's own conditional update is, which would also scan the collection).
        ``ops``: more update operators by name without the ``$`` (``inc``, ``addToSet``, ``unset``)."""
        if guard:
            fresh = self.db[coll].find_one({"_id": doc_id})
            if fresh is None or not holds(fresh, guard):
                return None
        if coll == "tasks":       # listed before the write, like the task on insert
            self.mark_task_due(doc_id, set_)
        update = {}
        if set_:
            update["$set"] = set_
        if entries:
            update["$push"] = {"_outbox": {"$each": entries}}
        for op, value in ops.items():
            if value:
                update["$" + op] = value
        after = self.db[coll].find_one_and_update({"_id": doc_id}, update,
                                                  return_document=ReturnDocument.AFTER)
        if coll == "volunteers" and after is not None and \
                set(PROFILE_FIELDS) & set(set_ or ()).union(*(v for v in ops.values() if v)):
            self.roster_changed(doc_id)
        return after

    # volunteers -------------------------------------------------------------------------------------
    def insert_volunteer(self, doc):
        self.db.volunteers.insert_one(doc)
        self.roster_changed(doc["_id"])

    # The matching roster: the active volunteers' PROFILE_FIELDS, kept by each process and kept
    # current through a log of changed volunteers (the list ``roster_changes``: an id after each
    # write of a profile field, "*" for "read everyone again"): a match reads the log's new
    # entries and those volunteers by _id, instead of scanning the volunteers (a city's ~1,000
    # candidates) or the tasks of all of them (the busy check and recent load).
    def roster_changed(self, volunteer_id=None):
        """Log a written volunteer (None: all of them, e.g. after a bulk load)."""
        self.append_ref("roster_changes", "all", volunteer_id or "*", repeat=True)

    def roster(self):
        with _ROSTER_LOCK:    # many matches at once read the volunteers once, not each
            return self._roster()

    def _roster(self):
        kept, fields = _ROSTERS.get(self.db.name), dict.fromkeys(PROFILE_FIELDS, 1)
        log = self.db.lists_roster_changes
        if kept is None or time.monotonic() - kept["read_at"] > ROSTER_MAX_AGE:
            start = self._list_end(log, "all")    # before the read: what changes during it is read again
            kept = {"next": start, "read_at": time.monotonic(), "volunteers": {
                v["_id"]: v for v in self.db.volunteers.find({"status": "active"}, fields)}}
            _ROSTERS[self.db.name] = kept
        n, changed = kept["next"], []
        while (entry := log.find_one({"_id": "all#%d" % n})) is not None:
            changed.append(entry["ref"])
            n += 1
        kept["next"] = max(kept["next"], n)     # green threads may read the same entries at once
        if "*" in changed:
            kept["read_at"] = -ROSTER_MAX_AGE
            return self._roster()
        for vid in dict.fromkeys(changed):
            vol = self.db.volunteers.find_one({"_id": vid}, fields)
            if vol and vol.get("status") == "active":
                kept["volunteers"][vid] = vol
            else:
                kept["volunteers"].pop(vid, None)
        return list(kept["volunteers"].values())

    def volunteer(self, volunteer_id):
        return self.db.volunteers.find_one({"_id": volunteer_id}) if volunteer_id else None

    def volunteer_by_account(self, account_id):
        vid = self.key_ref("account", account_id) if account_id else None
        return self.volunteer(vid) if vid else None

    def volunteer_id_for_account(self, account_id, new_vid):
        """The volunteer id of this account: ``new_vid`` when the account registers first."""
        return self.file_key("account", account_id, new_vid)

    def volunteers_by_ids(self, ids):
        return {v["_id"]: v for v in self.by_ids("volunteers", ids)}

    def candidates(self, skill, box):
        """Active volunteers with the skill in the box (from the roster; copies)."""
        return [dict(v) for v in self.roster() if skill in (v.get("skills") or ())
                and box["min_lat"] <= (v.get("location") or {}).get("lat", 999) <= box["max_lat"]
                and box["min_lng"] <= v["location"].get("lng", 999) <= box["max_lng"]]

    def add_load(self, volunteer_id, task_id, now):
        """The task joins the volunteer's active tasks once (idempotent)."""
        if not self.claim("load+:%s:%s" % (task_id, volunteer_id)):
            return
        vol = self.volunteer(volunteer_id)   # the claim decided; filters by _id alone (no scan)
        if vol is not None and task_id not in vol.get("active_task_ids", ()):
            accepts = (vol.get("recent_accepts") or [])[1 - RECENT_ACCEPTS_KEPT:] + [now]
            self.db.volunteers.update_one(
                {"_id": volunteer_id},
                {"$push": {"active_task_ids": task_id}, "$inc": {"accepted_count": 1},
                 "$set": {"last_accepted_at": now, "recent_accepts": accepts}})
            self.roster_changed(volunteer_id)

    def remove_load(self, volunteer_id, task_id, inc=None):
        """The task leaves the volunteer's active tasks once; ``inc`` (hours) applies with it.
        → the volunteer document *before*, or None if it had already left."""
        if not self.claim("load-:%s:%s" % (task_id, volunteer_id)):
            return None
        before = self.volunteer(volunteer_id)
        if before is None or task_id not in before.get("active_task_ids", ()):
            return None
        update = {"$pull": {"active_task_ids": task_id}}
        if inc:
            update["$inc"] = inc
        self.db.volunteers.update_one({"_id": volunteer_id}, update)
        self.roster_changed(volunteer_id)
        return before

    def volunteer_statuses(self, region):
        """{status: count} of the region's volunteers, in one read (each count is a scan)."""
        return collections.Counter(v.get("status") for v in self.db.volunteers.find(
            {"home_region": region}, {"status": 1}))

    def pending_volunteers(self, region, limit):
        return list(self.db.volunteers.find({"home_region": region, "status": "pending"})
                    .sort("created_at", 1).limit(limit))

    # tasks ------------------------------------------------------------------------------------------
    def insert_task(self, doc):
        if doc.get("person_id"):      # listed first: readers skip an entry without its task
            self.append_ref("person_tasks", doc["person_id"], doc["_id"])
        self.mark_task_due(doc["_id"], doc)
        self.db.tasks.insert_one(doc)

    def person_tasks(self, person_id):
        """Every task of the person (their list, then each by _id: no scan)."""
        return self.listed("person_tasks", person_id, "tasks")

    def task(self, task_id):
        return self.db.tasks.find_one({"_id": task_id}) if task_id else None

    def tasks_by_ids(self, ids):
        return {t["_id"]: t for t in self.by_ids("tasks", ids)}

    # The sweeps' work lists (BaseStore.mark_due): a task is marked in ``due_waves`` /
    # ``due_followups`` before a write sets its wave deadline / follow-up stamp, and unmarked
    # once it has none (a scan of every task took seconds and held up every other read).
    def mark_task_due(self, task_id, fields):
        for kind, field in DUE.items():
            if fields and fields.get(field):
                self.mark_due(kind, task_id, fields[field])

    def _due(self, kind, before, limit, pending=lambda task: True):
        """The marked tasks whose field is still set (and ``pending``), due by ``before``."""
        field = DUE[kind]
        marked = self.due_documents(kind, "tasks", before,
                                    lambda task: task.get(field) and pending(task))
        return [task for task in marked if task[field] <= before][:limit]

    def due_tasks(self, now, limit):
        """Offering tasks whose current wave's deadline has passed (the sweep claims each one)."""
        return self._due("waves", now, limit, lambda task: task["status"] == "offering")

    def followup_tasks(self, before, limit):
        """Tasks whose follow-up writes (offers, load) were left unfinished by a crash."""
        return self._due("followups", before, limit)

    def task_times(self, task_ids):
        """{task id: (when, duration_minutes)} (kept by the process: a task's time never changes)."""
        if len(_TASK_TIMES) > TASK_TIMES_KEPT:
            _TASK_TIMES.clear()
        for tid in set(task_ids) - set(_TASK_TIMES):
            doc = self.db.tasks.find_one({"_id": tid}, {"when": 1, "duration_minutes": 1})
            if doc:
                _TASK_TIMES[tid] = (doc["when"], doc["duration_minutes"])
        return {tid: _TASK_TIMES[tid] for tid in task_ids if tid in _TASK_TIMES}

    def completed_together(self, person_id, volunteer_ids):
        ids = set(volunteer_ids)
        return dict(collections.Counter(t["volunteer_id"] for t in self.person_tasks(person_id)
                                        if t["status"] == "completed" and t.get("volunteer_id") in ids))

    def tasks_for_volunteer(self, volunteer_id, limit=100):
        """The volunteer's newest tasks (their list: a task released since is left out)."""
        return sorted((t for t in self.listed("volunteer_tasks", volunteer_id, "tasks", limit)
                       if t.get("volunteer_id") == volunteer_id), key=lambda t: t["when"], reverse=True)

    def tasks_for_person(self, person_id, limit=100):
        return sorted(self.person_tasks(person_id), key=lambda t: t["created_at"], reverse=True)[:limit]

    def open_tasks_for_person(self, person_id):
        return [t for t in self.person_tasks(person_id) if t["status"] in OPEN_NEEDS + LIVE]

    def board(self, region, statuses, limit):
        return list(self.db.tasks.find({"region": region, "status": {"$in": list(statuses)}})
                    .sort("when", 1).limit(limit))

    def region_tasks_brief(self, region):
        """The region's tasks, only status and matching times, in one read (for the dashboard)."""
        return list(self.db.tasks.find({"region": region}, {"status": 1, "accepted_at": 1,
                                                            "matching_started_at": 1}))

    # offers -----------------------------------------------------------------------------------------
    def upsert_offers(self, docs):
        """Offers have derived ids: the request and the follow-up sweep may both write a wave's
        offers, and an offer already there is kept as it is (a racing upsert would fail).
        Each is listed first for its volunteer and its task."""
        for doc in docs:
            self.append_ref("volunteer_offers", doc["volunteer_id"], doc["_id"])
            self.append_ref("task_offers", doc["task_id"], doc["_id"])
        insert_new(self.db.offers, docs)

    def offer(self, offer_id_):
        return self.db.offers.find_one({"_id": offer_id_}) if offer_id_ else None

    def offers_for_volunteer(self, volunteer_id, statuses, limit=100):
        """The volunteer's newest offers in these statuses, newest first."""
        return sorted((o for o in self.listed("volunteer_offers", volunteer_id, "offers", limit)
                       if o["status"] in statuses), key=lambda o: o["sent_at"], reverse=True)

    def offers_of_task(self, task_id):
        return sorted(self.listed("task_offers", task_id, "offers"), key=lambda o: (o["wave"], o["_id"]))

    def pending_offers(self, task_id, wave=None):
        return [o for o in self.offers_of_task(task_id)
                if o["status"] == "pending" and wave in (None, o["wave"])]

    def set_offer(self, offer_id_, guard, set_):
        """→ the offer after, or None when ``guard`` does not hold (see ``update``)."""
        return self.update("offers", offer_id_, guard, set_)

    def close_offers(self, task_id, status, now, below_wave=None, except_id=None):
        """Every still-pending offer of the task (of waves before ``below_wave``) → ``status``."""
        closing = [o["_id"] for o in self.pending_offers(task_id) if o["_id"] != except_id
                   and (below_wave is None or o["wave"] < below_wave)]
        for oid in closing:
            self.update("offers", oid, {"status": "pending"}, {"status": status, "answered_at": now})
        return len(closing)

    # complaints and pairs ---------------------------------------------------------------------------
    def insert_complaint(self, doc):
        self.db.complaints.insert_one(doc)

    def complaint(self, complaint_id):
        return self.db.complaints.find_one({"_id": complaint_id}) if complaint_id else None

    def open_complaints(self, region, limit):
        return list(self.db.complaints.find({"region": region, "status": "open"}).sort("created_at", 1).limit(limit))

    def count_upheld_once(self, volunteer_id, complaint_id):
        """+1 upheld complaint, once per complaint → the volunteer after, or None if counted already."""
        if not self.claim("upheld:%s" % complaint_id):
            return None
        vol = self.volunteer(volunteer_id)
        if vol is None or complaint_id in vol.get("upheld_complaint_ids", ()):
            return None
        return self.db.volunteers.find_one_and_update(
            {"_id": volunteer_id},
            {"$push": {"upheld_complaint_ids": complaint_id},
             "$inc": {"upheld_complaints": 1, "upheld_since_review": 1}},
            return_document=ReturnDocument.AFTER)

    def upsert_pair(self, doc):
        """One pair per (person, volunteer): re-pairing reactivates it."""
        pid = "vp_" + hashlib.sha1(("%s|%s" % (doc["person_id"], doc["volunteer_id"])).encode()).hexdigest()[:20]
        entries = doc.pop("_outbox", [])
        self.db.pairs.update_one({"_id": pid}, {"$set": doc, "$push": {"_outbox": {"$each": entries}}},
                                 upsert=True)
        return self.db.pairs.find_one({"_id": pid})

    def pairs_for(self, person_id):
        return list(self.db.pairs.find({"person_id": person_id}))
