"""Matching volunteers to a task (精准对接): hard filters, then a deterministic score.

Hard filters (a candidate failing any is left out, counted under the reason):
``not_active`` (status ≠ active), ``self`` (the volunteer is the person being helped),
``excluded`` (already offered this task and declined or let it time out, or released it),
``busy`` (holds an accepted task overlapping in time: the store supplies ``busy_ids``),
``skill`` (lacks the requested skill), ``availability`` (no weekly window in Asia/Shanghai
covers the whole [when, when + duration)), ``distance`` (haversine home → task > max radius).

Score (all components in [0, 1], weights from ``matching.weights`` in config/volunteer.yml)::

    score = w_distance·D + w_skill·S + w_rating·R + w_load·L + w_continuity·C
    D = 1 − d / max_radius_km                         (d = haversine km, home → task)
    S = 1.0 if the task names no language/dialect or the volunteer lists it, else 0.5
    R = (r̄ − 1) / 4,  r̄ = (rating_sum + m·k) / (rating_count + k)   (Bayesian mean, m=4.0, k=5)
    L = 1 − min(n, load_cap) / load_cap               (n = tasks *accepted* in the last 30 days)
    C = 1.0 active pair (结对) with this person, 0.6 an earlier completed task together, else 0

The total is rounded to 6 decimals; ties go to the shorter distance, then the smaller volunteer id,
so the order is fully deterministic. Declines and offer timeouts are never inputs: they only put
the volunteer in ``excluded_ids`` for *this* task. Recent load counts accepted work only, so
saying no does not lower anyone's standing, and the Bayesian prior keeps a newcomer with no
ratings at a neutral 0.75 rather than 0 or 1.
"""
import datetime as dt

from services.common.clock import SHANGHAI
from services.common.errors import Forbidden, ValidationFailed
from services.volunteer import geo
from services.volunteer.profile import ACTIVE, COORDINATORS, minutes_of_day, validate_skill
from services.volunteer.settings import section

WEEK = 7 * 1440


def _week_intervals(availability):
    """Weekly windows → merged [start, end) minute-of-week intervals, wrapped once past Sunday."""
    spans = []
    for w in availability or ():
        base = (w["weekday"] - 1) * 1440
        s, e = minutes_of_day(w["start"]), minutes_of_day(w["end"], allow_24=True)
        spans += [(base + s, base + e), (base + s + WEEK, base + e + WEEK)]
    merged = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def is_available(availability, when, duration_minutes):
    """True if the weekly windows (Asia/Shanghai) cover the whole task time.

    Adjacent windows join (Mon 09:00–12:00 + Mon 12:00–14:00 covers 11:00–13:00), and a window
    ending "24:00" joins the next day's "00:00" one.
    """
    local = when.astimezone(SHANGHAI)
    t0 = (local.isoweekday() - 1) * 1440 + local.hour * 60 + local.minute  # floor to the minute
    t1 = t0 + int(duration_minutes) + (1 if local.second or local.microsecond else 0)  # ceil
    return any(s <= t0 and t1 <= e for s, e in _week_intervals(availability))


def bayesian_rating(volunteer, cfg):
    k, m = cfg["rating_prior_weight"], cfg["rating_prior_mean"]
    return (volunteer.get("rating_sum", 0) + m * k) / (volunteer.get("rating_count", 0) + k)


def components(task, volunteer, distance_km, context, cfg):
    """The five score components of one candidate (each in [0, 1])."""
    lang = task.get("language")
    continuity = cfg["continuity"]
    vid = volunteer["id"]
    if vid in set(context.get("pair_volunteer_ids") or ()):
        c = continuity["pair"]
    elif (context.get("completed_together") or {}).get(vid, 0) > 0:
        c = continuity["earlier_task"]
    else:
        c = 0.0
    n = (context.get("recent_load") or {}).get(vid, 0)
    return {
        "distance": max(0.0, 1 - distance_km / cfg["max_radius_km"]),
        "skill": 1.0 if not lang or lang in (volunteer.get("languages") or ()) else 0.5,
        "rating": (bayesian_rating(volunteer, cfg) - 1) / 4,
        "load": 1 - min(n, cfg["load_cap"]) / cfg["load_cap"],
        "continuity": c,
    }


def score(parts, cfg):
    w = cfg["weights"]
    return round(sum(w[k] * parts[k] for k in ("distance", "skill", "rating", "load", "continuity")), 6)


def filter_reason(task, volunteer, context, cfg, check_distance=True):
    """Why ``volunteer`` cannot take ``task`` (a reason code), or None if they pass, plus distance."""
    distance = geo.haversine_km(volunteer["location"], task["location"])
    if volunteer.get("status") != ACTIVE:
        return "not_active", distance
    if volunteer.get("person_id") and volunteer.get("person_id") == task.get("person_id"):
        return "self", distance
    if volunteer["id"] in set(context.get("excluded_ids") or ()):
        return "excluded", distance
    if volunteer["id"] in set(context.get("busy_ids") or ()):
        return "busy", distance
    if task["skill"] not in (volunteer.get("skills") or ()):
        return "skill", distance
    if not is_available(volunteer.get("availability"), task["when"], task["duration_minutes"]):
        return "availability", distance
    if check_distance and distance > cfg["max_radius_km"]:
        return "distance", distance
    return None, distance


def rank_candidates(task, volunteers, context=None, settings=None):
    """Filter and rank → ``{"ranked": [...], "filtered_out": {reason: count}}``.

    ``volunteers``: profile dicts (``id, status, person_id, skills, languages, availability,
    location, rating_sum, rating_count``). ``context``: ``recent_load {vid: n}``,
    ``completed_together {vid: n}``, ``pair_volunteer_ids``, ``excluded_ids``, ``busy_ids``.
    Each ranked item: ``{"volunteer_id", "score", "distance_km", "components"}``, best first.
    """
    context = context or {}
    cfg = section("matching", task.get("region"), settings)
    ranked, out = [], {}
    for v in volunteers:
        reason, distance = filter_reason(task, v, context, cfg)
        if reason:
            out[reason] = out.get(reason, 0) + 1
            continue
        parts = components(task, v, distance, context, cfg)
        ranked.append({"volunteer_id": v["id"], "score": score(parts, cfg),
                       "distance_km": round(distance, 3), "components": parts})
    ranked.sort(key=lambda c: (-c["score"], c["distance_km"], c["volunteer_id"]))
    return {"ranked": ranked, "filtered_out": out}


def pair_for(task, pairs, volunteers_by_id, context=None, settings=None):
    """The paired volunteer (结对) to offer first, or None.

    A pair ``{person_id, volunteer_id, status: "active", skills: [...] | None}`` applies when it
    is active, is for this person, covers the skill (``skills`` None = any), and the volunteer
    passes every hard filter except distance (the pair has agreed to travel). Several pairs →
    the earliest ``since``, then the smaller volunteer id.
    """
    context = context or {}
    cfg = section("matching", task.get("region"), settings)
    fitting = []
    for p in pairs or ():
        if p.get("status") != "active" or p.get("person_id") != task.get("person_id"):
            continue
        if p.get("skills") and task["skill"] not in p["skills"]:
            continue
        v = volunteers_by_id.get(p.get("volunteer_id"))
        if v and filter_reason(task, v, context, cfg, check_distance=False)[0] is None:
            fitting.append((str(p.get("since") or ""), v["id"]))
    return min(fitting)[1] if fitting else None


def busy_volunteer_ids(task, their_tasks):
    """Volunteers holding an accepted/in-progress task whose time overlaps ``task``'s.

    ``their_tasks``: tasks of the candidate volunteers (``volunteer_id, status, when,
    duration_minutes``), e.g. the store's query for accepted tasks on the same day.
    """
    start = task["when"]
    end = start + dt.timedelta(minutes=task["duration_minutes"])
    busy = set()
    for t in their_tasks or ():
        if t.get("id") == task.get("id") or t.get("status") not in ("accepted", "in_progress"):
            continue
        t_end = t["when"] + dt.timedelta(minutes=t["duration_minutes"])
        if t["when"] < end and start < t_end:
            busy.add(t["volunteer_id"])
    return busy


def recent_load(accepted_at_by_volunteer, now, region=None, settings=None):
    """``{volunteer_id: [accepted_at, ...]}`` → ``{volunteer_id: n}`` within ``recent_load_days``.

    Only acceptances count: declines, timeouts and cancellations by the citizen are not load.
    """
    days = section("matching", region, settings)["recent_load_days"]
    since = now - dt.timedelta(days=days)
    return {vid: sum(1 for at in ats if since <= at <= now) for vid, ats in accepted_at_by_volunteer.items()}


def new_pair(person_id, volunteer, skills, roles, now):
    """A coordinator pairs a volunteer with a person (结对): → pair document (status ``active``).

    ``skills`` None = any skill the volunteer has. The volunteer must be active.
    """
    if not set(roles or ()) & set(COORDINATORS):
        raise Forbidden("只有志愿服务协调员可以建立结对")
    if not isinstance(person_id, str) or not person_id:
        raise ValidationFailed("请指明结对的残疾人", {"person_id": ["必填"]})
    if volunteer.get("status") != ACTIVE:
        raise ValidationFailed("只能与在岗志愿者结对", {"volunteer_id": ["志愿者未在岗"]})
    if skills is not None:
        skills = [validate_skill(s, "skills") for s in skills]
        missing = [s for s in skills if s not in (volunteer.get("skills") or ())]
        if not skills or missing:
            raise ValidationFailed("结对技能须为该志愿者具备的技能", {"skills": missing or ["至少一项"]})
    return {"person_id": person_id, "volunteer_id": volunteer["id"], "skills": skills,
            "status": "active", "since": now}
