"""Benchmark scenarios that need a business service (make bench runs each one present).

Each entry: (name, function(stack) -> dict of figures).

  booking_race   200 distinct certified people book one slot of capacity 10 at once through the
                 gateway (as tests/e2e/test_rehab_race.py): time to resolve, 201s vs 409s,
                 overbooking (places given beyond capacity, from the database) must be 0
  payout_batch   loadtests/datagen.py's 24,400 Banan holders with one active monthly entitlement
                 each, then POST /admin/subsidy/payout-batches as civil_affairs.500113 for the
                 current month: time to done, lines == beneficiaries, no line paid twice; then
                 how long until the payment notifications were all published, and the batch's
                 own timings (supervision, plan, write, finish)
"""
import datetime as dt
import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pymongo
import requests
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import idnumber
from services.common.clock import SHANGHAI
from tools.stack import PY, ROOT

RACE_PEOPLE, RACE_CAPACITY = 200, 10
RACE_REGION = "230100"   # Harbin: no reserved priority share, all 10 places open to everyone
PAY_REGION = "500113"
PAYOUT_WAIT = float(os.environ.get("BENCH_PAYOUT_WAIT", 300))


def _api(stack):
    return stack.url + "/api/v1"


def _staff(stack, role, region):
    r = requests.post(_api(stack) + "/auth/staff-login", timeout=30,
                      json={"username": "%s.%s" % (role, region), "password": "demo12345"})
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def _ensure_staff(stack):
    from tools.seed_demo import demo_staff
    with ClusterRpcProxy({"AMQP_URI": stack.env()["AMQP_URI"]}, timeout=60) as rpc:
        rpc.identity.ensure_staff(demo_staff("demo12345"))


def _person(api, i):
    """A bound citizen with a fresh ID number of the race region → (token, person id)."""
    day = dt.date(1950, 1, 1) + dt.timedelta(days=uuid.uuid4().int % 18000)
    number = idnumber.make(RACE_REGION + day.strftime("%Y%m%d") + "%03d" % (uuid.uuid4().int % 1000))
    for _ in range(3):
        r = requests.post(api + "/auth/wechat-login", timeout=60,
                          json={"code": "dev:race-%d-%s" % (i, uuid.uuid4().hex[:8])})
        token = r.json()["access_token"]
        r = requests.post(api + "/me/identity", timeout=60, json={"name": "并发测试", "id_number": number},
                          headers={"Authorization": "Bearer " + token})
        if r.status_code == 200 and r.json().get("person"):
            return r.json()["tokens"]["access_token"], r.json()["person"]["id"]
    raise RuntimeError("could not prepare race person %d: %s" % (i, r.text))


def _drained(stack, seconds=120):
    """Until no queue of the stack holds a message: the race is timed on a machine that is not
    still working off its set-up (~13 s of subsidy and notifier work for the certificates)."""
    deadline = time.time() + seconds
    while any(ready or unacked for ready, unacked in stack.queue_counts().values()):
        if time.time() > deadline:
            raise RuntimeError("the stack's queues did not drain in %d s" % seconds)
        time.sleep(1)


def booking_race(stack):
    _ensure_staff(stack)
    api, env = _api(stack), stack.env()
    with ThreadPoolExecutor(16) as pool:
        people = list(pool.map(lambda i: _person(api, i), range(RACE_PEOPLE)))
    dispatch = event_dispatcher({"AMQP_URI": env["AMQP_URI"]})
    for _, pid in people:   # a certificate, the way production tells rehab_booking
        dispatch("certificate", "issued", {
            "event_id": uuid.uuid4().hex, "event_type": "issued",
            "occurred_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "certificate_id": "c_" + uuid.uuid4().hex[:12], "person_id": pid, "category": 2,
            "grade": 2, "severe": True, "region": RACE_REGION, "valid_from": "2024-01-01",
            "valid_until": "2034-01-01", "status": "valid", "application_id": None,
            "transaction": "new", "previous_certificate_id": None})
    client = pymongo.MongoClient(env["MONGO_URI"], tz_aware=True)
    rdb = client[stack.db_prefix + "rehab_booking"]
    ids = [pid for _, pid in people]
    deadline = time.time() + 120
    while rdb.people.count_documents({"_id": {"$in": ids}, "certificate.status": "valid"}) < len(ids):
        if time.time() > deadline:
            raise RuntimeError("rehab_booking did not see the certificates")
        time.sleep(0.5)
    _drained(stack)   # the other consumers of those 200 events (subsidy, notifier) are done too
    county = _staff(stack, "county_dpf", RACE_REGION)
    r = requests.post(api + "/admin/rehab/institutions", headers=county, timeout=60, json={
        "name": "并发基准康复中心", "region": RACE_REGION, "address": "基准路1号",
        "location": {"lat": 45.8, "lng": 126.5}, "services": ["movement_therapy"],
        "opening_hours": {str(d): [["07:00", "20:00"]] for d in range(1, 8)},
        "accessibility": {"step_free": True}})
    r.raise_for_status()
    day = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=8)).date()
    r = requests.post(api + "/admin/rehab/schedules", headers=county, timeout=60, json={
        "institution_id": r.json()["id"], "from": day.isoformat(), "to": day.isoformat(),
        "templates": [{"service": "movement_therapy", "weekday": day.isoweekday(),
                       "start": "09:00", "duration_minutes": 60, "capacity": RACE_CAPACITY}]})
    r.raise_for_status()
    slot_id = r.json()["slot_ids"][0]

    def one(person):
        token, pid = person
        r = requests.post(api + "/rehab/bookings", json={"slot_id": slot_id, "person_id": pid},
                          timeout=120, headers={"Authorization": "Bearer " + token})
        return r.status_code, (r.json().get("error") or {}).get("code")

    with ThreadPoolExecutor(max_workers=RACE_PEOPLE) as pool:
        started = time.time()
        answers = list(pool.map(one, people))
        elapsed = time.time() - started
    slot = rdb.slots.find_one({"_id": slot_id})
    held = rdb.bookings.count_documents({"slot_id": slot_id, "status": {"$in": ["held", "confirmed"]}})
    client.close()
    ok = sum(1 for s, _ in answers if s == 201)
    full = sum(1 for s, c in answers if s == 409 and c == "SLOT_FULL")
    return {"people": RACE_PEOPLE, "capacity": RACE_CAPACITY, "seconds": round(elapsed, 2),
            "created_201": ok, "slot_full_409": full,
            "other": sorted({"%s %s" % (s, c) for s, c in answers if s != 201 and c != "SLOT_FULL"}),
            "slot_booked": slot["booked"], "bookings_in_db": held,
            "overbooked": max(0, held - RACE_CAPACITY, ok - RACE_CAPACITY, slot["booked"] - RACE_CAPACITY),
            "target": "< 2 s, overbooked == 0"}


def payout_batch(stack):
    _ensure_staff(stack)
    env = stack.env()
    t = time.time()
    subprocess.run([PY, "-m", "loadtests.datagen", "--stack", stack.name, "--skip-http",
                    "--volunteers", "0"], cwd=ROOT, env=env, check=True)
    datagen_s = time.time() - t
    client = pymongo.MongoClient(env["MONGO_URI"], tz_aware=True)
    sdb = client[stack.db_prefix + "subsidy"]
    beneficiaries = len(sdb.entitlements.distinct("person_id", {"region": PAY_REGION,
                                                                "status": "active"}))
    now = dt.datetime.now(SHANGHAI)
    month = "%04d-%02d" % (now.year, now.month)
    batch_id = "pb_%s_%s" % (PAY_REGION, month)
    headers = _staff(stack, "civil_affairs", PAY_REGION)
    started = time.time()
    r = requests.post(_api(stack) + "/admin/subsidy/payout-batches", headers=headers, timeout=600,
                      json={"region": PAY_REGION, "month": month})
    http_status = r.status_code
    # the POST answers when the batch is done (201); should it not (a 504 beyond the route's
    # limit), the batch goes on: wait for it in the database (never POST again: that would
    # take over the lease)
    while True:
        doc = sdb.payout_batches.find_one({"_id": batch_id}, {"status": 1})
        if doc and doc.get("status") == "done":
            break
        if time.time() - started > PAYOUT_WAIT:   # report how far it got, not hang the bench
            break
        time.sleep(0.5)
    elapsed = time.time() - started
    # the citizens' payment messages follow the batch (one notify event per line, published by
    # chunk once the batch is done): how long until every chunk was announced
    while doc and doc.get("status") == "done" and time.time() - started < 2 * PAYOUT_WAIT:
        if not sdb.payout_pending.count_documents({"batch_id": batch_id}):
            break
        time.sleep(1)
    announced = time.time() - started
    timings = (sdb.payout_batches.find_one({"_id": batch_id}, {"timings": 1}) or {}).get("timings")
    lines = sdb.payment_lines.count_documents({"batch_id": batch_id})
    dup = list(sdb.payment_lines.aggregate([
        {"$match": {"month": month, "region": PAY_REGION}},
        {"$group": {"_id": "$entitlement_id", "n": {"$sum": 1}}}, {"$match": {"n": {"$gt": 1}}}]))
    paid_people = len(sdb.payment_lines.distinct("person_id", {"batch_id": batch_id}))
    client.close()
    return {"beneficiaries": beneficiaries, "waited_limit_s": PAYOUT_WAIT, "datagen_seconds": round(datagen_s, 1),
            "http_status": http_status, "status": (doc or {}).get("status"),
            "seconds": round(elapsed, 1), "batch_timings_s": timings,
            "notifications_published_s": round(announced, 1) if doc and doc.get(
                "status") == "done" else None,
            "lines": lines, "people_paid": paid_people,
            "paid_twice": len(dup), "lines_equal_beneficiaries": lines == beneficiaries,
            "target": "< 60 s, lines == beneficiaries, paid_twice == 0"}


SCENARIOS = [("booking_race", booking_race), ("payout_batch", payout_batch)]
