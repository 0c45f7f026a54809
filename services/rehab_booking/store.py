"""Rehab booking storage: institutions, schedules, slots, bookings, waitlist, people, guards.

The only place that queries. Every state change is one conditional single-document update
(FerretDB v1 / MongoDB 7: no transactions, no $expr, no positional updates).
"""
import datetime as dt
import uuid

import eventlet
from pymongo import ASCENDING, ReturnDocument

from services.common import outbox
from services.common.clock import UTC
from services.common.errors import Conflict
from services.common.mongo import BaseStore, DuplicateKeyError
from services.rehab_booking import states

AFTER = ReturnDocument.AFTER
GUARD_LEASE = dt.timedelta(seconds=15)     # real time: a crashed holder frees the person
GUARD_WAIT_SECONDS = 5.0


def _pack(doc):
    """FerretDB v1 stores no nested arrays: opening hours [[start, end]] -> [{start, end}]."""
    if doc and isinstance(doc.get("opening_hours"), dict):
        doc = dict(doc, opening_hours={d: [{"start": a, "end": b} for a, b in periods]
                                       for d, periods in doc["opening_hours"].items()})
    return doc


def _unpack(doc):
    if doc and isinstance(doc.get("opening_hours"), dict):
        doc["opening_hours"] = {d: [[p["start"], p["end"]] if isinstance(p, dict) else p
                                    for p in periods]
                                for d, periods in doc["opening_hours"].items()}
    return doc


class RehabBookingStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        db.institutions.create_index([("region", ASCENDING), ("designation", ASCENDING)])
        db.slots.create_index([("institution_id", ASCENDING), ("start", ASCENDING)])
        db.slots.create_index([("service", ASCENDING), ("start", ASCENDING)])
        db.slots.create_index([("status", ASCENDING), ("orphaning_done", ASCENDING)])
        db.bookings.create_index([("person_id", ASCENDING), ("status", ASCENDING)])
        db.bookings.create_index([("slot_id", ASCENDING), ("status", ASCENDING)])
        db.bookings.create_index([("status", ASCENDING), ("hold_expires_at", ASCENDING)])
        db.bookings.create_index([("institution_id", ASCENDING), ("start", ASCENDING)])
        db.bookings.create_index([("region", ASCENDING), ("status", ASCENDING)])
        db.waitlist.create_index([("status", ASCENDING), ("institution_id", ASCENDING)])
        db.waitlist.create_index([("person_id", ASCENDING), ("status", ASCENDING)])
        outbox.ensure_indexes(db)

    # institutions -----------------------------------------------------------------------------
    def institution(self, inst_id):
        return _unpack(self.db.institutions.find_one({"_id": inst_id}))

    def institutions(self, query, limit=200):
        return [_unpack(d) for d in self.db.institutions.find(query).sort("_id", 1).limit(limit)]

    def insert_institution(self, doc):
        try:
            self.db.institutions.insert_one(_pack(doc))
        except DuplicateKeyError:
            raise Conflict("机构编号已存在", {"id": doc["_id"]}, code="DUPLICATE")

    def update_institution(self, flt, update):
        if "$set" in update:
            update = dict(update, **{"$set": _pack(update["$set"])})
        return _unpack(self.db.institutions.find_one_and_update(flt, update,
                                                                return_document=AFTER))

    def removed_institutions_pending(self, limit=20):
        return [_unpack(d) for d in self.db.institutions.find(
            {"designation": "removed", "orphaning_done": False}).limit(limit)]

    # schedules and slots ----------------------------------------------------------------------
    def insert_schedule(self, doc):
        self.db.schedules.insert_one(doc)

    def upsert_slot(self, flt, update):
        """Insert-only upsert; True if the slot is new."""
        try:
            res = self.db.slots.update_one(flt, update, upsert=True)
        except DuplicateKeyError:
            return False
        return res.upserted_id is not None

    def slot(self, slot_id):
        return self.db.slots.find_one({"_id": slot_id})

    def slots(self, query, limit=500):
        return list(self.db.slots.find(query).sort([("start", 1), ("_id", 1)]).limit(limit))

    def claim_seat(self, claims):
        """Try the seat claims in order; the pool of the one that matched, or None."""
        for claim in claims:
            if self.db.slots.find_one_and_update(claim["filter"], claim["update"],
                                                 return_document=AFTER) is not None:
                return claim["pool"]
        return None

    def release_seat(self, release):
        flt, update = release
        return self.db.slots.update_one(flt, update).modified_count == 1

    def update_slot(self, flt, update):
        return self.db.slots.find_one_and_update(flt, update, return_document=AFTER)

    def closed_slots_pending(self, limit=50):
        return list(self.db.slots.find({"status": "closed", "orphaning_done": False}).limit(limit))

    # bookings ---------------------------------------------------------------------------------
    def booking(self, booking_id):
        return self.db.bookings.find_one({"_id": booking_id})

    def insert_booking(self, doc):
        self.db.bookings.insert_one(doc)

    def apply_booking(self, flt, update):
        return self.db.bookings.find_one_and_update(flt, update, return_document=AFTER)

    def bookings(self, query, limit=500, sort=("start", 1)):
        return list(self.db.bookings.find(query).sort([sort, ("_id", 1)]).limit(limit))

    def count_bookings(self, query):
        return self.db.bookings.count_documents(query)

    def person_active(self, person_id):
        return self.bookings({"person_id": person_id, "status": {"$in": list(states.ACTIVE)}})

    def no_show_times(self, person_id, since):
        return [b["start"] for b in self.db.bookings.find(
            {"person_id": person_id, "status": states.NO_SHOW, "start": {"$gt": since}})]

    # waitlist ---------------------------------------------------------------------------------
    def insert_waitlist(self, doc):
        self.db.waitlist.insert_one(doc)

    def waitlist_entry(self, entry_id):
        return self.db.waitlist.find_one({"_id": entry_id})

    def waitlist(self, query, limit=500):
        return list(self.db.waitlist.find(query).sort([("created_at", 1), ("_id", 1)]).limit(limit))

    def update_waitlist(self, flt, update):
        return self.db.waitlist.find_one_and_update(flt, update, return_document=AFTER)

    def slots_with_waiters(self, now, limit=50):
        """Open future slots some waiting entry may match (by slot id or by day)."""
        out, seen = [], set()
        for e in self.waitlist({"status": "waiting", "valid_until": {"$gt": now}}, limit=200):
            if e.get("slot_id"):
                query = {"_id": e["slot_id"]}
            else:
                query = {"institution_id": e["institution_id"], "service": e["service"],
                         "status": "open", "start": {"$gt": now}}
            for s in self.slots(query, limit=20):
                if s["_id"] not in seen and s.get("status") == "open":
                    seen.add(s["_id"])
                    out.append(s)
            if len(out) >= limit:
                break
        return out

    # people (event-carried state) -------------------------------------------------------------
    def person(self, person_id):
        return self.db.people.find_one({"_id": person_id})

    def set_person_fact(self, person_id, field, value, at):
        """Keep the newest fact: ignore an event older than the one already applied."""
        flt = {"_id": person_id, "$or": [{field + "_at": {"$exists": False}},
                                         {field + "_at": {"$lte": at}}]}
        try:
            self.db.people.update_one(flt, {"$set": {field: value, field + "_at": at}},
                                      upsert=True)
        except DuplicateKeyError:
            pass   # a newer fact is already there

    # per-person guard -------------------------------------------------------------------------
    def acquire_person(self, person_id):
        """Serialise one person's booking changes (overlap checks) across workers and replicas.

        A lease document per person, claimed with one conditional upsert; waits a little for a
        concurrent holder, then answers 409 BOOKING_IN_PROGRESS. Returns the release token.
        """
        token = uuid.uuid4().hex
        deadline = eventlet.hubs.get_hub().clock() + GUARD_WAIT_SECONDS
        while True:
            now = dt.datetime.now(UTC)
            try:
                got = self.db.person_guards.find_one_and_update(
                    {"_id": person_id, "$or": [{"token": None}, {"lease_until": {"$lt": now}}]},
                    {"$set": {"token": token, "lease_until": now + GUARD_LEASE}},
                    upsert=True, return_document=AFTER)
                if got is not None and got.get("token") == token:
                    return token
            except DuplicateKeyError:
                pass
            if eventlet.hubs.get_hub().clock() > deadline:
                raise Conflict("您的另一个预约操作正在处理，请稍后再试",
                               code="BOOKING_IN_PROGRESS")
            eventlet.sleep(0.05)

    def release_person(self, person_id, token):
        self.db.person_guards.update_one({"_id": person_id, "token": token},
                                         {"$set": {"token": None, "lease_until": None}})

    # measures ---------------------------------------------------------------------------------
    def count_by(self, collection, match, key):
        rows = self.db[collection].aggregate([{"$match": match},
                                              {"$group": {"_id": "$" + key, "n": {"$sum": 1}}}])
        return {r["_id"]: r["n"] for r in rows}

    def sum_slots(self, match):
        rows = list(self.db.slots.aggregate([{"$match": match}, {"$group": {
            "_id": None, "capacity": {"$sum": "$capacity"}, "booked": {"$sum": "$booked"}}}]))
        return rows[0] if rows else {"capacity": 0, "booked": 0}
