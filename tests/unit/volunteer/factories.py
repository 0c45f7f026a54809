"""Factories for the volunteer domain tests. Times are fixed: no wall clock."""
import datetime as dt

from services.common.clock import SHANGHAI

UTC = dt.timezone.utc
# Monday 2026-06-01 08:00 Asia/Shanghai
NOW = dt.datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
TASK_AT = dt.datetime(2026, 6, 2, 9, 0, tzinfo=SHANGHAI)   # Tuesday 09:00 local
HOME = {"lat": 29.45, "lng": 106.55}                           # inside Banan's approximate box


def shift(point, km_north=0.0):
    return {"lat": point["lat"] + km_north / 111.195, "lng": point["lng"]}


def make_volunteer(vid, km=1.0, **kw):
    v = {"id": vid, "status": "active", "person_id": "person-" + vid, "account_id": "acct-" + vid,
         "skills": ["escort"], "languages": ["普通话"], "home_region": "500113",
         "availability": [{"weekday": 2, "start": "08:00", "end": "12:00"}],
         "location": shift(HOME, km), "rating_sum": 0, "rating_count": 0,
         "logged_minutes": 0, "upheld_complaints": 0, "upheld_since_review": 0}
    v.update(kw)
    return v


def make_task(**kw):
    t = {"id": "t1", "source": "citizen", "person_id": "p1", "skill": "escort",
         "when": TASK_AT.astimezone(UTC), "duration_minutes": 120, "region": "500113",
         "location": dict(HOME), "address": "巴南区龙洲湾街道某小区3栋", "contact_phone": "13800138000",
         "notes": "轮椅出行", "language": None, "status": "open", "volunteer_id": None}
    t.update(kw)
    return t


def apply_update(doc, guard, changes):
    """A stand-in for one conditional ``find_one_and_update``: True if it matched and applied."""
    for key, want in guard.items():
        have = doc
        for part in key.split("."):
            have = have.get(part) if isinstance(have, dict) else None
        if have != want:
            return False
    for key, value in changes.items():
        target, parts = doc, key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return True
