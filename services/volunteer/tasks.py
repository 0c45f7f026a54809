"""Help requests and volunteer tasks (服务需求 / 志愿任务): validation and the task state machine.

A request becomes a task document at once (one entity, ``status`` moves through the table).
Sources: ``citizen`` (mini-program), ``staff`` (e.g. a 12385 hotline call recorded by staff),
``rehab_escort`` (the ``rehab_booking.escort_requested`` event).

``TASK_TRANSITIONS``: ``(state, action) -> (next_state, roles)``. Roles are relative to the task
(see ``task_roles``): ``requester`` (the citizen or guardian the task is for), ``volunteer`` (the
assigned volunteer; for ``accept`` the offered volunteer, checked by ``waves.check_offer``),
region-scoped staff roles, ``system`` (timers and events).
"""
import datetime as dt
import re

from services.common import regions
from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.volunteer import geo
from services.volunteer.profile import validate_skill
from services.volunteer.settings import section

SOURCES = ("citizen", "staff", "rehab_escort")
OPEN, OFFERING, ACCEPTED, IN_PROGRESS, COMPLETED, CANCELLED, UNMATCHED = (
    "open", "offering", "accepted", "in_progress", "completed", "cancelled", "unmatched")
COORD = ("volunteer_coordinator", "admin")
STAFF_CREATORS = ("volunteer_coordinator", "street_officer", "county_dpf", "admin")

TASK_TRANSITIONS = {
    (OPEN, "start_matching"): (OFFERING, ("system",)),
    (OPEN, "cancel"): (CANCELLED, ("requester", "system") + COORD),
    (OPEN, "exhaust"): (UNMATCHED, ("system",)),
    (OFFERING, "next_wave"): (OFFERING, ("system",)),
    (OFFERING, "accept"): (ACCEPTED, ("volunteer",)),
    (OFFERING, "exhaust"): (UNMATCHED, ("system",)),
    (OFFERING, "cancel"): (CANCELLED, ("requester", "system") + COORD),
    (UNMATCHED, "reopen"): (OPEN, COORD),
    (UNMATCHED, "assign"): (ACCEPTED, COORD),
    (UNMATCHED, "cancel"): (CANCELLED, ("requester", "system") + COORD),
    (ACCEPTED, "set_out"): (ACCEPTED, ("volunteer",)),
    (ACCEPTED, "check_in"): (IN_PROGRESS, ("volunteer",)),
    (ACCEPTED, "release"): (OPEN, ("volunteer",) + COORD),
    (ACCEPTED, "cancel"): (CANCELLED, ("requester", "system") + COORD),
    (IN_PROGRESS, "check_out"): (COMPLETED, ("volunteer",) + COORD),
}
TERMINAL = (COMPLETED, CANCELLED)
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_HOTLINE = "12385"


def parse_when(value, field="when"):
    """ISO 8601 string with offset, or an aware datetime → aware UTC datetime."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed("时间格式不正确，应为带时区的 ISO 8601 时间", {field: ["格式不正确"]})
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValidationFailed("时间必须带时区（如 2026-05-01T09:00:00+08:00）", {field: ["缺少时区"]})
    return value.astimezone(dt.timezone.utc)


_LABELS = {"address": "服务地址", "notes": "备注", "language": "语言/方言", "hotline_ticket": "热线工单号",
           "source_ref": "来源单号"}


def _text(data, key, limit, required):
    v = data.get(key)
    label = _LABELS.get(key, key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise ValidationFailed("请填写%s" % label, {key: ["必填"]})
        return None
    if not isinstance(v, str) or len(v.strip()) > limit:
        raise ValidationFailed("%s应为文字，且不超过%d个字（过长）" % (label, limit), {key: ["过长"]})
    return v.strip()


def validate_request(data, now, source="citizen", settings=None):
    """Request input → clean task fields (status ``open``). ValidationFailed says what is wrong.

    Checks: source, person_id, skill, ``when`` at least ``min_lead_minutes`` ahead and at most
    ``max_advance_days``, duration in range, region served, location inside the region, address
    present, optional contact phone, notes, language. ``staff`` requests from the 12385 hotline
    carry ``channel: "12385"`` and an optional ``hotline_ticket``; ``rehab_escort`` carries
    ``source_ref`` (the booking id).
    """
    if source not in SOURCES:
        raise ValidationFailed("未知的需求来源：%s" % source, {"source": ["未知"]})
    if not isinstance(data, dict):
        raise ValidationFailed("提交的信息有误")
    region = regions.validate(data.get("region"))
    cfg = section("requests", region, settings)
    person_id = data.get("person_id")
    if not isinstance(person_id, str) or not person_id:
        raise ValidationFailed("请指明为谁申请服务", {"person_id": ["必填"]})
    when = parse_when(data.get("when"))
    if when < now + dt.timedelta(minutes=cfg["min_lead_minutes"]):
        raise ValidationFailed("服务时间须至少在%d分钟之后" % cfg["min_lead_minutes"], {"when": ["时间太近或已过"]})
    if when > now + dt.timedelta(days=cfg["max_advance_days"]):
        raise ValidationFailed("服务时间最多可提前%d天预约" % cfg["max_advance_days"], {"when": ["时间太远"]})
    duration = data.get("duration_minutes")
    if (isinstance(duration, bool) or not isinstance(duration, int)
            or not cfg["min_duration_minutes"] <= duration <= cfg["max_duration_minutes"]):
        raise ValidationFailed("服务时长应为%d到%d分钟的整数" % (cfg["min_duration_minutes"], cfg["max_duration_minutes"]),
                               {"duration_minutes": ["超出范围"]})
    phone = data.get("contact_phone")
    if phone is not None and (not isinstance(phone, str) or not _PHONE.match(phone)):
        raise ValidationFailed("联系电话格式不正确", {"contact_phone": ["格式不正确"]})
    task = {
        "source": source, "person_id": person_id, "skill": validate_skill(data.get("skill")),
        "when": when, "duration_minutes": duration, "region": region,
        "location": geo.validate_location(data.get("location"), region, settings=settings),
        "address": _text(data, "address", cfg["address_max_chars"], True),
        "notes": _text(data, "notes", cfg["notes_max_chars"], False),
        "language": _text(data, "language", 20, False),
        "contact_phone": phone, "status": OPEN, "volunteer_id": None, "created_at": now,
    }
    if source == "staff":
        channel = data.get("channel") or _HOTLINE
        if channel not in (_HOTLINE, "walk_in", "visit"):
            raise ValidationFailed("未知的受理渠道", {"channel": ["应为 12385、walk_in 或 visit"]})
        task.update(channel=channel, hotline_ticket=_text(data, "hotline_ticket", 40, False))
    if source == "rehab_escort":
        task["source_ref"] = _text(data, "source_ref", 64, True)
    return task


def check_can_create(actor, task):
    """Who may create a request of this source for this person/region; Forbidden otherwise."""
    actor = actor or {}
    src, kind = task["source"], actor.get("kind")
    if src == "citizen" and kind == "citizen" and task["person_id"] in (actor.get("person_ids") or ()):
        return
    if (src == "staff" and kind == "staff" and set(actor.get("roles") or ()) & set(STAFF_CREATORS)
            and (actor.get("region") == task["region"] or "admin" in actor.get("roles"))):
        return
    if src == "rehab_escort" and kind == "system":
        return
    raise Forbidden("您无权为此人或此地区提交志愿服务需求")


def task_roles(actor, task, volunteer_id=None):
    """The actor's roles relative to ``task``. ``volunteer_id``: the actor's volunteer profile id.

    ``volunteer`` is granted to the assigned volunteer, or (while offering) to any volunteer; the
    offer itself is checked by ``waves.check_offer``.
    """
    actor = actor or {}
    kind, roles = actor.get("kind"), set()
    if kind == "system":
        return {"system"}
    if kind == "staff":
        if actor.get("region") == task.get("region") or "admin" in (actor.get("roles") or ()):
            roles |= set(actor.get("roles") or ())
        return roles
    if kind == "citizen":
        if task.get("person_id") in (actor.get("person_ids") or ()):
            roles.add("requester")
        if volunteer_id and (volunteer_id == task.get("volunteer_id")
                             or (task.get("status") == OFFERING and not task.get("volunteer_id"))):
            roles.add("volunteer")
    return roles


def transition_task(task, action, roles, now, reason=None):
    """Check ``(status, action)`` against the table → audit dict ``{from, to, action, reason, at, role}``.

    Conflict(ILLEGAL_TRANSITION) if not allowed from the current state, Forbidden if no role fits;
    ``cancel`` by staff, ``release`` and ``reopen`` need a reason.
    """
    state = task.get("status")
    rule = TASK_TRANSITIONS.get((state, action))
    if rule is None:
        raise Conflict("任务当前状态（%s）不允许此操作：%s" % (state, action),
                       {"status": state, "action": action}, code="ILLEGAL_TRANSITION")
    to, allowed = rule
    role = next((r for r in allowed if r in set(roles or ())), None)
    if role is None:
        raise Forbidden("您无权对该任务进行此操作")
    if action in ("release", "reopen", "assign") or (action == "cancel" and role in COORD):
        if not (reason or "").strip():
            raise ValidationFailed("请填写原因", {"reason": ["必填"]})
    return {"from": state, "to": to, "action": action, "reason": reason, "at": now, "role": role}

