"""Proactive discovery (主动发现, 003 L223) and automatic handling (非依申请自动办理, 001 L61).

Run when a certificate is issued or changed, household status changes, or a person is born
into a region's catalogue: evaluate the person against every active policy of the competent
region and return what they may claim, skipping what they already hold, applied for or were
already offered.
"""
from services.subsidy import rules

SUGGESTION_EVENT = "subsidy.suggestion_created"
AUTOMATIC_EVENT = "subsidy.automatic_case_opened"


def discover(facts, region_policies, on_date, held=(), applied=(), suggested=()):
    """Returns ``[{policy_code, policy_name, mode: "suggest"|"automatic", event, reasons,
    kind, amount_fen?, monthly_amount_fen?, amount_is_example?}]`` in catalogue order.

    mode ``automatic`` where the policy says ``application_required: false`` (the service opens
    a case for staff to approve); otherwise ``suggest`` (the citizen confirms with one tap)."""
    skip = set(held) | set(applied) | set(suggested)
    facts = dict(rules.normalise_facts(facts))
    facts["benefits_held"] = sorted(set(facts["benefits_held"]) | set(held))
    out = []
    for result in rules.evaluate_all(facts, region_policies, on_date):
        if not result["eligible"] or result["policy_code"] in skip:
            continue
        automatic = not result["application_required"]
        item = {"policy_code": result["policy_code"], "policy_name": result["policy_name"],
                "mode": "automatic" if automatic else "suggest",
                "event": AUTOMATIC_EVENT if automatic else SUGGESTION_EVENT,
                "reasons": result["reasons"], "kind": result["kind"]}
        for key in ("amount_fen", "monthly_amount_fen", "amount_is_example"):
            if key in result:
                item[key] = result[key]
        out.append(item)
    return out
