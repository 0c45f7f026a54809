"""The event outbox: state change, pending events and audit records in one update.

A store writes a state change with ``$push: {"_outbox": {"$each": [event(...), audit(...)]}}`` in
the same single-document update (or ``_outbox: [...]`` in the inserted document), so nothing can
change state without leaving its event and its audit record behind. Then:

- ``Outbox.flush(collection, doc_id)`` (right after the write) publishes the events with nameko
  (mandatory + confirms: an event no queue is bound for yet raises and is retried) and copies
  audit records into the ``audit`` collection;
- ``Outbox.sweep(db)`` (a service's ``@timer``) does the same for anything left behind: every
  call retries the entries a failed publish listed in ``outbox_retry`` (a broker outage); the
  first call in a process (a restart after a crash between a write and its flush) and one
  every ``FULL_SWEEP`` (a flush that failed without a crash) also scan the state collections
  for entries newer than a per-collection watermark. The full scan is rare because FerretDB v1
  reads a whole collection for any filter but ``_id``: every 5 s on 24,400 persons it was most
  of the database's work, and one scan of that collection takes 2-30 s (docs/benchmarks.md);
- ``idempotent_handler`` makes an event handler drop an event id it has already processed.

The relay never writes to the state documents: FerretDB v1 applies updates as read-modify-
write without a lock, so a relay update racing a state change could silently undo it.
Delivery is recorded per entry in ``outbox_delivered`` (_id = entry id; a unique insert claims
an entry, so replicas do not publish the same entry at once). Entries stay in ``_outbox`` as
the document's history of what it announced. Publishing twice is still possible after a crash
between publish and record; consumers dedupe by event id.
"""
import datetime as dt
import functools
import logging
import os
import time
import uuid

import amqp.exceptions
import eventlet
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.amqp.publish import UndeliverableMessage
from nameko.events import EventDispatcher
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from services.common.clock import UTC, Clock
from services.common.errors import Unavailable
from services.common.mongo import upsert

log = logging.getLogger(__name__)

DELIVERED, STATE, RETRY = "outbox_delivered", "outbox_state", "outbox_retry"
TAKEOVERS = "outbox_takeovers"
RESOLVED = ("done", "unrouted", "dead")
SWEEP_GRACE = dt.timedelta(seconds=5)      # leave fresh entries to the inline flush
FULL_SWEEP = dt.timedelta(minutes=int(os.environ.get("OUTBOX_FULL_SWEEP_MINUTES", 30)))
LEASE = dt.timedelta(seconds=30)
PAGE = 500
MAX_ATTEMPTS = 40                           # ~5 h of back-off, then "dead", for an operator
UNROUTED_ATTEMPTS = 5                       # ~2.5 min for a subscriber to declare its queue
EPOCH = dt.datetime(2000, 1, 1, tzinfo=UTC)
# the broker cannot be reached: kombu gives up with OperationalError (not an OSError) after its
# publish retries; amqp's connection errors may surface as they are
BROKER_DOWN = (OperationalError, amqp.exceptions.ConnectionError, OSError, eventlet.Timeout)


def event(event_type, payload, now):
    """A pending event for the ``_outbox`` array. ``payload`` must be plain JSON."""
    return {"kind": "event", "id": uuid.uuid4().hex, "type": event_type, "payload": payload,
            "created_at": now}


def audit(actor, entity_id, action, from_state, to_state, now, reason=None, data=None):
    """An audit record (who, role, region, when, from, to, reason) for the ``_outbox`` array."""
    actor = actor or {}
    return {"kind": "audit", "id": uuid.uuid4().hex, "created_at": now, "record": {
        "entity": entity_id, "action": action, "from": from_state, "to": to_state,
        "reason": reason, "data": data or {}, "at": now,
        "actor_kind": actor.get("kind", "system"),
        "actor_id": actor.get("staff_id") or actor.get("account_id") or "system",
        "roles": actor.get("roles", []), "region": actor.get("region"),
    }}


def audit_trail(db, entity_id):
    docs = db["audit"].find({"entity": entity_id}).sort("at", 1)
    return [dict({k: v for k, v in d.items() if k != "_id"}, id=d["_id"]) for d in docs]


def ensure_indexes(db):
    db["audit"].create_index([("entity", 1), ("at", 1)])
    db["processed_events"].create_index([("state", 1)])


def undelivered(db, doc):
    """The entries of ``doc``'s outbox not yet resolved (delivered, unrouted or dead)."""
    entries = doc.get("_outbox") or []
    if not entries:
        return []
    records = delivery_records(db, entries)
    return [e for e in entries if records.get(e["id"], {}).get("state") not in RESOLVED]


def delivery_records(db, entries):
    """{entry id: its delivery record} for these entries, each read by _id (``{"_id": {"$in":
    ...}}`` reads every record ever written on FerretDB v1: it was the slowest read of a
    flush under load)."""
    found = (db[DELIVERED].find_one({"_id": e["id"]}) for e in entries)
    return {r["_id"]: r for r in found if r}


class Outbox(EventDispatcher):
    """``outbox = Outbox("applications", "certificates")``: the collections that carry _outbox."""

    def __init__(self, *collections, **options):
        self.collections = collections
        super().__init__(**options)

    def setup(self):
        # nameko declares the exchange here; with the broker down that raised and the service
        # exited at start. Wait for the broker instead, as nameko's consumers do.
        wait_for_broker(self.container.config["AMQP_URI"], self.container.service_name)
        super().setup()
        self.clock = Clock(self.container.config.get("CLOCK_OFFSET_FILE") or None)
        # fault-injection tests only: die like SIGKILL after a state change, before its publish
        self.crash_before_flush = "outbox_crash_before_flush" in str(
            self.container.config.get("FAILPOINTS") or "")
        self.last_full_sweep = None  # so the first sweep of a (re)started process is full

    def get_dependency(self, worker_ctx):
        return _Relay(self, self.get_message_headers(worker_ctx))

    def publish(self, ev, headers):
        data = dict(ev["payload"], event_id=ev["id"], event_type=ev["type"],
                    occurred_at=ev["created_at"].isoformat())
        self.publisher.publish(data, exchange=self.exchange, routing_key=ev["type"],
                               extra_headers=headers, mandatory=True)


def wait_for_broker(uri, who, max_delay=10):
    delay = 1
    while True:
        try:
            with Connection(uri, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
            return
        except Exception as exc:  # noqa: BLE001 - whatever it is, the broker is not usable yet
            log.warning("%s: broker not reachable (%s), retrying in %ds", who,
                        type(exc).__name__, delay)
            eventlet.sleep(delay)
            delay = min(delay * 2, max_delay)


class _Relay:
    def __init__(self, provider, headers):
        self.provider, self.headers = provider, headers
        self.broker_down = None     # the error of a publish that found no broker this pass

    def flush(self, collection, doc_id):
        if self.provider.crash_before_flush:
            os._exit(137)
        doc = collection.find_one({"_id": doc_id})
        if doc:
            self._deliver(collection.database, collection.name, doc, self.provider.clock.now())

    def sweep(self, db, full=None):
        """Deliver what was left behind; returns how many entries were handled. ``full``
        forces (True) or skips (False) the scan of the state collections."""
        now = self.provider.clock.now()
        handled = self._retry_due(db, now)
        last = self.provider.last_full_sweep
        if full or (full is None and (last is None or now - last >= FULL_SWEEP)):
            self.provider.last_full_sweep = now
            handled += self._scan(db, now)
        return handled

    def _retry_due(self, db, now):
        handled = 0
        for item in list(db[RETRY].find()):  # small: only entries whose publish failed
            if item["next_at"] > now:
                continue
            doc = db[item["collection"]].find_one({"_id": item["doc_id"]})
            if doc is None:
                db[RETRY].delete_one({"_id": item["_id"]})
                continue
            handled += self._deliver(db, item["collection"], doc, now)[0]
        return handled

    def _scan(self, db, now):
        upper, handled = now - SWEEP_GRACE, 0
        for name in self.provider.collections:
            state = db[STATE].find_one({"_id": name}) or {}
            watermark = state.get("watermark") or EPOCH
            oldest_open, last_id = None, None
            while True:
                query = {"_outbox.created_at": {"$gt": watermark, "$lte": upper}}
                if last_id is not None:
                    query["_id"] = {"$gt": last_id}
                docs = list(db[name].find(query).sort("_id", 1).limit(PAGE))
                for doc in docs:
                    n, open_at = self._deliver(db, name, doc, now, watermark, upper)
                    handled += n
                    if open_at and (oldest_open is None or open_at < oldest_open):
                        oldest_open = open_at
                if len(docs) < PAGE:
                    break
                last_id = docs[-1]["_id"]
            new_mark = oldest_open - dt.timedelta(microseconds=1) if oldest_open else upper
            if new_mark != watermark:
                upsert(db[STATE], {"_id": name}, {"$set": {"watermark": new_mark}})
        return handled

    def _deliver(self, db, collection, doc, now, after=EPOCH, upto=None):
        """Deliver ``doc``'s unresolved entries; returns (handled, oldest still open)."""
        handled, oldest_open = 0, None
        entries = [e for e in doc.get("_outbox") or []
                   if e["created_at"] > after and not (upto and e["created_at"] > upto)]
        records = delivery_records(db, entries)
        for entry in entries:
            record = records.get(entry["id"])
            if record and record["state"] in RESOLVED:
                if record.get("attempts"):  # resolved elsewhere: its retry item is obsolete
                    db[RETRY].delete_one({"_id": entry["id"]})
                continue
            if not self._claim(db, entry, record, now):
                oldest_open = min(oldest_open or entry["created_at"], entry["created_at"])
                continue
            attempts = (record or {}).get("attempts", 0)
            try:
                if entry["kind"] == "audit":
                    upsert(db["audit"], {"_id": entry["id"]}, {"$setOnInsert": entry["record"]})
                elif self.broker_down:   # it just failed us: do not wait on it again this pass
                    raise self.broker_down
                else:
                    self.provider.publish(entry, self.headers)
            except (UndeliverableMessage,) + BROKER_DOWN as exc:
                # the state change stands; the entry is retried when the broker is back
                if isinstance(exc, BROKER_DOWN):
                    self.broker_down = exc
                state, next_at = self._postpone(db, entry, attempts + 1, now, exc)
                if state not in RESOLVED:
                    oldest_open = min(oldest_open or entry["created_at"], entry["created_at"])
                    upsert(db[RETRY], {"_id": entry["id"]}, {"$set": {
                        "collection": collection, "doc_id": doc["_id"], "next_at": next_at}})
                    continue
            else:
                db[DELIVERED].update_one({"_id": entry["id"]},
                                         {"$set": {"state": "done", "at": now}})
                handled += 1
            if attempts:
                db[RETRY].delete_one({"_id": entry["id"]})
        return handled, oldest_open

    @staticmethod
    def _claim(db, entry, record, now):
        """Take the entry for publishing: a unique insert the first time; a due retry or an
        abandoned claim (its worker died) is taken over."""
        if record is None:
            try:
                db[DELIVERED].insert_one({"_id": entry["id"], "state": "publishing",
                                          "lease_until": now + LEASE, "attempts": 0})
                return True
            except DuplicateKeyError:
                return False
        due = (record["state"] == "retry" and record["next_at"] <= now) or \
              (record["state"] == "publishing" and record["lease_until"] <= now)
        if not due:
            return False
        # one taker per version of the record: a unique insert decides (a conditional update
        # would scan every delivery record on FerretDB v1, and two could both match)
        version = "%s|%s|%s|%s" % (entry["id"], record["state"], record.get("attempts", 0),
                                   record.get("next_at") or record.get("lease_until"))
        try:
            db[TAKEOVERS].insert_one({"_id": version, "at": now})
        except DuplicateKeyError:
            return False
        db[DELIVERED].update_one({"_id": entry["id"]},
                                 {"$set": {"state": "publishing", "lease_until": now + LEASE}})
        return True

    @staticmethod
    def _postpone(db, entry, attempts, now, exc):
        """Back off (5 s doubling to 10 min). An event no queue is bound for (durable queues
        outlive their consumers, so: no service subscribes to it here) is set aside as
        "unrouted" after a few tries; other failures become "dead" after MAX_ATTEMPTS, for an
        operator. Nothing is dropped without a record. Returns the new state and when to retry."""
        log.warning("outbox: %s %s not delivered (attempt %d): %s",
                    entry["kind"], entry.get("type", ""), attempts, type(exc).__name__)
        if isinstance(exc, UndeliverableMessage) and attempts >= UNROUTED_ATTEMPTS:
            state = "unrouted"
        elif attempts >= MAX_ATTEMPTS:
            state = "dead"
        else:
            state = "retry"
        next_at = now + dt.timedelta(seconds=min(5 * 2 ** attempts, 600))
        db[DELIVERED].update_one({"_id": entry["id"]}, {"$set": {
            "state": state, "attempts": attempts, "type": entry.get("type"), "next_at": next_at}})
        return state, next_at


HANDLER_LEASE = dt.timedelta(seconds=30)
# nameko acks an event whose handler raised: an event that arrives while the database (or a
# service the handler asks) is unreachable would be lost. The handler waits and tries again
# instead, holding the message (unacked: redelivered elsewhere if this process dies).
TRANSIENT = (ConnectionFailure, Unavailable, OperationalError)
TRANSIENT_RETRY_SECONDS = 600


def idempotent_handler(method):
    """Wrap an ``@event_handler`` method so each event id is processed once per service.

    The handler's service must have ``self.store`` (a BaseStore). A claim document is written
    before the handler runs; a duplicate that finds it ``done`` is dropped; one that finds it
    still ``processing`` waits for the other worker (or takes over when its lease ran out,
    e.g. after a crash), so a redelivered event is neither lost nor handled twice. While the
    database or a service it depends on is unreachable, the event waits (see TRANSIENT).
    """
    @functools.wraps(method)
    def wrapper(self, payload):
        give_up, delay = time.monotonic() + TRANSIENT_RETRY_SECONDS, 1
        while True:
            try:
                return _handle_once(self, method, payload)
            except TRANSIENT as exc:
                if time.monotonic() > give_up:
                    raise
                log.warning("event %s (%s): %s, retrying in %ds", payload.get("event_id"),
                            method.__name__, type(exc).__name__, delay)
                eventlet.sleep(delay)
                delay = min(delay * 2, 15)
    return wrapper


def _handle_once(self, method, payload):
    """One attempt: claim the event id, run the handler, mark it done."""
    event_id = payload.get("event_id")
    if not event_id:
        return method(self, payload)
    events = self.store.db["processed_events"]
    deadline = self.store.clock.now() + HANDLER_LEASE * 2
    while True:
        now = self.store.clock.now()
        try:
            events.insert_one({"_id": event_id, "state": "processing",
                               "lease_until": now + HANDLER_LEASE, "at": now})
            break
        except DuplicateKeyError:
            taken = events.find_one_and_update(
                {"_id": event_id, "state": "processing", "lease_until": {"$lt": now}},
                {"$set": {"lease_until": now + HANDLER_LEASE}})
            if taken:
                break
            current = events.find_one({"_id": event_id})
            if current and current["state"] == "done":
                log.info("duplicate event %s dropped by %s", event_id, method.__name__)
                return None
            if now > deadline:
                raise RuntimeError("event %s stuck in processing" % event_id)
            eventlet.sleep(0.5)
    try:
        result = method(self, payload)
    except Exception:
        events.delete_one({"_id": event_id, "state": "processing"})
        raise
    events.update_one({"_id": event_id}, {"$set": {"state": "done"}})
    return result
