"""Lists by owner (BaseStore.append_ref / list_refs) on the real database: appends racing from
many threads are all kept, each once, and the migration fills a list from existing documents."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.common.mongo import BaseStore
from tests.integration.conftest import scratch_db


@pytest.fixture
def db(stack):
    with scratch_db(stack, "integration_lists") as db:
        yield db


def test_racing_appends_are_all_kept_once_in_order_of_arrival(db):
    store = BaseStore(db, None)
    refs = ["p%02d" % i for i in range(24)]
    with ThreadPoolExecutor(12) as pool:        # each ref appended twice, all at once
        list(pool.map(lambda r: store.append_ref("wards", "acc1", r), refs + refs))
    kept = store.list_refs("wards", "acc1")
    assert sorted(kept) == refs
    store.append_ref("wards", "acc1", "p99")
    assert store.list_refs("wards", "acc1")[-1] == "p99"
    assert store.list_refs("wards", "acc2") == []


def test_backfill_lists_the_documents_stored_before(db):
    db.guardianships.insert_many([{"_id": "a:%d" % i, "account_id": "a", "person_id": "p%d" % i}
                                  for i in range(3)] + [{"_id": "b:0", "account_id": "b",
                                                         "person_id": "q"}])
    BaseStore.backfill_lists(db, "wards", "guardianships", "account_id", "person_id")
    store = BaseStore(db, None)
    assert sorted(store.list_refs("wards", "a")) == ["p0", "p1", "p2"]
    assert store.list_refs("wards", "b") == ["q"]
    db.guardianships.insert_one({"_id": "c:0", "account_id": "c", "person_id": "r"})
    BaseStore.backfill_lists(db, "wards", "guardianships", "account_id", "person_id")   # again
    assert store.list_refs("wards", "c") == [], "filled once: later documents are appended by code"
    assert db.lists_wards.count_documents({"_id": {"$ne": "~filled"}}) == 4


def test_a_long_list_is_read_from_its_tail_and_appended_from_its_mark(db):
    store = BaseStore(db, None)
    for i in range(30):
        store.append_ref("notes", "acc", "n%02d" % i)
    assert db.lists_notes.find_one({"_id": "acc#end"})["n"] == 24, "a mark every 8 appends"
    assert store.list_refs("notes", "acc", last=3) == ["n27", "n28", "n29"]
    assert store.list_refs("notes", "acc", last=100) == store.list_refs("notes", "acc")
    assert len(store.list_refs("notes", "acc")) == 30
    db.lists_notes.update_one({"_id": "acc#end"}, {"$set": {"n": 5}})     # a stale, older mark
    store.append_ref("notes", "acc", "n30")
    assert store.list_refs("notes", "acc", last=2) == ["n29", "n30"]
    assert store.list_refs("notes", "nobody", last=5) == []
