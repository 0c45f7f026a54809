import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, NotFound, RuleRefused, ValidationFailed
from services.subsidy import policy, rules, workflow
from tests.unit.subsidy.helpers import CATALOGUE, UTC, facts

GOOD = {"region": "500113", "policies": [{
    "code": "living_allowance", "name": "生活补贴", "kind": "monthly",
    "conditions": {"certificate": "required", "household_statuses": ["dibao"]},
    "versions": [{"effective_from": "2024-01-01", "amounts_fen": {"default": 100}}]}]}


def _with(**changes):
    p = dict(GOOD["policies"][0], **changes)
    return {"region": "500113", "policies": [p]}


@pytest.mark.parametrize("data,fragment", [
    (_with(code="free_money"), "未知的补贴代码"),
    (_with(kind="weekly"), "kind"),
    (_with(versions=[{"effective_from": "2024-01-01", "amounts_fen": {"default": -5}}]), "非负整数"),
    (_with(versions=[{"effective_from": "2024-01-01", "amounts_fen": {"default": 1.5}}]), "非负整数"),
    (_with(versions=[{"effective_from": "2024-01-01", "effective_to": "2024-12-31",
                      "amounts_fen": {"default": 1}},
                     {"effective_from": "2024-06-01", "amounts_fen": {"default": 2}}]), "重叠"),
    (_with(conditions={"household_statuses": ["rich"]}), "household_statuses"),
    (_with(conditions={"colour": "blue"}), "未知条件"),
    (_with(review_chain=[{"step": "street_review", "role": "civil_affairs", "days": 5}]), "review_chain"),
    ({"region": "999999", "policies": []}, "未知的地区代码"),
    ({"region": "500113", "policies": [GOOD["policies"][0], GOOD["policies"][0]]}, "重复"),
])
def test_bad_policy_data_is_refused_clearly(data, fragment):
    with pytest.raises(ValidationFailed) as exc:
        policy.parse_region(data)
    assert exc.value.code == "POLICY_DATA_INVALID"
    assert any(fragment in e for e in exc.value.details["errors"]), exc.value.details


def test_version_in_force_and_catalogue():
    p = CATALOGUE["330200"]["living_allowance"]
    assert policy.amount_fen(policy.version_on(p, dt.date(2024, 6, 30))) == 15000
    assert policy.amount_fen(policy.version_on(p, dt.date(2024, 7, 1))) == 17000
    assert policy.version_on(p, dt.date(2021, 12, 31)) is None
    codes = [c["code"] for c in policy.active_catalogue(CATALOGUE["440704"], dt.date(2024, 1, 1))]
    assert codes == ["living_allowance", "nursing_allowance", "home_modification",
                     "child_rehab_aid", "assistive_device"]


def test_unknown_policy_and_region_without_policy():
    with pytest.raises(ValidationFailed) as exc:
        policy.get_policy(CATALOGUE, "500113", "free_money")
    assert exc.value.code == "UNKNOWN_POLICY"
    with pytest.raises(NotFound) as exc:
        policy.get_policy(CATALOGUE, "440704", "wheelchair_fuel")
    assert exc.value.code == "POLICY_NOT_IN_REGION"
    assert policy.get_policy(CATALOGUE, "371000", "wheelchair_fuel")["kind"] == "yearly"


@pytest.mark.parametrize("household,residence,handling,routed,cross", [
    ("500113", "500113", "500113", False, False),
    ("230102", "500113", "230100", True, True),      # a Harbin district, living in Banan
    ("330203", "330200", "330200", False, False),
])
def test_competent_region(household, residence, handling, routed, cross):
    out = rules.competent_region(facts(region=household, residence=residence))
    assert out == {"filing_region": residence, "handling_region": handling,
                   "routed": routed, "cross_province": cross}


def test_region_outside_service_area_is_refused():
    with pytest.raises(RuleRefused) as exc:
        rules.competent_region(facts(region="110101", residence="500113"))
    assert exc.value.code == "REGION_NOT_SERVED"


def test_eligibility_uses_household_region_policies():
    out = rules.eligibility(facts(region="230102", residence="500113", grade=1, category=6),
                            CATALOGUE, dt.date(2024, 9, 1))
    assert out["handling_region"] == "230100" and out["cross_province"] is True
    assert "psychiatric_medication" in [r["policy_code"] for r in out["results"]]


@pytest.mark.parametrize("bad", [{"household_status": "rich"}, {"alive": "yes"},
                                 {"household_region": "5001"}, {"birth_date": "1980-13-01"}])
def test_bad_facts(bad):
    with pytest.raises(ValidationFailed):
        rules.normalise_facts(dict(facts(), **bad))


# ---- workflow ----------------------------------------------------------------------------
MON = dt.datetime(2024, 9, 2, 2, 0, tzinfo=UTC)   # Monday 10:00 Shanghai
STAFF = {"kind": "staff", "staff_id": "s1", "region": "500113"}
CITIZEN = {"kind": "citizen", "account_id": "a1", "person_ids": ["p1"]}
SYSTEM = {"kind": "system"}


def app(status, **kw):
    return dict({"id": "app1", "person_id": "p1", "policy_code": "nursing_allowance",
                 "handling_region": "500113", "status": status, "step_entered_at": MON}, **kw)


def test_transition_table_is_explicit():
    t = workflow.TRANSITIONS
    assert t[("submitted", "receive")] == ("street_review", ("system",))
    assert t[("street_review", "approve")] == ("county_review", ("street_officer",))
    assert t[("county_review", "approve")] == ("civil_affairs_review", ("county_dpf",))
    assert t[("civil_affairs_review", "approve")] == ("approved", ("civil_affairs",))
    assert t[("county_review", "return")] == ("returned", ("county_dpf",))
    assert t[("returned", "resubmit")] == ("street_review", ("applicant",))
    assert ("approved", "withdraw") not in t


def test_full_chain_with_audit_and_events():
    a = app("submitted")
    steps = [("receive", SYSTEM, "subsidy.application_received"),
             ("approve", dict(STAFF, roles=["street_officer"]), "subsidy.application_advanced"),
             ("approve", dict(STAFF, roles=["county_dpf"]), "subsidy.application_advanced"),
             ("approve", dict(STAFF, roles=["civil_affairs"]), "subsidy.application_approved")]
    for action, actor, event in steps:
        out = workflow.transition(a, action, actor, MON)
        assert out["event"] == event
        assert out["audit"]["from"] == a["status"] and out["audit"]["action"] == action
        a = dict(a, **out["changes"])
    assert a["status"] == "approved" and out["audit"]["role"] == "civil_affairs"
    assert out["payload"]["person_id"] == "p1"


@pytest.mark.parametrize("status,action,actor,error,code", [
    ("approved", "approve", dict(STAFF, roles=["civil_affairs"]), Conflict, "ILLEGAL_TRANSITION"),
    ("street_review", "approve", dict(STAFF, roles=["county_dpf"]), Forbidden, "FORBIDDEN"),
    ("street_review", "approve", dict(STAFF, roles=["street_officer"], region="230100"),
     Forbidden, "FORBIDDEN"),
    ("street_review", "withdraw", dict(CITIZEN, person_ids=["p2"]), Forbidden, "FORBIDDEN"),
    ("street_review", "reject", dict(STAFF, roles=["street_officer"]), ValidationFailed,
     "VALIDATION_ERROR"),
    ("rejected", "withdraw", CITIZEN, Conflict, "ILLEGAL_TRANSITION"),
])
def test_refused_transitions(status, action, actor, error, code):
    with pytest.raises(error) as exc:
        workflow.transition(app(status), action, actor, MON)
    assert exc.value.code == code


def test_reject_return_withdraw():
    out = workflow.transition(app("county_review"), "return", dict(STAFF, roles=["county_dpf"]),
                              MON, reason="请补充户口簿")
    assert out["changes"]["status"] == "returned" and out["audit"]["reason"] == "请补充户口簿"
    assert out["event"] == "subsidy.application_returned"
    out = workflow.transition(app("returned"), "withdraw", CITIZEN, MON)
    assert out["changes"]["status"] == "withdrawn" and out["audit"]["role"] == "applicant"


def test_deadline_is_five_working_days_shanghai():
    # entered Monday 2 Sep; 5 working days = Tue..Mon 9 Sep; overdue from Tue 10 Sep 00:00 CST
    a = app("street_review")
    assert workflow.step_deadline(a) == dt.datetime(2024, 9, 9, 16, 0, tzinfo=UTC)
    assert not workflow.is_overdue(a, dt.datetime(2024, 9, 9, 15, 59, tzinfo=UTC))
    assert workflow.is_overdue(a, dt.datetime(2024, 9, 9, 16, 0, tzinfo=UTC))
    fri = app("street_review", step_entered_at=dt.datetime(2024, 9, 6, 8, 0, tzinfo=UTC))
    assert workflow.step_deadline(fri) == dt.datetime(2024, 9, 13, 16, 0, tzinfo=UTC)
    assert workflow.is_overdue(app("approved"), dt.datetime(2030, 1, 1, tzinfo=UTC)) is False
    holiday = workflow.step_deadline(a, holidays={dt.date(2024, 9, 3)})
    assert holiday == dt.datetime(2024, 9, 10, 16, 0, tzinfo=UTC)
