"""新办 end to end through the gateway: a guardian files for a ward, the workflow by each role,
the public notice, issue (20-character number, validity from policy), events, notices, the
audit trail, the physical card, masking, the queue, the dashboard and the person file."""
import datetime as dt

from tests.e2e.certificate_flow import (bind_certificate_events, person_number,  # noqa: F401
                                        Staff, act, cert_events, drive_to_notice,  # noqa: F401
                                        file_application, issue_after_notice, ok,
                                        schedule_params)


def test_new_certificate_for_a_ward_end_to_end(api, stack, cert_events):  # noqa: F811
    token, me = api.bound_citizen("张三")
    ward_number = person_number("500113")
    me = ok(api.post("/me/wards", token=token, json={"name": "张小明", "id_number": ward_number,
                                                      "relationship": "parent"}), 201)
    ward = me["wards"][0]["id"]
    staff = Staff(api, "500113")
    other_street = api.staff("street_officer", "330200")

    app = ok(file_application(api, token, ward, "new", "500113", claimed_category=5,
                              relationship="parent"), 201)
    assert app["status"] == "submitted" and app["submitted_by"]["relationship"] == "parent"
    assert app["handling_region"] == "500113" and app["cross_province"] is False
    assert app["available_actions"] == ["withdraw"]

    # the street officer's queue has it; another region's does not
    q = ok(api.get("/admin/queues", token=staff.street, params={"service": "certificate"}))
    assert app["id"] in [i["id"] for i in q["items"]]
    q = ok(api.get("/admin/queues", token=other_street, params={"service": "certificate"}))
    assert app["id"] not in [i["id"] for i in q["items"]]

    ok(act(api, staff.street, app["id"], "return", reason="请补充二寸照片"))
    seen = ok(api.get("/certificate/applications/%s" % app["id"], token=token))
    assert seen["status"] == "returned_for_correction"
    assert seen["return_reasons"] == ["请补充二寸照片"] and "resubmit" in seen["available_actions"]
    ok(api.post("/certificate/applications/%s/resubmit" % app["id"], token=token, json={}))

    ok(act(api, staff.street, app["id"], "accept"))
    sched = ok(act(api, staff.dpf, app["id"], "schedule_assessment",
                   **schedule_params(stack, "500113")))
    assert sched["assessment"]["assessor_id"] == "assessor.500113"
    q = ok(api.get("/admin/queues", token=staff.assessor, params={"service": "certificate"}))
    assert app["id"] in [i["id"] for i in q["items"]]
    ok(act(api, staff.assessor, app["id"], "record_assessment", category=5, grade=2,
           notes="智力二级"))
    noticed = ok(act(api, staff.dpf, app["id"], "approve"))
    assert noticed["status"] == "public_notice" and noticed["notice"]["issue_from"]

    # during the notice: 422, nothing changes
    r = act(api, staff.dpf, app["id"], "issue")
    assert r.status_code == 422 and r.json()["error"]["code"] == "NOTICE_PERIOD_NOT_ELAPSED"
    issued = ok(issue_after_notice(api, stack, app["id"], staff.region))
    assert issued["status"] == "issued" and issued["issued_certificate_id"]

    cert = ok(api.get("/people/%s/certificate" % ward, token=token))
    assert cert["number"] == ward_number + "52" and len(cert["number"]) == 20
    assert cert["status"] == "valid" and cert["severe"] is True and cert["card"]["status"] == "queued"
    start = dt.date.fromisoformat(cert["valid_from"])
    assert cert["valid_until"] == (start.replace(year=start.year + 10) - dt.timedelta(days=1)).isoformat()
    # competent staff see the number, staff elsewhere (residence region view) only masked
    assert ok(api.get("/people/%s/certificate" % ward, token=staff.dpf))["number"] == cert["number"]
    auditor = api.staff("auditor", "500113")
    masked = ok(api.get("/people/%s/certificate" % ward, token=auditor))
    assert masked["number_masked"] is True and ward_number not in masked["number"]
    stranger, _ = api.bound_citizen("李四")
    assert api.get("/people/%s/certificate" % ward, token=stranger).status_code == 403

    issued_ev = cert_events.of("issued", person_id=ward)
    assert issued_ev and issued_ev[0]["category"] == 5 and issued_ev[0]["grade"] == 2
    assert issued_ev[0]["valid_until"] == cert["valid_until"] and issued_ev[0]["region"] == "500113"
    assert ward_number not in str(issued_ev[0])
    steps = cert_events.wait_for(lambda e: e.get("event_type") == "application_status_changed"
                                 and e.get("application_id") == app["id"] and e["to"] == "issued")
    assert steps

    # the history and the audit trail
    full = ok(api.get("/admin/certificate/applications/%s" % app["id"], token=staff.dpf))
    actions = [h["action"] for h in full["history"]]
    assert actions == ["submit", "return", "resubmit", "accept", "schedule_assessment",
                       "record_assessment", "approve", "issue"]
    assert [a["action"] for a in full["audit"]] == actions
    assert full["audit"][-1]["actor_id"] == "county_dpf.500113"
    trail = ok(api.get("/admin/audit", token=staff.dpf, params={"entity": cert["id"]}))
    assert trail["items"][0]["action"] == "issue"
    notes = ok(api.get("/me/notifications", token=token))["items"]
    assert {n["template"] for n in notes} == {"application_status"} and len(notes) >= 8

    # physical card: queued -> printed -> ready -> mailed (street officers cannot print)
    card = "/admin/certificates/%s/card" % cert["id"]
    r = api.post(card, token=staff.street, json={"action": "print"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "ROLE_NOT_ALLOWED"
    ok(api.post(card, token=staff.dpf, json={"action": "print"}))
    r = api.post(card, token=staff.dpf, json={"action": "collect"})
    assert r.status_code == 409
    ok(api.post(card, token=staff.dpf, json={"action": "mark_ready"}))
    r = api.post(card, token=staff.street, json={"action": "mail"})
    assert r.status_code == 400  # tracking number required
    done = ok(api.post(card, token=staff.street, json={"action": "mail",
                                                       "tracking_number": "SF1234567890"}))
    assert [h["status"] for h in done["card"]["history"]] == ["queued", "printed", "ready",
                                                              "mailed"]

    # the person file and the dashboard
    file_ = ok(api.get("/people/%s/file" % ward, token=token))
    assert file_["certificate"]["current"]["id"] == cert["id"]
    assert [a["id"] for a in file_["certificate"]["applications"]] == [app["id"]]
    dash = ok(api.get("/admin/dashboard", token=staff.dpf))["measures"]["certificate"]
    assert dash["certificates"]["valid"] >= 1
    assert dash["processing_time_per_step"]["public_notice"]["count"] >= 1
