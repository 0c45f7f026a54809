"""Refusals: each illegal transition (409), each role/region refusal (403), bad input (400 with
the documented code) — and none of them writes anything."""
import pytest

from tests.e2e.certificate_flow import (bind_certificate_events, cert_events, person_number,  # noqa: F401
                                        Staff, act, file_application, issue_certificate, ok,
                                        schedule_params)


@pytest.fixture(scope="module")
def staff(api):
    return Staff(api, "500113")


def applicant(api):
    token, me = api.bound_citizen("孙丽", id_number=person_number("500113"))
    return token, me["person"]["id"]


def snapshot(api, staff_token, app_id):
    full = ok(api.get("/admin/certificate/applications/%s" % app_id, token=staff_token))
    return full["status"], full["version"], len(full["history"]), len(full["audit"])


def refused(r, status, code):
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text


def test_illegal_transitions_are_409_and_change_nothing(api, stack, staff):
    token, pid = applicant(api)
    app = ok(file_application(api, token, pid, claimed_category=4), 201)
    aid = app["id"]
    before = snapshot(api, staff.dpf, aid)
    refused(act(api, staff.dpf, aid, "issue"), 409, "ILLEGAL_TRANSITION")
    refused(act(api, staff.dpf, aid, "schedule_assessment", **schedule_params(stack, "500113")),
            409, "ILLEGAL_TRANSITION")
    refused(act(api, staff.assessor, aid, "record_assessment", category=4, grade=2), 409,
            "ILLEGAL_TRANSITION")
    refused(act(api, staff.dpf, aid, "approve"), 409, "ILLEGAL_TRANSITION")
    refused(api.post("/certificate/applications/%s/resubmit" % aid, token=token, json={}), 409,
            "ILLEGAL_TRANSITION")
    assert snapshot(api, staff.dpf, aid) == before
    # a second application while one is open
    refused(file_application(api, token, pid, claimed_category=4), 409, "APPLICATION_IN_PROGRESS")

    ok(act(api, staff.street, aid, "accept"))
    refused(act(api, staff.street, aid, "accept"), 409, "ILLEGAL_TRANSITION")
    ok(act(api, staff.dpf, aid, "schedule_assessment", **schedule_params(stack, "500113")))
    ok(act(api, staff.assessor, aid, "record_assessment", category=4, grade=2))
    # withdrawal only before the assessment
    refused(api.post("/certificate/applications/%s/withdraw" % aid, token=token, json={}), 409,
            "ILLEGAL_TRANSITION")
    ok(act(api, staff.dpf, aid, "reject", reason="评定结果不符合办证条件"))
    after = snapshot(api, staff.dpf, aid)
    for action in ("accept", "approve", "issue", "reject"):
        refused(act(api, staff.dpf if action != "accept" else staff.street, aid, action,
                    reason="x"), 409, "ILLEGAL_TRANSITION")
    assert snapshot(api, staff.dpf, aid) == after
    seen = ok(api.get("/certificate/applications/%s" % aid, token=token))
    assert seen["status"] == "rejected" and seen["rejection_reason"] == "评定结果不符合办证条件"


def test_withdraw_before_assessment_then_a_valid_holder_cannot_apply_anew(api, stack, staff):
    token, pid = applicant(api)
    app = ok(file_application(api, token, pid, claimed_category=4), 201)
    assert ok(api.post("/certificate/applications/%s/withdraw" % app["id"], token=token,
                       json={}))["status"] == "withdrawn"
    issue_certificate(api, stack, pid, token, "500113", 4, 2)
    refused(file_application(api, token, pid, claimed_category=4), 409,
            "CERTIFICATE_ALREADY_VALID")
    refused(file_application(api, token, pid, "transfer"), 422, "TRANSFER_SAME_REGION")


def test_role_and_region_refusals_are_403(api, stack, staff):
    token, pid = applicant(api)
    aid = ok(file_application(api, token, pid, claimed_category=4), 201)["id"]
    before = snapshot(api, staff.dpf, aid)
    elsewhere = Staff(api, "330200")
    refused(act(api, staff.dpf, aid, "accept"), 403, "ROLE_NOT_ALLOWED")          # 初审 is street
    refused(act(api, staff.assessor, aid, "accept"), 403, "ROLE_NOT_ALLOWED")
    refused(act(api, elsewhere.street, aid, "accept"), 403, "OUT_OF_REGION")
    refused(act(api, staff.street, aid, "withdraw"), 403, "ROLE_NOT_ALLOWED")
    r = act(api, api.staff("auditor", "500113"), aid, "accept")                 # read-only role
    assert r.status_code == 403
    r = act(api, token, aid, "accept")                                          # citizens
    assert r.status_code == 403
    stranger, _ = applicant(api)
    assert api.get("/certificate/applications/%s" % aid, token=stranger).status_code == 403
    refused(api.post("/certificate/applications/%s/withdraw" % aid, token=stranger, json={}),
            403, "NOT_YOUR_APPLICATION")
    refused(file_application(api, stranger, pid), 403, "NOT_YOUR_APPLICATION")
    assert api.get("/admin/certificate/applications/%s" % aid,
                   token=elsewhere.street).status_code == 403
    assert snapshot(api, staff.dpf, aid) == before

    ok(act(api, staff.street, aid, "accept"))
    refused(act(api, staff.street, aid, "schedule_assessment",
                **schedule_params(stack, "500113")), 403, "ROLE_NOT_ALLOWED")
    refused(act(api, staff.dpf, aid, "schedule_assessment", assessor_id="assessor.330200",
                scheduled_at=schedule_params(stack, "500113")["scheduled_at"]),
            422, "ASSESSOR_NOT_IN_POOL")
    ok(act(api, staff.dpf, aid, "schedule_assessment",
           **dict(schedule_params(stack, "500113"), assessor_id="expert.500113.02")))
    # an assessor of the region who is not the one booked
    refused(act(api, staff.assessor, aid, "record_assessment", category=4, grade=2), 403,
            "NOT_ASSIGNED_ASSESSOR")


@pytest.mark.parametrize("body,status,code,field", [
    ({"claimed_category": 9}, 400, "VALIDATION_ERROR", "claimed_category"),
    ({"claimed_grade": 5}, 400, "VALIDATION_ERROR", "claimed_grade"),
    ({"residence_region": "999999"}, 400, "VALIDATION_ERROR", "residence_region"),
    ({"type": "upgrade"}, 400, "VALIDATION_ERROR", "type"),
    ({"claimed_category": "四"}, 400, "VALIDATION_ERROR", "claimed_category"),
    ({"surprise": 1}, 400, "VALIDATION_ERROR", "surprise"),
])
def test_bad_applications_get_400_and_write_nothing(api, body, status, code, field):
    token, pid = applicant(api)
    r = file_application(api, token, pid, **{k: v for k, v in body.items()
                                             if k not in ("residence_region", "type")},
                         **({"kind": body["type"]} if "type" in body else {}),
                         **({"residence_region": body["residence_region"]}
                            if "residence_region" in body else {}))
    refused(r, status, code)
    assert field in str(r.json()["error"]["details"])
    assert ok(api.get("/people/%s/file" % pid, token=token))["certificate"]["applications"] == []


def test_staff_filing_by_id_number_checks_the_check_digit(api, staff):
    _, pid = applicant(api)
    good = person_number("500113")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    r = api.post("/certificate/applications", token=staff.street, json={
        "id_number": bad, "type": "new", "residence_region": "500113"})
    refused(r, 400, "VALIDATION_ERROR")
    assert "校验位" in r.json()["error"]["message"]
    r = api.post("/certificate/applications", token=staff.street, json={
        "id_number": good, "type": "new", "residence_region": "500113"})
    refused(r, 404, "PERSON_NOT_FOUND")


def test_bad_staff_actions_get_400_and_write_nothing(api, stack, staff):
    token, pid = applicant(api)
    aid = ok(file_application(api, token, pid, claimed_category=4), 201)["id"]
    refused(act(api, staff.street, aid, "return"), 400, "VALIDATION_ERROR")      # no reason
    refused(act(api, staff.street, aid, "teleport"), 400, "UNKNOWN_ACTION")
    ok(act(api, staff.street, aid, "accept"))
    ok(act(api, staff.dpf, aid, "schedule_assessment", **schedule_params(stack, "500113")))
    before = snapshot(api, staff.dpf, aid)
    refused(act(api, staff.assessor, aid, "record_assessment", category=4, grade=5), 400,
            "VALIDATION_ERROR")
    refused(act(api, staff.assessor, aid, "record_assessment", category=8, grade=2), 400,
            "VALIDATION_ERROR")
    refused(act(api, staff.assessor, aid, "record_assessment", category=7, grade=2,
                components=[{"category": 4, "grade": 2}]), 400, "VALIDATION_ERROR")
    assert snapshot(api, staff.dpf, aid) == before
