"""The service's pure helpers: certificate facts from events, facts assembly, views."""
import datetime as dt

from services.subsidy import rules, views
from tests.unit.subsidy.helpers import CATALOGUE

UTC = dt.timezone.utc


def test_certificate_events_become_rules_facts():
    issued = views.cert_from_event({"event_type": "issued", "certificate_id": "c1", "status": "valid",
                                    "category": 5, "grade": 3, "region": "500113",
                                    "valid_until": "2031-01-01"})
    assert issued["status"] == "valid" and "cancelled_on" not in issued
    cancelled = views.cert_from_event({"event_type": "cancelled", "certificate_id": "c1",
                                       "status": "valid", "category": 5, "grade": 3,
                                       "occurred_at": "2026-03-31T17:00:00+00:00"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_on"] == "2026-04-01"   # Asia/Shanghai date
    odd = views.cert_from_event({"event_type": "issued", "status": "frozen", "category": 1,
                                 "grade": 1})
    assert odd["status"] == "cancelled"


def test_facts_from_identity_and_local_copy_feed_the_rules():
    ident = {"birth_date": "1980-01-01", "household_region": "500113",
             "residence_region": "330200", "deceased_on": None}
    local = {"certificate": {"status": "valid", "category": 5, "grade": 3,
                             "valid_until": "2031-01-01"}, "household_status": "dibao",
             "household_status_since": "2026-01-01"}
    facts = views.build_facts(ident, local, held=["living_allowance"])
    assert facts["alive"] and facts["benefits_held"] == ["living_allowance"]
    out = rules.eligibility(facts, CATALOGUE, dt.date(2026, 11, 1))
    assert (out["handling_region"], out["filing_region"], out["cross_province"]) == (
        "500113", "330200", True)
    nursing = [r for r in out["results"] if r["policy_code"] == "nursing_allowance"][0]
    assert nursing["eligible"] and nursing["monthly_amount_fen"] == 5000
    dead = views.build_facts(dict(ident, deceased_on="2026-10-01"), local)
    assert dead["alive"] is False and dead["death_date"] == "2026-10-01"
    assert views.build_facts(ident, {})["certificate"] is None


def test_application_view_flags_overdue_steps():
    start = dt.datetime(2026, 11, 23, 2, tzinfo=UTC)   # a Monday in Shanghai
    doc = {"_id": "sapp_1", "person_id": "p_1", "policy_code": "nursing_allowance",
           "status": "street_review", "step_entered_at": start, "filing_region": "500113",
           "handling_region": "500113", "history": []}
    chain = CATALOGUE["500113"]["nursing_allowance"]["review_chain"]
    fresh = views.application_view(doc, start + dt.timedelta(days=2), chain)
    late = views.application_view(doc, start + dt.timedelta(days=10), chain)
    assert fresh["overdue"] is False and late["overdue"] is True
    assert fresh["current_step"] == "street_review" and fresh["step_deadline"].startswith("2026-11-30")
