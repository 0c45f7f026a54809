"""Checks over what every journey of the session left behind (this module runs last):
no personal data in clear in any log the stack wrote, and no event or audit record stuck in
an outbox. Runs after the other e2e modules because pytest orders files by name."""
import datetime as dt
import glob
import os
import time

import pymongo

from services.common import outbox

from services.common.crypto import BANK_ACCOUNT_RE, ID_NUMBER_RE, PHONE_RE


def stack_logs(stack):
    return glob.glob(os.path.join(stack.log_dir, "*.log"))


def test_no_personal_data_in_clear_in_any_log(stack):
    logs = stack_logs(stack)
    assert logs, "the stack wrote no logs"
    found = []
    for path in logs:
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                for kind, pattern in (("id number", ID_NUMBER_RE), ("phone", PHONE_RE),
                                      ("bank account", BANK_ACCOUNT_RE)):
                    if pattern.search(line):
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
