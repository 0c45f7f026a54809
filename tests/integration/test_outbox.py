"""The outbox against the real broker and database: an event written with a state change
travels to a consumer in another service exactly once, even when the relay runs twice, after a
"crash" before publishing, and when the broker delivers a duplicate."""
import uuid

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import outbox
from services.common.mongo import BaseStore, Mongo
from services.common.outbox import Outbox, idempotent_handler
from services.common.rpc import rpc


class ThingStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        outbox.ensure_indexes(db)

    def create(self, thing_id, event_type="thing_made"):
        now = self.clock.now()
        self.db.things.insert_one({"_id": thing_id, "state": "made", "_outbox": [
            outbox.event(event_type, {"thing_id": thing_id}, now),
            outbox.audit({"kind": "system"}, thing_id, "make", None, "made", now)]})


class Producer:
    name = "outbox_producer"
    store = Mongo(ThingStore)
    outbox = Outbox("things")

    @rpc
    def make(self, thing_id, flush_times=1):
        self.store.create(thing_id)
        for _ in range(flush_times):  # running the relay twice must not publish twice
            self.outbox.flush(self.store.db.things, thing_id)

    @rpc
    def make_and_crash(self, thing_id):
        self.store.create(thing_id)   # state and event written, the process "dies" here

    @rpc
    def make_unrouted(self, thing_id):
        """An event no queue is bound for yet: the broker returns it and the flush fails."""
        self.store.create(thing_id, event_type="thing_later")
        self.outbox.flush(self.store.db.things, thing_id)

    @rpc
    def sweep(self, full=True):
        return self.outbox.sweep(self.store.db, full=full)

    @rpc
    def retry_list(self):
        return [d["doc_id"] for d in self.store.db[outbox.RETRY].find()]

    @rpc
    def pending(self, thing_id):
        return len(outbox.undelivered(self.store.db, self.store.db.things.find_one({"_id": thing_id})))

    @rpc
    def audit(self, thing_id):
        return outbox.audit_trail(self.store.db, thing_id)


class SeenStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        outbox.ensure_indexes(db)


class Consumer:
    name = "outbox_consumer"
    store = Mongo(SeenStore)

    @event_handler("outbox_producer", "thing_made")
    @idempotent_handler
    def on_thing_made(self, payload):
        self.store.db.seen.update_one({"_id": payload["thing_id"]}, {"$inc": {"count": 1}},
                                      upsert=True)

    @rpc
    def count(self, thing_id):
        doc = self.store.db.seen.find_one({"_id": thing_id})
        return doc["count"] if doc else 0


@pytest.fixture(scope="module")
def running(stack):
    config = dict(stack.env(), max_workers=10, DB_PREFIX=stack.db_prefix + "integration_")
    containers = [ServiceContainer(cls, config) for cls in (Consumer, Producer)]
    for c in containers:
        c.start()
    with ClusterRpcProxy(config, timeout=20) as rpc_proxy:
        yield rpc_proxy, config
    for c in containers:
        c.stop()


def wait_count(rpc_proxy, thing_id, expected, seconds=10):
    deadline = eventlet.hubs.get_hub().clock() + seconds
    while eventlet.hubs.get_hub().clock() < deadline:
        if rpc_proxy.outbox_consumer.count(thing_id) >= expected:
            break
        eventlet.sleep(0.2)
    eventlet.sleep(0.5)  # give a duplicate the chance to arrive
    return rpc_proxy.outbox_consumer.count(thing_id)


def test_event_is_delivered_once_when_the_relay_runs_twice(running):
    rpc_proxy, _ = running
    thing = "t_" + uuid.uuid4().hex[:8]
    rpc_proxy.outbox_producer.make(thing, flush_times=2)
    rpc_proxy.outbox_producer.sweep()
    assert wait_count(rpc_proxy, thing, 1) == 1
    assert rpc_proxy.outbox_producer.pending(thing) == 0
    trail = rpc_proxy.outbox_producer.audit(thing)
    assert [(a["action"], a["to"]) for a in trail] == [("make", "made")]


def test_events_left_behind_by_a_crash_are_swept_and_delivered(running, stack):
    rpc_proxy, _ = running
    thing = "t_" + uuid.uuid4().hex[:8]
    rpc_proxy.outbox_producer.make_and_crash(thing)
    assert rpc_proxy.outbox_producer.pending(thing) == 2
    assert rpc_proxy.outbox_consumer.count(thing) == 0
    from services.common.clock import set_offset
    set_offset(stack.clock_file, 60)  # past the sweep's grace period, without sleeping
    try:
        assert rpc_proxy.outbox_producer.sweep() == 2
    finally:
        set_offset(stack.clock_file, 0)
    assert wait_count(rpc_proxy, thing, 1) == 1
    assert rpc_proxy.outbox_producer.pending(thing) == 0


def test_a_duplicate_delivery_is_dropped_by_the_consumer(running):
    rpc_proxy, config = running
    thing = "t_" + uuid.uuid4().hex[:8]
    dispatch = event_dispatcher(config)
    payload = {"thing_id": thing, "event_id": "dup-" + thing, "event_type": "thing_made"}
    dispatch("outbox_producer", "thing_made", payload)
    dispatch("outbox_producer", "thing_made", payload)
    assert wait_count(rpc_proxy, thing, 1) == 1


def test_a_failed_publish_is_retried_by_the_light_sweep(running, stack):
    """The flush fails (no queue bound: the broker returns the message); the entry is listed for
    a retry, and the frequent sweep, which no longer scans the state collections, delivers it
    once a consumer's queue exists."""
    from kombu import Connection, Exchange, Queue
    from services.common.clock import set_offset
    rpc_proxy, config = running
    thing = "t_" + uuid.uuid4().hex[:8]
    rpc_proxy.outbox_producer.make_unrouted(thing)
    assert thing in rpc_proxy.outbox_producer.retry_list()
    assert rpc_proxy.outbox_producer.pending(thing) == 1           # the event; the audit went
    with Connection(config["AMQP_URI"]) as conn:
        queue = Queue("later-" + thing, Exchange("outbox_producer.events", "topic", durable=True),
                      routing_key="thing_later", auto_delete=True)
        got = []
        with conn.Consumer(queue, callbacks=[lambda body, msg: (got.append(body), msg.ack())],
                           accept=["json"]):
            set_offset(stack.clock_file, 60)                          # past the back-off
            try:
                assert rpc_proxy.outbox_producer.sweep(False) == 1
            finally:
                set_offset(stack.clock_file, 0)
            conn.drain_events(timeout=10)
    assert [b["thing_id"] for b in got] == [thing]
    assert thing not in rpc_proxy.outbox_producer.retry_list()
    assert rpc_proxy.outbox_producer.pending(thing) == 0
