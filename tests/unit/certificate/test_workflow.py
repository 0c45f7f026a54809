"""Every transition of every flow: legal ones, illegal ones, role and region refusals, step rules."""
import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.certificate import workflow as wf
from .factories import (APPLICANT, ASSESSOR, DPF, ID_NUMBER, MONDAY, SCHEDULE, STREET, certificate,
                        citizen, drive, file, staff, step)

ALL_STATES = [wf.SUBMITTED, wf.RETURNED, wf.MATERIALS_ACCEPTED, wf.ASSESSMENT_SCHEDULED,
              wf.ASSESSED, wf.PUBLIC_NOTICE, wf.APPROVED, wf.ISSUED, wf.CERTIFICATE_CANCELLED,
              wf.REJECTED, wf.WITHDRAWN]
STAFF_ROLES = ["street_officer", "county_dpf", "civil_affairs", "assessor", "institution_staff",
               "volunteer_coordinator", "auditor", "admin"]
LATER = MONDAY + dt.timedelta(days=30)  # well after any notice period


def current_for(kind):
    if kind == "new":
        return None
    if kind == "transfer":
        return certificate(region="330200")
    return certificate()


def person_for(kind):
    return {"id": "person-1", "household_region": "500113"}


def app_in(policy, kind, state):
    """A synthetic application of ``kind`` sitting in ``state`` with what later steps need."""
    extra = {"reason": "voluntary"} if kind == "cancellation" else {}
    app = file(policy, kind, current=current_for(kind), person=person_for(kind), **extra)
    app = dict(app, status=state)
    app["assessment"] = {"assessor_id": "assessor.500113", "scheduled_at": MONDAY,
                         "mode": "clinic", "location": None, "scheduled_by": "county_dpf.500113"}
    if state in (wf.ASSESSED, wf.PUBLIC_NOTICE):
        app["assessment_result"] = {"category": 4, "grade": 1, "components": [], "severe": True,
                                    "assessor_id": "assessor.500113", "assessed_on": "2024-06-03"}
    if state == wf.PUBLIC_NOTICE:
        app["notice"] = {"starts_on": "2024-06-04", "ends_on": "2024-06-10",
                         "issue_from": "2024-06-11"}
    return app


def actor_for(role):
    return APPLICANT if role == wf.APPLICANT else staff(role)


def params_for(action):
    return {"return": {"reason": "材料不全"}, "reject": {"reason": "不符合条件"},
            "schedule_assessment": dict(SCHEDULE, scheduled_at="2024-08-01T09:00:00+08:00"),
            "record_assessment": {"category": 4, "grade": 1}}.get(action)


def context_for(kind, action):
    if action == "issue":
        return {"id_number": ID_NUMBER, "current_certificate": current_for(kind)}
    if action == "approve" and kind == "cancellation":
        return {"current_certificate": current_for(kind)}
    return {}


LEGAL = [(kind, state, action, nxt, role)
         for kind, flow in wf.FLOWS.items()
         for (state, action), (nxt, roles) in sorted(flow.items())
         for role in sorted(roles)]


@pytest.mark.parametrize("kind,state,action,nxt,role", LEGAL)
def test_every_legal_transition(policy, kind, state, action, nxt, role):
    app = app_in(policy, kind, state)
    now = LATER if action != "schedule_assessment" else MONDAY
    result = step(app, action, actor_for(role), policy, now, params_for(action),
                  **context_for(kind, action))
    assert result.application["status"] == nxt
    assert result.audit["from"] == state and result.audit["to"] == nxt
    assert result.audit["action"] == action and result.audit["actor_role"] == role
    assert result.application["history"][-1] == result.audit
    assert result.application["version"] == app["version"] + 1
    assert result.events[0]["type"] == "application_status_changed"


ILLEGAL = [(kind, state, action)
           for kind, flow in wf.FLOWS.items()
           for state in ALL_STATES
           for action in sorted({a for (_, a) in flow})
           if (state, action) not in flow]


@pytest.mark.parametrize("kind,state,action", ILLEGAL)
def test_every_illegal_transition_is_a_conflict(policy, kind, state, action):
    roles = set().union(*(r for (_, a), (_, r) in wf.FLOWS[kind].items() if a == action))
    actor = APPLICANT if roles == {wf.APPLICANT} else dict(staff("x"), roles=sorted(roles))
    with pytest.raises(Conflict) as e:
        step(app_in(policy, kind, state), action, actor, policy, LATER, params_for(action),
             **context_for(kind, action))
    assert e.value.code == "ILLEGAL_TRANSITION"


REFUSALS = [(kind, state, action, role)
            for kind, flow in wf.FLOWS.items()
            for (state, action), (nxt, roles) in sorted(flow.items())
            for role in STAFF_ROLES + [wf.APPLICANT] if role not in roles]


@pytest.mark.parametrize("kind,state,action,role", REFUSALS)
def test_every_role_refusal(policy, kind, state, action, role):
    with pytest.raises(Forbidden) as e:
        step(app_in(policy, kind, state), action, actor_for(role), policy, LATER,
             params_for(action), **context_for(kind, action))
    assert e.value.code == "ROLE_NOT_ALLOWED"


STAFF_STEPS = [(kind, state, action, sorted(roles - {wf.APPLICANT})[0])
               for kind, flow in wf.FLOWS.items()
               for (state, action), (nxt, roles) in sorted(flow.items())
               if roles - {wf.APPLICANT}]


@pytest.mark.parametrize("kind,state,action,role", STAFF_STEPS)
def test_staff_of_another_region_are_refused(policy, kind, state, action, role):
    app = app_in(policy, kind, state)
    with pytest.raises(Forbidden) as e:
        step(app, action, staff(role, region="330200", staff_id="assessor.500113"), policy, LATER,
             params_for(action), **context_for(kind, action))
    assert e.value.code == "OUT_OF_REGION"


@pytest.mark.parametrize("action,state", [("withdraw", wf.SUBMITTED), ("resubmit", wf.RETURNED)])
def test_a_citizen_may_act_only_for_own_person_or_ward(policy, action, state):
    app = app_in(policy, "new", state)
    with pytest.raises(Forbidden) as e:
        step(app, action, citizen("someone-else"), policy)
    assert e.value.code == "NOT_YOUR_APPLICATION"
    ward_guardian = citizen("guardian-self", "person-1")
    assert step(app, action, ward_guardian, policy).application["status"] in (
        wf.WITHDRAWN, wf.SUBMITTED)


def test_unknown_action_is_a_validation_error(policy):
    with pytest.raises(ValidationFailed) as e:
        step(app_in(policy, "replacement", wf.MATERIALS_ACCEPTED), "record_assessment",
             ASSESSOR, policy)
    assert e.value.code == "UNKNOWN_ACTION"


def test_the_whole_new_issue_journey_with_a_return(policy):
    app = file(policy)
    app = drive(app, policy, ["return", "resubmit", "accept", "schedule_assessment",
                              "record_assessment", "approve"])
    assert app["status"] == wf.PUBLIC_NOTICE
    assert app["return_reasons"] == ["缺少照片"]
    assert app["notice"] == {"starts_on": "2024-06-04", "ends_on": "2024-06-10",
                             "issue_from": "2024-06-11"}
    assert [h["to"] for h in app["history"]] == [
        "submitted", "returned_for_correction", "submitted", "materials_accepted",
        "assessment_scheduled", "assessed", "public_notice"]
    with pytest.raises(RuleRefused) as e:
        step(app, "issue", DPF, policy, dt.datetime(2024, 6, 10, 15, 59, tzinfo=dt.timezone.utc),
             id_number=ID_NUMBER)
    assert e.value.code == "NOTICE_PERIOD_NOT_ELAPSED"
    # 2024-06-11 00:00 Shanghai is 06-10 16:00 UTC: the notice has elapsed
    t = step(app, "issue", DPF, policy, dt.datetime(2024, 6, 10, 16, 0, tzinfo=dt.timezone.utc),
             id_number=ID_NUMBER)
    assert t.application["status"] == wf.ISSUED
    cert = t.certificate
    assert cert["number"] == ID_NUMBER + "42" and cert["status"] == "valid"
    assert (cert["valid_from"], cert["valid_until"]) == ("2024-06-11", "2034-06-10")
    assert cert["card"]["status"] == "queued" and cert["region"] == "500113"
    assert t.ended_certificate is None
    assert t.application["issued_certificate_id"] == cert["id"]
    assert [e["type"] for e in t.events] == ["application_status_changed", "issued"]
    payload = t.events[1]["payload"]
    assert payload["certificate_id"] == cert["id"] and payload["grade"] == 2
    assert payload["severe"] is True and ID_NUMBER not in str(payload)


def test_issue_needs_the_id_number_and_refuses_a_second_valid_certificate(policy):
    app = app_in(policy, "new", wf.PUBLIC_NOTICE)
    with pytest.raises(ValidationFailed):
        step(app, "issue", DPF, policy, LATER)
    with pytest.raises(Conflict) as e:
        step(app, "issue", DPF, policy, LATER, id_number=ID_NUMBER,
             current_certificate=certificate(valid_until="2040-01-01"))
    assert e.value.code == "CERTIFICATE_ALREADY_VALID"


def test_new_issue_after_an_expired_certificate_supersedes_the_old_record(policy):
    old = certificate(valid_until="2024-01-01")
    t = step(app_in(policy, "new", wf.PUBLIC_NOTICE), "issue", DPF, policy, LATER,
             id_number=ID_NUMBER, current_certificate=old)
    assert t.ended_certificate["status"] == "replaced"
    assert t.ended_certificate["replaced_by"] == t.certificate["id"]


@pytest.mark.parametrize("kind,event,keeps_validity", [
    ("replacement", "replaced", True), ("transfer", "transferred", True),
    ("renewal", "renewed", False)])
def test_paper_flows_issue_without_assessment(policy, kind, event, keeps_validity):
    app = drive(file(policy, kind, current=current_for(kind)), policy, ["accept", "approve"])
    assert app["status"] == wf.APPROVED and app["assessment_result"] is None
    old = current_for(kind)
    t = step(app, "issue", DPF, policy, LATER, id_number=ID_NUMBER, current_certificate=old,
             certificate_id="cert-new")
    cert = t.certificate
    assert (cert["category"], cert["grade"]) == (old["category"], old["grade"])
    assert (cert["valid_until"] == old["valid_until"]) is keeps_validity
    assert t.ended_certificate["status"] == "replaced"
    assert t.ended_certificate["replaced_by"] == "cert-new"
    assert t.events[-1]["type"] == event
    assert t.events[-1]["payload"]["previous_certificate_id"] == "cert-old"
    if kind == "transfer":
        assert cert["region"] == "500113"
        assert t.events[-1]["payload"]["from_region"] == "330200"
        assert t.events[-1]["payload"]["to_region"] == "500113"
        assert t.events[-1]["payload"]["cross_province"] is True


def test_change_re_assesses_and_reports_the_previous_grade(policy):
    old = certificate(category=4, grade=3)
    app = drive(file(policy, "change", current=old), policy,
                ["accept", "schedule_assessment", "record_assessment", "approve"])
    t = step(app, "issue", DPF, policy, LATER, id_number=ID_NUMBER, current_certificate=old)
    assert t.certificate["number"].endswith("42")
    payload = t.events[-1]["payload"]
    assert t.events[-1]["type"] == "changed"
    assert (payload["previous_category"], payload["previous_grade"]) == (4, 3)
    assert payload["grade"] == 2


def test_issue_refuses_when_the_certificate_changed_meanwhile(policy):
    app = app_in(policy, "replacement", wf.APPROVED)
    with pytest.raises(Conflict) as e:
        step(app, "issue", DPF, policy, LATER, id_number=ID_NUMBER,
             current_certificate=certificate(cid="another"))
    assert e.value.code == "CERTIFICATE_CHANGED"


def test_cancellation_by_county_approval(policy):
    app = file(policy, "cancellation", current=certificate(), reason="death", actor=STREET)
    t = step(app, "approve", DPF, policy, LATER, current_certificate=certificate())
    assert t.application["status"] == wf.CERTIFICATE_CANCELLED
    assert t.ended_certificate["status"] == "cancelled"
    assert t.ended_certificate["cancellation_reason"] == "death"
    assert t.certificate is None
    assert t.events[-1]["type"] == "cancelled" and t.events[-1]["payload"]["reason"] == "death"


@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_and_reject_need_a_reason(policy, action):
    app = app_in(policy, "new", wf.SUBMITTED)
    with pytest.raises(ValidationFailed):
        step(app, action, STREET, policy, params={"reason": "  "})
    t = step(app, action, STREET, policy, params={"reason": "身份证复印件不清晰"})
    assert t.audit["reason"] == "身份证复印件不清晰"
    assert t.events[0]["payload"]["reason"] == "身份证复印件不清晰"


def test_reason_too_long_is_refused(policy):
    with pytest.raises(ValidationFailed):
        step(app_in(policy, "new", wf.SUBMITTED), "reject", STREET, policy,
             params={"reason": "长" * 501})


@pytest.mark.parametrize("params,error,code", [
    ({"scheduled_at": "2024-06-05T09:00:00+08:00"}, ValidationFailed, "VALIDATION_ERROR"),
    (dict(SCHEDULE, assessor_id="assessor.330200"), RuleRefused, "ASSESSOR_NOT_IN_POOL"),
    (dict(SCHEDULE, scheduled_at="2024-06-01T09:00:00+08:00"), ValidationFailed, "VALIDATION_ERROR"),
    (dict(SCHEDULE, scheduled_at="2024-06-05T09:00:00"), ValidationFailed, "VALIDATION_ERROR"),
    (dict(SCHEDULE, scheduled_at="next week"), ValidationFailed, "VALIDATION_ERROR"),
    (dict(SCHEDULE, mode="by_post"), ValidationFailed, "VALIDATION_ERROR"),
    (dict(SCHEDULE, mode="home_visit"), RuleRefused, "HOME_VISIT_NOT_ELIGIBLE"),
])
def test_schedule_assessment_rules(policy, params, error, code):
    with pytest.raises(error) as e:
        step(app_in(policy, "new", wf.MATERIALS_ACCEPTED), "schedule_assessment", DPF, policy,
             params=params)
    assert e.value.code == code


def test_home_visit_for_a_bed_bound_applicant_is_the_default_mode(policy):
    app = file(policy, home_visit=True, bed_bound=True)
    app = drive(app, policy, ["accept", "schedule_assessment"])
    assert app["assessment"]["mode"] == "home_visit"
    assert app["assessment"]["assessor_id"] == "assessor.500113"
    assert app["assessment"]["scheduled_at"] == dt.datetime(2024, 6, 5, 1, 0,
                                                            tzinfo=dt.timezone.utc)


def test_only_the_designated_assessor_records(policy):
    app = app_in(policy, "new", wf.ASSESSMENT_SCHEDULED)
    with pytest.raises(Forbidden) as e:
        step(app, "record_assessment", staff("assessor", staff_id="expert.500113.02"), policy,
             params={"category": 4, "grade": 2})
    assert e.value.code == "NOT_ASSIGNED_ASSESSOR"


@pytest.mark.parametrize("params", [
    {"category": 8, "grade": 2}, {"category": 4, "grade": 0},
    {"category": 4, "grade": 2, "assessed_on": "2024-06-04"},
    {"category": 7, "grade": 1, "components": [{"category": 1, "grade": 2},
                                               {"category": 4, "grade": 3}]},
])
def test_record_assessment_rejects_bad_results(policy, params):
    with pytest.raises(ValidationFailed):
        step(app_in(policy, "new", wf.ASSESSMENT_SCHEDULED), "record_assessment", ASSESSOR,
             policy, params=params)


def test_record_multiple_disability_takes_the_most_severe_grade(policy):
    t = step(app_in(policy, "new", wf.ASSESSMENT_SCHEDULED), "record_assessment", ASSESSOR,
             policy, params={"category": 7, "components": [{"category": 1, "grade": 2},
                                                           {"category": 4, "grade": 3}],
                             "assessed_on": "2024-06-03", "notes": " 左眼 "})
    result = t.application["assessment_result"]
    assert (result["category"], result["grade"], result["severe"]) == (7, 2, True)
    assert result["assessor_id"] == "assessor.500113" and result["notes"] == "左眼"
    assert result["assessed_on"] == "2024-06-03"


def test_available_actions(policy):
    app = app_in(policy, "renewal", wf.MATERIALS_ACCEPTED)
    assert wf.available_actions(app, DPF) == ["approve", "reject", "schedule_assessment"]
    assert wf.available_actions(app, APPLICANT) == ["withdraw"]
    assert wf.available_actions(app, staff("county_dpf", region="330200")) == []
    assert wf.available_actions(app_in(policy, "new", wf.ISSUED), DPF) == []


def test_event_ids_are_deterministic(policy):
    app = app_in(policy, "new", wf.SUBMITTED)
    a = step(app, "accept", STREET, policy).events[0]["payload"]["event_id"]
    b = step(app, "accept", STREET, policy).events[0]["payload"]["event_id"]
    assert a == b == "app-1.2.application_status_changed"
