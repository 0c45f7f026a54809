"""A person's subsidy documents are found by ``_id`` only (FerretDB v1 answers nothing else from
its primary key), a chunk of payment lines is written at once and a line already there counts as
paid, and the batch's pure helpers. The store runs here on an in-memory stand-in that refuses any
filter but ``{"_id": value}``."""
import datetime as dt

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.subsidy import payments, views
from services.subsidy.store import (SubsidyStore, application_id, entitlement_id,
                                    suggestion_id)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=UTC)   # 2026-11 in Shanghai


class ById:
    """A collection that answers only ``find_one({"_id": x})`` and inserts."""

    def __init__(self):
        self.docs, self.reads = {}, 0

    def find_one(self, query):
        assert set(query) == {"_id"} and not isinstance(query["_id"], dict), query
        self.reads += 1
        return self.docs.get(query["_id"])

    def insert_one(self, doc):
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("dup")
        self.docs[doc["_id"]] = doc

    def insert_many(self, docs, ordered=True):
        assert ordered is False
        errors = []
        for i, d in enumerate(docs):
            if d["_id"] in self.docs:
                errors.append({"index": i, "code": 11000, "errmsg": "duplicate key"})
            else:
                self.docs[d["_id"]] = d
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nInserted": len(docs) - len(errors)})

    def find(self, *a, **kw):
        raise AssertionError("a scan on a person's read path")


class DB(dict):
    def __getattr__(self, name):
        return self.setdefault(name, ById())

    def __getitem__(self, name):
        return self.setdefault(name, ById())


class Clock:
    def now(self):
        return NOW


def store():
    return SubsidyStore(DB(), Clock())


def ent(pid, code, n=1, start="2026-08", status="active", kind="monthly", days=0):
    return {"_id": entitlement_id(pid, code, n), "person_id": pid, "policy_code": code,
            "kind": kind, "start_month": start, "end_month": None, "status": status,
            "created_at": NOW - dt.timedelta(days=100 - days)}


def test_ids_derive_from_the_person_and_the_benefit():
    assert suggestion_id("p_1", "nursing_allowance") == "ssug_p_1_nursing_allowance"
    assert application_id("p_1", "nursing_allowance", 2) == "sapp_p_1_nursing_allowance_2"
    assert entitlement_id("p_1", "living_allowance") == "sent_p_1_living_allowance_1"
    line = payments.line_id(entitlement_id("p_load0000000000024399", "nursing_allowance"),
                            "2026-11")
    assert len(line + ":recovery") <= 80    # the bank-result schema's limit on line ids


def test_generations_are_read_until_the_first_gap_and_the_next_id_is_the_gap():
    s = store()
    s.db.entitlements.insert_one(ent("p_1", "nursing_allowance", 1, status="ended"))
    s.db.entitlements.insert_one(ent("p_1", "nursing_allowance", 2, days=50))
    s.db.entitlements.insert_one(ent("p_1", "living_allowance", 1, days=10))
    s.db.entitlements.insert_one(ent("p_2", "living_allowance", 1))
    got = s.entitlements_for("p_1")
    assert [e["_id"] for e in got] == [entitlement_id("p_1", "nursing_allowance", 1),
                                       entitlement_id("p_1", "living_allowance", 1),
                                       entitlement_id("p_1", "nursing_allowance", 2)]
    assert s.next_entitlement_id("p_1", "nursing_allowance") == \
        entitlement_id("p_1", "nursing_allowance", 3)
    assert s.next_entitlement_id("p_1", "pension_premium") == \
        entitlement_id("p_1", "pension_premium", 1)
    s.db.applications.insert_one({"_id": application_id("p_1", "pension_premium", 1),
                                  "created_at": NOW})
    assert s.next_application_id("p_1", "pension_premium") == \
        application_id("p_1", "pension_premium", 2)
    assert [a["_id"] for a in s.applications_for("p_1")] == [
        application_id("p_1", "pension_premium", 1)]
    assert s.suggestions_for("p_1") == []


def test_a_persons_lines_are_read_month_by_month_by_id_even_after_the_end():
    s = store()
    e1 = ent("p_1", "nursing_allowance", start="2026-08", status="ended")
    e1["end_month"] = "2026-08"      # died in August: a September line paid before is kept
    e2 = ent("p_1", "home_modification", start="2026-10", kind="one_off")
    for month in ("2026-08", "2026-09"):
        s.db.payment_lines.insert_one({"_id": payments.line_id(e1["_id"], month),
                                       "month": month})
    s.db.payment_lines.insert_one({"_id": payments.line_id(e2["_id"], "2026-10"),
                                   "month": "2026-10"})
    lines = s.lines_for("p_1", [e1, e2])
    assert [ln["month"] for ln in lines] == ["2026-08", "2026-09", "2026-10"]
    assert s.db.payment_lines.reads == 4 + 1   # Aug..Nov for the monthly one, Oct for the other


def test_a_chunk_already_written_counts_as_paid_and_other_errors_raise():
    s = store()
    docs = [{"_id": "sent_p_1_x_1:2026-11"}, {"_id": "sent_p_2_x_1:2026-11"}]
    assert s.insert_lines(docs[:1]) == []
    assert s.insert_lines(docs) == ["sent_p_1_x_1:2026-11"]
    assert s.insert_lines([]) == []

    class Broken(ById):
        def insert_many(self, docs, ordered=True):
            raise BulkWriteError({"writeErrors": [{"index": 0, "code": 11000},
                                                  {"index": 1, "code": 2}]})
    s.db["payment_lines"] = Broken()
    with pytest.raises(BulkWriteError):
        s.insert_lines(docs)


def test_line_months_ignore_the_end_and_follow_the_kind():
    e = {"start_month": "2025-11", "kind": "yearly", "end_month": "2025-12"}
    assert payments.line_months(e, "2026-11") == ["2025-11", "2026-11"]
    e = {"start_month": "2026-09", "kind": "monthly", "phase_out_until": "2026-09"}
    assert payments.line_months(e, "2026-11") == ["2026-09", "2026-10", "2026-11"]
    assert payments.chunked(range(5), 2) == [[0, 1], [2, 3], [4]]


def test_identity_cache_and_payment_notice():
    assert views.cached_identity({"_id": "p_1", "birth_date": "1950-01-01"}) is None
    local = {"_id": "p_1", "birth_date": "1950-01-01", "household_region": "500113",
             "residence_region": "500113", "death_date": "2026-10-02"}
    ident = views.cached_identity(local)
    facts = views.build_facts(ident, local, ["nursing_allowance"])
    assert facts["alive"] is False and facts["death_date"] == "2026-10-02"
    assert facts["benefits_held"] == ["nursing_allowance"]
    line = {"line_id": "sent_p_1_x_1:2026-11", "person_id": "p_1", "month": "2026-11",
            "amount_fen": 10050}
    a, b = views.payment_notice(line, "护理补贴", NOW), views.payment_notice(line, "护理补贴", NOW)
    assert a["id"] == b["id"] and a["type"] == "notify"
    assert a["payload"]["template"] == "payment" and a["payload"]["person_id"] == "p_1"
    assert a["payload"]["data"]["amount"] == "100.50元"
    assert a["payload"]["data"]["note"] == "2026-11月补贴已提交银行发放"
