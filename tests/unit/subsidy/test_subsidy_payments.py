import datetime as dt

import pytest

from services.common.errors import ValidationFailed
from services.subsidy import discovery, payments, supervision
from tests.unit.subsidy.helpers import CATALOGUE, UTC, facts

NOW = dt.datetime(2024, 9, 10, 2, 0, tzinfo=UTC)
NB = CATALOGUE["330200"]


def ent(i, code="living_allowance", start="2024-05", grade=1, region="330200", **kw):
    return dict({"id": "e%d" % i, "person_id": "p%d" % i, "policy_code": code, "region": region,
                 "start_month": start, "status": "active", "grade": grade}, **kw)


def test_amount_change_affects_later_months_only_and_line_ids_are_stable():
    ents = [ent(1), ent(2, "nursing_allowance", grade=2)]
    batch = payments.compute_batch("330200", "2024-08", ents, NB, NOW)
    by_id = {ln["line_id"]: ln["amount_fen"] for ln in batch["lines"]}
    assert by_id["e1:2024-06"] == 15000 and by_id["e1:2024-07"] == 17000
    assert by_id["e2:2024-06"] == 12000 and by_id["e2:2024-08"] == 15000
    assert len(batch["lines"]) == 8 and batch["batch_id"] == "330200:2024-08"
    assert batch["totals"]["amount_fen"] == sum(by_id.values())
    again = payments.compute_batch("330200", "2024-08", ents, NB, NOW)
    assert [ln["line_id"] for ln in again["lines"]] == [ln["line_id"] for ln in batch["lines"]]
    paid = {ln["line_id"] for ln in batch["lines"]}
    nxt = payments.compute_batch("330200", "2024-09", ents, NB, NOW, paid_line_ids=paid)
    assert [ln["line_id"] for ln in nxt["lines"]] == ["e1:2024-09", "e2:2024-09"]


def test_yearly_and_one_off_and_status_filters():
    ents = [ent(1, "child_rehab_aid", start="2023-09"), ent(2, "home_modification", start="2024-02"),
            ent(3, status="suspended"), ent(4, region="500113"),
            ent(5, end_month="2024-06"), ent(6, status="phase_out", phase_out_until="2024-07")]
    batch = payments.compute_batch("330200", "2024-09", ents, NB, NOW)
    assert [ln["line_id"] for ln in batch["lines"]] == [
        "e1:2023-09", "e1:2024-09", "e2:2024-02", "e5:2024-05", "e5:2024-06",
        "e6:2024-05", "e6:2024-06", "e6:2024-07"]


@pytest.mark.parametrize("month,code", [("2024-10", "FUTURE_MONTH"), ("2024-13", "VALIDATION_ERROR"),
                                        ("24-09", "VALIDATION_ERROR")])
def test_bad_or_future_month(month, code):
    with pytest.raises(ValidationFailed) as exc:
        payments.compute_batch("330200", month, [], NB, NOW)
    assert exc.value.code == code


def test_future_month_uses_shanghai_time():
    late = dt.datetime(2024, 9, 30, 16, 30, tzinfo=UTC)   # 1 Oct 00:30 in Shanghai
    assert payments.check_batch_month("2024-10", late) == "2024-10"


def test_bank_file_masked_and_full():
    lines = payments.compute_batch("330200", "2024-06", [ent(1, start="2024-06")], NB, NOW)["lines"]
    payees = {"p1": {"name": "=张三", "bank_name": "宁波银行", "account": "6222020200112233"}}
    text, ready, missing = payments.export_bank_file(lines, payees)
    rows = text.split("\r\n")
    assert rows[0] == ",".join(payments.EXPORT_COLUMNS)
    assert rows[1] == "e1:2024-06,p1,'=张三,宁波银行,************2233,15000,150.00,living_allowance,2024-06"
    assert (len(ready), missing) == (1, [])
    assert "6222020200112233" in payments.export_bank_file(lines, payees, full_accounts=True)[0]


def test_bank_file_leaves_out_lines_without_an_account_and_lists_them():
    lines = payments.compute_batch("330200", "2024-06", [ent(1, start="2024-06"), ent(2, start="2024-06")],
                                   NB, NOW)["lines"]
    payees = {"p1": {"name": "张三", "bank_name": "宁波银行", "account": "6222020200112233"}}
    text, ready, missing = payments.export_bank_file(lines, payees)
    assert [ln["person_id"] for ln in ready] == ["p1"]
    assert missing == ["e2:2024-06"]
    assert len(text.strip().split("\r\n")) == 2 and "p2" not in text


def test_reconciliation():
    lines = [{"line_id": "a", "status": "pending", "amount_fen": 100},
             {"line_id": "b", "status": "pending", "amount_fen": 200},
             {"line_id": "c", "status": "paid", "amount_fen": 300}]
    out = payments.reconcile(lines, [
        {"line_id": "a", "status": "paid", "amount_fen": 100},
        {"line_id": "b", "status": "failed", "reason": "账户已销户"},
        {"line_id": "c", "status": "returned"}, {"line_id": "x", "status": "paid"},
        {"line_id": "a", "status": "failed"}])
    assert [ln["status"] for ln in out["lines"]] == ["paid", "failed", "returned"]
    assert out["summary"]["paid"] == {"count": 1, "amount_fen": 100}
    assert out["summary"]["returned"]["amount_fen"] == 300
    assert [r["line_id"] for r in out["refused"]] == ["x", "a"]
    assert lines[0]["status"] == "pending"  # input untouched


# ---- supervision -------------------------------------------------------------------------

def person(**kw):
    return facts(**dict({"region": "330200", "grade": 1, "status": "dibao"}, **kw))


def test_supervision_keep_suspend_end():
    ents = [ent(1), ent(2), ent(3, "nursing_allowance"), ent(4), ent(5, status="suspended")]
    people = {"p1": person(), "p2": person(cert_status="cancelled"),
              "p3": person(death_date="2024-08-15"), "p4": person(status="tekun")}
    got = {d["entitlement_id"]: d for d in supervision.supervise(ents, people, NB, "2024-09")}
    assert set(got) == {"e1", "e2", "e3", "e4"}
    assert got["e1"]["action"] == "keep"
    assert got["e2"]["action"] == "suspend"
    assert got["e2"]["reasons"] == ["残疾人证已注销，需持有有效残疾人证"]
    assert got["e3"] == dict(got["e3"], action="end", end_month="2024-08")
    assert got["e4"]["reasons"] == ["生活补贴要求家庭为低保或低保边缘家庭，您的家庭为特困家庭"]


@pytest.mark.parametrize("income,since,month,action,until", [
    (150000, "2024-03-10", "2024-09", "phase_out", "2025-02"),   # 1.33x standard
    (337500, "2024-03-10", "2024-09", "phase_out", "2025-02"),   # exactly 3x
    (337501, "2024-03-10", "2024-09", "suspend", None),          # above 3x
    (150000, "2023-01-10", "2024-09", "suspend", None),          # 12 months over
])
def test_ningbo_phase_out(income, since, month, action, until):
    p = person(status="none", previous_household_status="dibao", household_status_since=since,
               per_capita_income_fen=income)
    [d] = supervision.supervise([ent(1)], {"p1": p}, NB, month)
    assert d["action"] == action and d.get("phase_out_until") == until


def test_phase_out_ends_when_over_and_is_ningbo_only():
    p = person(status="none", previous_household_status="dibao",
               household_status_since="2023-01-10", per_capita_income_fen=150000)
    [d] = supervision.supervise([ent(1, status="phase_out")], {"p1": p}, NB, "2024-09")
    assert d["action"] == "end" and "渐退期已满，补贴终止" in d["reasons"]
    [d] = supervision.supervise([ent(1, region="371000")], {"p1": dict(p, household_region="371000")},
                                CATALOGUE["371000"], "2024-09")
    assert d["action"] == "suspend"


def test_overpayments_after_death_or_cancellation():
    paid = [{"line_id": "e1:%s" % m, "entitlement_id": "e1", "person_id": "p1",
             "policy_code": "living_allowance", "month": m, "amount_fen": 100, "status": "paid"}
            for m in ("2024-07", "2024-08", "2024-09")]
    paid.append(dict(paid[0], line_id="e2:2024-09", person_id="p2", month="2024-09"))
    rec = supervision.detect_overpayments(paid, {"p1": {"death_date": "2024-07-20"},
                                                 "p2": {"certificate_cancelled_on": dt.date(2024, 8, 1)}})
    assert [(r["recovery_id"], r["cause"]) for r in rec] == [
        ("e1:2024-08:recovery", "death"), ("e1:2024-09:recovery", "death"),
        ("e2:2024-09:recovery", "certificate_cancelled")]


def test_household_feed_refuses_bad_records_one_by_one():
    good = {"id_number": "11010519491231002X", "status": "dibao", "since": "2024-01-01",
            "per_capita_income_fen": 50000}
    out = supervision.validate_household_feed([
        good, dict(good, per_capita_income_fen=-1), dict(good, status="rich"),
        dict(good, id_number="110105194912310021"), dict(good, since=None)])
    assert len(out["accepted"]) == 1 and out["accepted"][0]["since"] == dt.date(2024, 1, 1)
    assert [r["index"] for r in out["refused"]] == [1, 2, 3, 4]
    assert "负数" in out["refused"][0]["details"]["per_capita_income_fen"][0]


# ---- discovery ---------------------------------------------------------------------------

def test_discovery_suggests_and_opens_automatic_cases():
    d = dt.date(2024, 9, 1)
    out = discovery.discover(person(), NB, d)
    assert [(s["policy_code"], s["mode"]) for s in out] == [
        ("living_allowance", "automatic"), ("nursing_allowance", "automatic"),
        ("home_modification", "suggest"), ("assistive_device", "suggest")]
    assert out[0]["event"] == "subsidy.automatic_case_opened" and out[0]["monthly_amount_fen"] == 17000
    assert out[2]["event"] == "subsidy.suggestion_created" and "家庭为低保家庭" in out[2]["reasons"]
    later = discovery.discover(person(), NB, d, held=["living_allowance", "home_modification"],
                               applied=["nursing_allowance"], suggested=["assistive_device"])
    assert later == []


def test_discovery_respects_exclusions_from_held_benefits():
    out = discovery.discover(facts(region="500113", grade=1, status="dibao"), CATALOGUE["500113"],
                             dt.date(2024, 9, 1), held=["home_modification"])
    codes = [s["policy_code"] for s in out]
    assert "home_modification" not in codes and "nursing_allowance" in codes
    assert all(s["mode"] == "suggest" for s in out)


def test_the_batch_ledger_replaces_reading_every_paid_line():
    ents = [ent(1), ent(2, "nursing_allowance", grade=2, start="2024-08")]
    first = payments.compute_batch("330200", "2024-08", ents, NB, NOW)
    assert first["paid_through"] == {"e1": "2024-08", "e2": "2024-08"}
    # next month: only the new month is a candidate, without knowing any line id
    nxt = payments.compute_batch("330200", "2024-09", ents, NB, NOW,
                                 paid_through=first["paid_through"])
    assert [ln["line_id"] for ln in nxt["lines"]] == ["e1:2024-09", "e2:2024-09"]
    # a re-run of the month: nothing; a late entitlement (not in the ledger): its arrears
    late = ent(3, start="2024-07")
    again = payments.compute_batch("330200", "2024-09", ents + [late], NB, NOW,
                                   paid_through=nxt["paid_through"])
    assert [ln["line_id"] for ln in again["lines"]] == ["e3:2024-07", "e3:2024-08", "e3:2024-09"]
    assert again["paid_through"] == {"e1": "2024-09", "e2": "2024-09", "e3": "2024-09"}
    # a ledger ahead of the month asked (a later batch ran first) never moves back
    early = payments.compute_batch("330200", "2024-08", ents, NB, NOW,
                                   paid_through=again["paid_through"])
    assert early["lines"] == [] and early["paid_through"]["e1"] == "2024-09"
    # not payable any more: left out of the ledger
    gone = payments.compute_batch("330200", "2024-09", [dict(ents[0], status="suspended")], NB,
                                  NOW, paid_through=again["paid_through"])
    assert gone["paid_through"] == {}


def test_the_ledger_stops_before_a_month_without_an_amount_and_keeps_a_missing_policy():
    gap = {"kind": "monthly", "versions": [
        {"effective_from": dt.date(2024, 5, 1), "effective_to": dt.date(2024, 6, 30),
         "amounts_fen": {"default": 100}, "example": False, "conditions": {}},
        {"effective_from": dt.date(2024, 8, 1), "effective_to": None,
         "amounts_fen": {"default": 200}, "example": False, "conditions": {}}]}
    out = payments.compute_batch("330200", "2024-09", [ent(1, start="2024-05")],
                                 {"living_allowance": gap}, NOW)
    assert [ln["month"] for ln in out["lines"]] == ["2024-05", "2024-06", "2024-08", "2024-09"]
    assert [s["month"] for s in out["skipped"]] == ["2024-07"]
    assert out["paid_through"] == {"e1": "2024-06"}   # July is tried again next time
    lost = payments.compute_batch("330200", "2024-09", [ent(1, start="2024-05")], {}, NOW,
                                  paid_through={"e1": "2024-06"})
    assert lost["lines"] == [] and lost["paid_through"] == {"e1": "2024-06"}
    t = payments.add_totals(out["totals"], payments.totals([
        {"policy_code": "nursing_allowance", "amount_fen": 5}]))
    assert t == {"count": 5, "amount_fen": 605, "by_policy": {
        "living_allowance": {"count": 4, "amount_fen": 600},
        "nursing_allowance": {"count": 1, "amount_fen": 5}}}
