"""Every event type a service consumes, delivered a second time with the same event id: the
consumer's state does not change, and the consumer reports dropping the duplicate.

The consumed types come from the code (every ``@event_handler`` of every service the stack
runs; each must also be an ``@idempotent_handler``), so a new handler is covered, or this test
fails, without anyone editing a list. Cache notices (``cache.EVENT``) are left out: they only
drop a process's in-memory copies, so a second one is a no-op by construction. The events are the real ones the journeys of this session
published, taken from the publishers' outboxes and first processed by every consumer (this
module runs after the journeys: pytest orders files by name); up to PER_TYPE per type. A
consumed type no code path publishes (identity's ``notify`` today) gets a made-up first
delivery from SAMPLES; a consumed type with neither fails the test. Run alone, without the
journeys, it skips.

Per consumer, its documents that mention the redelivered events (their ids, person,
certificate, application, booking, dedupe keys) are compared before and after the second
delivery. Documents that change on their own (timers) in a quiet control window beforehand
are left out and counted, so a timer cannot pass for a double; every other difference fails.
"""
import collections
import datetime as dt
import glob
import importlib
import json
import os
import time
import uuid

import pymongo
import pytest
from nameko.events import EventHandler
from nameko.standalone.events import event_dispatcher

from services.common import cache, outbox
from tests.conftest import wait_for
from tools.stack import SERVICES

PER_TYPE = 3                       # real events redelivered per (source, type)
BOOKKEEPING = {outbox.STATE, outbox.RETRY, outbox.DELIVERED}   # the relay's, not the state
ID_KEYS = ("person_id", "certificate_id", "previous_certificate_id", "application_id",
           "booking_id", "dedupe_key", "escort_dedupe_key", "account_id")


def service_class(name):
    module, cls = SERVICES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def consumed_events():
    """{(source, type): [(consumer service, handler name)]}, read from the service classes."""
    wrapped = outbox.idempotent_handler(lambda self, payload: None).__code__
    out, unguarded = collections.defaultdict(list), []
    for name in SERVICES:
        cls = service_class(name)
        for attr in dir(cls):
            fn = getattr(cls, attr, None)
            for ep in getattr(fn, "nameko_entrypoints", ()):
                if isinstance(ep, EventHandler) and ep.event_type != cache.EVENT:
                    out[(ep.source_service, ep.event_type)].append((name, attr))
                    if getattr(fn, "__code__", None) is not wrapped:
                        unguarded.append("%s.%s" % (name, attr))
    return dict(out), unguarded


def make_notify(ctx):
    return {"person_id": ctx["person_id"], "template": "application_status",
            "data": {"title": "重复投递测试", "status": "已受理"},
            "page": "pages/index/index"}


# first deliveries for consumed types that no code path publishes (yet): (source, type) -> payload
SAMPLES = {("identity", "notify"): make_notify, ("certificate", "notify"): make_notify,
           ("subsidy", "notify"): make_notify, ("rehab_booking", "notify"): make_notify,
           ("volunteer", "notify"): make_notify}


def published_events(client, prefix, source, types):
    """The real events ``source`` published, newest first: {type: [(entry id, data)]}."""
    cls = service_class(source)
    box = next((v for v in vars(cls).values() if isinstance(v, outbox.Outbox)), None)
    if box is None:
        return {}
    db = client[prefix + source]
    entries = []
    for coll in box.collections:
        for doc in db[coll].find({"_outbox": {"$exists": True}}, {"_outbox": 1}):
            entries += [e for e in doc.get("_outbox") or []
                        if e.get("kind") == "event" and e.get("type") in types]
    done = {r["_id"] for r in db[outbox.DELIVERED].find(
        {"_id": {"$in": [e["id"] for e in entries]}, "state": "done"})}
    out = collections.defaultdict(list)
    for e in sorted(entries, key=lambda e: e["created_at"], reverse=True):
        if e["id"] in done:
            out[e["type"]].append((e["id"], dict(e["payload"], event_id=e["id"],
                                                 event_type=e["type"],
                                                 occurred_at=e["created_at"].isoformat())))
    return out


def processed(client, prefix, consumer, event_id):
    return client[prefix + consumer]["processed_events"].find_one(
        {"_id": event_id, "state": "done"}) is not None


def identifying_values(data):
    values = {data["event_id"]}
    for key in ID_KEYS:
        value = data.get(key)
        if isinstance(value, str) and len(value) >= 6:
            values.add(value)
    return values


def snapshot(client, prefix, consumer, values):
    """{(collection, _id): the document as JSON} for the documents mentioning any value."""
    db, out = client[prefix + consumer], {}
    for coll in db.list_collection_names():
        if coll in BOOKKEEPING:
            continue
        for doc in db[coll].find():
            text = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
            if any(v in text for v in values):
                out[(coll, str(doc["_id"]))] = text
    return out


def diff(before, after):
    changed = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            old, new = json.loads(before.get(key) or "{}"), json.loads(after.get(key) or "{}")
            fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            changed.append("%s/%s %s" % (key[0], key[1], "new" if not old else fields))
    return changed


class Logs:
    """What the consumers' logs say from now on (each process of a service: <name>*.log)."""

    def __init__(self, stack, consumers):
        self.paths = {c: glob.glob(os.path.join(stack.log_dir, "%s*.log" % c)) for c in consumers}
        self.start = {p: os.path.getsize(p) for ps in self.paths.values() for p in ps}

    def text(self, consumer):
        out = []
        for path in self.paths[consumer]:
            with open(path, "rb") as f:
                f.seek(self.start.get(path, 0))
                out.append(f.read().decode("utf-8", errors="replace"))
        return "".join(out)

    def not_dropped(self, expected):
        """(consumer, handler, event id) whose duplicate the consumer did not report dropping."""
        texts = {c: self.text(c) for c in {c for c, _, _ in expected}}
        return [(c, m, e) for c, m, e in expected
                if "duplicate event %s dropped by %s" % (e, m) not in texts[c]]


def test_every_consumed_event_type_delivered_twice_changes_nothing(stack, api, amqp_config):
    started, timings = time.time(), {}
    consumed, unguarded = consumed_events()
    assert not unguarded, "event handlers without @idempotent_handler: %s" % unguarded
    assert consumed, "no @event_handler found in %s" % sorted(SERVICES)
    client = pymongo.MongoClient(stack.env()["MONGO_URI"], tz_aware=True)
    prefix, dispatch = stack.db_prefix, event_dispatcher(amqp_config)

    # the real events of this session, first delivered and processed by every consumer
    by_source = collections.defaultdict(set)
    for source, etype in consumed:
        by_source[source].add(etype)
    chosen, synthetic, missing = {}, [], []
    for source, types in by_source.items():
        real = published_events(client, prefix, source, types)
        for etype in types:
            consumers = consumed[(source, etype)]
            events = []
            for eid, data in real.get(etype, []):        # newest first, until PER_TYPE
                if all(processed(client, prefix, c, eid) for c, _ in consumers):
                    events.append((eid, data))
                    if len(events) == PER_TYPE:
                        break
            if events:
                chosen[(source, etype)] = events
            elif (source, etype) in SAMPLES:
                synthetic.append((source, etype))
            else:
                missing.append("%s.%s" % (source, etype))
    if not any(chosen.get(k) for k in chosen if k not in SAMPLES):
        pytest.skip("no journey ran in this session: run it with the e2e journeys (make test-e2e)")
    assert not missing, ("consumed event types with no real event in this session and no "
                         "sample in SAMPLES: %s (a new handler needs a journey that publishes "
                         "its event, or a sample; or did such a journey fail?)" % missing)

    timings["pick"] = round(time.time() - started)
    # made-up first deliveries (types no code path published)
    if synthetic:
        _, me = api.bound_citizen()
        ctx = {"person_id": me["person"]["id"]}
        for source, etype in synthetic:
            eid = uuid.uuid4().hex
            data = dict(SAMPLES[(source, etype)](ctx), event_id=eid, event_type=etype,
                        occurred_at=dt.datetime.now(dt.timezone.utc).isoformat())
            dispatch(source, etype, data)
            chosen[(source, etype)] = [(eid, data)]
        first_queues = ["evt-%s-%s--%s.%s" % (source, etype, consumer, method)
                        for source, etype in synthetic
                        for consumer, method in consumed[(source, etype)]]
        assert wait_for(lambda: all(stack.queue_counts().get(q, (1, 1)) == (0, 0)
                                    for q in first_queues), 60, every=2), \
            "the first deliveries of %s were not consumed" % synthetic

    # what each consumer holds about the redelivered events, twice before (control window)
    values = collections.defaultdict(set)
    for key, events in chosen.items():
        for consumer, _ in consumed[key]:
            for _, data in events:
                values[consumer] |= identifying_values(data)
    timings["first_deliveries"] = round(time.time() - started)
    first = {c: snapshot(client, prefix, c, v) for c, v in values.items()}
    timings["snapshot"] = round(time.time() - started)
    time.sleep(4)
    before = {c: snapshot(client, prefix, c, v) for c, v in values.items()}
    restless = {c: {k for k in set(first[c]) | set(before[c])
                    if first[c].get(k) != before[c].get(k)} for c in values}

    # the second delivery, same event ids, to the publishers' exchanges
    logs = Logs(stack, {c for key in chosen for c, _ in consumed[key]})
    for (source, etype), events in chosen.items():
        for _, data in events:
            dispatch(source, etype, data)
    queues = ["evt-%s-%s--%s.%s" % (source, etype, consumer, method)
              for (source, etype) in chosen for consumer, method in consumed[(source, etype)]]
    expected = [(consumer, method, eid) for key, events in chosen.items()
                for consumer, method in consumed[key] for eid, _ in events]

    def settled():
        counts = stack.queue_counts()
        return all(counts.get(q, (0, 0)) == (0, 0) for q in queues) and \
            not logs.not_dropped(expected)
    wait_for(settled, 180, every=2)  # returns as soon as settled; 2 busy cores can lag a minute
    timings["settled"] = round(time.time() - started)
    time.sleep(2)
    after = {c: snapshot(client, prefix, c, v) for c, v in values.items()}

    changed = {}
    for consumer in values:
        keep = lambda snap: {k: v for k, v in snap.items() if k not in restless[consumer]}  # noqa
        found = diff(keep(before[consumer]), keep(after[consumer]))
        if found:
            changed[consumer] = found
    not_dropped = ["%s.%s %s" % x for x in logs.not_dropped(expected)]
    summary = {"types": len(chosen), "redelivered": sum(len(v) for v in chosen.values()),
               "deliveries": len(expected), "made_up": ["%s.%s" % k for k in synthetic],
               "documents_compared": sum(len(s) for s in before.values()),
               "left_out_restless": sum(len(r) for r in restless.values()),
               "seconds": dict(timings, total=round(time.time() - started))}
    print("events twice:", summary)
    assert not changed, "a second delivery changed the consumer's state: %s" % changed
    assert not not_dropped, "second deliveries not dropped as duplicates: %s" % not_dropped[:10]
    client.close()
