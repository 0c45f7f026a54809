"""Identity's store on the real database: an account's wards are read only when the account is
flagged as a guardian, the flag is set before the ward is written, and accounts of wards stored
before the flag existed are flagged once at start."""
import pytest

from miniprogram_api.identity.store import IdentityStore
from services.common.clock import Clock
from tests.integration.conftest import scratch_db


@pytest.fixture
def db(stack):
    with scratch_db(stack, "integration_identity") as db:
        yield db


def test_wards_are_read_through_the_flag_set_before_the_ward(db):
    IdentityStore.ensure_indexes(db)
    store = IdentityStore(db, Clock())
    account = store.account_for_openid("o-guardian")
    assert "has_wards" not in account and store.wards(account) == []
    store.add_guardianship(account["_id"], "p1", "parent")
    store.add_guardianship(account["_id"], "p2", "child")
    account = store.account(account["_id"])
    assert account["has_wards"] is True
    assert [g["person_id"] for g in store.wards(account)] == ["p1", "p2"]
    # an unflagged account is not read further: the flag is the only way in
    assert store.wards(dict(account, has_wards=False)) == []


def test_guardians_stored_before_the_flag_are_flagged_once(db):
    db.accounts.insert_many([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}])
    db.guardianships.insert_many([{"_id": "a:p1", "account_id": "a", "person_id": "p1"},
                                  {"_id": "a:p2", "account_id": "a", "person_id": "p2"},
                                  {"_id": "b:p3", "account_id": "b", "person_id": "p3"}])
    IdentityStore.ensure_indexes(db)
    store = IdentityStore(db, Clock())
    assert [g["_id"] for g in store.wards(store.account("a"))] == ["a:p1", "a:p2"]
    assert [g["_id"] for g in store.wards(store.account("b"))] == ["b:p3"]
    assert "has_wards" not in store.account("c")
    db.accounts.update_one({"_id": "b"}, {"$unset": {"has_wards": ""}})
    IdentityStore.ensure_indexes(db)                      # the next start: not run again
    assert "has_wards" not in store.account("b")
