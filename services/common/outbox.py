"""The event outbox: state change, pending events and audit records in one update.

A store writes a state change with ``$push: {"_outbox": {"$each": [event(...), audit(...)]}}`` in
the same single-document update (or ``_outbox: [...]`` in the inserted document), so nothing can
change state without leaving its event and its audit record behind. Then:

- ``Outbox.flush(collection, doc_id)`` (right after the write) publishes the events with nameko
  (mandatory + confirms: an event no queue is bound for yet raises, stays and is retried),
  copies audit records into the ``audit`` collection, and pulls what it handled;
- ``Outbox.sweep(db)`` (a service's ``@timer``) does the same for anything left behind by a
  crash, claiming each document with a conditional update so replicas do not race;
- ``idempotent_handler`` makes an event handler drop an event id it has already processed.

Publishing twice is possible (crash between publish and pull); consumers dedupe by event id.
"""
import datetime as dt
import functools
import logging
import os
import uuid

import eventlet
from nameko.amqp.publish import UndeliverableMessage
from nameko.events import EventDispatcher
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common.clock import Clock

log = logging.getLogger(__name__)

SWEEP_GRACE = dt.timedelta(seconds=5)      # leave fresh entries to the inline flush
LEASE = dt.timedelta(seconds=30)
MAX_ATTEMPTS = 40                           # ~5 h of back-off, then _outbox_dead
UNROUTED_ATTEMPTS = 5                       # ~2.5 min for a subscriber to declare its queue


def event(event_type, payload, now):
    """A pending event for the ``_outbox`` array. ``payload`` must be plain JSON."""
    return {"kind": "event", "id": uuid.uuid4().hex, "type": event_type, "payload": payload,
            "created_at": now, "attempts": 0}


def audit(actor, entity_id, action, from_state, to_state, now, reason=None, data=None):
    """An audit record (who, role, region, when, from, to, reason) for the ``_outbox`` array."""
    actor = actor or {}
    return {"kind": "audit", "id": uuid.uuid4().hex, "created_at": now, "attempts": 0, "record": {
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


class Outbox(EventDispatcher):
    """``outbox = Outbox("applications", "certificates")``: the collections that carry _outbox."""

    def __init__(self, *collections, **options):
        self.collections = collections
        super().__init__(**options)

    def setup(self):
        super().setup()
        self.clock = Clock(self.container.config.get("CLOCK_OFFSET_FILE") or None)
        # fault-injection tests only: die like SIGKILL after a state change, before its publish
        self.crash_before_flush = "outbox_crash_before_flush" in str(
            self.container.config.get("FAILPOINTS") or "")

    def get_dependency(self, worker_ctx):
        return _Relay(self, self.get_message_headers(worker_ctx))

    def publish(self, ev, headers):
        data = dict(ev["payload"], event_id=ev["id"], event_type=ev["type"],
                    occurred_at=ev["created_at"].isoformat())
        self.publisher.publish(data, exchange=self.exchange, routing_key=ev["type"],
                               extra_headers=headers, mandatory=True)


class _Relay:
    def __init__(self, provider, headers):
        self.provider, self.headers = provider, headers

    def flush(self, collection, doc_id):
        if self.provider.crash_before_flush:
            os._exit(137)
        doc = collection.find_one({"_id": doc_id}, {"_outbox": 1, "_outbox_retry": 1})
        if doc:
            self._deliver(collection, doc)

    def sweep(self, db):
        """Deliver what was left behind; returns how many entries were handled."""
        now = self.provider.clock.now()
        handled = 0
        for name in self.provider.collections:
            coll = db[name]
            stale = {"_outbox.0": {"$exists": True},
                     "$or": [{"_outbox_lease": {"$exists": False}}, {"_outbox_lease": {"$lt": now}}]}
            for doc in coll.find(stale, {"_id": 1, "_outbox": 1, "_outbox_retry": 1}).limit(200):
                if all(e["created_at"] > now - SWEEP_GRACE for e in doc["_outbox"]):
                    continue
                claimed = coll.find_one_and_update(
                    {"_id": doc["_id"], "$or": stale["$or"]},
                    {"$set": {"_outbox_lease": now + LEASE}},
                    return_document=ReturnDocument.AFTER)  # (no projection: FerretDB v1)
                if claimed:
                    handled += self._deliver(coll, claimed)
        return handled

    def _deliver(self, coll, doc):
        handled = 0
        db = coll.database
        now = self.provider.clock.now()
        retries = doc.get("_outbox_retry", {})
        for entry in doc.get("_outbox", []):
            retry = retries.get(entry["id"], {})
            if retry.get("next_at") and retry["next_at"] > now:
                continue
            try:
                if entry["kind"] == "audit":
                    db["audit"].update_one({"_id": entry["id"]},
                                           {"$setOnInsert": entry["record"]}, upsert=True)
                else:
                    self.provider.publish(entry, self.headers)
            except (UndeliverableMessage, OSError, eventlet.Timeout) as exc:
                self._postpone(coll, doc["_id"], entry, retry.get("attempts", 0) + 1, now, exc)
                continue
            # (FerretDB v1 $pull matches whole values only: pull the entry exactly as read)
            coll.update_one({"_id": doc["_id"]}, {"$pull": {"_outbox": entry},
                                                  "$unset": {"_outbox_retry." + entry["id"]: ""}})
            handled += 1
        return handled

    def _postpone(self, coll, doc_id, entry, attempts, now, exc):
        """Back off (5 s doubling to 10 min). An event no queue is bound for (durable queues
        outlive their consumers, so: no service subscribes to it here) is set aside in
        _outbox_unrouted after a few tries; other failures go to _outbox_dead after
        MAX_ATTEMPTS, for an operator. Nothing is dropped without a record."""
        log.warning("outbox: %s %s not delivered (attempt %d): %s",
                    entry["kind"], entry.get("type", ""), attempts, type(exc).__name__)
        unrouted = isinstance(exc, UndeliverableMessage) and attempts >= UNROUTED_ATTEMPTS
        if unrouted or attempts >= MAX_ATTEMPTS:
            coll.update_one({"_id": doc_id}, {
                "$pull": {"_outbox": entry},
                "$push": {"_outbox_unrouted" if unrouted else "_outbox_dead": entry},
                "$unset": {"_outbox_retry." + entry["id"]: ""}})
            return
        next_at = now + dt.timedelta(seconds=min(5 * 2 ** attempts, 600))
        # (FerretDB v1 has no positional $ updates: retry state lives in a map keyed by id)
        coll.update_one({"_id": doc_id}, {"$set": {"_outbox_retry." + entry["id"]: {
            "attempts": attempts, "next_at": next_at}}})


HANDLER_LEASE = dt.timedelta(seconds=30)


def idempotent_handler(method):
    """Wrap an ``@event_handler`` method so each event id is processed once per service.

    The handler's service must have ``self.store`` (a BaseStore). A claim document is written
    before the handler runs; a duplicate that finds it ``done`` is dropped; one that finds it
    still ``processing`` waits for the other worker (or takes over when its lease ran out,
    e.g. after a crash), so a redelivered event is neither lost nor handled twice.
    """
    @functools.wraps(method)
    def wrapper(self, payload):
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
    return wrapper
