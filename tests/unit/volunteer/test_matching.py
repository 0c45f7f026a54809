import datetime as dt

import pytest

from services.common.clock import SHANGHAI
from services.common.errors import Forbidden, ValidationFailed
from services.volunteer import matching

from .factories import make_task, make_volunteer

UTC = dt.timezone.utc


def at(y, m, d, hh, mm, ss=0):
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI).astimezone(UTC)


MON_9_12 = [{"weekday": 1, "start": "09:00", "end": "12:00"}]


@pytest.mark.parametrize("availability,when,minutes,ok", [
    (MON_9_12, at(2026, 6, 1, 9, 0), 180, True),
    (MON_9_12, at(2026, 6, 1, 9, 0), 181, False),       # runs past the window
    (MON_9_12, at(2026, 6, 1, 8, 59), 60, False),
    (MON_9_12, at(2026, 6, 1, 11, 59, 30), 1, False),   # ends 12:00:30, past 12:00
    (MON_9_12, at(2026, 6, 1, 11, 58, 30), 1, True),    # ends 11:59:30
    (MON_9_12, at(2026, 6, 8, 10, 0), 60, True),        # any Monday
    (MON_9_12, at(2026, 6, 2, 10, 0), 60, False),       # Tuesday
    # 01:00 UTC Monday is 09:00 Shanghai Monday; 23:00 UTC Sunday is 07:00 Monday local
    (MON_9_12, dt.datetime(2026, 6, 1, 1, 0, tzinfo=UTC), 60, True),
    (MON_9_12, dt.datetime(2026, 5, 31, 23, 0, tzinfo=UTC), 60, False),
    (MON_9_12 + [{"weekday": 1, "start": "12:00", "end": "14:00"}], at(2026, 6, 1, 11, 0), 120, True),
    ([{"weekday": 7, "start": "22:00", "end": "24:00"}, {"weekday": 1, "start": "00:00", "end": "02:00"}],
     at(2026, 6, 7, 23, 0), 120, True),                 # Sunday night into Monday
    ([{"weekday": 7, "start": "22:00", "end": "24:00"}], at(2026, 6, 7, 23, 0), 120, False),
    ([], at(2026, 6, 1, 9, 0), 30, False),
])
def test_availability_covers_the_whole_duration_in_shanghai_time(availability, when, minutes, ok):
    assert matching.is_available(availability, when, minutes) is ok


def test_hard_filters_and_their_reasons():
    task = make_task()
    vols = [
        make_volunteer("ok", km=1),
        make_volunteer("pending", status="pending"),
        make_volunteer("suspended", status="suspended"),
        make_volunteer("no_skill", skills=["tutoring"]),
        make_volunteer("away", km=10.5),
        make_volunteer("busy_day", availability=[{"weekday": 3, "start": "08:00", "end": "12:00"}]),
        make_volunteer("me", person_id="p1"),
        make_volunteer("declined"),
        make_volunteer("busy"),
    ]
    result = matching.rank_candidates(task, vols, {"excluded_ids": ["declined"], "busy_ids": {"busy"}})
    assert [c["volunteer_id"] for c in result["ranked"]] == ["ok"]
    assert result["filtered_out"] == {"not_active": 2, "skill": 1, "distance": 1, "availability": 1,
                                      "self": 1, "excluded": 1, "busy": 1}


def test_region_override_widens_the_radius_in_harbin():
    harbin = {"lat": 45.80, "lng": 126.53}
    task = make_task(region="230100", location=harbin)
    far = make_volunteer("far", location={"lat": 45.80 + 15 / 111.195, "lng": 126.53}, home_region="230100")
    assert [c["volunteer_id"] for c in matching.rank_candidates(task, [far])["ranked"]] == ["far"]


def ids(result):
    return [c["volunteer_id"] for c in result["ranked"]]


def test_nearer_wins_when_all_else_is_equal():
    vols = [make_volunteer("c", km=6), make_volunteer("a", km=1), make_volunteer("b", km=3)]
    assert ids(matching.rank_candidates(make_task(), vols)) == ["a", "b", "c"]


def test_score_formula_by_hand():
    v = make_volunteer("a", km=2, rating_sum=45, rating_count=10)    # mean 4.5
    ranked = matching.rank_candidates(make_task(), [v], {"recent_load": {"a": 2}, "completed_together": {"a": 1}})
    c = ranked["ranked"][0]
    r_bar = (45 + 4.0 * 5) / (10 + 5)
    expected = (0.35 * (1 - c["distance_km"] / 10) + 0.15 * 1.0 + 0.20 * (r_bar - 1) / 4
                + 0.15 * (1 - 2 / 8) + 0.15 * 0.6)
    assert c["score"] == pytest.approx(expected, abs=1e-5)
    assert c["distance_km"] == pytest.approx(2, abs=0.01)


def test_each_factor_moves_the_order():
    base = dict(km=2)
    # rating: a proven 5.0 beats an unrated newcomer at the same distance
    r = matching.rank_candidates(make_task(), [make_volunteer("new", **base),
                                               make_volunteer("good", rating_sum=100, rating_count=20, **base)])
    assert ids(r) == ["good", "new"]
    # load: the volunteer with fewer recent tasks goes first
    r = matching.rank_candidates(make_task(), [make_volunteer("tired", **base), make_volunteer("fresh", **base)],
                                 {"recent_load": {"tired": 6}})
    assert ids(r) == ["fresh", "tired"]
    # continuity: pair > earlier task together > stranger, even a little farther away
    r = matching.rank_candidates(make_task(), [make_volunteer("stranger", km=1), make_volunteer("before", km=2),
                                               make_volunteer("pair", km=3)],
                                 {"pair_volunteer_ids": ["pair"], "completed_together": {"before": 2}})
    assert ids(r) == ["pair", "before", "stranger"]
    # language/dialect: the one who speaks the requested dialect wins
    r = matching.rank_candidates(make_task(language="重庆话"),
                                 [make_volunteer("mandarin", **base), make_volunteer("local", languages=["重庆话"], **base)])
    assert ids(r) == ["local", "mandarin"]


def test_newcomer_is_neutral_not_punished():
    newcomer = matching.rank_candidates(make_task(), [make_volunteer("n")])["ranked"][0]["components"]["rating"]
    assert newcomer == pytest.approx(0.75)
    one_bad = matching.rank_candidates(make_task(), [make_volunteer("n", rating_sum=1, rating_count=1)])
    assert one_bad["ranked"][0]["components"]["rating"] > 0.5     # one 1★ does not sink anyone


def test_ties_are_broken_by_id_and_order_is_deterministic():
    vols = [make_volunteer(x, km=2) for x in ("v3", "v1", "v2")]
    first = ids(matching.rank_candidates(make_task(), vols))
    assert first == ["v1", "v2", "v3"]
    assert ids(matching.rank_candidates(make_task(), list(reversed(vols)))) == first


def test_declines_and_timeouts_change_nothing_but_exclusion():
    vols = [make_volunteer("a", km=1), make_volunteer("b", km=2), make_volunteer("c", km=3)]
    before = {c["volunteer_id"]: c["score"] for c in matching.rank_candidates(make_task(), vols)["ranked"]}
    # "a" declined this task: only "a" disappears; the others' scores are unchanged
    after = matching.rank_candidates(make_task(), vols, {"excluded_ids": ["a"]})
    assert {c["volunteer_id"]: c["score"] for c in after["ranked"]} == {k: before[k] for k in ("b", "c")}
    # and for the next task "a" is back with the same score
    again = matching.rank_candidates(make_task(id="t2"), vols)
    assert again["ranked"][0]["volunteer_id"] == "a" and again["ranked"][0]["score"] == before["a"]


PAIR = {"person_id": "p1", "volunteer_id": "paired", "status": "active", "skills": ["escort"], "since": "2025-01-01"}


def test_pair_for_routes_to_the_paired_volunteer_even_if_far():
    far_pair = make_volunteer("paired", km=25)
    vols = {"paired": far_pair, "near": make_volunteer("near")}
    assert matching.pair_for(make_task(), [PAIR], vols) == "paired"


@pytest.mark.parametrize("change", [
    {"pair": {"status": "ended"}}, {"pair": {"person_id": "p9"}}, {"pair": {"skills": ["tutoring"]}},
    {"volunteer": {"status": "suspended"}}, {"volunteer": {"availability": []}},
    {"volunteer": {"skills": ["tutoring"]}},
])
def test_pair_does_not_apply(change):
    pair = dict(PAIR, **change.get("pair", {}))
    vol = make_volunteer("paired", **change.get("volunteer", {}))
    assert matching.pair_for(make_task(), [pair], {"paired": vol}) is None


def test_pair_without_skill_list_covers_any_skill_and_earliest_pair_wins():
    pairs = [dict(PAIR, volunteer_id="late", since="2025-06-01", skills=None),
             dict(PAIR, volunteer_id="early", since="2024-06-01", skills=None)]
    vols = {"late": make_volunteer("late"), "early": make_volunteer("early")}
    assert matching.pair_for(make_task(), pairs, vols) == "early"
    assert matching.pair_for(make_task(), pairs, vols, {"excluded_ids": ["early"]}) == "late"


def test_busy_means_an_overlapping_accepted_task():
    task = make_task(id="t1")                          # Tue 09:00–11:00 local
    others = [make_task(id="x", volunteer_id="a", status="accepted", when=task["when"] + dt.timedelta(minutes=119)),
              make_task(id="y", volunteer_id="b", status="accepted", when=task["when"] + dt.timedelta(minutes=120)),
              make_task(id="z", volunteer_id="c", status="cancelled", when=task["when"]),
              make_task(id="w", volunteer_id="d", status="in_progress", when=task["when"] - dt.timedelta(minutes=30))]
    assert matching.busy_volunteer_ids(task, others) == {"a", "d"}


def test_recent_load_counts_the_last_30_days_only():
    now = dt.datetime(2026, 6, 1, tzinfo=UTC)
    load = matching.recent_load({"a": [now - dt.timedelta(days=d) for d in (1, 29, 31)], "b": []}, now)
    assert load == {"a": 2, "b": 0}


def test_new_pair():
    v = make_volunteer("v1", skills=["escort", "daily_care"])
    pair = matching.new_pair("p1", v, ["escort"], {"volunteer_coordinator"}, "2026-06-01")
    assert pair["status"] == "active" and pair["volunteer_id"] == "v1"
    assert matching.pair_for(make_task(), [pair], {"v1": v}) == "v1"
    with pytest.raises(Forbidden):
        matching.new_pair("p1", v, None, {"requester"}, "2026-06-01")
    with pytest.raises(ValidationFailed):
        matching.new_pair("p1", v, ["driving"], {"admin"}, "2026-06-01")
    with pytest.raises(ValidationFailed):
        matching.new_pair("p1", dict(v, status="pending"), None, {"admin"}, "2026-06-01")
