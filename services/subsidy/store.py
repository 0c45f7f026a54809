"""Subsidy storage (the only place that queries).

Collections: ``people`` (local copy of each person's certificate and household facts, from
events and the civil-affairs feed, ``_id`` = person id), ``suggestions``, ``applications``,
``entitlements``, ``payout_batches``, ``payment_lines`` (``_id`` = ``line_id`` =
``{entitlement_id}:{YYYY-MM}``, unique: one payment per entitlement and month, ever),
``payout_chunks`` (what each chunk of a batch wrote), ``payout_pending`` (chunks not yet
announced), ``paid_ledger`` (per region: up to which month each entitlement is paid),
``grants_pending`` (approvals whose entitlement is not yet written) and ``recoveries``.

FerretDB v1 (SQLite) answers only a filter that is exactly ``{"_id": value}`` from its primary
key; any other filter reads and decodes the whole collection (2 s among 24,400 documents). So
everything a citizen reads is found by ``_id``, with ids derived from the person
(docs/subsidy.md, "Ids"):

    suggestion   ssug_{person_id}_{policy_code}            (one per person and benefit, ever)
    application  sapp_{person_id}_{policy_code}_{n}        (n = 1, 2, ...: the n-th application)
    entitlement  sent_{person_id}_{policy_code}_{n}        (n-th grant; a new one only after
                                                            the previous one ended)
    payment line {entitlement_id}:{YYYY-MM}

A person's documents are read one ``_id`` at a time: for each of the few policy codes,
generation 1, 2, ... until one is missing; lines for the months an entitlement can have been
paid. Scans (``find`` on other fields) are left to staff pages and the monthly batch, one per
collection per batch.
"""
import zlib

from pymongo import ReturnDocument

from services.common import outbox
from services.common.clock import SHANGHAI
from services.common.mongo import BaseStore, DuplicateKeyError, insert_new, keep_newest, upsert
from services.subsidy import payments
from services.subsidy.policy import POLICY_CODES

OPEN_STATUSES = ("submitted", "street_review", "county_review", "civil_affairs_review",
                 "returned")
HELD_STATUSES = ("active", "phase_out", "suspended")
OUTBOX_COLLECTIONS = ("people", "suggestions", "applications", "entitlements",
                      "payout_batches", "payment_lines")
LIGHT = {"history": 0, "_outbox": 0}    # what a batch never needs of an entitlement
LEDGER_SHARDS = 8


def suggestion_id(person_id, code):
    return "ssug_%s_%s" % (person_id, code)


def application_id(person_id, code, n):
    return "sapp_%s_%s_%d" % (person_id, code, n)


def entitlement_id(person_id, code, n=1):
    return "sent_%s_%s_%d" % (person_id, code, n)


def _push(entries):
    return {"_outbox": {"$each": list(entries)}}


class SubsidyStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        db.people.create_index("served_region")
        db.suggestions.create_index("key", unique=True)
        db.suggestions.create_index("person_id")
        db.applications.create_index("open_key", unique=True)
        db.applications.create_index("person_id")
        db.applications.create_index([("handling_region", 1), ("status", 1)])
        db.applications.create_index("filing_region")
        db.applications.create_index("entitlement_pending")
        db.entitlements.create_index("held_key", unique=True)
        db.entitlements.create_index("person_id")
        db.entitlements.create_index([("region", 1), ("status", 1)])
        db.payment_lines.create_index("line_id", unique=True)
        db.payment_lines.create_index("batch_id")
        db.payment_lines.create_index("region")
        db.recoveries.create_index("person_id")
        db.recoveries.create_index("region")
        outbox.ensure_indexes(db)

    # people (event-carried state) -------------------------------------------------------------
    def person(self, person_id):
        return self.db.people.find_one({"_id": person_id}) or {"_id": person_id}

    def set_certificate(self, person_id, cert, occurred_at):
        """Keep the newest certificate fact (an older event arriving late changes nothing)."""
        return keep_newest(self.db.people, person_id, "certificate", cert, occurred_at,
                           find_and_return=True)

    def set_fields(self, person_id, fields, entries=()):
        update = {"$set": fields}
        if entries:
            update["$push"] = _push(entries)
        return upsert(self.db.people, {"_id": person_id}, update, find_and_return=True,
                      return_document=ReturnDocument.AFTER)

    def people_in(self, region):
        return self.db.people.find({"served_region": region})

    # suggestions ------------------------------------------------------------------------------
    def insert_suggestion(self, doc):
        try:
            self.db.suggestions.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def suggestions_for(self, person_id):
        """Newest first; one read by _id per policy code."""
        found = [self.db.suggestions.find_one({"_id": suggestion_id(person_id, code)})
                 for code in POLICY_CODES]
        return sorted((s for s in found if s), key=lambda s: s["created_at"], reverse=True)

    def suggestion(self, suggestion_id):
        return self.db.suggestions.find_one({"_id": suggestion_id})

    def move_suggestion(self, suggestion_id, from_status, fields, entries):
        return self.db.suggestions.find_one_and_update(
            {"_id": suggestion_id, "status": from_status},
            {"$set": fields, "$push": _push(entries)}, return_document=ReturnDocument.AFTER)

    # applications -----------------------------------------------------------------------------
    def insert_application(self, doc):
        """False when the person already has an open application for this benefit."""
        try:
            self.db.applications.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def application(self, app_id):
        return self.db.applications.find_one({"_id": app_id})

    def _generations(self, collection, make_id):
        """Documents make_id(1), make_id(2), ... up to the first that does not exist."""
        out, n = [], 1
        while True:
            doc = collection.find_one({"_id": make_id(n)})
            if doc is None:
                return out, n
            out.append(doc)
            n += 1

    def applications_for(self, person_id, code=None):
        """Newest first (of one policy code, or of all)."""
        out = []
        for c in ([code] if code else POLICY_CODES):
            out += self._generations(self.db.applications,
                                     lambda n: application_id(person_id, c, n))[0]
        return sorted(out, key=lambda a: a["created_at"], reverse=True)

    def next_application_id(self, person_id, code):
        return application_id(person_id, code, self._generations(
            self.db.applications, lambda n: application_id(person_id, code, n))[1])

    def move_application(self, app_id, from_status, fields, history, entries):
        return self.db.applications.find_one_and_update(
            {"_id": app_id, "status": from_status},
            {"$set": fields, "$push": dict(_push(entries), history=history)},
            return_document=ReturnDocument.AFTER)

    def applications_in(self, region, statuses=None, limit=2000):
        q = {"handling_region": region}
        if statuses:
            q["status"] = {"$in": list(statuses)}
        return list(self.db.applications.find(q).sort("step_entered_at", 1).limit(limit))

    def routed_out(self, region, limit=200):
        return list(self.db.applications.find({"filing_region": region, "routed": True})
                    .sort("created_at", 1).limit(limit))

    # approvals whose entitlement is still to be written (a crash between the two writes):
    # a small side collection the 5 s timer reads whole, instead of scanning applications
    def grant_pending(self, app_id):
        upsert(self.db.grants_pending, {"_id": app_id}, {"$set": {"at": self.clock.now()}})

    def grants_pending(self):
        return list(self.db.grants_pending.find().limit(100))

    def entitlement_created(self, app_id):
        self.db.applications.update_one({"_id": app_id}, {"$set": {"entitlement_pending": False}})
        self.db.grants_pending.delete_one({"_id": app_id})

    def drop_grant_pending(self, app_id):
        self.db.grants_pending.delete_one({"_id": app_id})

    # entitlements -----------------------------------------------------------------------------
    def insert_entitlement(self, doc):
        try:
            self.db.entitlements.insert_one(doc)
            return doc
        except DuplicateKeyError:
            return self.db.entitlements.find_one({"_id": doc["_id"]})

    def entitlements_for(self, person_id):
        """Oldest first, every generation of every policy code (also ended ones)."""
        out = []
        for code in POLICY_CODES:
            out += self._generations(self.db.entitlements,
                                     lambda n: entitlement_id(person_id, code, n))[0]
        return sorted(out, key=lambda e: e["created_at"])

    def next_entitlement_id(self, person_id, code):
        """The id of the person's next grant of ``code``: the first generation not yet used."""
        return entitlement_id(person_id, code, self._generations(
            self.db.entitlements, lambda n: entitlement_id(person_id, code, n))[1])

    def entitlement(self, ent_id):
        return self.db.entitlements.find_one({"_id": ent_id})

    def entitlements_in(self, region, statuses):
        """Who holds what in the region (the dashboard's coverage): policy and person only."""
        return list(self.db.entitlements.find({"region": region,
                                               "status": {"$in": list(statuses)}},
                                              {"policy_code": 1, "person_id": 1}))

    def held_entitlements(self):
        """Every held entitlement of every region, without history: one read of the collection
        (the batch's supervision needs each person's held benefits, wherever held)."""
        return list(self.db.entitlements.find({"status": {"$in": list(HELD_STATUSES)}}, LIGHT))

    def people_of_region(self, region):
        """{person_id: local copy} of the people served by ``region`` (one read)."""
        return {p["_id"]: p for p in self.db.people.find({"served_region": region},
                                                         {"_outbox": 0})}

    def move_entitlement(self, ent_id, from_status, fields, history, entries):
        return self.db.entitlements.find_one_and_update(
            {"_id": ent_id, "status": from_status},
            {"$set": fields, "$push": dict(_push(entries), history=history)},
            return_document=ReturnDocument.AFTER)

    def set_grade(self, ent_id, grade, entries):
        return self.db.entitlements.find_one_and_update(
            {"_id": ent_id, "grade": {"$ne": grade}},
            {"$set": {"grade": grade}, "$push": _push(entries)},
            return_document=ReturnDocument.AFTER)

    # payout batches and lines -----------------------------------------------------------------
    def claim_batch(self, doc):
        """(doc, True) when this call created the batch; (existing, False) otherwise."""
        try:
            self.db.payout_batches.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            return self.batch(doc["_id"]), False

    def take_over_batch(self, batch_id, now, lease_until):
        """A run that died mid-way (lease over) is taken over by exactly one caller."""
        return self.db.payout_batches.find_one_and_update(
            {"_id": batch_id, "status": "running", "lease_until": {"$lt": now}},
            {"$set": {"lease_until": lease_until}}, return_document=ReturnDocument.AFTER)

    def finish_batch(self, batch_id, fields, entries):
        return self.db.payout_batches.find_one_and_update(
            {"_id": batch_id}, {"$set": fields, "$push": _push(entries)},
            return_document=ReturnDocument.AFTER)

    def batch(self, batch_id):
        return self.db.payout_batches.find_one({"_id": batch_id})

    def renew_batch(self, batch_id, lease_until):
        self.db.payout_batches.update_one({"_id": batch_id},
                                          {"$set": {"lease_until": lease_until}})

    def region_line_ids(self, region):
        """Every line id of the region (one read of the collection): only when the ledger is
        missing (below)."""
        return [d["_id"] for d in self.db.payment_lines.find({"region": region}, {"_id": 1})]

    # the batch ledger: {entitlement_id: "YYYY-MM"} per region, every due month up to which has
    # a line (payments.compute_batch); LEDGER_SHARDS documents per region, read and written by
    # _id, instead of reading every line the region was ever paid
    def ledger(self, region):
        through = {}
        for k in range(LEDGER_SHARDS):
            doc = self.db.paid_ledger.find_one({"_id": "%s:%d" % (region, k)})
            through.update((doc or {}).get("through") or {})
        return through

    def save_ledger(self, region, through):
        shards = [{} for _ in range(LEDGER_SHARDS)]
        for ent_id, month in through.items():
            shards[zlib.crc32(ent_id.encode()) % LEDGER_SHARDS][ent_id] = month
        for k, part in enumerate(shards):
            doc = {"_id": "%s:%d" % (region, k), "region": region, "through": part,
                   "at": self.clock.now()}
            try:
                self.db.paid_ledger.replace_one({"_id": doc["_id"]}, doc, upsert=True)
            except DuplicateKeyError:   # a racing first write: it exists now
                self.db.paid_ledger.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def insert_lines(self, docs):
        """Insert a chunk of lines at once; returns the ids that were already there (their
        unique _id refused them: paid by an earlier run, never twice). Any other error raises."""
        return insert_new(self.db.payment_lines, docs)

    def line(self, line_id):
        return self.db.payment_lines.find_one({"_id": line_id})

    def lines_of_batch(self, batch_id):
        return list(self.db.payment_lines.find({"batch_id": batch_id}).sort("_id", 1))

    def lines_for(self, person_id, entitlements=None):
        """Month order. By _id: for each of the person's entitlements, each month from its
        start up to now (in which a line of it can exist)."""
        now = self.clock.now().astimezone(SHANGHAI).date()
        up_to = payments.month_of(now)
        out = []
        for ent in entitlements if entitlements is not None else self.entitlements_for(person_id):
            for month in payments.line_months(ent, up_to):
                doc = self.line(payments.line_id(ent["_id"], month))
                if doc:
                    out.append(doc)
        return sorted(out, key=lambda ln: (ln["month"], ln["_id"]))

    # chunks of a batch: what they wrote, and their announcement (notify events, audit) --------
    # ``payout_chunks`` keeps each chunk's record (written once); its state lives in a small
    # marker in ``payout_pending`` until the chunk is announced (FerretDB reads even by _id
    # through the whole table: the 5 s timer must only ever read a small collection)
    def open_chunk(self, doc):
        """The chunk's record, then its marker, before any of its lines is written."""
        self.db.payout_chunks.insert_one(doc)
        self.db.payout_pending.insert_one({"_id": doc["_id"], "batch_id": doc["batch_id"],
                                           "state": "writing", "duplicates": [],
                                           "at": self.clock.now(), "next_at": None})

    def chunk_written(self, chunk_id, duplicates):
        self.db.payout_pending.update_one({"_id": chunk_id}, {"$set": {
            "state": "written", "duplicates": list(duplicates)}})

    def chunk(self, chunk_id):
        return self.db.payout_chunks.find_one({"_id": chunk_id})

    def pending_chunks(self):
        return list(self.db.payout_pending.find().limit(500))

    def postpone_chunk(self, chunk_id, next_at):
        self.db.payout_pending.update_one({"_id": chunk_id}, {"$set": {"next_at": next_at}})

    def chunk_announced(self, chunk_id):
        self.db.payout_pending.delete_one({"_id": chunk_id})

    def write_audit(self, entry):
        """An audit record written directly (once: its id is unique), as the relay does."""
        try:
            self.db["audit"].insert_one(dict(entry["record"], _id=entry["id"]))
        except DuplicateKeyError:
            pass

    def move_line(self, line_id, from_status, fields, entries):
        return self.db.payment_lines.find_one_and_update(
            {"_id": line_id, "status": from_status},
            {"$set": fields, "$push": _push(entries)}, return_document=ReturnDocument.AFTER)

    # recoveries -------------------------------------------------------------------------------
    def record_recovery(self, doc, audit_entry):
        try:
            self.db.recoveries.insert_one(doc)
        except DuplicateKeyError:
            return False
        self.db.payment_lines.update_one(
            {"_id": doc["line_id"]},
            {"$set": {"recovery": {"id": doc["_id"], "cause": doc["cause"],
                                   "cause_date": doc["cause_date"], "status": "open"}},
             "$push": _push([audit_entry])})
        return True

    def recoveries_in(self, region):
        return list(self.db.recoveries.find({"region": region}).sort("created_at", 1))
