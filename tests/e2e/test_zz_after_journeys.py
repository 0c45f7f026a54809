"""Checks over what every journey of the session left behind (this module runs last):
no personal data in clear in any log the stack wrote, no event or audit record stuck in an
outbox, and no state transition without its audit record. Runs after the other e2e modules
because pytest orders files by name."""
import collections
import datetime as dt
import glob
import os
import time

import pymongo

from services.common import outbox

from services.common.crypto import personal_data


def stack_logs(stack):
    return glob.glob(os.path.join(stack.log_dir, "*.log"))


def test_no_personal_data_in_clear_in_any_log(stack):
    logs = stack_logs(stack)
    assert logs, "the stack wrote no logs"
    found = []
    for path in logs:
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                for kind in sorted(set(personal_data(line))):
                    found.append("%s:%d %s" % (os.path.basename(path), n, kind))
    assert not found, found[:20]


def test_no_event_or_audit_record_is_stuck_in_an_outbox(stack):
    """Every outbox entry older than a few seconds was delivered, or is being retried or was
    set aside as unrouted (no subscriber) — none was never attempted, none is dead. One scan,
    then only the suspects are looked at again while the relays catch up."""
    client = pymongo.MongoClient(stack.env()["MONGO_URI"], tz_aware=True)
    prefix = stack.db_prefix
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=20)
    suspects = []  # (db name, collection, doc id, entry)
    for db_name in client.list_database_names():
        if not db_name.startswith(prefix) or db_name.startswith(prefix + "integration_"):
            continue
        db = client[db_name]
        for coll in db.list_collection_names():
            for doc in db[coll].find({"_outbox.created_at": {"$lt": old}}):
                suspects += [(db_name, coll, doc["_id"], e) for e in outbox.undelivered(db, doc)
                             if e["created_at"] < old]

    def stuck():
        out = []
        for db_name, coll, doc_id, entry in suspects:
            record = client[db_name][outbox.DELIVERED].find_one({"_id": entry["id"]})
            if record is None or record["state"] == "dead":
                out.append("%s.%s %s %s" % (db_name, coll, doc_id, entry.get("type", entry["kind"])))
        return out
    deadline = time.time() + 30
    left = stuck()
    while left and time.time() < deadline:
        time.sleep(2)
        left = stuck()
    assert not left, left[:20]


# -- every state transition left an audit record ---------------------------------------------------
# Documents the tests put straight into the database, around the services (their transitions
# never went through a service, so they have no audit record by construction):
# test_certificate_concurrency races two applications of person "p_race_..." in the store.
TEST_MADE = ("p_race_",)
# A status a document is created in by a batch whose one audit record covers them all: rehab
# slots are generated "open" by a schedule (its "create ... generated" record names the
# institution and how many slots). Any later status of a slot needs its own record.
BATCH_CREATED = {("rehab_booking", "slots"): {"open"}}


def outbox_collections(service):
    """The collections a service declares as carrying _outbox: its state documents."""
    from tests.e2e.test_zy_events_twice import service_class
    cls = service_class(service)
    box = next((v for v in vars(cls).values() if isinstance(v, outbox.Outbox)), None)
    return box.collections if box else ()


def covers(record, doc_id, entities):
    """An audit record is about a document when its entity is the document (or an entity the
    document's own outbox audits under), or when it lists the document (batch records)."""
    if record.get("entity") in entities:
        return True
    for value in (record.get("data") or {}).values():
        if value == doc_id or (isinstance(value, list) and doc_id in value):
            return True
    return False


def unaudited_transitions(db, service, coll, audit_by_entity, listed_by_id, doc):
    """What ``doc`` shows happened that no audit record accounts for."""
    if any(str(doc.get("person_id") or "").startswith(p) for p in TEST_MADE):
        return []
    entities = {doc["_id"]} | {e["record"].get("entity") for e in doc.get("_outbox") or []
                               if e.get("kind") == "audit"}
    trail = [r for e in entities for r in audit_by_entity.get(e, [])] + \
        listed_by_id.get(doc["_id"], [])
    trail = [r for r in trail if covers(r, doc["_id"], entities)]
    missing = []
    status = doc.get("status")
    if isinstance(status, str) and status not in {r.get("to") for r in trail} and \
            status not in BATCH_CREATED.get((service, coll), ()):
        missing.append("%s.%s %s: status %r" % (service, coll, doc["_id"], status))
    pairs = collections.Counter((r.get("from"), r.get("to")) for r in trail)
    for h in doc.get("history") or []:
        if isinstance(h, dict) and "to" in h:
            key = (h.get("from"), h.get("to"))
            if pairs[key] > 0:
                pairs[key] -= 1
            else:
                missing.append("%s.%s %s: %s %s->%s" % (service, coll, doc["_id"],
                                                         h.get("action"), *key))
    return missing


def test_every_state_transition_left_an_audit_record(stack):
    """State documents (the collections each service declares in its Outbox) against the audit
    log: the status a document is in, and every from->to of its history, has an audit record
    about it (who, role, region, when, from, to). One scan, then the suspects are looked at
    again while the relays copy what was just written."""
    from tools.stack import SERVICES
    client = pymongo.MongoClient(stack.env()["MONGO_URI"], tz_aware=True)
    checked = collections.Counter()

    def scan(only=None):
        missing = []
        for service in SERVICES:
            db = client[stack.db_prefix + service]
            colls = outbox_collections(service)
            if not colls:
                continue
            audit_by_entity, listed_by_id = collections.defaultdict(list), \
                collections.defaultdict(list)
            for r in db["audit"].find():
                audit_by_entity[r.get("entity")].append(r)
                for value in (r.get("data") or {}).values():
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str):
                            listed_by_id[item].append(r)
            for coll in colls:
                query = {} if only is None else {"_id": {"$in": only.get((service, coll), [])}}
                if only is not None and not query["_id"]["$in"]:
                    continue
                for doc in db[coll].find(query):
                    if "status" not in doc and "history" not in doc:
                        continue
                    if only is None:
                        checked["documents"] += 1
                        checked["transitions"] += max(len(doc.get("history") or []), 1)
                    found = unaudited_transitions(db, service, coll, audit_by_entity,
                                                  listed_by_id, doc)
                    missing += [(service, coll, doc["_id"], m) for m in found]
        return missing

    missing = scan()
    deadline = time.time() + 30
    while missing and time.time() < deadline:
        time.sleep(3)
        suspects = collections.defaultdict(list)
        for service, coll, doc_id, _ in missing:
            suspects[(service, coll)].append(doc_id)
        missing = scan(suspects)
    print("audit completeness:", dict(checked), "missing:", len(missing))
    client.close()
    assert not missing, [m[3] for m in missing[:20]]
