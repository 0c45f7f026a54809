import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.rehab_booking import institution as inst_mod, schedule

from .factories import NOW, local_dt, make_institution, make_policy, make_slot, staff


# ---- institutions ---------------------------------------------------------------------------

def test_validate_institution_normalises():
    rec = make_institution(opening_hours={1: [["13:30", "17:00"], ["08:30", "11:30"]]})
    out = inst_mod.validate_institution(rec)
    assert out["opening_hours"] == {"1": [["08:30", "11:30"], ["13:30", "17:00"]]}
    assert out["accessibility"]["step_free"] is True and out["accessibility"]["braille"] is False
    assert set(out["accessibility"]) == set(inst_mod.ACCESSIBILITY_ATTRIBUTES)
    assert out["designation"] == "admitted"


@pytest.mark.parametrize("over", [
    {"id": "a:b"}, {"name": ""}, {"region": "110000"}, {"services": ["massage"]},
    {"services": []}, {"location": {"lat": 200, "lng": 1}}, {"location": None},
    {"accessibility": {"wifi": True}}, {"accessibility": {"lift": "yes"}},
    {"opening_hours": {"8": [["08:00", "09:00"]]}},
    {"opening_hours": {"1": [["09:00", "08:00"]]}},
    {"opening_hours": {"1": [["08:00", "10:00"], ["09:00", "11:00"]]}},
    {"opening_hours": {"1": [["8:00", "10:00"]]}}, {"designation": "pending"},
])
def test_invalid_institution_refused(over):
    with pytest.raises(ValidationFailed):
        inst_mod.validate_institution(make_institution(**over))


@pytest.mark.parametrize("state,bookable", [("admitted", True), ("suspended", False),
                                            ("removed", False)])
def test_only_admitted_bookable(state, bookable):
    inst = make_institution(designation=state)
    assert inst_mod.is_bookable(inst) is bookable
    if not bookable:
        with pytest.raises(RuleRefused) as e:
            inst_mod.ensure_bookable(inst)
        assert e.value.code == "INSTITUTION_NOT_BOOKABLE"


def test_service_not_offered():
    with pytest.raises(RuleRefused) as e:
        inst_mod.ensure_bookable(make_institution(), "online_session")
    assert e.value.code == "SERVICE_NOT_OFFERED"


@pytest.mark.parametrize("state,action,to", [
    ("admitted", "suspend", "suspended"), ("suspended", "reinstate", "admitted"),
    ("admitted", "remove", "removed"), ("suspended", "remove", "removed")])
def test_designation_transitions(state, action, to):
    tr = inst_mod.designation_transition(make_institution(designation=state), action,
                                         staff("county_dpf"), NOW, reason="协议到期")
    assert (tr["from"], tr["to"]) == (state, to)
    assert tr["filter"] == {"_id": "inst-banan-1", "designation": state}
    assert tr["update"]["$set"]["designation"] == to


@pytest.mark.parametrize("state,action", [("removed", "reinstate"), ("removed", "suspend"),
                                          ("admitted", "reinstate"), ("admitted", "admit")])
def test_illegal_designation_transition(state, action):
    with pytest.raises(Conflict) as e:
        inst_mod.designation_transition(make_institution(designation=state), action,
                                        staff("county_dpf"), NOW, reason="x")
    assert e.value.code == "ILLEGAL_TRANSITION"


def test_designation_needs_county_role_region_and_reason():
    inst = make_institution()
    with pytest.raises(Forbidden):
        inst_mod.designation_transition(inst, "suspend", staff("institution_staff"), NOW, "x")
    with pytest.raises(Forbidden):
        inst_mod.designation_transition(inst, "suspend", staff("county_dpf", region="230100"),
                                        NOW, "x")
    with pytest.raises(ValidationFailed):
        inst_mod.designation_transition(inst, "remove", staff("county_dpf"), NOW, "  ")


# ---- schedules -> slots ---------------------------------------------------------------------

TEMPLATE = {"service": "movement_therapy", "weekday": 1, "start": "09:00",
            "duration_minutes": 60, "capacity": 5}


def test_expand_weekly_template_to_utc_slots(institution):
    policy = make_policy(priority_reserved_share=0.2)
    slots = schedule.expand_slots(institution, [TEMPLATE], "2025-03-03", "2025-03-16", policy)
    assert [s["start"] for s in slots] == [local_dt(2025, 3, 3, 9), local_dt(2025, 3, 10, 9)]
    s = slots[0]
    assert s["start"].utcoffset() == dt.timedelta(0) and s["start"].hour == 1
    assert s["_id"] == "inst-banan-1:movement_therapy:2025-03-03T01:00:00Z"
    assert s["end"] - s["start"] == dt.timedelta(hours=1)
    assert (s["capacity"], s["priority_reserved"], s["booked"], s["status"]) == (5, 1, 0, "open")


def test_regeneration_is_idempotent(institution, policy):
    a = schedule.expand_slots(institution, [TEMPLATE], "2025-03-03", "2025-03-31", policy)
    b = schedule.expand_slots(institution, [TEMPLATE], "2025-03-01", "2025-03-31", policy)
    assert [s["_id"] for s in a] == [s["_id"] for s in b]


def test_holidays_closures_and_past_skipped(institution, policy):
    closure = (local_dt(2025, 3, 17, 8), local_dt(2025, 3, 17, 12))
    slots = schedule.expand_slots(institution, [TEMPLATE], "2025-03-03", "2025-03-24", policy,
                                  holidays=[dt.date(2025, 3, 10)], closures=[closure],
                                  now=local_dt(2025, 3, 3, 10))
    assert [s["start"] for s in slots] == [local_dt(2025, 3, 24, 9)]


def test_template_validity_window(institution, policy):
    t = dict(TEMPLATE, valid_from="2025-03-10", valid_to="2025-03-17")
    slots = schedule.expand_slots(institution, [t], "2025-03-01", "2025-03-31", policy)
    assert [s["start"].date() for s in slots] == [dt.date(2025, 3, 10), dt.date(2025, 3, 17)]


@pytest.mark.parametrize("share,cap,reserved", [(0.2, 1, 0), (0.2, 5, 1), (0.2, 9, 1),
                                                (0.2, 10, 2), (0.0, 10, 0), (0.3, 10, 3)])
def test_priority_reserved_is_floor(share, cap, reserved):
    assert schedule.priority_reserved(cap, share) == reserved


def test_no_reserve_where_policy_has_none(institution):
    slots = schedule.expand_slots(institution, [dict(TEMPLATE, capacity=10)], "2025-03-03",
                                  "2025-03-03", make_policy("230100"))
    assert slots[0]["priority_reserved"] == 0


@pytest.mark.parametrize("over", [
    {"weekday": 0}, {"weekday": 8}, {"weekday": True}, {"start": "25:00"},
    {"duration_minutes": 0}, {"capacity": 0}, {"capacity": 1000}, {"service": "massage"},
    {"service": "online_session"},                      # not offered by this institution
    {"start": "12:00"},                                  # outside opening hours
    {"weekday": 4},                                      # closed on Thursdays
    {"start": "23:30", "duration_minutes": 60},          # crosses midnight
    {"valid_from": "2025-04-01", "valid_to": "2025-03-01"},
])
def test_invalid_template(institution, over):
    with pytest.raises(ValidationFailed):
        schedule.validate_template(dict(TEMPLATE, **over), institution)


def test_home_visits_not_bound_to_opening_hours(institution):
    t = dict(TEMPLATE, service="home_visit", start="18:00")
    assert schedule.validate_template(t, institution)["start"] == "18:00"


def test_duplicate_templates_refused(institution, policy):
    with pytest.raises(ValidationFailed):
        schedule.expand_slots(institution, [TEMPLATE, TEMPLATE], "2025-03-03", "2025-03-03",
                              policy)


def test_suspended_institution_gets_no_slots(policy):
    with pytest.raises(RuleRefused):
        schedule.expand_slots(make_institution(designation="suspended"), [TEMPLATE],
                              "2025-03-03", "2025-03-09", policy)


def test_range_limits(institution, policy):
    with pytest.raises(ValidationFailed):
        schedule.expand_slots(institution, [TEMPLATE], "2025-03-10", "2025-03-03", policy)
    with pytest.raises(ValidationFailed):
        schedule.expand_slots(institution, [TEMPLATE], "2025-01-01", "2025-12-31", policy)


def test_close_slot(institution):
    slot = make_slot()
    d = schedule.close_slot(slot, institution, staff(), NOW, "治疗师病假")
    assert d["filter"] == {"_id": slot["_id"], "status": "open"}
    assert d["update"]["$set"]["status"] == "closed"
    with pytest.raises(Forbidden):
        schedule.close_slot(slot, institution, staff(institution_id="other"), NOW, "x")
    with pytest.raises(Conflict):
        schedule.close_slot(dict(slot, status="closed"), institution, staff(), NOW, "x")
    with pytest.raises(Conflict):
        schedule.close_slot(slot, institution, staff(), slot["end"], "x")
    with pytest.raises(ValidationFailed):
        schedule.close_slot(slot, institution, staff(), NOW, "")
    assert schedule.close_slot(slot, institution, staff("admin"), NOW, "停电")["to"] == "closed"
