import datetime as dt

import pytest

from services.common.errors import Conflict, ValidationFailed
from services.volunteer import hours

T0 = dt.datetime(2026, 6, 2, 1, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("seconds,minutes", [(0, 0), (59, 0), (60, 1), (90 * 60 + 59, 90), (7200, 120)])
def test_elapsed_minutes_round_down(seconds, minutes):
    assert hours.elapsed_minutes(T0, T0 + dt.timedelta(seconds=seconds)) == minutes


def test_check_out_before_check_in_is_refused():
    with pytest.raises(Conflict) as e:
        hours.elapsed_minutes(T0, T0 - dt.timedelta(seconds=1))
    assert e.value.code == "CHECKOUT_BEFORE_CHECKIN"


def test_naive_times_are_refused():
    with pytest.raises(ValidationFailed):
        hours.elapsed_minutes(T0.replace(tzinfo=None), T0.replace(tzinfo=None))


def test_credit_is_capped_at_duration_plus_overtime_allowance():
    # 120 planned + 120 allowance; the volunteer forgot to check out for 10 hours
    assert hours.credited_minutes(T0, T0 + dt.timedelta(hours=10), 120) == 240
    assert hours.credited_minutes(T0, T0 + dt.timedelta(minutes=130), 120) == 130


@pytest.mark.parametrize("minutes,stars,to_next", [
    (0, 0, 6000), (5999, 0, 1), (6000, 1, 12000), (17999, 1, 1), (18000, 2, 18000),
    (36000, 3, 24000), (59999, 3, 1), (60000, 4, 30000), (90000, 5, None), (500000, 5, None),
])
def test_star_levels(minutes, stars, to_next):
    level = hours.star_level(minutes)
    assert level["stars"] == stars
    assert level["minutes_to_next"] == to_next


def test_hours_are_floored_to_one_decimal():
    assert hours.star_level(599)["hours"] == 9.9
    assert hours.star_level(6000)["hours"] == 100.0
    assert hours.hours_display(5) == 0.0


@pytest.mark.parametrize("bad", [-1, 1.5, "60", None, True])
def test_star_level_bad_input(bad):
    with pytest.raises(ValidationFailed):
        hours.star_level(bad)


def test_stars_reached_only_when_a_threshold_is_crossed():
    assert hours.stars_reached(5990, 6010) == 1
    assert hours.stars_reached(6010, 6100) is None
    assert hours.stars_reached(0, 90000) == 5
