import datetime as dt

import pytest

from services.common.errors import Conflict, RuleRefused, ValidationFailed
from services.certificate import disclosure as ds
from .factories import MONDAY, certificate

PEPPER = b"p" * 32
CERT = certificate(cid="cert-1")


def test_codes_are_short_and_from_the_alphabet():
    code = ds.generate_code()
    assert len(code) == 6 and code.isdigit()
    code = ds.generate_code(8, ds.ALPHANUMERIC)
    assert len(code) == 8 and set(code) <= set(ds.ALPHANUMERIC)
    assert len({ds.generate_code() for _ in range(50)}) > 40
    with pytest.raises(ValidationFailed):
        ds.generate_code(3)


def test_only_a_keyed_hash_is_stored_and_it_binds_the_certificate():
    code, record = ds.new_disclosure(CERT, MONDAY, PEPPER)
    assert code not in str(record)
    assert record["expires_at"] == MONDAY + dt.timedelta(minutes=5)
    assert record["used_at"] is None and record["attempts"] == 0
    assert ds.hash_code(code, "cert-1", PEPPER) == record["code_hash"]
    assert ds.hash_code(code, "cert-2", PEPPER) != record["code_hash"]
    assert ds.hash_code(code, "cert-1", b"q" * 32) != record["code_hash"]
    with pytest.raises(ValidationFailed):
        ds.hash_code(code, "cert-1", b"short")


def test_single_use():
    code, record = ds.new_disclosure(CERT, MONDAY, PEPPER, code="123456")
    first = ds.redeem(record, " 123 456 ", MONDAY + dt.timedelta(minutes=1), PEPPER)
    assert first["ok"] and first["record"]["used_at"] == MONDAY + dt.timedelta(minutes=1)
    second = ds.redeem(first["record"], "123456", MONDAY + dt.timedelta(minutes=2), PEPPER)
    assert (second["ok"], second["reason"]) == (False, "used")


def test_expiry():
    code, record = ds.new_disclosure(CERT, MONDAY, PEPPER)
    assert ds.redeem(record, code, MONDAY + dt.timedelta(minutes=5), PEPPER)["reason"] == "expired"
    assert ds.redeem(record, code, MONDAY + dt.timedelta(minutes=4, seconds=59), PEPPER)["ok"]


def test_wrong_codes_count_and_lock():
    code, record = ds.new_disclosure(CERT, MONDAY, PEPPER, code="111111", max_attempts=2)
    for expected in (1, 2):
        out = ds.redeem(record, "222222", MONDAY, PEPPER)
        assert (out["ok"], out["reason"], out["record"]["attempts"]) == (False, "wrong_code",
                                                                          expected)
        record = out["record"]
    assert ds.redeem(record, "111111", MONDAY, PEPPER)["reason"] == "locked"


@pytest.mark.parametrize("reason,error,code", [
    ("used", Conflict, "CODE_ALREADY_USED"), ("expired", RuleRefused, "CODE_EXPIRED"),
    ("locked", RuleRefused, "CODE_LOCKED"), ("wrong_code", ValidationFailed, "CODE_INVALID")])
def test_errors_for_reasons(reason, error, code):
    e = ds.error_for(reason)
    assert isinstance(e, error) and e.code == code


def test_find_record_and_disclosed_view():
    code, record = ds.new_disclosure(CERT, MONDAY, PEPPER)
    assert ds.find_record([record], code, "cert-1", PEPPER) is record
    assert ds.find_record([record], "000000" if code != "000000" else "111111", "cert-1",
                          PEPPER) is None
    view = ds.disclosed_view(CERT, "张三丰")
    assert view["holder_name"] == "张三丰" and view["certificate_number"] == CERT["number"]
    assert view["category_name"] == "肢体" and view["grade_name"] == "二级"
