"""Dynamic supervision (动态监管) before each monthly batch, 低保渐退 phase-out, overpayment
detection after death or certificate cancellation, and validation of the civil-affairs and
public-security feeds. Pure.

``people``: ``{person_id: facts}`` with the rules.py facts plus optional ``death_date``,
``certificate_cancelled_on`` (dates), ``previous_household_status``,
``household_status_since`` (date) and ``per_capita_income_fen`` (monthly, integer fen).
"""
import datetime as dt

from services.common import idnumber
from services.common.errors import ValidationFailed
from services.subsidy import rules
from services.subsidy.policy import HOUSEHOLD_STATUSES


def _mi(month):
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month(day):
    return "%04d-%02d" % (day.year, day.month)


def _add_months(month, n):
    i = _mi(month) + n
    return "%04d-%02d" % (i // 12, i % 12 + 1)


def phase_out_decision(policy, facts, month):
    """Ningbo 001 L38: a household that left 低保/低边 because per-capita income rose above the
    standard but not above ``income_multiple_max`` × it keeps the benefit for ``months`` months
    counted from the month of the change (inclusive). Returns ``{"until": "YYYY-MM"}`` or None."""
    rule = policy.get("phase_out")
    prev, since = facts.get("previous_household_status"), facts.get("household_status_since")
    income = facts.get("per_capita_income_fen")
    if not rule or prev not in rule["statuses"] or since is None or income is None:
        return None
    standard = rule["standards_fen"][prev]
    if not standard < income <= rule["income_multiple_max"] * standard:
        return None
    until = _add_months(_month(rules.to_date(since, "household_status_since")), rule["months"] - 1)
    return {"until": until} if _mi(month) <= _mi(until) else None


def supervise(entitlements, people, region_policies, month):
    """Re-check each payable entitlement before the batch of ``month``.

    Returns ``[{entitlement_id, person_id, policy_code, action, reasons, end_month?,
    phase_out_until?}]`` with action ``keep`` | ``suspend`` | ``phase_out`` | ``end``:
    death → end (paid through the month of death); a failed condition → suspend with the
    failing reasons, unless only the household status failed and the phase-out rule applies →
    phase_out (then ``end`` once the phase-out period is over)."""
    on_date = dt.date(int(month[:4]), int(month[5:7]), 1)
    decisions = []
    for ent in entitlements:
        if ent.get("status") not in ("active", "phase_out"):
            continue
        base = {"entitlement_id": ent["id"], "person_id": ent["person_id"],
                "policy_code": ent["policy_code"]}
        facts = people.get(ent["person_id"])
        policy = region_policies.get(ent["policy_code"])
        if facts is None or policy is None:
            decisions.append(dict(base, action="suspend",
                                  reasons=["缺少当事人信息" if facts is None else "该地区没有此项补贴"]))
            continue
        death = facts.get("death_date") and rules.to_date(facts["death_date"], "death_date")
        if death or facts.get("alive") is False:
            end_month = _month(death) if death else _add_months(month, -1)
            decisions.append(dict(base, action="end", end_month=end_month,
                                  reasons=["当事人已身故，补贴终止"]))
            continue
        held = [b for b in facts.get("benefits_held") or [] if b != ent["policy_code"]]
        result = rules.evaluate(dict(facts, benefits_held=held), policy, on_date)
        if result["eligible"]:
            decisions.append(dict(base, action="keep", reasons=result["reasons"]))
            continue
        failed = {f["check"] for f in result["failures"]}
        reasons = [f["reason"] for f in result["failures"]]
        if failed == {"household_status"} and policy.get("phase_out"):
            po = phase_out_decision(policy, facts, month)
            if po:
                decisions.append(dict(base, action="phase_out", phase_out_until=po["until"],
                                      reasons=reasons + ["家庭人均收入超过标准但未超过%s倍，"
                                                         "给予渐退期至%s" % (
                                                             policy["phase_out"]["income_multiple_max"],
                                                             po["until"])]))
                continue
            if ent.get("status") == "phase_out":
                decisions.append(dict(base, action="end", end_month=_add_months(month, -1),
                                      reasons=reasons + ["渐退期已满，补贴终止"]))
                continue
        decisions.append(dict(base, action="suspend", reasons=reasons))
    return decisions


def detect_overpayments(paid_lines, people):
    """Paid lines for a month after the month of death or of certificate cancellation.

    Returns recovery records ``[{recovery_id, line_id, entitlement_id, person_id,
    policy_code, month, amount_fen, cause: "death"|"certificate_cancelled", cause_date}]``
    with ``recovery_id = "{line_id}:recovery"`` (deterministic, for a unique index)."""
    out = []
    for ln in paid_lines:
        if ln.get("status") != "paid":
            continue
        facts = people.get(ln["person_id"]) or {}
        for cause, field in (("death", "death_date"),
                             ("certificate_cancelled", "certificate_cancelled_on")):
            day = facts.get(field) and rules.to_date(facts[field], field)
            if day and _mi(ln["month"]) > _mi(_month(day)):
                out.append({"recovery_id": ln["line_id"] + ":recovery",
                            "line_id": ln["line_id"], "entitlement_id": ln.get("entitlement_id"),
                            "person_id": ln["person_id"], "policy_code": ln["policy_code"],
                            "month": ln["month"], "amount_fen": ln["amount_fen"],
                            "cause": cause, "cause_date": day.isoformat()})
                break
    return out


def validate_household_record(record):
    """One civil-affairs record ``{id_number, status, since, per_capita_income_fen?}`` ->
    normalised copy, or ValidationFailed naming the problem."""
    if not isinstance(record, dict):
        raise ValidationFailed("记录格式不正确", {"record": ["应为对象"]})
    id_number = idnumber.validate(record.get("id_number"))
    if record.get("status") not in HOUSEHOLD_STATUSES:
        raise ValidationFailed("家庭经济状况不正确：%s" % record.get("status"),
                               {"status": ["应为 %s 之一" % "/".join(HOUSEHOLD_STATUSES)]})
    since = rules.to_date(record.get("since"), "since")
    if since is None:
        raise ValidationFailed("缺少认定日期 since", {"since": ["必填"]})
    income = record.get("per_capita_income_fen")
    if income is not None and (not isinstance(income, int) or isinstance(income, bool)
                               or income < 0):
        raise ValidationFailed("家庭人均收入应为非负整数（分）",
                               {"per_capita_income_fen": ["不能为负数或小数"]})
    return {"id_number": id_number, "status": record["status"], "since": since,
            "per_capita_income_fen": income}


def validate_household_feed(records):
    """``{accepted: [normalised], refused: [{index, code, message, details}]}``; a bad record
    never stops the good ones."""
    accepted, refused = [], []
    for i, rec in enumerate(records or []):
        try:
            accepted.append(validate_household_record(rec))
        except ValidationFailed as exc:
            refused.append({"index": i, "code": exc.code, "message": exc.message,
                            "details": exc.details})
    return {"accepted": accepted, "refused": refused}
