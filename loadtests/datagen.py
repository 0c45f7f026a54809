"""Realistic data volume for make load / make bench (development and load stacks only).

Loads, with bulk writes straight into each service's own database and in each service's own
document format (read from its store.py / service.py), the scale of Banan 500113 (seed 003):

  * 24,400 certificate holders: identity ``persons`` (ID number and name AES-GCM encrypted with
    services.common.crypto.PersonalData, blind index ``id_hash``), the event-carried certificate
    copy in subsidy ``people`` and rehab_booking ``people``, subsidy household statuses, and one
    active monthly entitlement each (grades 1–2: nursing_allowance; 3–4: living_allowance on a
    dibao household) starting this month, so the monthly payout batch has 24,400 lines; the
    entitlement's ``_id`` is the one subsidy derives from the person and the benefit
    (``sent_{person_id}_{policy_code}_1``): subsidy finds a person's documents by ``_id`` only;
  * 50 designated institutions with a month of slots (the rehab_booking service's own RPC as
    county_dpf: one institution call and one schedule call each, 30 days x 5 slots per call);
  * 2,000 active volunteers (volunteer ``volunteers``, profile validated by the service's own
    services.volunteer.profile.validate_profile).

Not written: the certificate service's own ``certificates``/``valid_certificates`` documents
(their shape is owned by the certificate workflow; holders' certificates are present as the
copies the other services keep from certificate events).

ID numbers use sequence numbers 900–999 (load citizens created by locust use 000–899), names
``持证人NNNNN``; holder i is the WeChat login ``dev:load-h<i>`` in loadtests/locustfile.py.
The run is idempotent: a marker document ``loadgen`` in the identity database says it is done.

    python -m loadtests.datagen --stack load [--holders 24400] [--skip-http]
"""
import warnings
warnings.filterwarnings("ignore", message=r"(?s).*(Eventlet is deprecated|pkg_resources)")
import eventlet  # noqa: E402
eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import pymongo  # noqa: E402
import requests  # noqa: E402

from services.common import idnumber  # noqa: E402
from services.common.crypto import PersonalData  # noqa: E402
from services.common.mongo import insert_new  # noqa: E402
from services.common.clock import SHANGHAI  # noqa: E402
from services.subsidy.store import entitlement_id  # noqa: E402
from services.volunteer.store import VolunteerStore  # noqa: E402

REGION = "500113"
HOLDERS = 24400
INSTITUTIONS = 50
VOLUNTEERS = 2000
BATCH = 2000
CENTRE = (29.40, 106.54)
POLICY_NAMES = {"nursing_allowance": "重度残疾人护理补贴", "living_allowance": "困难残疾人生活补贴"}


def holder_number(i):
    """A valid, unique ID number for holder i (sequence 900–999, never used by locust users)."""
    day = dt.date(1940, 1, 1) + dt.timedelta(days=i % 25000)
    return idnumber.make(REGION + day.strftime("%Y%m%d") + "%03d" % (900 + i // 25000))


def holder_name(i):
    return "持证人%05d" % i


def holder_grade(i):
    return (1, 2, 2, 3, 3, 4, 4, 4)[i % 8]          # ~37% severe (grades 1–2)


def holder_category(i):
    return (1, 2, 3, 4, 4, 5, 6, 7)[(i // 8) % 8]


def _chunks(seq, n=BATCH):
    for k in range(0, len(seq), n):
        yield seq[k:k + n]


def _insert(coll, docs):
    for part in _chunks(docs):
        insert_new(coll, part)   # a re-run after a partial load skips what is there


def holders(client, prefix, pii, n, now):
    ident, sub, rehab = (client[prefix + s] for s in ("identity", "subsidy", "rehab_booking"))
    sub.entitlements.create_index("held_key", unique=True)
    month = "%04d-%02d" % (now.astimezone(SHANGHAI).year, now.astimezone(SHANGHAI).month)
    today = now.astimezone(SHANGHAI).date()
    persons, keys, people, rpeople, ents = [], [], [], [], []
    for i in range(n):
        number = holder_number(i)
        pid = "p_load%016d" % i
        grade, category = holder_grade(i), holder_category(i)
        persons.append({"_id": pid, "id_hash": pii.blind_index(number, "id_number"),
                        "id_enc": pii.encrypt(number), "name_enc": pii.encrypt(holder_name(i)),
                        "birth_date": idnumber.birth_date(number).isoformat(),
                        "sex": idnumber.sex(number), "household_region": REGION,
                        "residence_region": REGION, "deceased_on": None, "created_at": now})
        keys.append({"_id": persons[-1]["id_hash"], "ref": pid})  # BaseStore.file_key's shape
        cid = "cert_load%016d" % i
        valid_from = (today - dt.timedelta(days=30 + i % 3000)).isoformat()
        valid_until = today.replace(year=today.year + 5).isoformat()
        cert = {"certificate_id": cid, "status": "valid", "category": category, "grade": grade,
                "severe": grade <= 2, "region": REGION, "valid_from": valid_from,
                "valid_until": valid_until}
        severe = grade <= 2
        household = ("none", "low_income", "dibao_edge")[i % 3] if severe else "dibao"
        people.append({"_id": pid, "certificate": cert, "certificate_at": now,
                       "household_status": household, "household_status_since": "2024-01-01",
                       "household_source": "civil_affairs:%s" % REGION,
                       "household_updated_at": now, "birth_date": persons[-1]["birth_date"],
                       "household_region": REGION, "residence_region": REGION,
                       "served_region": REGION, "death_date": None})
        rpeople.append({"_id": pid, "certificate_at": now, "certificate": {
            "id": cid, "status": "valid", "category": category, "grade": grade,
            "severe": severe, "region": REGION, "valid_until": valid_until}})
        code = "nursing_allowance" if severe else "living_allowance"
        ent_id = entitlement_id(pid, code)   # the id subsidy reads a person's grants by
        ents.append({"_id": ent_id, "held_key": "%s:%s" % (pid, code), "person_id": pid,
                     "policy_code": code, "policy_name": POLICY_NAMES[code], "kind": "monthly",
                     "region": REGION, "start_month": month, "end_month": None,
                     "status": "active", "grade": grade, "phase_out_until": None,
                     "application_id": None,
                     "bank_account_enc": pii.encrypt("62220202%011d" % i),
                     "bank_name": "重庆农村商业银行", "reasons": [], "history": [],
                     "created_at": now, "_outbox": []})
    for coll, docs in ((ident.persons, persons), (ident.keys_id_hash, keys), (sub.people, people),
                       (rehab.people, rpeople), (sub.entitlements, ents)):
        t = time.time()
        _insert(coll, docs)
        print("datagen: %6d %-28s %.1fs" % (len(docs), coll.full_name, time.time() - t),
              flush=True)


def volunteers(client, prefix, n, now):
    from services.volunteer.profile import validate_profile
    db = client[prefix + "volunteer"]
    days = [{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(1, 8)]
    docs = []
    for i in range(n):
        lat = CENTRE[0] + ((i % 40) - 20) * 0.002
        lng = CENTRE[1] + ((i // 40 % 40) - 20) * 0.002
        profile = validate_profile({"skills": ["escort"] if i % 2 else ["escort", "home_repair"],
                                    "languages": ["普通话"], "availability": days,
                                    "home_region": REGION, "location": {"lat": lat, "lng": lng}})
        vid = "vol_load%012d" % i
        docs.append(dict(profile, _id=vid, account_id="acc_loadvol%012d" % i, person_id=None,
                         status="active", name_enc=None, phone_enc=None,
                         real_name_verified=False, created_at=now, logged_minutes=0,
                         rating_sum=0, rating_count=0, upheld_complaints=0,
                         upheld_since_review=0, upheld_complaint_ids=[], active_task_ids=[],
                         accepted_count=0, completed_count=0, stars=0, version=0,
                         _outbox=[]))
    t = time.time()
    _insert(db.volunteers, docs)
    _insert(db.keys_account, [{"_id": d["account_id"], "ref": d["_id"]} for d in docs])
    VolunteerStore(db, None).roster_changed()      # running services read the roster again
    print("datagen: %6d %-28s %.1fs" % (n, db.volunteers.full_name, time.time() - t), flush=True)


def institutions(amqp_uri, n):
    """Through the rehab_booking service's own RPC (its validation and slot generation; the
    gateway's 8 s limit is too short for a month of slots in one call): n institutions, each
    with 30 days of slots from tomorrow (5 templates a day)."""
    from nameko.standalone.rpc import ClusterRpcProxy
    actor = {"kind": "staff", "staff_id": "county_dpf.%s" % REGION, "roles": ["county_dpf"],
             "region": REGION, "institution_id": None}
    hours = {str(d): [["08:00", "12:00"], ["13:30", "17:30"]] for d in range(1, 8)}
    services = ["movement_therapy", "speech_training", "child_screening", "needs_assessment"]
    templates = [("movement_therapy", "09:00", 45, 6), ("speech_training", "10:00", 45, 4),
                 ("child_screening", "14:00", 45, 4), ("needs_assessment", "15:00", 45, 3),
                 ("movement_therapy", "16:00", 45, 6)]
    today = dt.datetime.now(SHANGHAI).date()
    slots, t = 0, time.time()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=600) as rpc:
        for k in range(n):
            inst = rpc.rehab_booking.save_institution(actor, {
                "name": "巴南区康复点%02d" % k, "region": REGION, "address": "巴南区测试路%d号" % k,
                "location": {"lat": CENTRE[0] + (k % 10 - 5) * 0.01,
                             "lng": CENTRE[1] + (k // 10 - 2) * 0.01},
                "services": services, "opening_hours": hours,
                "accessibility": {"step_free": True}})
            out = rpc.rehab_booking.create_schedule(actor, {
                "institution_id": inst["id"], "from": (today + dt.timedelta(days=1)).isoformat(),
                "to": (today + dt.timedelta(days=30)).isoformat(),
                "templates": [{"service": s, "weekday": d, "start": st, "duration_minutes": m,
                               "capacity": c} for s, st, m, c in templates for d in range(1, 8)]})
            slots += out.get("slots_created") or len(out.get("slot_ids") or [])
    print("datagen: %6d institutions, %d slots (RPC)     %.1fs" % (n, slots, time.time() - t),
          flush=True)


def loaded(client, prefix):
    return client[prefix + "identity"].loadgen.find_one({"_id": "done"})


def main():
    p = argparse.ArgumentParser(description="bulk-load Banan-scale data into a stack")
    p.add_argument("--stack", default=os.environ.get("LOAD_STACK", "load"))
    p.add_argument("--holders", type=int, default=HOLDERS)
    p.add_argument("--volunteers", type=int, default=VOLUNTEERS)
    p.add_argument("--institutions", type=int, default=INSTITUTIONS)
    p.add_argument("--url", default=None, help="gateway (institutions); default: the stack's")
    p.add_argument("--skip-http", action="store_true", help="no institutions")
    p.add_argument("--force", action="store_true")
    args = p.parse_args()
    from tools.stack import Stack
    stack = Stack(args.stack)
    env = stack.env()
    client = pymongo.MongoClient(env["MONGO_URI"], tz_aware=True)
    prefix = stack.db_prefix
    if loaded(client, prefix) and not args.force:
        print("datagen: data already loaded in stack %r" % args.stack)
        return
    pii = PersonalData(env["PII_ENC_KEY"], env["PII_HASH_KEY"])
    now = dt.datetime.now(dt.timezone.utc)
    started = time.time()
    holders(client, prefix, pii, args.holders, now)
    volunteers(client, prefix, args.volunteers, now)
    if not args.skip_http:
        institutions(env["AMQP_URI"], args.institutions)
    client[prefix + "identity"].loadgen.replace_one(
        {"_id": "done"}, {"_id": "done", "holders": args.holders, "at": now,
                          "volunteers": args.volunteers, "institutions": args.institutions},
        upsert=True)
    print("datagen: done in %.1fs" % (time.time() - started), flush=True)
    print(json.dumps({"holders": args.holders, "volunteers": args.volunteers,
                      "institutions": 0 if args.skip_http else args.institutions}))


if __name__ == "__main__":
    main()
