import datetime as dt

import pytest

from services.common.errors import ValidationFailed
from services.certificate import workdays

UTC = dt.timezone.utc
D = dt.date


@pytest.mark.parametrize("day,n,expected", [
    (D(2024, 6, 3), 0, D(2024, 6, 3)),   # Monday
    (D(2024, 6, 3), 1, D(2024, 6, 4)),
    (D(2024, 6, 7), 1, D(2024, 6, 10)),  # Friday -> Monday
    (D(2024, 6, 8), 1, D(2024, 6, 10)),  # Saturday -> Monday
    (D(2024, 6, 3), 5, D(2024, 6, 10)),
    (D(2024, 6, 3), 10, D(2024, 6, 17)),
])
def test_add_working_days_skips_weekends(day, n, expected):
    assert workdays.add_working_days(day, n) == expected


def test_holidays_and_make_up_days():
    holidays = {D(2024, 6, 10)}           # 端午节
    makeup = {D(2024, 6, 8)}              # a worked Saturday
    assert workdays.add_working_days(D(2024, 6, 7), 1, holidays, makeup) == D(2024, 6, 8)
    assert workdays.add_working_days(D(2024, 6, 8), 1, holidays, makeup) == D(2024, 6, 11)
    assert not workdays.is_working_day(D(2024, 6, 10), holidays)
    with pytest.raises(ValidationFailed):
        workdays.add_working_days(D(2024, 6, 3), -1)


@pytest.mark.parametrize("approved,expected", [
    # Monday 10:00 Shanghai -> Tue..Mon, issue from Tuesday
    (dt.datetime(2024, 6, 3, 2, tzinfo=UTC), ("2024-06-04", "2024-06-10", "2024-06-11")),
    # Friday 23:30 Shanghai (15:30 UTC) is still Friday there
    (dt.datetime(2024, 6, 7, 15, 30, tzinfo=UTC), ("2024-06-10", "2024-06-14", "2024-06-15")),
    # Friday 16:30 UTC is Saturday 00:30 in Shanghai
    (dt.datetime(2024, 6, 7, 16, 30, tzinfo=UTC), ("2024-06-10", "2024-06-14", "2024-06-15")),
    # Sunday approval
    (dt.datetime(2024, 6, 9, 2, tzinfo=UTC), ("2024-06-10", "2024-06-14", "2024-06-15")),
    # Thursday 16:30 UTC is Friday in Shanghai: the notice starts Monday
    (dt.datetime(2024, 6, 6, 16, 30, tzinfo=UTC), ("2024-06-10", "2024-06-14", "2024-06-15")),
])
def test_notice_period_in_shanghai_time(approved, expected):
    notice = workdays.notice_period(approved, 5)
    assert tuple(notice[k].isoformat() for k in ("starts_on", "ends_on", "issue_from")) == expected


def test_notice_elapsed_at_shanghai_midnight():
    notice = workdays.notice_period(dt.datetime(2024, 6, 3, 2, tzinfo=UTC), 5)
    assert not workdays.notice_elapsed(notice, dt.datetime(2024, 6, 10, 15, 59, 59, tzinfo=UTC))
    assert workdays.notice_elapsed(notice, dt.datetime(2024, 6, 10, 16, 0, tzinfo=UTC))


def test_notice_needs_an_aware_time_and_a_positive_length():
    with pytest.raises(ValidationFailed):
        workdays.notice_period(dt.datetime(2024, 6, 3, 2), 5)
    with pytest.raises(ValidationFailed):
        workdays.notice_period(dt.datetime(2024, 6, 3, 2, tzinfo=UTC), 0)
