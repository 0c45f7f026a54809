"""Subsidy application review chain (申请审核流程) as an explicit transition table.

Default chain (DOMAIN §3, national practice): 街道/乡镇初审 street_review (street_officer) →
县残联审核 county_review (county_dpf) → 县民政审批 civil_affairs_review (civil_affairs) → approved.
A policy may shorten the chain or change the working-day limits (``policy["review_chain"]``).

Application dict used here: ``{id, person_id, policy_code, handling_region, status,
step_entered_at (aware UTC datetime)}``; the service stores more, this module reads only these.
"""
import datetime as dt

from services.common.clock import SHANGHAI, UTC
from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.subsidy.policy import DEFAULT_REVIEW_CHAIN

TERMINAL = ("approved", "rejected", "withdrawn")
APPLICANT = "applicant"   # a citizen acting for the person (self or guardian/proxy)
SYSTEM = "system"         # the service itself (routing, automatic cases)
EVENTS = {
    "receive": "subsidy.application_received",
    "approve": "subsidy.application_advanced",   # final approval: subsidy.application_approved
    "reject": "subsidy.application_rejected",
    "return": "subsidy.application_returned",
    "resubmit": "subsidy.application_resubmitted",
    "withdraw": "subsidy.application_withdrawn",
}
REASON_REQUIRED = ("reject", "return")


def build_transitions(chain=DEFAULT_REVIEW_CHAIN):
    """``{(state, action): (next_state, roles)}`` for a review chain."""
    steps = [s["step"] for s in chain]
    table = {("submitted", "receive"): (steps[0], (SYSTEM,)),
             ("returned", "resubmit"): (steps[0], (APPLICANT,))}
    for i, s in enumerate(chain):
        following = steps[i + 1] if i + 1 < len(steps) else "approved"
        table[(s["step"], "approve")] = (following, (s["role"],))
        table[(s["step"], "reject")] = ("rejected", (s["role"],))
        table[(s["step"], "return")] = ("returned", (s["role"],))
    for state in ["submitted", "returned"] + steps:
        table[(state, "withdraw")] = ("withdrawn", (APPLICANT,))
    return table


TRANSITIONS = build_transitions()


def step_limits(chain=DEFAULT_REVIEW_CHAIN):
    """``{step_state: (role, working_days)}``."""
    return {s["step"]: (s["role"], s["days"]) for s in chain}


def add_working_days(start, days, holidays=()):
    """The deadline: end of the ``days``-th working day (Mon–Fri, Asia/Shanghai, minus
    ``holidays`` dates) after the day of ``start``; returned as the aware UTC instant of the
    following local midnight."""
    day = start.astimezone(SHANGHAI).date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
    return midnight.astimezone(UTC)


def step_deadline(application, chain=DEFAULT_REVIEW_CHAIN, holidays=()):
    """Deadline of the current review step, or None when the case is not in a review step."""
    limits = step_limits(chain)
    if application.get("status") not in limits or not application.get("step_entered_at"):
        return None
    return add_working_days(application["step_entered_at"], limits[application["status"]][1],
                            holidays)


def is_overdue(application, now, chain=DEFAULT_REVIEW_CHAIN, holidays=()):
    deadline = step_deadline(application, chain, holidays)
    return deadline is not None and now >= deadline


def _actor_role(actor, roles, application):
    """The role under which ``actor`` may act, or raise Forbidden."""
    kind = (actor or {}).get("kind")
    if kind == SYSTEM:
        if SYSTEM in roles:
            return SYSTEM
    elif kind == "citizen":
        if APPLICANT in roles:
            if application.get("person_id") not in (actor.get("person_ids") or []):
                raise Forbidden("您只能为本人或您监护的人办理")
            return APPLICANT
    elif kind == "staff":
        if actor.get("region") != application.get("handling_region"):
            raise Forbidden("该申请不属于您所在地区办理", {"region": actor.get("region")})
        for role in actor.get("roles") or []:
            if role in roles:
                return role
    raise Forbidden("您的角色不能进行此操作", {"allowed_roles": list(roles)})


def transition(application, action, actor, now, reason=None, chain=DEFAULT_REVIEW_CHAIN,
               holidays=()):
    """Apply ``action``. Returns ``{"changes", "audit", "event", "payload"}``:

    * changes: fields to $set on the application (status, step_entered_at, step_deadline,
      current_role) — apply with a conditional update on the old status;
    * audit: {application_id, from, to, action, role, actor_id, region, reason, at};
    * event / payload: the event to dispatch (see EVENTS; payload = audit + person_id, policy_code).

    Raises Conflict ILLEGAL_TRANSITION, Forbidden (role/region/person), ValidationFailed
    (missing reason for reject/return)."""
    table = build_transitions(chain) if chain is not DEFAULT_REVIEW_CHAIN else TRANSITIONS
    state = application.get("status")
    if (state, action) not in table:
        raise Conflict("当前状态（%s）不能进行“%s”操作" % (state, action),
                       {"status": state, "action": action}, code="ILLEGAL_TRANSITION")
    next_state, roles = table[(state, action)]
    role = _actor_role(actor, roles, application)
    reason = (reason or "").strip() or None
    if action in REASON_REQUIRED and not reason:
        raise ValidationFailed("退回或驳回时请填写原因", {"reason": ["必填"]})
    limits = step_limits(chain)
    changes = {"status": next_state, "step_entered_at": now,
               "current_role": limits[next_state][0] if next_state in limits else None,
               "step_deadline": None}
    if next_state in limits:
        changes["step_deadline"] = add_working_days(now, limits[next_state][1], holidays)
    audit = {"application_id": application.get("id"), "from": state, "to": next_state,
             "action": action, "role": role, "actor_id": (actor or {}).get("staff_id")
             or (actor or {}).get("account_id"), "region": application.get("handling_region"),
             "reason": reason, "at": now}
    event = EVENTS[action]
    if action == "approve" and next_state == "approved":
        event = "subsidy.application_approved"
    payload = dict(audit, person_id=application.get("person_id"),
                   policy_code=application.get("policy_code"))
    return {"changes": changes, "audit": audit, "event": event, "payload": payload}
