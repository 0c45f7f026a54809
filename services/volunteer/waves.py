"""Offer waves (分批派单) and first-accept-wins (先接先得).

A task's ``wave_plan`` is computed once when matching starts: an optional pair wave of one
(结对志愿者优先), then up to ``max_waves`` general waves of ``wave_size`` from the ranking. Each
wave's offers expire ``accept_deadline_minutes`` after sending (never later than the task time).
When a wave expires unanswered — or every volunteer in it has declined — the next wave goes out;
after the last wave the task becomes ``unmatched`` and the coordinator is alerted.

Task fields used: ``status, when, region, wave_plan [{number, kind, volunteer_ids}],
current_wave (0 = none sent), wave_expires_at, declined_ids, timed_out_ids, released_ids,
volunteer_id``. The plan is an array of documents (no nested arrays, FerretDB-safe).

Every decision that changes the task carries ``guard`` (extra filter keys) and ``set`` (``$set``
fields) for ONE conditional update: ``find_one_and_update({"_id": id, **guard}, {"$set": set})``.
A miss means another replica or volunteer got there first.
"""
import datetime as dt

from services.common.errors import Conflict, Forbidden
from services.volunteer.settings import section
from services.volunteer.tasks import (ACCEPTED, CANCELLED, COMPLETED, IN_PROGRESS, OFFERING, OPEN,
                                      UNMATCHED, transition_task)

PENDING, OFFER_ACCEPTED, DECLINED, EXPIRED, TAKEN, WITHDRAWN = (
    "pending", "accepted", "declined", "expired", "taken", "withdrawn")


def plan_waves(ranked, wave_size, max_waves, pair_volunteer_id=None):
    """Split a ranking into waves → ``[{"number", "kind": "pair"|"general", "volunteer_ids"}]``.

    ``ranked``: ranked items (dicts with ``volunteer_id``) or plain ids, best first. The pair
    volunteer, if any, gets wave 1 alone and is left out of the general waves, which do not count
    it against ``max_waves``. Candidates beyond ``wave_size × max_waves`` are not offered.
    """
    if wave_size < 1 or max_waves < 0:
        raise ValueError("wave_size must be ≥ 1 and max_waves ≥ 0")
    ids = [r["volunteer_id"] if isinstance(r, dict) else r for r in ranked]
    plan = []
    if pair_volunteer_id:
        plan.append({"number": 1, "kind": "pair", "volunteer_ids": [pair_volunteer_id]})
        ids = [i for i in ids if i != pair_volunteer_id]
    for k in range(max_waves):
        chunk = ids[k * wave_size:(k + 1) * wave_size]
        if not chunk:
            break
        plan.append({"number": len(plan) + 1, "kind": "general", "volunteer_ids": chunk})
    return plan


def exclusions(task):
    """Volunteers never offered this task again: declined, timed out, or released it."""
    return set(task.get("declined_ids") or ()) | set(task.get("timed_out_ids") or ()) | set(
        task.get("released_ids") or ())


def _deadline(task, wave, now, cfg):
    minutes = cfg["pair_accept_deadline_minutes"] if wave["kind"] == "pair" else cfg["accept_deadline_minutes"]
    return min(now + dt.timedelta(minutes=minutes), task["when"])


def _next_wave(task, after, now, cfg):
    """The first wave numbered > ``after`` that still has someone to ask, with its recipients."""
    skip = exclusions(task)
    for wave in task.get("wave_plan") or ():
        if wave["number"] > after:
            ids = [v for v in wave["volunteer_ids"] if v not in skip]
            if ids:
                return wave, ids
    return None, None


def _unmatched(task, now, reason, guard):
    return {"action": "unmatched", "alert_coordinator": True, "reason": reason, "guard": guard,
            "audit": transition_task(task, "exhaust", {"system"}, now, reason),
            "set": {"status": UNMATCHED, "unmatched_at": now, "wave_expires_at": None}}


def _send(task, wave, ids, now, cfg, guard, audit):
    expires = _deadline(task, wave, now, cfg)
    return {"action": "send_wave", "wave": wave["number"], "kind": wave["kind"], "volunteer_ids": ids,
            "expires_at": expires, "guard": guard, "audit": audit,
            "set": {"status": OFFERING, "current_wave": wave["number"], "wave_expires_at": expires}}


def start_matching(task, plan, now, settings=None):
    """Open task + wave plan → first ``send_wave`` decision (its ``set`` stores the plan), or
    ``unmatched`` (alert) when nobody fits or the task time has come."""
    cfg = section("matching", task.get("region"), settings)
    guard = {"status": OPEN}
    staged = dict(task, wave_plan=plan, current_wave=0)
    wave, ids = _next_wave(staged, 0, now, cfg)
    if wave is None or now >= task["when"]:
        decision = _unmatched(task, now, "no_candidates" if wave is None else "time_passed", guard)
        decision["set"].update(wave_plan=plan, current_wave=0)
        return decision
    decision = _send(staged, wave, ids, now, cfg, guard, transition_task(task, "start_matching", {"system"}, now))
    decision["set"]["wave_plan"] = plan
    return decision


def next_wave_due(task, now, settings=None):
    """What the offer sweep should do for ``task`` at ``now``.

    → ``{"action": "none"}`` (not offering) · ``{"action": "wait", "until"}`` · ``send_wave``
    (``wave, kind, volunteer_ids, expires_at, expire_wave, guard, set, audit``: also expire the
    pending offers of ``expire_wave`` and add their volunteers to ``timed_out_ids``) ·
    ``unmatched`` (``alert_coordinator: True, reason, guard, set, audit``).
    """
    if task.get("status") != OFFERING:
        return {"action": "none"}
    cfg = section("matching", task.get("region"), settings)
    current = task.get("current_wave") or 0
    guard = {"status": OFFERING, "current_wave": current}
    plan = {w["number"]: w for w in task.get("wave_plan") or ()}
    still_asked = [v for v in (plan.get(current) or {}).get("volunteer_ids", ())
                   if v not in set(task.get("declined_ids") or ())]
    expires = task.get("wave_expires_at")
    if expires is not None and now < expires and still_asked:
        return {"action": "wait", "until": expires}
    if now >= task["when"]:
        decision = _unmatched(task, now, "time_passed", guard)
    else:
        wave, ids = _next_wave(task, current, now, cfg)
        if wave is None:
            decision = _unmatched(task, now, "no_more_waves", guard)
        else:
            decision = _send(task, wave, ids, now, cfg, guard, transition_task(task, "next_wave", {"system"}, now))
    decision["expire_wave"] = current
    return decision


def make_offers(task_id, decision, now):
    """Offer documents for a ``send_wave`` decision (ids are the store's)."""
    return [{"task_id": task_id, "volunteer_id": v, "wave": decision["wave"], "status": PENDING,
             "sent_at": now, "expires_at": decision["expires_at"]} for v in decision["volunteer_ids"]]


def check_offer(offer, volunteer_id, now):
    """Is ``offer`` still open to ``volunteer_id``? Raises Forbidden / Conflict; returns True if
    this volunteer already accepted it (a retried accept), else False."""
    if offer.get("volunteer_id") != volunteer_id:
        raise Forbidden("这条服务邀请不是发给您的")
    status = offer.get("status")
    if status == OFFER_ACCEPTED:
        return True
    if status == TAKEN:
        raise Conflict("该任务已被其他志愿者接单", code="TASK_TAKEN")
    if status == WITHDRAWN:
        raise Conflict("该服务需求已取消", code="TASK_CANCELLED")
    if status == DECLINED:
        raise Conflict("您已婉拒这条邀请", code="OFFER_DECLINED")
    if status == EXPIRED or now >= offer["expires_at"]:
        raise Conflict("这条邀请已过期", {"expires_at": offer["expires_at"].isoformat()}, code="OFFER_EXPIRED")
    return False


def explain_failed_accept(task, volunteer_id):
    """After the conditional update missed (or the task is no longer offering): raise why, or
    return ``"already_yours"`` when this volunteer holds the task (idempotent retry)."""
    status = task.get("status")
    if status in (ACCEPTED, IN_PROGRESS, COMPLETED):
        if task.get("volunteer_id") == volunteer_id:
            return "already_yours"
        raise Conflict("该任务已被其他志愿者接单", code="TASK_TAKEN")
    if status == CANCELLED:
        raise Conflict("该服务需求已取消", code="TASK_CANCELLED")
    raise Conflict("这条邀请已过期", code="OFFER_EXPIRED")


def accept_offer(task, offer, volunteer_id, now):
    """First-accept-wins decision → ``{"action": "accept", guard, set, audit, offer_set,
    others_set}`` or ``{"action": "already_yours"}``.

    Service: ``find_one_and_update({"_id": task_id, **guard}, {"$set": set})``; on a miss reload
    and call ``explain_failed_accept``; on success set this offer to ``offer_set`` and the task's
    other pending offers to ``others_set`` (status ``taken``).
    """
    if check_offer(offer, volunteer_id, now):
        return {"action": "already_yours"}
    if task.get("status") != OFFERING:
        if explain_failed_accept(task, volunteer_id) == "already_yours":
            return {"action": "already_yours"}
    audit = transition_task(task, "accept", {"volunteer"}, now)
    return {"action": "accept", "guard": {"status": OFFERING}, "audit": audit,
            "set": {"status": ACCEPTED, "volunteer_id": volunteer_id, "accepted_at": now,
                    "accepted_offer_id": offer.get("id"), "wave_expires_at": None},
            "offer_set": {"status": OFFER_ACCEPTED, "answered_at": now},
            "others_set": {"status": TAKEN, "answered_at": now}}


def decline_offer(offer, volunteer_id, now, reason=None):
    """→ ``{"offer_guard", "offer_set", "add_to_declined": volunteer_id}``. A decline only keeps the
    volunteer out of later waves of this task; it is never a scoring input."""
    check_offer(offer, volunteer_id, now)
    if offer.get("status") == OFFER_ACCEPTED:
        raise Conflict("您已接受这条邀请，如需退出请在任务中操作", code="ILLEGAL_TRANSITION")
    return {"offer_guard": {"status": PENDING}, "add_to_declined": volunteer_id,
            "offer_set": {"status": DECLINED, "answered_at": now, "reason": reason}}
