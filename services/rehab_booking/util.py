"""Small pure helpers shared by the rehab booking modules: time, actors, distance."""
import datetime as dt
import math
import re

from services.common.clock import SHANGHAI, UTC, as_utc
from services.common.errors import ValidationFailed

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

ROLE_CITIZEN = "citizen"
ROLE_INSTITUTION_STAFF = "institution_staff"
ROLE_ADMIN = "admin"
ROLE_COUNTY_DPF = "county_dpf"
ROLE_SYSTEM = "system"           # sweeps (hold expiry, offer deadlines) and cascades (orphaning)


def utc(value, field="now"):
    """An aware UTC datetime; a naive one (as pymongo returns) is taken as UTC."""
    if not isinstance(value, dt.datetime):
        raise ValidationFailed("时间格式不正确", {field: ["应为日期时间"]})
    return as_utc(value).astimezone(UTC)


def parse_hhmm(text, field="start"):
    """'08:30' -> datetime.time(8, 30); ValidationFailed otherwise."""
    m = _HHMM.match(text or "") if isinstance(text, str) else None
    if not m:
        raise ValidationFailed("时间应为 HH:MM 格式", {field: ["格式不正确：%r" % (text,)]})
    return dt.time(int(m.group(1)), int(m.group(2)))


def local(value):
    """UTC -> Asia/Shanghai aware datetime."""
    return utc(value).astimezone(SHANGHAI)


def iso_utc(value):
    """Stable UTC text used in ids: 2025-03-03T01:00:00Z."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(value):
    """ISO 8601 with the +08:00 offset, for payloads people read."""
    return local(value).isoformat() if value is not None else None


def actor_roles(actor):
    """The booking roles an actor dict (docs/CONVENTIONS-domain.md) may act in."""
    actor = actor or {}
    kind = actor.get("kind")
    if kind == "system":
        return {ROLE_SYSTEM}
    if kind == "citizen":
        return {ROLE_CITIZEN}
    if kind == "staff":
        return set(actor.get("roles") or ()) & {ROLE_INSTITUTION_STAFF, ROLE_ADMIN, ROLE_COUNTY_DPF}
    return set()


def haversine_km(a, b):
    """Great-circle distance in km between {lat, lng} dicts; None if either is missing."""
    if not a or not b:
        return None
    lat1, lng1, lat2, lng2 = map(math.radians, (a["lat"], a["lng"], b["lat"], b["lng"]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))
