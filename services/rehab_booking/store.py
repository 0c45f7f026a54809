"""Rehab booking storage: institutions, schedules, slots, bookings, waitlist, people, guards.

The only place that queries. Every state change is one conditional single-document update
(FerretDB v1 / MongoDB 7: no transactions, no $expr, no positional updates).
"""
import datetime as dt
import logging
import uuid

import eventlet
from pymongo import ASCENDING, ReturnDocument

from services.common import outbox
from services.common.clock import UTC
from services.common.errors import Conflict
from services.common.mongo import (BaseStore, DuplicateKeyError, holds, insert_new, keep_newest,
                                   upsert)
from services.rehab_booking import reminders, states
from services.rehab_booking.booking import expiry_at
from services.rehab_booking.capacity import seat_order

log = logging.getLogger(__name__)
AFTER = ReturnDocument.AFTER
GUARD_LEASE = dt.timedelta(seconds=15)     # real time: a crashed holder frees the person
GUARD_WAIT_SECONDS = 5.0
SEAT_READS_AT_ONCE = 10
# the sweeps' work lists: kind -> when a booking falls due (None: not due for that sweep)
DUE = {"expiry": expiry_at, "reminders": reminders.next_reminder_at}


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


def _by_id(coll, doc_id, attempts=3):
    """find_one by _id, read again when nothing came back: under heavy concurrent load the
    embedded FerretDB (SQLite) has been seen answering 'no document' for one that exists."""
    for i in range(attempts):
        doc = coll.find_one({"_id": doc_id})
        if doc is not None or i == attempts - 1:
            return doc
        log.warning("%s: empty read of an id, reading again", coll.name)
        eventlet.sleep(0.05 * (i + 1))


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
        db.seats.create_index([("slot_id", ASCENDING)])
        db.seats.create_index([("booking_id", ASCENDING)])
        outbox.ensure_indexes(db)
        RehabBookingStore.backfill_slot_days(db)
        BaseStore.backfill_lists(db, "person_bookings", "bookings", "person_id", "_id")
        for kind, at_of in DUE.items():
            BaseStore.backfill_due(db, kind, "bookings", at_of=at_of)

    # institutions -----------------------------------------------------------------------------
    def institution(self, inst_id):
        return _unpack(_by_id(self.db.institutions, inst_id))

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

    def insert_slots(self, slots, chunk=500):
        """Insert the slots that do not exist yet (ids are deterministic, so a schedule saved
        twice adds nothing); one bulk write per chunk. Returns how many were new."""
        created = 0
        for i in range(0, len(slots), chunk):
            part = slots[i:i + chunk]
            created += len(part) - len(insert_new(self.db.slots, part))
        self._index_slot_days(self.db, slots)
        return created

    # An institution's slots by day: ``slot_days`` {_id: "<institution>|<UTC date>", ids: [...]}
    # so that listing them reads documents by _id (FerretDB v1 would scan every slot of the
    # city for {"institution_id": ..., "start": ...}).
    @staticmethod
    def _day_key(institution_id, day):
        return "%s|%s" % (institution_id, day.isoformat())

    @staticmethod
    def _index_slot_days(db, slots):
        days = {}
        for slot in slots:
            key = RehabBookingStore._day_key(slot["institution_id"],
                                             slot["start"].astimezone(UTC).date())
            days.setdefault(key, set()).add(slot["_id"])
        for key, ids in days.items():
            for _ in range(5):  # $addToSet is read-modify-write on FerretDB v1: check, again
                upsert(db.slot_days, {"_id": key}, {"$addToSet": {"ids": {"$each": sorted(ids)}}})
                if ids <= set((db.slot_days.find_one({"_id": key}) or {}).get("ids", ())):
                    break

    def institution_slots(self, institution_id, after, before):
        """The institution's slots starting in (after, before), by start."""
        out, day = [], after.astimezone(UTC).date()
        while day <= before.astimezone(UTC).date():
            index = self.db.slot_days.find_one({"_id": self._day_key(institution_id, day)})
            for slot_id in (index or {}).get("ids", ()):
                slot = self.db.slots.find_one({"_id": slot_id})
                if slot and after < slot["start"] < before:
                    out.append(slot)
            day += dt.timedelta(days=1)
        return sorted(out, key=lambda s: (s["start"], s["_id"]))

    @staticmethod
    def backfill_slot_days(db):
        """Migration: index slots stored before ``slot_days`` existed (one read, at start)."""
        if db.slot_days.estimated_document_count() or not db.slots.estimated_document_count():
            return
        RehabBookingStore._index_slot_days(db, list(db.slots.find({}, {"institution_id": 1,
                                                                    "start": 1})))

    def slot(self, slot_id):
        return _by_id(self.db.slots, slot_id)

    def slots(self, query, limit=500):
        return list(self.db.slots.find(query).sort([("start", 1), ("_id", 1)]).limit(limit))

    # seats: one document per place, ``{slot}#{n}`` -------------------------------------------
    # The embedded FerretDB v1 (SQLite) does not make a filtered update atomic (measured: 250
    # "successful" conditional $inc claims on a capacity-10 counter from 4 processes), but a
    # unique _id is enforced by SQLite's primary key. So a place is a document whose _id is the
    # seat number: at most ``capacity`` of them can exist, on FerretDB and on MongoDB alike. The
    # slot's counters are a cache recounted from the seats.
    def take_seats(self, slot, booking_id, pools, seats, released, first=0, recount=True):
        """Insert ``seats`` seat documents in the pools in order, trying each pool's numbers
        from its ``first``-th (capacity.seat_order). The pool of the first place taken, or
        None (nothing kept) when there were not enough. ``recount=False``: the caller recounts
        after a success (a slot's gate, admission.py)."""
        cap, reserved = slot["capacity"], slot.get("priority_reserved", 0)
        now, taken, seat_ids = self.clock.now(), [], self._seat_ids(slot["_id"], cap)
        for pool in pools:
            numbers = range(0, reserved) if pool == "priority" else (
                range(0, cap) if released else range(reserved, cap))
            for n in seat_order(numbers, first):
                if len(taken) == seats:
                    break
                try:
                    self.db.seats.insert_one({"_id": seat_ids[n],
                                              "slot_id": slot["_id"], "booking_id": booking_id,
                                              "pool": "priority" if n < reserved else "general",
                                              "at": now})
                    taken.append("priority" if n < reserved else "general")
                except DuplicateKeyError:
                    continue
        if len(taken) < seats:
            if taken:
                self.release_seats(booking_id, slot["_id"])
            else:   # the counters that let this booking through were stale: put them right
                self.recount(slot["_id"], capacity=cap)
            return None
        if recount:
            self.recount(slot["_id"], capacity=cap)
        return taken[0]

    def release_seats(self, booking_id, slot_id):
        """Give a booking's places on a slot back (idempotent: a second call deletes nothing).

        Read and delete by _id alone (any other filter scans every seat on FerretDB v1). A seat
        read as this booking's is still its own at the delete: a booking's places on a slot are
        given back by one caller only (the transition that won its claim, or the create that
        failed), and nobody else can take a place before it is deleted."""
        n, seat_ids = 0, self._seat_ids(slot_id)
        for seat in self._read_seats(seat_ids, {"booking_id": 1}):
            if seat and seat.get("booking_id") == booking_id:
                n += self.db.seats.delete_one({"_id": seat["_id"]}).deleted_count
        self.recount(slot_id, capacity=len(seat_ids))
        return n

    def seat_counts(self, slot_id, capacity=None):
        """Seats are read by _id (``{slot}#{n}``, n < capacity): FerretDB v1 would scan every
        seat of every slot for ``{"slot_id": ...}``."""
        out = {"booked": 0, "general_booked": 0, "priority_booked": 0}
        for seat in self._read_seats(self._seat_ids(slot_id, capacity), {"pool": 1}):
            if seat:
                out["booked"] += 1
                out["%s_booked" % seat.get("pool", "general")] += 1
        return out

    def _read_seats(self, seat_ids, projection):
        """The seats (None where free), read by _id side by side, not one after the other: a
        recount waits for one round trip instead of ``capacity`` of them (the booking that
        fills a slot recounts before the bookings waiting for it are refused)."""
        pool = eventlet.GreenPool(SEAT_READS_AT_ONCE)
        return list(pool.imap(lambda i: self.db.seats.find_one({"_id": i}, projection),
                              seat_ids))

    def _seat_ids(self, slot_id, capacity=None):
        if capacity is None:
            capacity = (self.slot(slot_id) or {}).get("capacity", 0)
        return ["%s#%03d" % (slot_id, n) for n in range(capacity)]

    def recount(self, slot_id, settle=True, capacity=None):
        """Counters from the seats. Two recounts can interleave and leave a stale figure, so a
        changed slot is also listed in ``slot_recounts`` (small; read whole, unlike the slots)
        for the sweep to recount again until the changes have settled."""
        now = self.clock.now()
        if settle:
            self.mark_recount(slot_id, now)
        counts = self.seat_counts(slot_id, capacity)
        self.db.slots.update_one({"_id": slot_id}, {"$set": dict(counts, seats_changed_at=now)})
        return counts

    def mark_recount(self, slot_id, now=None):
        """List the slot for the settle sweep (recount_recent: every 2 s, for 20 s)."""
        upsert(self.db.slot_recounts, {"_id": slot_id}, {"$set": {"at": now or self.clock.now()}})

    def recount_recent(self, since):
        for mark in list(self.db.slot_recounts.find()):
            self.recount(mark["_id"], settle=False)
            if mark["at"] < since:
                self.db.slot_recounts.delete_one({"_id": mark["_id"], "at": mark["at"]})

    def fresh_slot(self, slot_id):
        """The slot with its counters taken from the seats themselves."""
        slot = self.slot(slot_id)
        if slot is not None:
            slot.update(self.seat_counts(slot_id, slot.get("capacity", 0)))
        return slot

    def update_slot(self, flt, update):
        return self.db.slots.find_one_and_update(flt, update, return_document=AFTER)

    def closed_slots_pending(self, limit=50):
        return list(self.db.slots.find({"status": "closed", "orphaning_done": False}).limit(limit))

    # bookings ---------------------------------------------------------------------------------
    def booking(self, booking_id):
        return _by_id(self.db.bookings, booking_id)

    def insert_booking(self, doc):
        # listed first: an entry without its booking is skipped by readers, a booking missing
        # from its person's list would escape the overlap and no-show checks
        self.append_ref("person_bookings", doc["person_id"], doc["_id"])
        self._mark_due_work(doc)
        self.db.bookings.insert_one(doc)

    def person_bookings(self, person_id):
        """Every booking of the person (their list, then each by _id: no scan)."""
        found = (self.booking(b) for b in self.list_refs("person_bookings", person_id))
        return [b for b in found if b]

    def apply_booking(self, flt, update):
        """A claimed change of a booking (a transition, a reminder): ``flt`` is checked on a
        fresh read, the update filters by _id alone."""
        fresh = self.booking(flt["_id"])
        if fresh is None or not holds(fresh, flt):
            return None
        self._mark_due_work(dict(fresh, **update.get("$set", {})))
        return self.db.bookings.find_one_and_update({"_id": flt["_id"]}, update,
                                                    return_document=AFTER)

    # The sweeps' work lists (BaseStore.mark_due): a booking is marked in ``due_expiry`` /
    # ``due_reminders`` before a write gives it a hold deadline, a pending confirmation or a
    # reminder to send; a mark no longer due is dropped by the sweep. The sweeps had scanned
    # every booking four times every 30 s (5 s of database time each on a day's load data).
    def _mark_due_work(self, booking):
        for kind, at_of in DUE.items():
            at = at_of(booking)
            if at is not None:
                self.mark_due(kind, booking["_id"], at)

    def due_bookings(self, kind, now, still_due):
        return self.due_documents(kind, "bookings", now, still_due)

    def bookings(self, query, limit=500, sort=("start", 1)):
        return list(self.db.bookings.find(query).sort([sort, ("_id", 1)]).limit(limit))

    def count_bookings(self, query):
        return self.db.bookings.count_documents(query)

    def person_active(self, person_id):
        return [b for b in self.person_bookings(person_id) if b["status"] in states.ACTIVE]

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
        return _by_id(self.db.people, person_id, attempts=2)

    def set_person_fact(self, person_id, field, value, at):
        """Keep the newest fact: ignore an event older than the one already applied."""
        keep_newest(self.db.people, person_id, field, value, at)

    # per-person guard -------------------------------------------------------------------------
    def try_lock(self, key):
        """A non-waiting guard (e.g. one replica offers a slot's freed place at a time)."""
        try:
            return self.acquire_person(key, wait=0)
        except Conflict:
            return None

    def acquire_person(self, person_id, wait=GUARD_WAIT_SECONDS):
        """Serialise one person's booking changes (overlap checks) across workers and replicas.

        The guard is a document with the person's id, inserted (unique _id: atomic on FerretDB
        too) and deleted when done; a holder that crashed is cleared after its lease. Waits a
        little for a concurrent holder, then answers 409 BOOKING_IN_PROGRESS.
        """
        token = uuid.uuid4().hex
        deadline = eventlet.hubs.get_hub().clock() + wait
        while True:
            now = dt.datetime.now(UTC)
            try:
                self.db.person_guards.insert_one({"_id": person_id, "token": token,
                                                  "lease_until": now + GUARD_LEASE})
                return token
            except DuplicateKeyError:
                self.db.person_guards.delete_one({"_id": person_id, "lease_until": {"$lt": now}})
            if eventlet.hubs.get_hub().clock() >= deadline:
                raise Conflict("您的另一个预约操作正在处理，请稍后再试",
                               code="BOOKING_IN_PROGRESS")
            eventlet.sleep(0.05)

    def release_person(self, person_id, token):
        self.db.person_guards.delete_one({"_id": person_id, "token": token})

    # measures ---------------------------------------------------------------------------------
    def count_by(self, collection, match, key):
        rows = self.db[collection].aggregate([{"$match": match},
                                              {"$group": {"_id": "$" + key, "n": {"$sum": 1}}}])
        return {r["_id"]: r["n"] for r in rows}

    def sum_slots(self, match):
        rows = list(self.db.slots.aggregate([{"$match": match}, {"$group": {
            "_id": None, "capacity": {"$sum": "$capacity"}, "booked": {"$sum": "$booked"}}}]))
        return rows[0] if rows else {"capacity": 0, "booked": 0}
