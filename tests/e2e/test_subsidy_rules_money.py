"""Subsidy through HTTP: different rules and amounts per region, cross-province routing, death
stops payment and flags what was paid after it, concurrent batches pay once, bad input."""
import concurrent.futures

from services.common.clock import set_offset
from tests.conftest import random_id
from tests.e2e.test_subsidy_support import (apply_and_approve, citizen_with_certificate,
                                            days_to_month, payments, this_month, wait_for)

BN, HB, NB, WH, JH = "500113", "230100", "330200", "371000", "440704"


def _eligibility(api, token, pid, region=None):
    r = api.get("/people/%s/subsidy/eligibility" % pid, token=token,
                params={"region": region} if region else {})
    assert r.status_code == 200, r.text
    return r.json(), {i["policy_code"]: i for i in r.json()["items"]}


def test_same_facts_different_regions_different_answers(api, amqp_config):
    # grade 3 intellectual: Banan's extension covers it (5000 fen), Harbin's rules do not
    token, pid = citizen_with_certificate(api, amqp_config, BN, grade=3, category=5)
    body, items = _eligibility(api, token, pid)
    assert body["handling_region"] == BN and items["nursing_allowance"]["eligible"] is True
    assert items["nursing_allowance"]["monthly_amount_fen"] == 5000
    assert "属于三、四级智力、精神残疾人" in items["nursing_allowance"]["reasons"]
    token2, pid2 = citizen_with_certificate(api, amqp_config, HB, grade=3, category=5,
                                            expect=None)
    _, items2 = _eligibility(api, token2, pid2)
    assert items2["nursing_allowance"]["eligible"] is False
    assert "护理补贴要求残疾等级为一级或二级，您的等级为三级" in items2["nursing_allowance"]["reasons"]
    # the same Banan person measured against Harbin's catalogue: not registered there
    _, what_if = _eligibility(api, token, pid, region=HB)
    assert "护理补贴要求户籍在哈尔滨市，您的户籍地为重庆市巴南区" in what_if["nursing_allowance"]["reasons"]
    # grade 1: the amounts differ by region
    t3, p3 = citizen_with_certificate(api, amqp_config, JH, grade=1, category=4)
    assert _eligibility(api, t3, p3)[1]["nursing_allowance"]["monthly_amount_fen"] == 15000
    t4, p4 = citizen_with_certificate(api, amqp_config, HB, grade=1, category=4)
    assert _eligibility(api, t4, p4)[1]["nursing_allowance"]["monthly_amount_fen"] == 12000
    cat = api.get("/subsidy/policies", params={"region": NB}).json()["items"]
    assert {c["code"] for c in cat} == {"living_allowance", "nursing_allowance",
                                        "home_modification", "child_rehab_aid", "assistive_device"}


def test_cross_province_application_is_routed_and_visible_on_both_sides(api, amqp_config):
    token, pid = citizen_with_certificate(api, amqp_config, BN, grade=2, category=4,
                                          household_region=BN, residence_region=NB)
    r = api.post("/subsidy/applications", token=token, json={
        "person_id": pid, "policy_code": "nursing_allowance", "residence_region": NB})
    assert r.status_code == 201, r.text
    app = r.json()
    assert (app["filing_region"], app["handling_region"], app["routed"],
            app["cross_province"]) == (NB, BN, True, True)
    assert app["estimated_amount_fen"] == 8000
    ningbo = api.staff("street_officer", NB)
    assert api.get("/subsidy/applications/%s" % app["id"], token=ningbo).status_code == 200
    routed = api.get("/admin/queues", token=ningbo,
                     params={"service": "subsidy", "status": "routed_out"}).json()["items"]
    assert app["id"] in [i["id"] for i in routed]
    r = api.post("/admin/subsidy/applications/%s/actions" % app["id"], token=ningbo,
                 json={"action": "approve"})
    assert r.status_code == 403
    banan = api.get("/admin/queues", token=api.staff("street_officer", BN),
                    params={"service": "subsidy"}).json()["items"]
    assert app["id"] in [i["id"] for i in banan]
    assert api.get("/subsidy/applications/%s" % app["id"],
                   token=api.staff("street_officer", HB)).status_code == 403
    r = api.post("/admin/subsidy/applications/%s/actions" % app["id"],
                 token=api.staff("street_officer", BN), json={"action": "return"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"
    r = api.post("/admin/subsidy/applications/%s/actions" % app["id"],
                 token=api.staff("street_officer", BN), json={"action": "return",
                                                               "reason": "请补充照护证明"})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    r = api.post("/subsidy/applications/%s/actions" % app["id"], token=token,
                 json={"action": "resubmit"})
    assert r.status_code == 200 and r.json()["status"] == "street_review"


def test_death_stops_payment_and_flags_what_was_paid_after_it(api, amqp_config, stack):
    number = random_id(WH)
    token, me = api.bound_citizen("威海甲", id_number=number)
    pid = me["person"]["id"]
    from tests.e2e.test_subsidy_support import certificate_payload, publish_until, suggestions
    publish_until(amqp_config, "issued", certificate_payload(pid, 2, 4, WH),
                  lambda: suggestions(api, token, pid).get("nursing_allowance"))
    applied_in = this_month()
    apply_and_approve(api, token, pid, WH)
    next_month, after = days_to_month(1), days_to_month(2)
    set_offset(stack.clock_file, next_month * 86400)   # the next month: arrears from the first
    # tokens expire on the moved clock as in real time: log in after moving it
    payer, token = api.staff("civil_affairs", WH), api.relogin(token)
    try:
        month2 = this_month(next_month)
        batch = api.post("/admin/subsidy/payout-batches", token=payer,
                         json={"region": WH, "month": month2}).json()
        lines = payments(api, token, pid)
        assert [(p["month"], p["amount_fen"]) for p in lines] == [(applied_in, 7000),
                                                                  (month2, 7000)]
        r = api.post("/admin/subsidy/payout-batches/%s/reconcile" % batch["id"], token=payer,
                     json={"results": [{"line_id": p["line_id"], "status": "paid"}
                                       for p in lines]})
        assert r.status_code == 200 and len(r.json()["changed"]) == 2
        # the public-security feed: died in the first month (the second was paid after it)
        died = applied_in + "-28"
        r = api.post("/admin/people/deaths", token=payer,
                     json={"records": [{"id_number": number, "date": died}]})
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        ended = wait_for(lambda: [e for e in api.get(
            "/people/%s/subsidy/entitlements" % pid, token=payer).json()["items"]
            if e["status"] == "ended"])
        assert ended[0]["end_month"] == applied_in
        assert "当事人已身故，补贴终止" in ended[0]["reasons"]
        flagged = wait_for(lambda: [p for p in payments(api, payer, pid) if p["recovery"]])
        assert [(p["month"], p["recovery"]["cause"]) for p in flagged] == [(month2, "death")]
        rec = api.get("/admin/subsidy/recoveries", token=payer).json()["items"]
        assert pid in [x["person_id"] for x in rec]
    finally:
        set_offset(stack.clock_file, 0)
    set_offset(stack.clock_file, after * 86400)        # the month after: nothing more is paid
    payer = api.staff("civil_affairs", WH)
    try:
        r = api.post("/admin/subsidy/payout-batches", token=payer,
                     json={"region": WH, "month": this_month(after)})
        assert r.status_code == 201, r.text
        assert len(payments(api, payer, pid)) == 2
    finally:
        set_offset(stack.clock_file, 0)


def test_two_concurrent_batch_runs_pay_once(api, amqp_config):
    token, pid = citizen_with_certificate(api, amqp_config, HB, grade=1, category=1)
    apply_and_approve(api, token, pid, HB)
    payer = api.staff("civil_affairs", HB)
    # the certificate changes to grade 2 before the batch: the amount follows (12000 -> 10000)
    from tests.e2e.test_subsidy_support import certificate_payload, publish_until
    publish_until(amqp_config, "changed", certificate_payload(
        pid, 2, 1, HB, previous_category=1, previous_grade=1), lambda: [
        e for e in api.get("/people/%s/subsidy/entitlements" % pid, token=token).json()["items"]
        if e["grade"] == 2])

    def run(_):
        return api.post("/admin/subsidy/payout-batches", token=payer,
                        json={"region": HB, "month": this_month()})
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(4)))
    assert all(r.status_code in (200, 201, 409) for r in results), [r.text for r in results]
    assert sorted(r.status_code for r in results).count(201) == 1
    lines = payments(api, token, pid)
    assert [(p["month"], p["amount_fen"]) for p in lines] == [(this_month(), 10000)]
    batch = api.get("/admin/subsidy/payout-batches/pb_%s_%s" % (HB, this_month()),
                    token=payer).json()
    assert batch["status"] == "done"
    assert batch["totals"]["count"] == len(batch["lines"])
    assert len({ln["line_id"] for ln in batch["lines"]}) == len(batch["lines"])


def test_bad_input_gets_the_documented_error_and_writes_nothing(api, amqp_config):
    number = random_id(NB)
    token, me = api.bound_citizen("宁波乙", id_number=number)
    pid = me["person"]["id"]
    base = {"person_id": pid, "residence_region": NB}
    r = api.post("/subsidy/applications", token=token, json=dict(base, policy_code="free_money"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "UNKNOWN_POLICY"
    r = api.post("/subsidy/applications", token=token,
                 json=dict(base, policy_code="wheelchair_fuel"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "POLICY_NOT_IN_REGION"
    r = api.post("/subsidy/applications", token=token,
                 json=dict(base, policy_code="nursing_allowance"))     # no certificate
    assert r.status_code == 422 and r.json()["error"]["code"] == "NOT_ELIGIBLE"
    assert "护理补贴要求持有残疾人证，您尚未持证" in r.json()["error"]["details"]["reasons"]
    r = api.post("/subsidy/applications", token=token,
                 json=dict(base, policy_code="nursing_allowance", bank_account="12ab"))
    assert r.status_code == 400 and "bank_account" in r.json()["error"]["details"]
    file = api.get("/people/%s/file" % pid, token=token).json()["subsidy"]
    assert file == {"suggestions": [], "applications": [], "entitlements": [], "payments": []}

    civil = api.staff("civil_affairs", NB)
    r = api.post("/admin/subsidy/household-status", token=civil, json={"records": [
        {"id_number": number, "status": "dibao", "since": "2026-01-01",
         "per_capita_income_fen": -100},
        {"id_number": number, "status": "rich", "since": "2026-01-01"},
        {"id_number": random_id(BN), "status": "dibao", "since": "2026-01-01"},
        {"id_number": "123", "status": "dibao", "since": "2026-01-01"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 0 and [x["index"] for x in body["refused"]] == [0, 1, 2, 3]
    assert "非负整数" in body["refused"][0]["reason"]
    assert body["refused"][2]["reason"] == "此人不属于本辖区"
    _, items = _eligibility(api, token, pid)
    assert any("没有低保等困难身份" in x for x in items["living_allowance"]["reasons"])
    r = api.get("/admin/audit", token=civil, params={"entity": "hh_" + pid})
    assert r.status_code == 404

    r = api.post("/admin/subsidy/payout-batches", token=civil,
                 json={"region": NB, "month": "2099-01"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "FUTURE_MONTH"
    r = api.get("/admin/subsidy/payout-batches/pb_%s_2099-01" % NB, token=civil)
    assert r.status_code == 404
    r = api.post("/admin/subsidy/payout-batches", token=api.staff("civil_affairs", BN),
                 json={"region": NB, "month": this_month()})
    assert r.status_code == 403
    r = api.post("/admin/subsidy/payout-batches", token=civil, json={"region": NB,
                                                                     "month": "2026-13"})
    assert r.status_code == 400
