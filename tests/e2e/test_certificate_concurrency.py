"""Only one valid certificate per person under concurrency (HTTP and the store's own guard), the
expiry reminder sent once however many sweeps race, and the death feed."""
import concurrent.futures
import datetime as dt
import time
import uuid

import pymongo
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.certificate import applications, entries, policy, workflow
from services.certificate.store import CertificateStore, _app_doc
from services.common import idnumber
from services.common.clock import SHANGHAI, Clock
from services.common.errors import Conflict
from tests.e2e.certificate_flow import (bind_certificate_events, person_number,  # noqa: F401
                                        NOTICE_SKIP, Staff, act, cert_events,  # noqa: F401
                                        clock_reset, drive_to_notice, file_application,
                                        issue_certificate, move_clock, ok, stack_now)
from tests.e2e.test_certificate_ecert import offline, verify


def db_of(stack):
    client = pymongo.MongoClient(stack.env()["MONGO_URI"], tz_aware=True)
    return client, client[stack.db_prefix + "certificate"]


def test_twenty_concurrent_issues_yield_exactly_one_certificate(api, stack, clock_reset):  # noqa: F811
    token, me = api.bound_citizen("钱多", id_number=person_number("500113"))
    pid = me["person"]["id"]
    staff = Staff(api, "500113")
    app = ok(file_application(api, token, pid, claimed_category=4), 201)
    drive_to_notice(api, stack, app, staff)
    move_clock(stack, NOTICE_SKIP.total_seconds())
    dpf = api.staff("county_dpf", "500113")  # tokens expire on the stack clock: mint one now
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda _: act(api, dpf, app["id"], "issue"), range(20)))
    codes = sorted(r.status_code for r in replies)
    assert codes == [200] + [409] * 19, [r.text for r in replies if r.status_code != 409]
    client, db = db_of(stack)
    try:
        assert db.certificates.count_documents({"person_id": pid}) == 1
        assert db.valid_certificates.count_documents({"_id": pid}) == 1
    finally:
        client.close()
    move_clock(stack, 0)
    file_ = ok(api.get("/people/%s/file" % pid, token=token))["certificate"]
    assert file_["current"]["status"] == "valid" and file_["applications"][0]["status"] == "issued"


def test_two_issuing_applications_for_one_person_race_and_the_database_keeps_one(stack):
    """The open-application marker keeps a second application out over HTTP; here two are put
    straight into the database to show the valid-certificate slot holds on its own."""
    client, db = db_of(stack)
    store = CertificateStore(db, Clock())
    now = Clock().now()
    pol = policy.policy_for(policy.load_policies(), "500113", now.astimezone(SHANGHAI).date())
    pid, number = "p_race_%s" % uuid.uuid4().hex[:8], person_number("500113")
    dpf = {"kind": "staff", "staff_id": "county_dpf.500113", "roles": ["county_dpf"],
           "region": "500113"}
    prepared = []
    for _ in range(2):
        app = applications.new_application(
            {"person_id": pid, "type": "new", "residence_region": "500113"},
            person={"id": pid, "household_region": "500113"}, actor=dpf, now=now, policy=pol,
            application_id="capp_%s" % uuid.uuid4().hex[:20]).application
        yesterday = (now.astimezone(SHANGHAI).date() - dt.timedelta(days=1)).isoformat()
        app.update(status=workflow.PUBLIC_NOTICE, notice={"issue_from": yesterday},
                   assessment_result={"category": 4, "grade": 2, "components": []})
        db.applications.insert_one(_app_doc(app))
        tr = workflow.apply_action(app, "issue", dpf, now, pol, {}, id_number=number,
                                   current_certificate=None,
                                   certificate_id="cert_" + app["id"].split("_")[1])
        cert_doc = {k: v for k, v in tr.certificate.items() if k != "number"}
        prepared.append((app, tr, cert_doc))

    def commit(item):
        app, tr, cert_doc = item
        try:
            store.commit(app, tr, [], dict(cert_doc, number_enc="-"), [], [])
            return "issued"
        except Conflict as exc:
            return exc.code
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(commit, prepared))
        assert outcomes == ["CERTIFICATE_ALREADY_VALID", "issued"]
        assert db.certificates.count_documents({"person_id": pid}) == 1
        assert db.valid_certificates.count_documents({"_id": pid}) == 1
        statuses = sorted(d["status"] for d in db.applications.find({"person_id": pid}))
        assert statuses == ["issued", "public_notice"]
    finally:
        client.close()


def test_the_expiry_reminder_is_sent_once(api, stack, amqp_config, cert_events,  # noqa: F811
                                          clock_reset):  # noqa: F811
    token, me = api.bound_citizen("冯巩", id_number=person_number("500113"))
    pid = me["person"]["id"]
    cert, _ = issue_certificate(api, stack, pid, token, "500113", 1, 1)
    today = stack_now(stack).astimezone(SHANGHAI).date()
    near = dt.date.fromisoformat(cert["valid_until"]) - dt.timedelta(days=80)
    move_clock(stack, (near - today).days * 86400)
    with ClusterRpcProxy(amqp_config, timeout=60) as rpc:
        replies = [rpc.certificate.run_expiry_sweep.call_async() for _ in range(4)]
        sent = [r.result() for r in replies]
        assert sum(sent) >= 1
        reminded = cert_events.of("expiring", person_id=pid)
        assert len(reminded) == 1 and reminded[0]["days_left"] == 80
        rpc.certificate.run_expiry_sweep()
    cert_events.wait_for(lambda e: False, timeout=3)  # drain whatever else arrives
    move_clock(stack, 0)  # the citizen's token is valid again on the normal clock    assert len(cert_events.of("expiring", person_id=pid)) == 1
    items = [n for n in ok(api.get("/me/notifications", token=token))["items"]
             if n["template"] == "certificate_expiry"]
    assert len(items) == 1


def test_death_cancels_the_certificate_and_closes_open_applications(api, stack, cert_events):  # noqa: F811
    number = person_number("500113")
    token, me = api.bound_citizen("褚英", id_number=number)
    pid = me["person"]["id"]
    cert, _ = issue_certificate(api, stack, pid, token, "500113", 6, 2)
    cred = ok(api.get("/people/%s/certificate/credential" % pid, token=token))["token"]
    app = ok(file_application(api, token, pid, "replacement", reason="遗失"), 201)
    today = stack_now(stack).astimezone(SHANGHAI).date().isoformat()
    r = api.post("/admin/people/deaths", token=api.staff("civil_affairs", "500113"),
                 json={"records": [{"id_number": number, "date": today}]})
    assert ok(r)["accepted"] == 1
    ev = cert_events.of("cancelled", person_id=pid)
    assert ev and ev[0]["reason"] == "death" and ev[0]["certificate_id"] == cert["id"]
    assert api.get("/people/%s/certificate" % pid, token=token).status_code == 404
    v = ok(verify(api, cred))
    assert (v["status"], v["reason"]) == ("cancelled", "revoked")
    assert offline(api, stack, cred)["status"] == "cancelled"
    deadline = time.time() + 15
    while time.time() < deadline:
        seen = ok(api.get("/certificate/applications/%s" % app["id"], token=token))
        if seen["status"] == "rejected":
            break
        time.sleep(0.3)
    assert seen["status"] == "rejected" and seen["history"][-1]["actor_kind"] == "system"
    r = file_application(api, token, pid, claimed_category=6)
    assert r.status_code == 422 and r.json()["error"]["code"] == "PERSON_DECEASED"
    assert idnumber.validate(number)  # (the number never left the server in any of the above)


@pytest.fixture(autouse=True)
def _no_stray_clock(stack):
    yield
    move_clock(stack, 0)
