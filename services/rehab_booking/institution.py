"""Designated rehab institutions (定点康复机构): record validation, designation state machine,
accessibility attributes and opening hours.

Designation (定点资格): admitted (准入) → suspended (暂停) → admitted again, or removed (退出,
final) from either — seed 001 L47 「定点准入、协定管理、动态退出」. Only admitted institutions are
bookable. Suspension stops new bookings and keeps existing ones (staff may close slots to orphan
them); removal orphans every future booking (see orphaning.py).
"""
import re

from services.common import regions
from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.rehab_booking import catalogue
from services.rehab_booking.util import (ROLE_ADMIN, ROLE_COUNTY_DPF, actor_roles, parse_hhmm,
                                         utc)

ADMITTED, SUSPENDED, REMOVED = "admitted", "suspended", "removed"
DESIGNATION_STATES = (ADMITTED, SUSPENDED, REMOVED)

# (state, action) -> (next state, roles allowed). County 残联 manages designation.
DESIGNATION_TRANSITIONS = {
    (ADMITTED, "suspend"): (SUSPENDED, {ROLE_COUNTY_DPF, ROLE_ADMIN}),
    (SUSPENDED, "reinstate"): (ADMITTED, {ROLE_COUNTY_DPF, ROLE_ADMIN}),
    (ADMITTED, "remove"): (REMOVED, {ROLE_COUNTY_DPF, ROLE_ADMIN}),
    (SUSPENDED, "remove"): (REMOVED, {ROLE_COUNTY_DPF, ROLE_ADMIN}),
}

# 无障碍设施: 无台阶/坡道, 无障碍卫生间, 手语服务, 盲文标识, 无障碍停车位, 无障碍电梯
ACCESSIBILITY_ATTRIBUTES = {
    "step_free": "无台阶或坡道通行",
    "accessible_toilet": "无障碍卫生间",
    "sign_language": "手语服务",
    "braille": "盲文标识",
    "parking": "无障碍停车位",
    "lift": "无障碍电梯",
}

_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")   # no ':' — it separates the parts of a slot id


def validate_opening_hours(hours, field="opening_hours"):
    """{weekday 1-7 (str or int): [["08:30", "11:30"], ...]} -> same with str keys, sorted.

    Periods must have start < end and not overlap within a day. Missing weekdays are closed.
    """
    if hours is None:
        return {}
    if not isinstance(hours, dict):
        raise ValidationFailed("营业时间格式不正确", {field: ["应为按星期的时间段"]})
    out = {}
    for day, periods in hours.items():
        if str(day) not in {str(d) for d in range(1, 8)}:
            raise ValidationFailed("星期应为1到7", {field: ["未知的星期：%r" % (day,)]})
        if not isinstance(periods, (list, tuple)):
            raise ValidationFailed("营业时间格式不正确", {field: ["星期%s应为时间段列表" % day]})
        parsed = []
        for p in periods:
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise ValidationFailed("营业时间段应为[开始, 结束]", {field: [repr(p)]})
            a, b = parse_hhmm(p[0], field), parse_hhmm(p[1], field)
            if a >= b:
                raise ValidationFailed("营业时间段的开始应早于结束", {field: [repr(p)]})
            parsed.append((a, b))
        parsed.sort()
        for (a1, b1), (a2, b2) in zip(parsed, parsed[1:]):
            if a2 < b1:
                raise ValidationFailed("营业时间段不能重叠", {field: ["星期%s" % day]})
        out[str(day)] = [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in parsed]
    return out


def validate_accessibility(attrs, field="accessibility"):
    """{attribute: bool} over ACCESSIBILITY_ATTRIBUTES; absent attributes are False."""
    attrs = attrs or {}
    if not isinstance(attrs, dict):
        raise ValidationFailed("无障碍信息格式不正确", {field: ["应为键值对"]})
    unknown = sorted(set(attrs) - set(ACCESSIBILITY_ATTRIBUTES))
    if unknown:
        raise ValidationFailed("未知的无障碍设施：%s" % ",".join(unknown), {field: unknown})
    if any(not isinstance(v, bool) for v in attrs.values()):
        raise ValidationFailed("无障碍设施应为是或否", {field: ["应为布尔值"]})
    return {k: bool(attrs.get(k, False)) for k in ACCESSIBILITY_ATTRIBUTES}


def validate_location(loc, field="location"):
    try:
        lat, lng = float(loc["lat"]), float(loc["lng"])
    except (TypeError, KeyError, ValueError):
        raise ValidationFailed("位置应包含经纬度", {field: ["需要 lat 和 lng"]})
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationFailed("经纬度超出范围", {field: ["超出范围"]})
    return {"lat": lat, "lng": lng}


def validate_institution(record):
    """Check an institution record and return it normalised (designation defaults to admitted).

    Fields: id, name, region, address, location {lat, lng}, services [codes], accessibility
    {attr: bool}, opening_hours {weekday: [[start, end]]}, phone?, agreement_no?, designation?.
    """
    if not isinstance(record, dict):
        raise ValidationFailed("机构信息格式不正确")
    errors = {}
    inst_id = record.get("id")
    if not isinstance(inst_id, str) or not _ID.match(inst_id):
        errors["id"] = ["应为1到64位字母、数字、下划线或连字符"]
    name = (record.get("name") or "").strip() if isinstance(record.get("name"), str) else ""
    if not name:
        errors["name"] = ["必填"]
    address = (record.get("address") or "").strip() if isinstance(record.get("address"), str) else ""
    if not address:
        errors["address"] = ["必填"]
    designation = record.get("designation", ADMITTED)
    if designation not in DESIGNATION_STATES:
        errors["designation"] = ["应为 admitted、suspended 或 removed"]
    if errors:
        raise ValidationFailed("机构信息不完整或有误", errors)
    out = {
        "id": inst_id, "name": name, "address": address,
        "region": regions.validate(record.get("region")),
        "location": validate_location(record.get("location")),
        "services": catalogue.validate_services(record.get("services")),
        "accessibility": validate_accessibility(record.get("accessibility")),
        "opening_hours": validate_opening_hours(record.get("opening_hours")),
        "designation": designation,
    }
    for optional in ("phone", "agreement_no"):
        if record.get(optional) is not None:
            out[optional] = str(record[optional]).strip()
    return out


def is_bookable(institution):
    return institution.get("designation") == ADMITTED


def ensure_bookable(institution, service=None):
    """Raise RuleRefused unless the institution is admitted (and offers ``service``)."""
    if not is_bookable(institution):
        raise RuleRefused("该机构目前不是定点康复机构，暂不能预约",
                          {"institution_id": institution.get("id"),
                           "designation": institution.get("designation")},
                          code="INSTITUTION_NOT_BOOKABLE")
    if service is not None and service not in institution.get("services", ()):
        raise RuleRefused("该机构不提供此项服务", {"service": service},
                          code="SERVICE_NOT_OFFERED")


def within_opening_hours(institution, weekday, start, end):
    """True if [start, end) (datetime.time, same day) fits in one opening period of ``weekday``.

    An institution with no opening hours recorded is not restricted.
    """
    hours = institution.get("opening_hours") or {}
    if not hours:
        return True
    for a, b in hours.get(str(weekday), ()):
        if parse_hhmm(a) <= start and end <= parse_hhmm(b):
            return True
    return False


def designation_transition(institution, action, actor, now, reason=None):
    """Decide a designation change. Returns {from, to, action, reason, at, filter, update}.

    ``filter``/``update`` are the conditional update for the store ({"_id", "designation": from}).
    Illegal action -> Conflict ILLEGAL_TRANSITION; wrong role or region -> Forbidden;
    suspend/remove need a reason.
    """
    now = utc(now)
    current = institution.get("designation")
    step = DESIGNATION_TRANSITIONS.get((current, action))
    if step is None:
        raise Conflict("机构当前状态（%s）不允许此操作（%s）" % (current, action),
                       {"from": current, "action": action}, code="ILLEGAL_TRANSITION")
    target, roles = step
    if not actor_roles(actor) & roles:
        raise Forbidden("只有区县残联可以调整定点机构资格")
    if (actor or {}).get("region") != institution.get("region"):
        raise Forbidden("只能管理本地区的定点机构")
    if action in ("suspend", "remove") and not (reason or "").strip():
        raise ValidationFailed("暂停或取消定点资格需要说明原因", {"reason": ["必填"]})
    return {
        "from": current, "to": target, "action": action, "reason": reason, "at": now,
        "filter": {"_id": institution["id"], "designation": current},
        "update": {"$set": {"designation": target, "designation_changed_at": now,
                            "designation_reason": reason}},
    }
