"""Weekly schedules (排班模板) expanded into concrete slots (号源), and closing a slot.

A template is {service, weekday 1-7 (Monday=1), start "HH:MM" Asia/Shanghai, duration_minutes,
capacity, valid_from?, valid_to?}. Slots are stored in UTC with a deterministic id
``{institution}:{service}:{start UTC ISO}`` so regenerating a range is idempotent: the store
inserts only the slots that do not exist yet (store.insert_slots) and never resets the counters of an existing slot.
"""
import datetime as dt
import math

from services.common.clock import SHANGHAI
from services.common.errors import Forbidden, Conflict, ValidationFailed
from services.rehab_booking import catalogue, institution as inst_mod
from services.rehab_booking.util import (ROLE_ADMIN, ROLE_COUNTY_DPF, ROLE_INSTITUTION_STAFF,
                                         actor_roles, iso_utc, parse_hhmm, utc)

OPEN, CLOSED = "open", "closed"
MAX_DURATION_MINUTES = 8 * 60
MAX_CAPACITY = 200
MAX_RANGE_DAYS = 92


def _date(value, field):
    if isinstance(value, dt.datetime):
        raise ValidationFailed("日期格式不正确", {field: ["应为日期"]})
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed("日期格式不正确", {field: ["应为 YYYY-MM-DD"]})


def validate_template(template, institution):
    """Check one weekly template against the institution (service offered, opening hours)."""
    if not isinstance(template, dict):
        raise ValidationFailed("排班模板格式不正确")
    service = catalogue.validate_service(template.get("service"))
    if service not in institution.get("services", ()):
        raise ValidationFailed("机构未开设此项服务", {"service": [service]})
    weekday = template.get("weekday")
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 1 <= weekday <= 7:
        raise ValidationFailed("星期应为1到7", {"weekday": ["应为1到7的整数"]})
    start = parse_hhmm(template.get("start"))
    duration = template.get("duration_minutes")
    if not isinstance(duration, int) or isinstance(duration, bool) \
            or not 5 <= duration <= MAX_DURATION_MINUTES:
        raise ValidationFailed("时长应为5到480分钟", {"duration_minutes": ["超出范围"]})
    capacity = template.get("capacity")
    if not isinstance(capacity, int) or isinstance(capacity, bool) \
            or not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationFailed("名额应为1到200", {"capacity": ["超出范围"]})
    end_dt = dt.datetime.combine(dt.date(2000, 1, 3), start) + dt.timedelta(minutes=duration)
    if end_dt.date() != dt.date(2000, 1, 3):
        raise ValidationFailed("时段不能跨越午夜", {"start": ["跨越午夜"]})
    if catalogue.service_mode(service) == "onsite" and not inst_mod.within_opening_hours(
            institution, weekday, start, end_dt.time()):
        raise ValidationFailed("时段不在机构营业时间内", {"start": ["不在营业时间内"]})
    out = {"service": service, "weekday": weekday, "start": start.strftime("%H:%M"),
           "duration_minutes": duration, "capacity": capacity}
    for key in ("valid_from", "valid_to"):
        if template.get(key) is not None:
            out[key] = _date(template[key], key).isoformat()
    if out.get("valid_from") and out.get("valid_to") and out["valid_from"] > out["valid_to"]:
        raise ValidationFailed("模板的生效日期应早于失效日期", {"valid_to": ["早于生效日期"]})
    return out


def slot_id(institution_id, service, start):
    """Deterministic slot id: ``{institution}:{service}:{start UTC ISO}``."""
    return "%s:%s:%s" % (institution_id, service, iso_utc(start))


def priority_reserved(capacity, share):
    """Places held for priority groups: floor(capacity × share) (so capacity 1 reserves none)."""
    return int(math.floor(capacity * share + 1e-9))


def _overlaps_any(start, end, closures):
    return any(start < utc(c_end) and utc(c_start) < end for c_start, c_end in closures)


def expand_slots(institution, templates, date_from, date_to, policy, holidays=(), closures=(),
                 now=None):
    """Concrete slots for local dates date_from..date_to inclusive.

    Skips local dates in ``holidays`` (a set of dates: public holidays and whole-day closures),
    slots overlapping a ``closures`` interval ((start, end) aware datetimes), dates outside a
    template's valid_from/valid_to, and — when ``now`` is given — slots starting at or before
    ``now``. Only an admitted institution gets slots. Returns slot docs sorted by start:
    {_id, institution_id, region, service, start, end, duration_minutes, capacity,
     priority_reserved, booked: 0, general_booked: 0, priority_booked: 0, status: "open"}.
    """
    inst_mod.ensure_bookable(institution)
    date_from, date_to = _date(date_from, "from"), _date(date_to, "to")
    if date_to < date_from:
        raise ValidationFailed("结束日期应不早于开始日期", {"to": ["早于开始日期"]})
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise ValidationFailed("一次最多生成92天的号源", {"to": ["范围过大"]})
    templates = [validate_template(t, institution) for t in templates]
    holidays = {_date(h, "holidays") for h in holidays}
    now = utc(now) if now is not None else None
    slots = {}
    day = date_from
    while day <= date_to:
        if day not in holidays:
            for t in templates:
                if t["weekday"] != day.isoweekday():
                    continue
                if t.get("valid_from") and day.isoformat() < t["valid_from"]:
                    continue
                if t.get("valid_to") and day.isoformat() > t["valid_to"]:
                    continue
                start = dt.datetime.combine(day, parse_hhmm(t["start"]), SHANGHAI)
                start = utc(start)
                end = start + dt.timedelta(minutes=t["duration_minutes"])
                if now is not None and start <= now:
                    continue
                if _overlaps_any(start, end, closures):
                    continue
                sid = slot_id(institution["id"], t["service"], start)
                if sid in slots:
                    raise ValidationFailed("两个模板生成了同一时段", {"templates": [sid]})
                slots[sid] = {
                    "_id": sid, "institution_id": institution["id"],
                    "region": institution["region"], "service": t["service"],
                    "start": start, "end": end, "duration_minutes": t["duration_minutes"],
                    "capacity": t["capacity"],
                    "priority_reserved": priority_reserved(t["capacity"],
                                                           policy.priority_reserved_share),
                    "booked": 0, "general_booked": 0, "priority_booked": 0, "status": OPEN,
                }
        day += dt.timedelta(days=1)
    return sorted(slots.values(), key=lambda s: (s["start"], s["_id"]))


def can_manage_institution(actor, institution):
    """Institution staff of that institution, or county 残联 / admin of its region."""
    roles = actor_roles(actor)
    actor = actor or {}
    if ROLE_INSTITUTION_STAFF in roles and actor.get("institution_id") == institution.get("id"):
        return True
    return bool(roles & {ROLE_ADMIN, ROLE_COUNTY_DPF}) and actor.get("region") == institution.get(
        "region")


def close_slot(slot, institution, actor, now, reason):
    """Decide closing an open, not yet ended slot. Returns {filter, update, from, to, reason, at}.

    The bookings it orphans are decided by orphaning.orphans_for_closed_slot.
    """
    now = utc(now)
    if not can_manage_institution(actor, institution):
        raise Forbidden("只能管理本机构的号源")
    if slot.get("status") != OPEN:
        raise Conflict("该时段已关闭", {"slot_id": slot.get("_id")}, code="ILLEGAL_TRANSITION")
    if utc(slot["end"], "end") <= now:
        raise Conflict("该时段已结束，不能关闭", {"slot_id": slot.get("_id")},
                       code="SLOT_IN_PAST")
    if not (reason or "").strip():
        raise ValidationFailed("关闭时段需要说明原因", {"reason": ["必填"]})
    return {"filter": {"_id": slot["_id"], "status": OPEN},
            "update": {"$set": {"status": CLOSED, "closed_at": now, "closed_reason": reason}},
            "from": OPEN, "to": CLOSED, "action": "close", "reason": reason, "at": now}


def slots_to_close_for_removed_institution(institution_id, now):
    """Filter for the store: every open future slot of a removed institution."""
    return {"institution_id": institution_id, "status": OPEN, "start": {"$gt": utc(now)}}
