"""Doing the task (服务执行): set out, check in/out, two-sided ratings, complaints (投诉).

Each function takes the actor's roles relative to the task (``tasks.task_roles``) and returns
``guard``/``set`` for one conditional update plus ``audit``; ``volunteer_inc`` is an ``$inc``
the service applies to the volunteer document.

Complaints ``COMPLAINT_TRANSITIONS``: open --uphold--> upheld, open --dismiss--> dismissed
(volunteer coordinator or admin of the region). An upheld complaint against a volunteer adds 1
to ``upheld_complaints`` and ``upheld_since_review``; at ``upheld_complaints_to_suspend`` (3)
since the last review the volunteer is suspended pending review (``suspension_due``);
reinstating resets ``upheld_since_review`` to 0.
"""
import datetime as dt

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.volunteer import hours
from services.volunteer.profile import ACTIVE, transition_volunteer
from services.volunteer.settings import section
from services.volunteer.tasks import (ACCEPTED, CANCELLED, COMPLETED, COORD, IN_PROGRESS,
                                      transition_task)

OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
COMPLAINT_TRANSITIONS = {
    (OPEN, "uphold"): (UPHELD, COORD),
    (OPEN, "dismiss"): (DISMISSED, COORD),
}
RATER_SIDES = {"citizen": "requester", "volunteer": "volunteer"}


def set_out(task, roles, now):
    """The volunteer is on the way (出发): stays ``accepted``, records ``on_the_way_at``."""
    audit = transition_task(task, "set_out", roles, now)
    return {"guard": {"status": ACCEPTED, "volunteer_id": task["volunteer_id"]},
            "set": {"on_the_way_at": now}, "audit": audit}


def check_in(task, roles, now, settings=None):
    """accepted → in_progress; allowed from ``check_in_early_minutes`` before ``when``."""
    audit = transition_task(task, "check_in", roles, now)
    early = section("execution", task.get("region"), settings)["check_in_early_minutes"]
    opens = task["when"] - dt.timedelta(minutes=early)
    if now < opens:
        raise RuleRefused("还未到签到时间（服务开始前%d分钟起可签到）" % early,
                          {"check_in_from": opens.isoformat()}, code="TOO_EARLY")
    return {"guard": {"status": ACCEPTED, "volunteer_id": task["volunteer_id"]},
            "set": {"status": IN_PROGRESS, "checked_in_at": now}, "audit": audit}


def check_out(task, roles, now, check_out_at=None, settings=None):
    """in_progress → completed with credited minutes (see ``hours``).

    Not checked in → Conflict(NOT_CHECKED_IN); a check-out time before check-in →
    Conflict(CHECKOUT_BEFORE_CHECKIN). ``check_out_at`` lets a coordinator record the real time.
    """
    if task.get("status") == ACCEPTED:
        raise Conflict("尚未签到，不能签退", code="NOT_CHECKED_IN")
    audit = transition_task(task, "check_out", roles, now)
    out_at = check_out_at or now
    if out_at > now:
        raise ValidationFailed("签退时间不能晚于当前时间", {"check_out_at": ["晚于当前时间"]})
    minutes = hours.credited_minutes(task["checked_in_at"], out_at, task["duration_minutes"],
                                     task.get("region"), settings)
    return {"guard": {"status": IN_PROGRESS, "volunteer_id": task["volunteer_id"]},
            "set": {"status": COMPLETED, "checked_out_at": out_at, "credited_minutes": minutes},
            "volunteer_inc": {"logged_minutes": minutes}, "audit": audit}


def rate(task, rater, roles, stars, now, comment=None, settings=None):
    """Two-sided rating 1–5 after completion, within ``rating_window_days``, once per side.

    ``rater``: ``citizen`` (rates the volunteer; needs role ``requester``) or ``volunteer``
    (rates the visit; needs ``volunteer``). → ``{guard, set, volunteer_inc?}``; the guard
    ``{"ratings.by_<rater>": None}`` makes a second rating miss (→ Conflict ALREADY_RATED).
    """
    if rater not in RATER_SIDES:
        raise ValidationFailed("未知的评价方", {"rater": ["应为 citizen 或 volunteer"]})
    if RATER_SIDES[rater] not in set(roles or ()):
        raise Forbidden("您不能以此身份评价该任务")
    if task.get("status") != COMPLETED:
        raise Conflict("服务完成后才能评价", code="ILLEGAL_TRANSITION")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed("评分应为1到5的整数", {"stars": ["超出范围"]})
    if comment is not None and (not isinstance(comment, str) or len(comment) > 200):
        raise ValidationFailed("评价内容最多200个字", {"comment": ["过长"]})
    key = "ratings.by_%s" % rater
    if (task.get("ratings") or {}).get("by_%s" % rater):
        raise Conflict("您已评价过该任务", code="ALREADY_RATED")
    days = section("execution", task.get("region"), settings)["rating_window_days"]
    if now > task["checked_out_at"] + dt.timedelta(days=days):
        raise RuleRefused("已超过评价期限（服务完成后%d天内）" % days, code="RATING_CLOSED")
    out = {"guard": {"status": COMPLETED, key: None},
           "set": {key: {"stars": stars, "comment": comment, "at": now}}}
    if rater == "citizen":
        out["volunteer_inc"] = {"rating_sum": stars, "rating_count": 1}
    return out


def new_complaint(task, roles, reason, now, settings=None):
    """A complaint by one side about the other → complaint document (status ``open``).

    The requester complains about the volunteer (``against: volunteer``); the volunteer about
    the visit (``against: citizen``). Only once a volunteer was assigned, within
    ``complaint_window_days`` of the task time.
    """
    roles = set(roles or ())
    if "requester" in roles:
        against = "volunteer"
    elif "volunteer" in roles and task.get("volunteer_id"):
        against = "citizen"
    else:
        raise Forbidden("只有服务双方可以投诉")
    if not task.get("volunteer_id") or task.get("status") not in (ACCEPTED, IN_PROGRESS, COMPLETED, CANCELLED):
        raise Conflict("该任务尚无志愿者接单，不能投诉", code="ILLEGAL_TRANSITION")
    if not isinstance(reason, str) or not 5 <= len(reason.strip()) <= 500:
        raise ValidationFailed("请用5到500个字说明投诉原因", {"reason": ["长度不符"]})
    days = section("execution", task.get("region"), settings)["complaint_window_days"]
    if now > task["when"] + dt.timedelta(days=days):
        raise RuleRefused("已超过投诉期限（服务后%d天内）" % days, code="COMPLAINT_CLOSED")
    return {"task_id": task.get("id"), "region": task["region"], "against": against,
            "volunteer_id": task["volunteer_id"], "person_id": task["person_id"],
            "reason": reason.strip(), "status": OPEN, "created_at": now}


def decide_complaint(complaint, action, roles, now, reason=None):
    """Coordinator decision → ``{guard, set, audit, volunteer_inc?}``; Conflict / Forbidden per table."""
    state = complaint.get("status")
    rule = COMPLAINT_TRANSITIONS.get((state, action))
    if rule is None:
        raise Conflict("投诉当前状态（%s）不允许此操作：%s" % (state, action), code="ILLEGAL_TRANSITION")
    to, allowed = rule
    role = next((r for r in allowed if r in set(roles or ())), None)
    if role is None:
        raise Forbidden("只有志愿服务协调员可以处理投诉")
    if not (reason or "").strip():
        raise ValidationFailed("请填写处理意见", {"reason": ["必填"]})
    out = {"guard": {"status": OPEN},
           "set": {"status": to, "decided_at": now, "decision_reason": reason, "decided_role": role},
           "audit": {"from": state, "to": to, "action": action, "reason": reason, "at": now, "role": role}}
    if to == UPHELD and complaint.get("against") == "volunteer":
        out["volunteer_inc"] = {"upheld_complaints": 1, "upheld_since_review": 1}
    return out


def suspension_due(volunteer, now, settings=None):
    """Given the volunteer *after* the ``$inc``: the suspend audit (role ``system``) if
    ``upheld_since_review`` reached the threshold while active, else None. Guard ``{"status": "active"}``."""
    limit = section("execution", volunteer.get("home_region"), settings)["upheld_complaints_to_suspend"]
    if volunteer.get("status") != ACTIVE or (volunteer.get("upheld_since_review") or 0) < limit:
        return None
    return transition_volunteer(volunteer, "suspend", {"system"}, now,
                                "%d次投诉经核实成立，暂停服务待审核" % limit)
