"""Categories, grades, certificate number, validity, one-valid rule, expiry reminder, card."""
import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.certificate import domain, events
from .factories import DPF, ID_NUMBER, MONDAY, STREET, certificate, staff

TODAY = dt.date(2024, 6, 3)


@pytest.mark.parametrize("value,expected", [(1, 1), ("4", 4), (7, 7)])
def test_categories(value, expected):
    assert domain.validate_category(value) == expected


@pytest.mark.parametrize("value", [0, 8, "视力", None, True, 4.5])
def test_bad_categories_are_refused_in_chinese(value):
    with pytest.raises(ValidationFailed) as e:
        domain.validate_category(value)
    assert "残疾类别" in e.value.message


@pytest.mark.parametrize("grade,severe", [(1, True), (2, True), (3, False), (4, False)])
def test_grades_and_severity(grade, severe):
    assert domain.is_severe(grade) is severe


@pytest.mark.parametrize("value", [0, 5, "一级", None])
def test_bad_grades(value):
    with pytest.raises(ValidationFailed) as e:
        domain.validate_grade(value)
    assert "残疾等级" in e.value.message


def test_names():
    assert [domain.CATEGORIES[i] for i in range(1, 8)] == ["视力", "听力", "言语", "肢体", "智力",
                                                           "精神", "多重"]
    assert set(domain.TRANSACTION_TYPES) == {"new", "renewal", "replacement", "change",
                                             "transfer", "cancellation"}
    assert set(domain.CANCELLATION_REASONS) == {"death", "recovery", "voluntary", "fraud"}


@pytest.mark.parametrize("fn,value", [(domain.validate_transaction_type, "upgrade"),
                                      (domain.validate_cancellation_reason, "moved")])
def test_bad_types_and_reasons(fn, value):
    with pytest.raises(ValidationFailed):
        fn(value)


def test_certificate_number_is_id_plus_category_and_grade():
    number = domain.certificate_number(ID_NUMBER.lower(), 1, 3)
    assert number == ID_NUMBER + "13" and len(number) == 20
    assert domain.parse_certificate_number(number) == {"id_number": ID_NUMBER, "category": 1,
                                                       "grade": 3}


def test_multiple_disability_number_uses_7_and_the_most_severe_grade():
    result = domain.validate_assessment(7, None, [{"category": 2, "grade": 3},
                                                  {"category": 3, "grade": 1}])
    assert (result["category"], result["grade"]) == (7, 1)
    assert domain.certificate_number(ID_NUMBER, result["category"], result["grade"]).endswith("71")


@pytest.mark.parametrize("category,grade,components", [
    (7, 2, [{"category": 2, "grade": 3}, {"category": 3, "grade": 1}]),  # not the highest
    (7, None, [{"category": 2, "grade": 3}]),                             # only one category
    (7, None, [{"category": 2, "grade": 3}, {"category": 2, "grade": 1}]),
    (7, None, [{"category": 7, "grade": 3}, {"category": 2, "grade": 1}]),
    (7, None, ["bad", {"category": 2, "grade": 1}]),
    (4, 2, [{"category": 2, "grade": 3}, {"category": 3, "grade": 1}]),  # components on non-7
    (4, None, None),
])
def test_bad_assessments(category, grade, components):
    with pytest.raises(ValidationFailed):
        domain.validate_assessment(category, grade, components)


@pytest.mark.parametrize("number", [
    ID_NUMBER + "4",                  # 19 chars
    ID_NUMBER + "82",                 # category 8
    ID_NUMBER + "45",                 # grade 5
    ID_NUMBER[:17] + "0" + "42" if ID_NUMBER[17] != "0" else ID_NUMBER[:17] + "1" + "42",
])
def test_bad_certificate_numbers(number):
    with pytest.raises(ValidationFailed):
        domain.parse_certificate_number(number)


def test_bad_id_number_is_refused_for_the_number():
    with pytest.raises(ValidationFailed) as e:
        domain.certificate_number("123", 1, 1)
    assert "身份证" in e.value.message


@pytest.mark.parametrize("start,years,until", [
    ("2024-06-11", 10, "2034-06-10"), ("2024-02-29", 10, "2034-02-27"),
    ("2024-01-01", 5, "2028-12-31")])
def test_validity_until(start, years, until):
    assert domain.validity_until(start, years).isoformat() == until


def test_bad_dates():
    with pytest.raises(ValidationFailed):
        domain.as_date("2024-13-01")
    with pytest.raises(ValidationFailed):
        domain.as_date(MONDAY)


@pytest.mark.parametrize("status,valid_until,expected", [
    ("valid", "2024-06-03", "valid"), ("valid", "2024-06-02", "expired"),
    ("cancelled", "2030-01-01", "cancelled"), ("replaced", "2030-01-01", "replaced")])
def test_effective_status(status, valid_until, expected):
    assert domain.effective_status(certificate(status=status, valid_until=valid_until),
                                   TODAY) == expected


@pytest.mark.parametrize("kind,current,error,code", [
    ("new", certificate(), Conflict, "CERTIFICATE_ALREADY_VALID"),
    ("replacement", None, RuleRefused, "NO_VALID_CERTIFICATE"),
    ("change", certificate(valid_until="2024-01-01"), RuleRefused, "NO_VALID_CERTIFICATE"),
    ("transfer", certificate(status="cancelled"), RuleRefused, "NO_VALID_CERTIFICATE"),
    ("cancellation", certificate(status="replaced"), RuleRefused, "NO_VALID_CERTIFICATE"),
    ("renewal", certificate(status="cancelled"), RuleRefused, "NO_VALID_CERTIFICATE"),
    ("renewal", None, RuleRefused, "NO_VALID_CERTIFICATE"),
])
def test_issue_refused(kind, current, error, code):
    with pytest.raises(error) as e:
        domain.check_issue_allowed(kind, current, TODAY)
    assert e.value.code == code


@pytest.mark.parametrize("kind,current", [
    ("new", None), ("new", certificate(valid_until="2024-01-01")),
    ("new", certificate(status="cancelled")), ("renewal", certificate(valid_until="2024-01-01")),
    ("renewal", certificate()), ("replacement", certificate()), ("change", certificate()),
    ("transfer", certificate()), ("cancellation", certificate())])
def test_issue_allowed(kind, current):
    assert domain.check_issue_allowed(kind, current, TODAY) is None


def test_supersede_and_cancel_and_revocation_entries():
    old = certificate()
    replaced = domain.supersede(old, "cert-new", MONDAY)
    assert replaced["status"] == "replaced" and replaced["replaced_by"] == "cert-new"
    assert old["status"] == "valid"  # not mutated
    assert domain.revocation_entry(replaced) == {"certificate_id": "cert-old",
                                                 "status": "replaced", "revoked_at": MONDAY}
    cancelled = domain.cancel(old, "fraud", MONDAY)
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_reason"] == "fraud"
    for fn in (lambda: domain.supersede(replaced, "x", MONDAY),
               lambda: domain.cancel(cancelled, "death", MONDAY),
               lambda: domain.revocation_entry(old)):
        with pytest.raises(Conflict):
            fn()
    with pytest.raises(ValidationFailed):
        domain.cancel(old, "moved", MONDAY)
    event = events.cancelled_without_application(cancelled, "fraud", MONDAY)
    assert event["type"] == "cancelled" and event["payload"]["reason"] == "fraud"


@pytest.mark.parametrize("valid_until,reminded,due", [
    ("2024-09-01", None, True),      # 90 days ahead
    ("2024-09-02", None, False),     # 91 days ahead
    ("2024-06-03", None, True),      # last day
    ("2024-06-02", None, False),     # already expired
    ("2024-07-01", MONDAY, False),   # already reminded
])
def test_expiry_reminder(valid_until, reminded, due):
    cert = dict(certificate(valid_until=valid_until), expiry_reminded_at=reminded)
    assert domain.expiry_reminder_due(cert, MONDAY, 90) is due


def test_expiry_reminder_window_is_a_parameter_and_event():
    cert = certificate(valid_until="2024-07-03")
    assert domain.expiry_reminder_due(cert, MONDAY, 30) is True
    assert domain.expiry_reminder_due(cert, MONDAY, 29) is False
    assert domain.days_until_expiry(cert, MONDAY) == 30
    event = events.expiring_event(dict(cert, severe=True), 30, MONDAY)
    assert event["type"] == "expiring" and event["payload"]["days_left"] == 30


# --- physical card -----------------------------------------------------------------------------

def issued():
    cert = certificate()
    cert["card"] = domain.new_card(MONDAY)
    return cert


@pytest.mark.parametrize("path,final", [
    (["print", "mark_ready", "collect"], "collected"),
    (["print", "mark_ready", "mail"], "mailed")])
def test_card_production(path, final):
    cert = issued()
    for action in path:
        actor = STREET if action in ("collect", "mail") else DPF
        cert, audit = domain.advance_card(cert, action, actor, MONDAY, tracking_number="SF123")
        assert audit["to"] == cert["card"]["status"]
    assert cert["card"]["status"] == final
    assert [h["status"] for h in cert["card"]["history"]] == ["queued"] + [
        {"print": "printed", "mark_ready": "ready"}.get(a, final) for a in path]


@pytest.mark.parametrize("status,action", [
    ("queued", "mark_ready"), ("queued", "collect"), ("printed", "print"), ("printed", "mail"),
    ("ready", "print"), ("collected", "mail"), ("mailed", "collect")])
def test_card_illegal_steps(status, action):
    cert = issued()
    cert["card"]["status"] = status
    with pytest.raises(Conflict) as e:
        domain.advance_card(cert, action, DPF, MONDAY, tracking_number="SF1")
    assert e.value.code == "ILLEGAL_TRANSITION"


def test_card_refusals():
    cert = issued()
    with pytest.raises(Forbidden) as e:
        domain.advance_card(cert, "print", STREET, MONDAY)
    assert e.value.code == "ROLE_NOT_ALLOWED"
    with pytest.raises(Forbidden) as e:
        domain.advance_card(cert, "print", staff("county_dpf", "330200"), MONDAY)
    assert e.value.code == "OUT_OF_REGION"
    with pytest.raises(ValidationFailed):
        domain.advance_card(cert, "shred", DPF, MONDAY)
    cert["card"]["status"] = "ready"
    with pytest.raises(ValidationFailed):
        domain.advance_card(cert, "mail", DPF, MONDAY, tracking_number=" ")
