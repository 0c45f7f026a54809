"""Faults in our own processes: a service killed between its state change and the publish of
its event, and a service that stops answering."""
import signal
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from kombu import Connection, Exchange, Queue

from tests.conftest import random_id, wait_for




def test_killed_between_state_change_and_publish_the_event_arrives_once(fstack, fapi):
    """identity records a death and dies (like SIGKILL) before publishing person_died. After a
    restart the sweep publishes it: a consumer bound to identity's events gets it exactly once
    and the death itself was not lost."""
    number = random_id("500113")
    _, me = fapi.bound_citizen(id_number=number)
    pid = me["person"]["id"]
    staff = fapi.staff("civil_affairs", "500113")

    with Connection(fstack.env()["AMQP_URI"]) as conn:
        queue = Queue("fault-test-" + uuid.uuid4().hex[:8], Exchange("identity.events", "topic",
                                                                      durable=True),
                      routing_key="person_died", auto_delete=True)
        received = []
        with conn.Consumer(queue, callbacks=[lambda body, msg: (received.append(body), msg.ack())],
                           accept=["json"]):
            fstack.stop_process("identity")
            fstack.start_service("identity", env={"FAILPOINTS": "outbox_crash_before_flush"})
            wait_for(lambda: fapi.get("/me", token=staff).status_code == 200, 30)

            r = fapi.post("/admin/people/deaths", token=staff,
                          json={"records": [{"id_number": number, "date": "2026-01-03"}]})
            assert r.status_code in (503, 504), r.text          # the caller hears of the crash
            assert wait_for(lambda: fstack.process("identity").poll() is not None, 10)
            fstack.stop_process("identity")
            fstack.start_service("identity")                     # restarted, no failpoint

            def drain():
                try:
                    conn.drain_events(timeout=1)
                except socket.timeout:
                    pass
                return [b for b in received if b.get("person_id") == pid]
            mine = wait_for(drain, 40)
            for _ in range(5):  # and nothing more arrives
                drain()
            mine = [b for b in received if b.get("person_id") == pid]
    assert len({b["event_id"] for b in mine}) == 1, mine
    person = fapi.get("/people/%s/file" % pid, token=staff).json()["person"]
    assert person["deceased_on"] == "2026-01-03"


def test_a_stalled_service_gets_504_and_the_gateway_keeps_serving(fstack, fapi):
    token, _ = fapi.bound_citizen()
    identity = fstack.process("identity")
    identity.send_signal(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            slow = [pool.submit(fapi.get, "/me", token=token) for _ in range(30)]
            time.sleep(0.5)
            started = time.time()
            other = fapi.get("/me/notifications", token=token)      # another service, same edge
            other_seconds = time.time() - started
            results = [f.result() for f in slow]
        assert other.status_code == 200 and other_seconds < 2.5, other_seconds
        assert {r.status_code for r in results} == {504}
        assert results[0].json()["error"]["code"] == "UPSTREAM_TIMEOUT"
    finally:
        identity.send_signal(signal.SIGCONT)
    assert wait_for(lambda: fapi.get("/me", token=token).status_code == 200, 20)
