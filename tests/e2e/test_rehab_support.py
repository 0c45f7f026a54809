"""Helpers and fixtures shared by the rehab booking end-to-end tests (no tests here).

People get a certificate the way production does: a certificate ``issued`` event (published
here with nameko's standalone dispatcher, so these tests do not depend on the certificate
service). Time is moved with the stack's clock-offset file, never slept.
"""
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import pymongo
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.clock import SHANGHAI, set_offset
from tests.conftest import random_id, wait_for  # noqa: F401  (re-exported for the rehab tests)

REGION = "500113"
HOURS = {str(d): [["07:00", "20:00"]] for d in range(1, 8)}
SERVICES = ["movement_therapy", "speech_training", "child_screening", "needs_assessment"]




@pytest.fixture(scope="module")
def rdb(stack):
    client = pymongo.MongoClient(stack.env()["MONGO_URI"], tz_aware=True)
    yield client[stack.db_prefix + "rehab_booking"]
    client.close()


@pytest.fixture(scope="module")
def rpc(stack):
    with ClusterRpcProxy({"AMQP_URI": stack.env()["AMQP_URI"]}, timeout=60) as proxy:
        yield proxy


@pytest.fixture
def clock(stack):
    """clock(seconds) moves every process's clock; reset after the test."""
    yield lambda seconds: set_offset(stack.clock_file, seconds)
    set_offset(stack.clock_file, 0)


@pytest.fixture(scope="module")
def county(api):
    return api.staff("county_dpf", REGION)


def local_day(days_ahead):
    return (dt.datetime.now(SHANGHAI) + dt.timedelta(days=days_ahead)).date()


def new_institution(api, token, region=REGION, **over):
    body = dict({"name": "测试康复中心", "region": region, "address": "测试路1号",
                 "location": {"lat": 29.40, "lng": 106.54}, "services": SERVICES,
                 "opening_hours": HOURS, "accessibility": {"step_free": True}}, **over)
    r = api.post("/admin/rehab/institutions", token=token, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def new_slot(api, token, inst_id, days_ahead=3, start="09:00", capacity=2,
             service="movement_therapy", minutes=60):
    """One slot on the local day ``days_ahead`` from today; returns its id."""
    day = local_day(days_ahead)
    r = api.post("/admin/rehab/schedules", token=token, json={
        "institution_id": inst_id, "from": day.isoformat(), "to": day.isoformat(),
        "templates": [{"service": service, "weekday": day.isoweekday(), "start": start,
                       "duration_minutes": minutes, "capacity": capacity}]})
    assert r.status_code == 201, r.text
    assert len(r.json()["slot_ids"]) == 1, r.json()
    return r.json()["slot_ids"][0]


def slot_start(slot_id):
    return dt.datetime.strptime(slot_id.split(":", 2)[2], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc)


def seconds_until(slot_id, before=dt.timedelta(0)):
    """Clock offset that puts 'now' at ``before`` the slot's start."""
    return (slot_start(slot_id) - before - dt.datetime.now(dt.timezone.utc)).total_seconds()


def issue_certificate(amqp_config, person_id, region=REGION, status="valid"):
    dispatch = event_dispatcher(amqp_config)
    dispatch("certificate", "issued", {
        "event_id": uuid.uuid4().hex, "event_type": "issued",
        "occurred_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "certificate_id": "c_" + uuid.uuid4().hex[:12], "person_id": person_id, "category": 2,
        "grade": 2, "severe": True, "region": region, "valid_from": "2024-01-01",
        "valid_until": "2034-01-01", "status": status, "application_id": None,
        "transaction": "new", "previous_certificate_id": None})


def citizen(api, amqp_config, rdb, certified=True, birth=None):
    """(token, person_id) of a bound citizen, with a certificate known to rehab_booking."""
    name = "u" + uuid.uuid4().hex[:10]
    first = api.citizen(name)
    r = api.post("/me/identity", token=first["access_token"],
                 json={"name": "测试人", "id_number": random_id(REGION, birth)})
    assert r.status_code == 200, r.text
    token, pid = r.json()["tokens"]["access_token"], r.json()["person"]["id"]
    LOGINS[pid] = name
    if certified:
        issue_certificate(amqp_config, pid)
        assert wait_for(lambda: rdb.people.find_one({"_id": pid, "certificate.status": "valid"}))
    return token, pid


LOGINS = {}


def relogin(api, person_id):
    """A fresh token for the citizen (after the clock moved past the token's 15 minutes)."""
    return api.citizen(LOGINS[person_id])["access_token"]


def many_citizens(api, amqp_config, rdb, n):
    """n certified citizens, prepared in parallel."""
    def one(_):
        for attempt in range(3):   # identity's WeChat token cache can race on the first logins
            try:
                token, me = api.bound_citizen(id_number=random_id(REGION))
                for _ in range(5):   # identity's read-back can come back empty under load
                    if me.get("person"):
                        return token, me
                    me = api.get("/me", token=token).json()
                raise AssertionError("bound person not readable")
            except AssertionError:
                if attempt == 2:
                    raise

    with ThreadPoolExecutor(max_workers=16) as pool:
        people = list(pool.map(one, range(n)))
    out = [(token, me["person"]["id"]) for token, me in people]
    for _, pid in out:
        issue_certificate(amqp_config, pid)
    ids = [pid for _, pid in out]
    assert wait_for(lambda: rdb.people.count_documents(
        {"_id": {"$in": ids}, "certificate.status": "valid"}) == n, 90), "certificates not seen"
    return out


def institution_staff(rpc, api, inst_id, region=REGION, with_name=False):
    name = "inst.%s" % uuid.uuid4().hex[:8]
    rpc.identity.ensure_staff([{"username": name, "password": "demo12345",
                                "roles": ["institution_staff"], "region": region,
                                "institution_id": inst_id}])
    r = api.post("/auth/staff-login", json={"username": name, "password": "demo12345"})
    assert r.status_code == 200, r.text
    return (r.json()["access_token"], name) if with_name else r.json()["access_token"]


def book(api, token, slot_id, person_id, **extra):
    return api.post("/rehab/bookings", token=token,
                    json=dict({"slot_id": slot_id, "person_id": person_id}, **extra))


def booking(rdb, booking_id):
    return rdb.bookings.find_one({"_id": booking_id})


def error_code(r):
    return r.json().get("error", {}).get("code")
