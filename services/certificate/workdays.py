"""Working-day (工作日) arithmetic in Asia/Shanghai, for the public-notice period (公示期).

A working day is Monday to Friday, minus optional public holidays (法定节假日), plus optional
make-up working days (调休上班, a Saturday or Sunday that is worked). Both lists come from
config/certificate.yml ``calendar`` and default to empty, i.e. plain "skip Sat/Sun".
"""
import datetime as dt

from services.common.clock import SHANGHAI
from services.common.errors import ValidationFailed


def local_date(now):
    """The Asia/Shanghai calendar date of an aware datetime."""
    if now.tzinfo is None:
        raise ValidationFailed("时间必须带时区", {"now": ["缺少时区"]})
    return now.astimezone(SHANGHAI).date()


def is_working_day(day, holidays=(), makeup_workdays=()):
    if day in makeup_workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def next_working_day(day, holidays=(), makeup_workdays=()):
    """The first working day strictly after ``day``."""
    d = day + dt.timedelta(days=1)
    while not is_working_day(d, holidays, makeup_workdays):
        d += dt.timedelta(days=1)
    return d


def add_working_days(day, n, holidays=(), makeup_workdays=()):
    """The n-th working day after ``day`` (n >= 0; n == 0 returns ``day`` itself)."""
    if n < 0:
        raise ValidationFailed("工作日数不能为负数", {"n": ["必须不小于0"]})
    d = day
    for _ in range(n):
        d = next_working_day(d, holidays, makeup_workdays)
    return d


def notice_period(approved_at, working_days, holidays=(), makeup_workdays=()):
    """The public-notice window opened by an approval at ``approved_at`` (aware datetime).

    The notice runs for ``working_days`` full working days, starting on the first working day
    after the approval date (the approval day itself is a partial day and does not count).
    Returns ``{"starts_on", "ends_on", "issue_from"}`` as dates: ``ends_on`` is the last notice
    day and issuing is allowed from ``issue_from`` (the day after ``ends_on``), 00:00 Shanghai.
    Example: approved Monday 2024-06-03, 5 days -> Tue 06-04 .. Mon 06-10, issue from Tue 06-11.
    """
    if working_days < 1:
        raise ValidationFailed("公示期至少为1个工作日", {"working_days": ["必须不小于1"]})
    starts = next_working_day(local_date(approved_at), holidays, makeup_workdays)
    ends = add_working_days(starts, working_days - 1, holidays, makeup_workdays)
    return {"starts_on": starts, "ends_on": ends, "issue_from": ends + dt.timedelta(days=1)}


def notice_elapsed(notice, now):
    """True once the Shanghai date of ``now`` is on or after ``notice["issue_from"]``."""
    return local_date(now) >= notice["issue_from"]
