"""Certificate journeys over HTTP, for the certificate tests and for other services' tests that
need a person holding a certificate (subsidy, rehab):

    from tests.e2e.certificate_flow import issue_certificate
    cert, app = issue_certificate(api, stack, person_id, token, "500113", category=4, grade=2)

It moves the stack clock past the public-notice period (公示期) for the ``issue`` step and puts
it back. Access tokens expire on the stack clock: a token minted before a move forward is
expired while the clock stays there (and valid again once it is back).
"""
import datetime as dt
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from services.common.clock import Clock, set_offset
from tests.conftest import random_id

NOTICE_SKIP = dt.timedelta(days=9)  # 5 working days of notice never span more than 8 days


def person_number(region="500113"):
    """A valid ID number unlikely to collide with other tests (random birth date and sequence:
    tests.conftest.random_id varies only 3 digits)."""
    day = dt.date(1950, 1, 1) + dt.timedelta(days=uuid.uuid4().int % 20000)
    return random_id(region, day.strftime("%Y%m%d"))


def stack_now(stack):
    return Clock(stack.clock_file).now()


def move_clock(stack, seconds):
    set_offset(stack.clock_file, seconds)
    time.sleep(0.2)


def current_offset(stack):
    return Clock(stack.clock_file).offset()


def file_application(api, token, person_id, kind="new", residence_region="500113", **extra):
    body = dict({"person_id": person_id, "type": kind, "residence_region": residence_region},
                **extra)
    return api.post("/certificate/applications", token=token, json=body)


def act(api, staff_token, app_id, action, **params):
    return api.post("/admin/certificate/applications/%s/actions" % app_id, token=staff_token,
                    json=dict({"action": action}, **params))


def schedule_params(stack, region, mode=None):
    when = (stack_now(stack) + dt.timedelta(days=2)).isoformat()
    out = {"assessor_id": "assessor.%s" % region, "scheduled_at": when}
    if mode:
        out["mode"] = mode
    return out


class Staff:
    """Tokens of the demo staff of one region (minted at once, before any clock move)."""

    def __init__(self, api, region):
        self.region = region
        self.street = api.staff("street_officer", region)
        self.dpf = api.staff("county_dpf", region)
        self.assessor = api.staff("assessor", region)


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def drive_to_notice(api, stack, app, staff, category=4, grade=2, components=None):
    """accept → schedule_assessment → record_assessment → approve: the application in 公示."""
    aid = app["id"]
    ok(act(api, staff.street, aid, "accept"))
    ok(act(api, staff.dpf, aid, "schedule_assessment", **schedule_params(stack, staff.region)))
    params = {"category": category, "grade": grade}
    if components:
        params["components"] = components
    ok(act(api, staff.assessor, aid, "record_assessment", **params))
    app = ok(act(api, staff.dpf, aid, "approve"))
    assert app["status"] == "public_notice", app
    return app


def issue_after_notice(api, stack, app_id, region):
    """Move the clock past the notice period, issue (with a county token minted then: tokens
    expire on the stack clock), put the clock back. Returns the response."""
    before = current_offset(stack)
    move_clock(stack, before + NOTICE_SKIP.total_seconds())
    try:
        return act(api, api.staff("county_dpf", region), app_id, "issue")
    finally:
        move_clock(stack, before)


def issue_certificate(api, stack, person_id, token, region="500113", category=4, grade=2,
                      residence_region=None):
    """A new certificate for ``person_id`` (household region ``region``) through the whole
    workflow. Returns (certificate as the holder sees it, the issued application)."""
    staff = Staff(api, region)
    app = ok(file_application(api, token, person_id, "new", residence_region or region,
                              claimed_category=category), 201)
    assert app["handling_region"] == region, app
    drive_to_notice(api, stack, app, staff, category, grade)
    app = ok(issue_after_notice(api, stack, app["id"], region))
    assert app["status"] == "issued", app
    cert = ok(api.get("/people/%s/certificate" % person_id, token=token))
    return cert, app


class CertificateEvents:
    """Every event the certificate service publishes, seen through a queue of our own bound to
    its exchange (declared before the events, so none is missed)."""

    def __init__(self, amqp_uri):
        self.conn = Connection(amqp_uri)
        exchange = Exchange("certificate.events", type="topic", durable=True)
        queue = Queue("test-certificate-events-%s" % uuid.uuid4().hex[:8], exchange,
                      routing_key="#", auto_delete=True)
        self.queue = self.conn.SimpleQueue(queue)
        self.seen = []

    def wait_for(self, predicate, timeout=20):
        deadline = time.time() + timeout
        while True:
            found = [e for e in self.seen if predicate(e)]
            if found:
                return found
            left = deadline - time.time()
            if left <= 0:
                return []
            try:
                msg = self.queue.get(block=True, timeout=min(left, 1))
            except self.queue.Empty:
                continue
            self.seen.append(msg.payload)
            msg.ack()

    def of(self, event_type, **fields):
        return self.wait_for(lambda e: e.get("event_type") == event_type and
                             all(e.get(k) == v for k, v in fields.items()))

    def close(self):
        self.queue.close()
        self.conn.release()


@pytest.fixture(scope="session")
def cert_events(stack):
    """Import into a test module to use: ``from tests.e2e.certificate_flow import cert_events``."""
    log = CertificateEvents(stack.env()["AMQP_URI"])
    yield log
    log.close()


@pytest.fixture(autouse=True)
def bind_certificate_events(cert_events):
    """Autouse where imported: certificate events always have a queue bound, so none of them
    waits in an outbox for the relay's retries (see docs/certificate.md, lost updates)."""
    yield


@pytest.fixture
def clock_reset(stack):
    """Puts the stack clock back to no offset after the test, whatever happened."""
    yield
    move_clock(stack, 0)
