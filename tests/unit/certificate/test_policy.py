import copy
import datetime as dt

import pytest
import yaml

from services.common.errors import NotFound, ValidationFailed
from services.certificate import policy as pm

FIVE = ["230100", "330200", "371000", "500113", "440704"]


@pytest.fixture
def raw():
    with open(pm.DEFAULT_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_shipped_config_covers_the_five_regions(policies):
    assert sorted(policies["regions"]) == sorted(FIVE)
    for code in FIVE:
        p = pm.policy_for(policies, code, dt.date(2025, 1, 1))
        assert p["validity_years"] == 10 and p["expiry_reminder_days"] == 90
        assert p["public_notice_working_days"] == 5
        assert "assessor.%s" % code in p["expert_pool"]
        assert p["home_visit"]["grades"] == [1, 2] and p["home_visit"]["bed_bound"] is True
    assert policies["credential"]["token_ttl_hours"] == 24


def test_versions_by_effective_date(raw):
    raw["regions"]["500113"].append({"effective_from": "2026-01-01", "validity_years": 5,
                                     "home_visit": {"categories": [4]}})
    policies = pm.parse_policies(raw)
    assert pm.policy_for(policies, "500113", dt.date(2025, 12, 31))["validity_years"] == 10
    later = pm.policy_for(policies, "500113", dt.date(2026, 1, 1))
    assert later["validity_years"] == 5 and later["home_visit"]["categories"] == [4]
    assert later["home_visit"]["grades"] == [1, 2]  # merged with defaults
    with pytest.raises(NotFound):
        pm.policy_for(policies, "500113", dt.date(2020, 1, 1))
    with pytest.raises(NotFound):
        pm.policy_for(policies, "110000", dt.date(2025, 1, 1))


@pytest.mark.parametrize("mutate,where", [
    (lambda d: d["regions"].pop("440704"), "regions.440704"),
    (lambda d: d["regions"].update({"110000": [{"effective_from": "2021-01-01"}]}),
     "regions.110000"),
    (lambda d: d["regions"]["500113"][0].update(validity_years=0), "regions.500113[0].validity_years"),
    (lambda d: d["regions"]["500113"][0].update(expert_pool=[]), "regions.500113[0].expert_pool"),
    (lambda d: d["regions"]["500113"][0].pop("effective_from"), "regions.500113[0]"),
    (lambda d: d["regions"]["500113"][0].update(colour="red"), "regions.500113[0].colour"),
    (lambda d: d["defaults"].update(public_notice_working_days="five"),
     "defaults.public_notice_working_days"),
    (lambda d: d["defaults"]["home_visit"].update(grades=[5]), "defaults.home_visit.grades"),
    (lambda d: d["credential"].update(token_ttl_hours=0), "credential.token_ttl_hours"),
    (lambda d: d["calendar"].update(holidays=["2025-13-01"]), "calendar.holidays"),
])
def test_invalid_configs_say_where(raw, mutate, where):
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(ValidationFailed) as e:
        pm.parse_policies(data)
    assert e.value.code == "POLICY_CONFIG_INVALID"
    assert where in e.value.details


def test_calendar_dates_are_loaded(raw):
    raw["calendar"]["holidays"] = ["2025-10-01", dt.date(2025, 10, 2)]
    p = pm.policy_for(pm.parse_policies(raw), "230100", dt.date(2025, 1, 1))
    assert p["holidays"] == frozenset({dt.date(2025, 10, 1), dt.date(2025, 10, 2)})


@pytest.mark.parametrize("hv,kwargs,eligible", [
    ({}, {"grade": 1}, True), ({}, {"grade": 3}, False), ({}, {"bed_bound": True}, True),
    ({}, {}, False), ({"enabled": False}, {"grade": 1}, False),
    ({"categories": [4]}, {"grade": 1, "category": 5}, False),
    ({"categories": [4]}, {"grade": 1, "category": 4}, True),
    ({"bed_bound": False}, {"bed_bound": True}, False)])
def test_home_visit_eligibility(policy, hv, kwargs, eligible):
    p = copy.deepcopy(policy)
    p["home_visit"].update(hv)
    assert pm.home_visit_eligible(p, **kwargs) is eligible
