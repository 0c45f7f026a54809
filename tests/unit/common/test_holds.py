import pytest

from services.common.mongo import holds


def test_values_in_and_nin():
    doc = {"_id": "bk1", "status": "confirmed", "reminded_24h": None, "slot_id": "s1"}
    assert holds(doc, {"_id": "bk1", "status": "confirmed", "slot_id": "s1"})
    assert not holds(doc, {"status": "held"})
    assert holds(doc, {"status": {"$in": ["held", "confirmed"]}, "reminded_24h": {"$nin": [True, "skipped"]}})
    assert not holds(dict(doc, reminded_24h=True), {"reminded_24h": {"$nin": [True, "skipped"]}})
    assert not holds(doc, {"status": {"$in": ["held"]}})
    assert not holds(doc, {"missing": "x"}) and holds(doc, {"missing": None})


def test_an_operator_it_does_not_read_is_an_error_not_a_pass():
    with pytest.raises(ValueError):
        holds({"start": 1}, {"start": {"$gt": 0}})
