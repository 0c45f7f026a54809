"""Filing, routing to the competent region (跨省通办), visibility."""
import pytest

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.certificate import applications as ap
from services.certificate import workflow as wf
from .factories import APPLICANT, DPF, MONDAY, PERSON, STREET, certificate, citizen, file, staff


def test_a_citizen_files_a_new_application(policy):
    app = file(policy, claimed_category="4", relationship="parent")
    assert app["status"] == wf.SUBMITTED and app["version"] == 1
    assert app["filed_region"] == app["handling_region"] == "500113"
    assert app["cross_province"] is False and app["claimed_category"] == 4
    assert app["submitted_by"]["relationship"] == "parent"
    assert app["history"][0]["action"] == "submit" and app["history"][0]["to"] == "submitted"


def test_cross_province_new_application_is_handled_by_the_household_region(policies):
    from services.certificate.policy import policy_for
    person = {"id": "person-1", "household_region": "500113"}   # 户籍 Chongqing
    handling = ap.handling_region_for("new", person, None)
    t = ap.new_application({"person_id": "person-1", "type": "new",
                            "residence_region": "330200"},           # lives in Ningbo
                           person=person, actor=APPLICANT, now=MONDAY,
                           policy=policy_for(policies, handling, MONDAY.date()))
    app = t.application
    assert (app["filed_region"], app["handling_region"]) == ("330200", "500113")
    assert app["cross_province"] is True
    assert app["visible_regions"] == ["330200", "500113"]
    assert ap.can_view(app, staff("street_officer", "330200"))
    assert ap.can_view(app, staff("auditor", "500113"))
    assert not ap.can_view(app, staff("county_dpf", "371000"))
    # the residence region sees it but cannot act on it
    with pytest.raises(Forbidden) as e:
        wf.apply_action(app, "accept", staff("street_officer", "330200"), MONDAY,
                        policy_for(policies, handling, MONDAY.date()))
    assert e.value.code == "OUT_OF_REGION"
    assert t.events[0]["payload"]["filed_region"] == "330200"


def test_transfer_goes_to_the_new_household_region(policy):
    old = certificate(region="330200")
    app = file(policy, "transfer", current=old)
    assert app["handling_region"] == "500113" and app["from_region"] == "330200"
    assert app["visible_regions"] == ["330200", "500113"] and app["cross_province"] is True
    assert app["certificate_id"] == "cert-old"


@pytest.mark.parametrize("kind,current,to_region,code", [
    ("transfer", certificate(region="500113"), None, "TRANSFER_SAME_REGION"),
    ("transfer", certificate(region="330200"), "371000", "TRANSFER_REGION_MISMATCH"),
    ("transfer", None, None, "NO_VALID_CERTIFICATE"),
])
def test_transfer_refusals(kind, current, to_region, code):
    with pytest.raises(RuleRefused) as e:
        ap.handling_region_for(kind, PERSON, current, to_region)
    assert e.value.code == code


def test_other_transactions_are_handled_where_the_certificate_is(policy):
    assert ap.handling_region_for("replacement", PERSON, certificate(region="371000")) == "371000"


@pytest.mark.parametrize("overrides,error,code", [
    ({"type": "upgrade"}, ValidationFailed, "VALIDATION_ERROR"),
    ({"residence_region": "999999"}, ValidationFailed, "VALIDATION_ERROR"),
    ({"person_id": "person-2"}, ValidationFailed, "VALIDATION_ERROR"),
    ({"claimed_category": 9}, ValidationFailed, "VALIDATION_ERROR"),
    ({"claimed_grade": 5}, ValidationFailed, "VALIDATION_ERROR"),
    ({"relationship": "neighbour"}, ValidationFailed, "VALIDATION_ERROR"),
    ({"home_visit": True}, RuleRefused, "HOME_VISIT_NOT_ELIGIBLE"),
    ({"home_visit": True, "claimed_grade": 3}, RuleRefused, "HOME_VISIT_NOT_ELIGIBLE"),
])
def test_filing_validation(policy, overrides, error, code):
    request = dict({"person_id": "person-1", "type": "new", "residence_region": "500113"},
                   **overrides)
    with pytest.raises(error) as e:
        ap.new_application(request, person=PERSON, actor=APPLICANT, now=MONDAY, policy=policy)
    assert e.value.code == code


@pytest.mark.parametrize("extra", [{"home_visit": True, "claimed_grade": 1},
                                   {"home_visit": True, "bed_bound": True}])
def test_home_visit_requests_for_severe_or_bed_bound(policy, extra):
    assert file(policy, **extra)["home_visit"] is True


def test_a_second_new_certificate_is_refused_at_filing(policy):
    with pytest.raises(Conflict) as e:
        file(policy, current=certificate())
    assert e.value.code == "CERTIFICATE_ALREADY_VALID"


@pytest.mark.parametrize("actor,code", [
    (citizen("someone-else"), "NOT_YOUR_APPLICATION"),
    (staff("street_officer", "371000"), "OUT_OF_REGION"),
    (staff("assessor"), "ROLE_NOT_ALLOWED"),
    ({"kind": "anonymous"}, "ROLE_NOT_ALLOWED"),
])
def test_who_may_file(policy, actor, code):
    with pytest.raises(Forbidden) as e:
        file(policy, actor=actor)
    assert e.value.code == code


def test_staff_file_for_a_person_as_community_officer(policy):
    app = file(policy, actor=STREET)
    assert app["submitted_by"] == {"kind": "staff", "account_id": None,
                                   "staff_id": "street_officer.500113",
                                   "relationship": "community_officer"}


def test_cancellation_reasons(policy):
    app = file(policy, "cancellation", current=certificate(), reason="voluntary")
    assert app["cancellation_reason"] == "voluntary"
    with pytest.raises(ValidationFailed):
        file(policy, "cancellation", current=certificate(), reason="bored")
    with pytest.raises(Forbidden):
        file(policy, "cancellation", current=certificate(), reason="fraud")
    assert file(policy, "cancellation", current=certificate(), reason="fraud",
                actor=DPF)["cancellation_reason"] == "fraud"


def test_policy_of_the_wrong_region_is_refused(policies):
    from services.certificate.policy import policy_for
    with pytest.raises(ValidationFailed):
        file(policy_for(policies, "330200", MONDAY.date()))


def test_one_open_application_at_a_time():
    ap.check_no_open_application([{"id": "a", "type": "new", "status": "issued"}])
    with pytest.raises(Conflict) as e:
        ap.check_no_open_application([{"id": "a", "type": "new", "status": "assessed"}])
    assert e.value.code == "APPLICATION_IN_PROGRESS"


def test_citizen_visibility(policy):
    app = file(policy)
    assert ap.can_view(app, APPLICANT)
    assert not ap.can_view(app, citizen("other"))
    assert not ap.can_view(app, {"kind": "robot"})
