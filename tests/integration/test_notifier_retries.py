"""The notifier's retry sweep on the real database: it finds due sends through its work list
(``due_retries``), claims each for one sender, and picks up a send that never reported back."""
import datetime as dt

import pytest

from miniprogram_api.notifier.store import SENDING_LEASE, NotifierStore
from services.common.clock import Clock
from tests.integration.conftest import scratch_db


class FixedClock(Clock):
    def __init__(self, at):
        super().__init__()
        self.at = at

    def now(self):
        return self.at


@pytest.fixture
def store(stack):
    with scratch_db(stack, "integration_notifier") as db:
        yield NotifierStore(db, FixedClock(dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)))


def record(store, nid):
    doc = {"_id": nid, "account_id": "acc", "status": "sending", "attempts": 0,
           "created_at": store.clock.now(), "history": []}
    assert store.create(doc)


def test_due_retries_are_claimed_once_and_a_lost_send_is_tried_again(store):
    t0 = store.clock.now()
    record(store, "n-failed")
    record(store, "n-sent")
    record(store, "n-lost")                     # its sender died before it reported back
    store.set_outcome("n-failed", "failed", "busy", 1, next_at=t0 + dt.timedelta(seconds=30))
    store.set_outcome("n-sent", "sent", None, 1, msgid="m1")
    assert store.claim_due_retries() == []

    store.clock.at = t0 + dt.timedelta(seconds=31)
    assert [d["_id"] for d in store.claim_due_retries()] == ["n-failed"]
    assert store.claim_due_retries() == [], "claimed once"

    store.clock.at = t0 + SENDING_LEASE + dt.timedelta(seconds=1)
    assert [d["_id"] for d in store.claim_due_retries()] == ["n-lost"]
    assert store.db.notifications.find_one({"_id": "n-failed"})["status"] == "sending"
    assert store.db.due_retries.find_one({"_id": "n-sent"}) is None
