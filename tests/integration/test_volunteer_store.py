"""The volunteer store's reads that avoid scans, on the real database: the matching roster
kept current through the ``roster_changes`` log, the busy check and recent load taken from it,
and the sweeps' work lists of due waves and unfinished follow-ups."""
import datetime as dt

import pytest

from services.common.clock import Clock
from services.volunteer import store as store_module
from services.volunteer.dispatch import Dispatcher
from services.volunteer.store import VolunteerStore
from tests.integration.conftest import scratch_db
from tests.unit.volunteer.factories import NOW, TASK_AT, make_task, make_volunteer

UTC = dt.timezone.utc


@pytest.fixture
def store(stack):
    with scratch_db(stack, "integration_roster") as db:
        store_module._ROSTERS.pop(db.name, None)
        yield VolunteerStore(db, Clock())


def volunteer_doc(vid, **kw):
    v = make_volunteer(vid, **kw)
    return dict(v, _id=v.pop("id"), active_task_ids=[])


def task_doc(tid, when, minutes=120):
    t = make_task(id=tid, when=when, duration_minutes=minutes)
    return dict(t, _id=t.pop("id"))


def roster_ids(store):
    return sorted(v["_id"] for v in store.roster())


def test_the_roster_follows_each_write_without_reading_everyone_again(store):
    store.insert_volunteer(volunteer_doc("v1"))
    store.insert_volunteer(volunteer_doc("v2"))
    store.insert_volunteer(volunteer_doc("v9", status="pending"))
    assert roster_ids(store) == ["v1", "v2"]

    store.db.tasks.insert_one(task_doc("busy", TASK_AT))
    store.add_load("v1", "busy", NOW)
    store.update("volunteers", "v2", None, {"status": "suspended"})
    store.update("volunteers", "v9", None, {"status": "active"})
    kept = {v["_id"]: v for v in store.roster()}
    assert sorted(kept) == ["v1", "v9"]
    assert kept["v1"]["active_task_ids"] == ["busy"] and kept["v1"]["recent_accepts"] == [NOW]

    store.db.volunteers.insert_one(volunteer_doc("v3"))       # a bulk load writes no log entry
    assert roster_ids(store) == ["v1", "v9"]
    store.roster_changed()                                    # ... and then says "everyone"
    assert roster_ids(store) == ["v1", "v3", "v9"]

    store.remove_load("v1", "busy")
    assert {v["_id"]: v for v in store.roster()}["v1"]["active_task_ids"] == []


def test_matching_leaves_out_the_busy_and_weighs_recent_accepts(store):
    for vid in ("v1", "v2", "v3"):
        store.insert_volunteer(volunteer_doc(vid))
    store.db.tasks.insert_one(task_doc("held", TASK_AT))       # v1 holds the same morning
    store.add_load("v1", "held", NOW)
    store.db.tasks.insert_one(task_doc("done", TASK_AT - dt.timedelta(days=3)))
    store.add_load("v2", "done", NOW - dt.timedelta(days=3))   # v2 accepted one 3 days ago ...
    store.remove_load("v2", "done")                            # ... and finished it

    dispatcher = Dispatcher(store, relay=None)
    ranking, _ = dispatcher.rank(make_task(id="new", person_id="p7", when=TASK_AT + dt.timedelta(minutes=60)), NOW)
    assert ranking["filtered_out"] == {"busy": 1}
    ranked = {c["volunteer_id"]: c["components"]["load"] for c in ranking["ranked"]}
    assert sorted(ranked) == ["v2", "v3"] and ranked["v2"] < ranked["v3"] == 1.0

    later = make_task(id="later", person_id="p7", when=TASK_AT + dt.timedelta(hours=3))
    assert "busy" not in dispatcher.rank(later, NOW)[0]["filtered_out"]


def test_the_sweeps_find_due_tasks_through_their_work_lists(store):
    later = NOW + dt.timedelta(minutes=10)
    store.insert_task(dict(task_doc("t1", TASK_AT), status="open", followup_at=NOW))
    store.insert_task(dict(task_doc("t2", TASK_AT), status="open", followup_at=later))
    assert [t["_id"] for t in store.followup_tasks(NOW, 10)] == ["t1"]
    store.update("tasks", "t1", None, {"status": "offering", "wave_expires_at": NOW})
    assert [t["_id"] for t in store.due_tasks(NOW, 10)] == ["t1"]

    store.db.tasks.update_one({"_id": "t1"}, {"$unset": {"followup_at": ""}})   # finished
    store.update("tasks", "t1", None, {"status": "accepted"})                   # wave answered
    assert [t["_id"] for t in store.followup_tasks(later, 10)] == ["t2"]
    assert store.due_tasks(later, 10) == []
    assert store.db.due_waves.count_documents({}) == 0, "the stale marks are gone"
    assert store.db.due_followups.find_one({"_id": "t1"}) is None


def test_tasks_stored_before_the_work_lists_are_marked_once_at_start(store):
    store.db.tasks.insert_many([dict(task_doc("old1", TASK_AT), status="offering", wave_expires_at=NOW),
                                dict(task_doc("old2", TASK_AT), status="completed")])
    VolunteerStore.ensure_indexes(store.db)
    assert [t["_id"] for t in store.due_tasks(NOW, 10)] == ["old1"]
    assert store.followup_tasks(NOW, 10) == []
