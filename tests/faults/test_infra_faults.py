"""Faults in the infrastructure under traffic: the stack's own RabbitMQ node and its database go
away and come back (``fstack`` owns them: ``private_infra``, so no other stack notices).

What must hold: calls in flight get a clear 503/504 within the gateway's timeout (never a hang,
never a 500); every process reconnects by itself (no service is restarted to recover); what was
published or left to publish meanwhile is delivered afterwards, once."""
import collections
import signal
import threading
import time
import uuid

import pymongo
from kombu import Connection, Exchange, Queue
from nameko.standalone.events import event_dispatcher

from tests.conftest import random_id, wait_for

CLEAR = {200, 503, 504}
SLOWEST = 12       # seconds: the 5 s RPC timeout, the gateway's own 3 s database wait, margin


class Traffic:
    """Clients calling a few routes of different services in a loop; every outcome kept as
    (path, status, error code, seconds)."""

    def __init__(self, api, token, paths):
        self.api, self.token, self.calls, self.running = api, token, [], True
        self.threads = [threading.Thread(target=self.run, args=(p,), daemon=True) for p in paths]
        for t in self.threads:
            t.start()

    def run(self, path):
        while self.running:
            started = time.time()
            try:
                r = self.api.get(path, token=self.token, timeout=60)
                status = r.status_code
                code = r.json().get("error", {}).get("code") if status != 200 else None
            except Exception as exc:  # noqa: BLE001 - a transport error is an outcome to report
                status, code = "transport", type(exc).__name__
            self.calls.append((path, status, code, time.time() - started))
            time.sleep(0.2)

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join(90)
        return self.calls

    def check(self):
        """Clear answers only, none slow, and each route answering 200 again at the end."""
        calls = self.stop()
        bad = [c for c in calls if c[1] not in CLEAR or c[3] > SLOWEST]
        assert not bad, bad[:10]
        for path in {c[0] for c in calls}:
            last = [c for c in calls if c[0] == path][-3:]
            assert [c[1] for c in last] == [200] * len(last), (path, last)
        print("traffic: %d calls %s, slowest %.1f s" % (
            len(calls), dict(collections.Counter("%s %s" % (c[1], c[2] or "") for c in calls)),
            max(c[3] for c in calls)))
        return calls


def consumers_that_processed(fstack, event_id, services):
    client = pymongo.MongoClient(fstack.env()["MONGO_URI"], serverSelectionTimeoutMS=5000)
    try:
        return {s for s in services if client[fstack.db_prefix + s]["processed_events"].find_one(
            {"_id": event_id, "state": "done"})}
    finally:
        client.close()


def notification_items(api, token, event_id):
    r = api.get("/me/notifications", token=token)
    return [i for i in r.json()["items"] if i["id"].startswith(event_id)] \
        if r.status_code == 200 else []


def test_rabbitmq_restart_under_traffic(fstack, fapi):
    """The broker stops for a while and comes back with its data, under traffic. Meanwhile:
    identity is serving a death record (it got the call, then the broker went away: its
    publish of person_died and its reply both fail); the notifier is down with an event queued
    for it; volunteer (a person_died consumer) is started while there is no broker at all.
    After: everything answers again without any restart; the death was kept and person_died
    reaches a probe queue once and each of its four consumers; the queued event reaches the
    notifier once; the call in flight got a clear 504."""
    token, me = fapi.bound_citizen()
    pid = me["person"]["id"]
    number = random_id("500113")
    _, dying = fapi.bound_citizen(id_number=number)
    staff = fapi.staff("civil_affairs", "500113")
    amqp = fstack.env()["AMQP_URI"]

    # a durable probe queue on identity's exchange: it outlives the restart like the services'
    probe = Queue("fault-probe-" + uuid.uuid4().hex[:8],
                  Exchange("identity.events", "topic", durable=True),
                  routing_key="person_died", durable=True, auto_delete=False)
    with Connection(amqp) as conn:
        probe(conn.default_channel).declare()

    # a consumer that is down: its event waits in its durable queue across the restart
    fstack.stop_process("notifier")
    notify_id = uuid.uuid4().hex
    event_dispatcher({"AMQP_URI": amqp})("certificate", "notify", {
        "event_id": notify_id, "event_type": "notify", "person_id": pid,
        "template": "application_status", "data": {"title": "故障测试", "status": "已受理"}})
    fstack.stop_process("volunteer")

    traffic = Traffic(fapi, token, ["/me", "/people/%s/subsidy/entitlements" % pid,
                                    "/people/%s/rehab/bookings" % pid])
    # a call in flight: identity holds it (stopped) when the broker goes away
    identity = fstack.process("identity")
    identity.send_signal(signal.SIGSTOP)
    outcome = {}

    def record_death():
        outcome["r"] = fapi.post("/admin/people/deaths", token=staff, timeout=60, json={
            "records": [{"id_number": number, "date": "2026-02-03"}]})
    caller = threading.Thread(target=record_death)
    try:
        caller.start()
        assert wait_for(lambda: fstack.queue_counts().get("rpc-identity", (0, 0))[1] >= 1, 20)
        fstack.stop_broker()
    finally:
        identity.send_signal(signal.SIGCONT)   # it serves the call: state, then publish fails
    fstack.start_service("volunteer")          # must wait for the broker, not exit
    fstack.start_service("notifier")
    time.sleep(10)                             # identity's publish and reply give up meanwhile
    caller.join(30)
    assert outcome["r"].status_code == 504, outcome["r"].text
    fstack.start_broker(fresh=False)
    # nothing is restarted any more: every process must find the broker again by itself
    assert wait_for(lambda: fapi.get("/me", token=token, timeout=30).status_code == 200, 60)
    time.sleep(2)
    traffic.check()
    for label in ("identity", "volunteer", "notifier", "gateway"):
        assert fstack.process(label).poll() is None, label + " exited"

    assert wait_for(lambda: notification_items(fapi, token, notify_id), 30)
    deaths = []
    with Connection(amqp) as conn:
        def drain():
            message = probe(conn.default_channel).get(no_ack=True)
            while message is not None:
                deaths.append(message.payload)
                message = probe(conn.default_channel).get(no_ack=True)
            return [d for d in deaths if d.get("person_id") == dying["person"]["id"]]
        mine = wait_for(drain, 60, every=1)
        assert mine, "person_died never published after the outage"
        consumers = ("certificate", "subsidy", "rehab_booking", "volunteer")
        assert wait_for(lambda: consumers_that_processed(fstack, mine[0]["event_id"], consumers)
                        == set(consumers), 30), consumers_that_processed(
            fstack, mine[0]["event_id"], consumers)
        time.sleep(6)                          # one more sweep: nothing published twice
        drain()
        probe(conn.default_channel).delete()
    mine = [d for d in deaths if d.get("person_id") == dying["person"]["id"]]
    assert len(mine) == 1, mine
    assert len(notification_items(fapi, token, notify_id)) == 1
    person = fapi.get("/people/%s/file" % dying["person"]["id"], token=staff).json()["person"]
    assert person["deceased_on"] == "2026-02-03"


def test_database_restart_under_traffic(fstack, fapi):
    """The database stops for a while and comes back with its data. Meanwhile calls that need it
    get 503 DATABASE_UNAVAILABLE (services and the gateway's own store alike; /me may answer from
    identity's in-memory copies), and an event reaches a consumer that cannot record it. After: everything answers again without a restart, and
    the event was handled once, not dropped."""
    token, me = fapi.bound_citizen()
    pid = me["person"]["id"]
    amqp = fstack.env()["AMQP_URI"]
    traffic = Traffic(fapi, token, ["/me", "/me/notifications",
                                    "/people/%s/subsidy/entitlements" % pid])
    time.sleep(1)
    fstack.stop_database()
    try:
        notify_id = uuid.uuid4().hex
        event_dispatcher({"AMQP_URI": amqp})("identity", "notify", {
            "event_id": notify_id, "event_type": "notify", "person_id": pid,
            "template": "application_status", "data": {"title": "故障测试", "status": "已受理"}})
        time.sleep(2)
        # /me may still answer from identity's in-memory copies (at most CACHE_SECONDS old);
        # a read that must reach the database says it cannot
        cached = fapi.get("/me", token=token, timeout=30)
        assert cached.status_code in (200, 503), cached.text
        during = fapi.get("/me/notifications", token=token, timeout=30)
        assert during.status_code == 503, during.text
        assert during.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        # a route the gateway rate-limits in its own database
        login = fapi.post("/auth/wechat-login", json={"code": "dev:fault-%s" % notify_id[:8]},
                          timeout=30)
        assert login.status_code == 503, login.text
        assert login.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        health = fapi.session.get(fstack.url + "/healthz", timeout=30)
        assert health.status_code == 503 and health.json()["checks"]["database"] != "ok"
        time.sleep(3)
    finally:
        fstack.start_database()
    assert wait_for(lambda: fapi.get("/me", token=token, timeout=30).status_code == 200, 60)
    time.sleep(2)
    traffic.check()
    assert wait_for(lambda: fapi.session.get(fstack.url + "/healthz", timeout=30).status_code
                    == 200, 30)
    assert wait_for(lambda: notification_items(fapi, token, notify_id), 45), \
        "the event that reached the notifier while its database was down was dropped"
    time.sleep(3)
    assert len(notification_items(fapi, token, notify_id)) == 1
