"""Subsidy through HTTP on the running stack: certificate issued → nursing allowance suggested →
one-tap confirm → review chain (with overdue flags) → paid in the next batch; the 低保 feed →
living allowance suggested; Ningbo's 非依申请 automatic case."""
from services.common.clock import set_offset
from tests.conftest import random_id
from tests.e2e.test_subsidy_support import (ACCOUNT, CHAIN, citizen_with_certificate,
                                            payments, suggestions, this_month, wait_for)

BN, NB = "500113", "330200"


def test_grade_1_certificate_to_first_payment(api, amqp_config, stack):
    token, pid = citizen_with_certificate(api, amqp_config, BN, grade=1, category=4)
    sug = suggestions(api, token, pid)["nursing_allowance"]
    assert sug["monthly_amount_fen"] == 10000 and "属于一、二级残疾人" in sug["reasons"]
    assert "需工作人员核实：需要长期照护" in sug["reasons"]

    r = api.post("/people/%s/subsidy/suggestions/%s/confirm" % (pid, sug["id"]), token=token,
                 json={"bank_account": ACCOUNT, "bank_name": "农业银行"})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "street_review" and app["current_role"] == "street_officer"
    assert app["bank_account_masked"] == "**** 3445" and ACCOUNT not in r.text
    assert app["source"] == "suggestion" and app["overdue"] is False
    assert "nursing_allowance" not in suggestions(api, token, pid)   # confirmed: gone
    r = api.post("/people/%s/subsidy/suggestions/%s/confirm" % (pid, sug["id"]), token=token,
                 json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "SUGGESTION_CLOSED"

    # the wrong role, or staff of another region, cannot act on this step
    r = api.post("/admin/subsidy/applications/%s/actions" % app["id"],
                 token=api.staff("county_dpf", BN), json={"action": "approve"})
    assert r.status_code == 403
    r = api.post("/admin/subsidy/applications/%s/actions" % app["id"],
                 token=api.staff("street_officer", NB), json={"action": "approve"})
    assert r.status_code == 403

    # ten days later the street step is overdue: flagged in the queue and on the dashboard
    # (tokens expire on the moved clock as in real time: log in after moving it)
    set_offset(stack.clock_file, 10 * 86400)
    street, civil = api.staff("street_officer", BN), api.staff("civil_affairs", BN)
    try:
        q = api.get("/admin/queues", token=street,
                    params={"service": "subsidy", "status": "overdue"}).json()
        assert app["id"] in [i["id"] for i in q["items"]] and q["overdue_count"] >= 1
        dash = api.get("/admin/dashboard", token=civil).json()
        assert dash["measures"]["subsidy"]["overdue_applications"] >= 1
    finally:
        set_offset(stack.clock_file, 0)

    for role, expected in CHAIN:
        r = api.post("/admin/subsidy/applications/%s/actions" % app["id"],
                     token=api.staff(role, BN), json={"action": "approve"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == expected
    done = api.get("/subsidy/applications/%s" % app["id"], token=token).json()
    assert [h["to"] for h in done["history"]] == ["submitted", "street_review", "county_review",
                                                  "civil_affairs_review", "approved"]
    r = api.post("/admin/subsidy/applications/%s/actions" % app["id"],
                 token=api.staff("civil_affairs", BN), json={"action": "approve"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "ILLEGAL_TRANSITION"

    ents = api.get("/people/%s/subsidy/entitlements" % pid, token=token).json()["items"]
    assert [(e["policy_code"], e["status"], e["start_month"]) for e in ents] == [
        ("nursing_allowance", "active", this_month())]

    payer = api.staff("civil_affairs", BN)
    r = api.post("/admin/subsidy/payout-batches", token=payer,
                 json={"region": BN, "month": this_month()})
    assert r.status_code in (200, 201), r.text
    batch = r.json()
    mine = payments(api, token, pid)
    assert [(p["month"], p["amount_fen"], p["status"]) for p in mine] == [
        (this_month(), 10000, "pending")]
    assert batch["totals"]["count"] >= 1
    again = api.post("/admin/subsidy/payout-batches", token=payer,
                     json={"region": BN, "month": this_month()})
    assert again.status_code == 200 and again.json()["totals"] == batch["totals"]

    export = api.get("/admin/subsidy/payout-batches/%s/export" % batch["id"], token=payer).json()
    assert export["content_type"].startswith("text/csv") and ACCOUNT not in export["content"]
    assert mine[0]["line_id"] in export["content"] and "***************3445" in export["content"]
    full = api.get("/admin/subsidy/payout-batches/%s/export" % batch["id"], token=payer,
                   params={"full": "true"}).json()
    assert ACCOUNT in full["content"]

    r = api.post("/admin/subsidy/payout-batches/%s/reconcile" % batch["id"], token=payer,
                 json={"results": [{"line_id": mine[0]["line_id"], "status": "paid",
                                    "amount_fen": 10000},
                                   {"line_id": "nope:2020-01", "status": "paid"}]})
    assert r.status_code == 200, r.text
    assert [c["to"] for c in r.json()["changed"]] == ["paid"]
    assert [x["line_id"] for x in r.json()["refused"]] == ["nope:2020-01"]
    assert payments(api, token, pid)[0]["status"] == "paid"
    got = api.get("/admin/subsidy/payout-batches/%s" % batch["id"], token=payer).json()
    assert got["reconciliation"]["paid"]["count"] >= 1

    # the citizen heard about each step and the payment; every transition is audited
    heard = wait_for(lambda: {i["template"] for i in api.get(
        "/me/notifications", token=token).json()["items"]} >= {"application_status", "payment"})
    assert heard
    trail = api.get("/admin/audit", token=payer, params={"entity": app["id"]}).json()["items"]
    assert [t["action"] for t in trail][-3:] == ["approve", "approve", "approve"]
    file = api.get("/people/%s/file" % pid, token=token).json()
    assert file["subsidy"]["entitlements"][0]["status"] == "active"


def test_dibao_household_record_suggests_living_allowance(api, amqp_config):
    number = random_id(BN)
    token, me = api.bound_citizen("低保户", id_number=number)
    pid = me["person"]["id"]
    from tests.e2e.test_subsidy_support import certificate_payload, publish_until
    publish_until(amqp_config, "issued", certificate_payload(pid, 4, 4, BN), lambda: [
        i for i in api.get("/people/%s/subsidy/eligibility" % pid, token=token).json()["items"]
        if i["policy_code"] == "living_allowance" and "持有有效残疾人证" in i["reasons"]])
    assert "living_allowance" not in suggestions(api, token, pid)

    civil = api.staff("civil_affairs", BN)
    r = api.post("/admin/subsidy/household-status", token=civil, json={"records": [
        {"id_number": number, "status": "dibao", "since": "2026-01-01",
         "per_capita_income_fen": 50000}]})
    assert r.status_code == 200 and r.json() == {"accepted": 1, "refused": []}, r.text
    sug = wait_for(lambda: suggestions(api, token, pid).get("living_allowance"))
    assert sug["monthly_amount_fen"] == 10000 and "家庭为低保家庭" in sug["reasons"]
    trail = api.get("/admin/audit", token=civil, params={"entity": "hh_" + pid}).json()["items"]
    assert trail[0]["from"] == "none" and trail[0]["to"] == "dibao"

    r = api.post("/people/%s/subsidy/suggestions/%s/dismiss" % (pid, sug["id"]), token=token,
                 json={"reason": "暂不需要"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert "living_allowance" not in suggestions(api, token, pid)


def test_ningbo_opens_the_case_without_an_application(api, amqp_config):
    def opened():
        file = api.get("/people/%s/file" % pid, token=token).json()
        return [a for a in file["subsidy"]["applications"]
                if a["policy_code"] == "nursing_allowance"]
    token, me = api.bound_citizen("宁波甲", id_number=random_id(NB))
    pid = me["person"]["id"]
    from tests.e2e.test_subsidy_support import certificate_payload, publish_until
    app = publish_until(amqp_config, "issued", certificate_payload(pid, 1, 1, NB), opened)[0]
    assert app["source"] == "automatic" and app["status"] == "street_review"
    assert "nursing_allowance" not in suggestions(api, token, pid)
    q = api.get("/admin/queues", token=api.staff("street_officer", NB),
                params={"service": "subsidy"}).json()
    assert app["id"] in [i["id"] for i in q["items"]]
