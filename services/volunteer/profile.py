"""Volunteer profile (志愿者档案) validation and life cycle (招募注册 → 审核 → 在岗/暂停).

Life cycle table ``VOLUNTEER_TRANSITIONS``: ``(state, action) -> (next_state, roles)``.
Roles are the actor's roles *relative to this volunteer* (see ``volunteer_roles``): ``self`` (the
volunteer's own account), staff roles scoped to the volunteer's home region, and ``system``.
"""
import re

from services.common import regions
from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.volunteer import geo

SKILLS = {
    "sign_language": "手语",
    "legal_aid": "法律援助",
    "escort": "陪同出行",
    "home_repair": "居家维修",
    "tutoring": "学业辅导",
    "psychological_support": "心理支持",
    "driving": "驾车接送",
    "daily_care": "生活照料",
}

PENDING, ACTIVE, SUSPENDED, REJECTED, WITHDRAWN = (
    "pending", "active", "suspended", "rejected", "withdrawn")
COORDINATORS = ("volunteer_coordinator", "admin")

VOLUNTEER_TRANSITIONS = {
    (PENDING, "verify"): (ACTIVE, COORDINATORS),
    (PENDING, "reject"): (REJECTED, COORDINATORS),
    (PENDING, "withdraw"): (WITHDRAWN, ("self",)),
    (ACTIVE, "suspend"): (SUSPENDED, COORDINATORS + ("system",)),
    (ACTIVE, "withdraw"): (WITHDRAWN, ("self",)),
    (SUSPENDED, "reinstate"): (ACTIVE, COORDINATORS),
}

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_LANGUAGES, MAX_WINDOWS = 10, 42


def skill_name(code):
    return SKILLS.get(code, code)


def validate_skill(code, field="skill"):
    if code not in SKILLS:
        raise ValidationFailed("不支持的服务技能：%s（可选：%s）" % (code, "、".join(SKILLS.values())),
                               {field: ["未知的技能"]})
    return code


def validate_skills(values, field="skills"):
    if not isinstance(values, list) or not values:
        raise ValidationFailed("请至少选择一项服务技能", {field: ["至少一项"]})
    out = []
    for v in values:
        validate_skill(v, field)
        if v not in out:
            out.append(v)
    return out


def validate_languages(values, field="languages"):
    """Languages and dialects (普通话, 粤语, 手语…): free text, trimmed, 1–20 chars, de-duplicated."""
    if values is None:
        return []
    if not isinstance(values, list) or len(values) > MAX_LANGUAGES:
        raise ValidationFailed("语言/方言应为列表，最多%d项" % MAX_LANGUAGES, {field: ["格式不正确"]})
    out = []
    for v in values:
        if not isinstance(v, str) or not 1 <= len(v.strip()) <= 20:
            raise ValidationFailed("语言/方言名称应为1到20个字", {field: ["名称不正确"]})
        if v.strip() not in out:
            out.append(v.strip())
    return out


def minutes_of_day(text, field="availability", allow_24=False):
    """"HH:MM" → minutes after midnight; "24:00" only where ``allow_24`` (a window's end)."""
    if allow_24 and text == "24:00":
        return 1440
    m = _HHMM.match(text) if isinstance(text, str) else None
    if not m:
        raise ValidationFailed("时间应为 HH:MM 格式（如 09:30）", {field: ["时间格式不正确"]})
    return int(m.group(1)) * 60 + int(m.group(2))


def validate_availability(values, field="availability"):
    """``[{weekday 1-7, start "HH:MM", end "HH:MM"}]`` → the same, sorted; end must be after start.

    Weekday is ISO (1 = Monday … 7 = Sunday) in Asia/Shanghai; an end of "24:00" means midnight.
    """
    if not isinstance(values, list) or not values or len(values) > MAX_WINDOWS:
        raise ValidationFailed("请至少填写一个可服务时段（最多%d个）" % MAX_WINDOWS, {field: ["时段数量不正确"]})
    out = []
    for w in values:
        if not isinstance(w, dict):
            raise ValidationFailed("可服务时段格式不正确", {field: ["格式不正确"]})
        day = w.get("weekday")
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
            raise ValidationFailed("星期应为1（周一）到7（周日）", {field: ["星期不正确"]})
        start = minutes_of_day(w.get("start"), field)
        end = minutes_of_day(w.get("end"), field, allow_24=True)
        if end <= start:
            raise ValidationFailed("可服务时段的结束时间必须晚于开始时间", {field: ["结束时间早于开始时间"]})
        out.append({"weekday": day, "start": w["start"], "end": w["end"]})
    return sorted(out, key=lambda w: (w["weekday"], w["start"], w["end"]))


def validate_profile(data, settings=None):
    """Registration input → clean profile dict (status ``pending``); ValidationFailed on bad input.

    Returns ``{"skills", "languages", "availability", "home_region", "location", "status"}``.
    The location must lie inside the home region's approximate box (config/volunteer.yml).
    """
    if not isinstance(data, dict):
        raise ValidationFailed("提交的信息有误")
    home = regions.validate(data.get("home_region"), "home_region")
    return {
        "skills": validate_skills(data.get("skills")),
        "languages": validate_languages(data.get("languages")),
        "availability": validate_availability(data.get("availability")),
        "home_region": home,
        "location": geo.validate_location(data.get("location"), home, settings=settings),
        "status": PENDING,
    }


def volunteer_roles(actor, volunteer):
    """The actor's roles relative to ``volunteer``: self, region-scoped staff roles, system."""
    actor = actor or {}
    kind = actor.get("kind")
    if kind == "system":
        return {"system"}
    if kind == "staff":
        if actor.get("region") != volunteer.get("home_region") and "admin" not in actor.get("roles", ()):
            return set()
        return set(actor.get("roles") or ())
    if kind == "citizen" and actor.get("account_id") and actor.get("account_id") == volunteer.get("account_id"):
        return {"self"}
    return set()


def transition_volunteer(volunteer, action, roles, now, reason=None):
    """Apply a life-cycle action → audit dict ``{from, to, action, reason, at, role}``.

    Conflict(ILLEGAL_TRANSITION) when the action is not allowed from the current state,
    Forbidden when none of ``roles`` may do it; ``suspend``/``reject`` need a reason.
    """
    state = volunteer.get("status")
    rule = VOLUNTEER_TRANSITIONS.get((state, action))
    if rule is None:
        raise Conflict("志愿者当前状态（%s）不允许此操作：%s" % (state, action),
                       {"status": state, "action": action}, code="ILLEGAL_TRANSITION")
    to, allowed = rule
    role = next((r for r in allowed if r in set(roles or ())), None)
    if role is None:
        raise Forbidden("您无权对该志愿者进行此操作")
    if action in ("suspend", "reject") and not (reason or "").strip():
        raise ValidationFailed("请填写原因", {"reason": ["必填"]})
    audit = {"from": state, "to": to, "action": action, "reason": reason, "at": now, "role": role}
    if action == "reinstate":
        audit["reset"] = {"upheld_since_review": 0}
    return audit
