"""Service hours (服务时长) and star levels (星级志愿者).

Rounding rule: the credited time of one task is the elapsed time between check-in and check-out
rounded DOWN to whole minutes (seconds are dropped), capped at ``duration_minutes +
execution.overtime_allowance_minutes`` so a forgotten check-out cannot inflate hours. Totals are
stored as integer minutes; hours are shown floored to one decimal (599 min → 9.9 h). Star levels
use the total minutes against ``star_levels_hours`` × 60: 100 h ★, 300 h ★★, 600 h ★★★,
1000 h ★★★★, 1500 h ★★★★★ (exactly 6000 min is ★).
"""
from services.common.errors import Conflict, ValidationFailed
from services.volunteer.settings import load_settings, section


def elapsed_minutes(check_in_at, check_out_at):
    """Whole minutes between two aware datetimes (floored); check-out before check-in → Conflict."""
    if check_in_at is None or check_out_at is None:
        raise ValidationFailed("缺少签到或签退时间")
    if check_in_at.tzinfo is None or check_out_at.tzinfo is None:
        raise ValidationFailed("签到、签退时间必须带时区")
    seconds = (check_out_at - check_in_at).total_seconds()
    if seconds < 0:
        raise Conflict("签退时间不能早于签到时间", {"check_in_at": check_in_at.isoformat(),
                                               "check_out_at": check_out_at.isoformat()},
                       code="CHECKOUT_BEFORE_CHECKIN")
    return int(seconds // 60)


def credited_minutes(check_in_at, check_out_at, duration_minutes, region=None, settings=None):
    """Minutes credited for one task: ``min(elapsed, duration + overtime allowance)``."""
    allowance = section("execution", region, settings)["overtime_allowance_minutes"]
    return min(elapsed_minutes(check_in_at, check_out_at), int(duration_minutes) + int(allowance))


def hours_display(total_minutes):
    """Integer minutes → hours floored to one decimal (float)."""
    return (int(total_minutes) * 10 // 60) / 10


def star_level(total_minutes, settings=None):
    """``{"stars": 0-5, "hours": float, "next_stars": int|None, "minutes_to_next": int|None}``."""
    if isinstance(total_minutes, bool) or not isinstance(total_minutes, int) or total_minutes < 0:
        raise ValidationFailed("服务时长应为非负整数（分钟）")
    thresholds = [h * 60 for h in (settings or load_settings())["star_levels_hours"]]
    stars = sum(1 for t in thresholds if total_minutes >= t)
    nxt = thresholds[stars] if stars < len(thresholds) else None
    return {"stars": stars, "hours": hours_display(total_minutes),
            "next_stars": stars + 1 if nxt is not None else None,
            "minutes_to_next": nxt - total_minutes if nxt is not None else None}


def stars_reached(before_minutes, after_minutes, settings=None):
    """The new star level if adding hours crossed a threshold (for a recognition event), else None."""
    before = star_level(before_minutes, settings)["stars"]
    after = star_level(after_minutes, settings)["stars"]
    return after if after > before else None
