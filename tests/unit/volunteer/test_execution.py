import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.volunteer import events, execution, profile

from .factories import NOW, TASK_AT, apply_update, make_task, make_volunteer

UTC = dt.timezone.utc
WHEN = TASK_AT.astimezone(UTC)
MIN = dt.timedelta(minutes=1)
VOL = {"volunteer"}


def accepted():
    return make_task(status="accepted", volunteer_id="v1")


def test_check_in_window_and_role():
    with pytest.raises(RuleRefused) as e:
        execution.check_in(accepted(), VOL, WHEN - 61 * MIN)
    assert e.value.code == "TOO_EARLY"
    d = execution.check_in(accepted(), VOL, WHEN - 60 * MIN)
    assert d["set"]["status"] == "in_progress" and d["guard"] == {"status": "accepted", "volunteer_id": "v1"}
    with pytest.raises(Forbidden):
        execution.check_in(accepted(), {"requester"}, WHEN)


def test_on_the_way_notifies_the_citizen():
    task = accepted()
    d = execution.set_out(task, VOL, WHEN - 30 * MIN)
    apply_update(task, d["guard"], d["set"])
    name, payload = events.task_on_the_way(task, "李小明")
    assert name == "volunteer.task_on_the_way" and payload["notify"] == [{"person_id": "p1"}]
    assert payload["volunteer_name_masked"] == "李**" and "address" not in payload


def test_check_out_before_check_in_is_a_conflict():
    with pytest.raises(Conflict) as e:
        execution.check_out(accepted(), VOL, WHEN + 60 * MIN)
    assert e.value.code == "NOT_CHECKED_IN"
    task = make_task(status="in_progress", volunteer_id="v1", checked_in_at=WHEN)
    with pytest.raises(Conflict) as e:
        execution.check_out(task, {"volunteer_coordinator"}, WHEN + 60 * MIN, check_out_at=WHEN - MIN)
    assert e.value.code == "CHECKOUT_BEFORE_CHECKIN"


def test_check_out_credits_minutes():
    task = make_task(status="in_progress", volunteer_id="v1", checked_in_at=WHEN)
    d = execution.check_out(task, VOL, WHEN + dt.timedelta(minutes=95, seconds=50))
    assert d["set"]["credited_minutes"] == 95 and d["volunteer_inc"] == {"logged_minutes": 95}
    assert d["set"]["status"] == "completed"
    apply_update(task, d["guard"], d["set"])
    name, payload = events.task_completed(task)
    assert name == "volunteer.task_completed" and payload["credited_minutes"] == 95


def done():
    return make_task(status="completed", volunteer_id="v1", checked_in_at=WHEN, checked_out_at=WHEN + 90 * MIN)


def test_two_sided_ratings():
    task = done()
    c = execution.rate(task, "citizen", {"requester"}, 5, WHEN + dt.timedelta(days=1), comment="很耐心")
    assert c["volunteer_inc"] == {"rating_sum": 5, "rating_count": 1}
    assert apply_update(task, c["guard"], c["set"])
    assert not apply_update(task, c["guard"], c["set"]), "the guard stops a second rating"
    with pytest.raises(Conflict) as e:
        execution.rate(task, "citizen", {"requester"}, 4, WHEN + dt.timedelta(days=1))
    assert e.value.code == "ALREADY_RATED"
    v = execution.rate(task, "volunteer", VOL, 4, WHEN + dt.timedelta(days=1))
    assert "volunteer_inc" not in v and apply_update(task, v["guard"], v["set"])
    assert task["ratings"]["by_citizen"]["stars"] == 5 and task["ratings"]["by_volunteer"]["stars"] == 4


@pytest.mark.parametrize("kw,err", [
    ({"stars": 0}, ValidationFailed), ({"stars": 6}, ValidationFailed), ({"stars": 4.5}, ValidationFailed),
    ({"stars": True}, ValidationFailed), ({"rater": "staff"}, ValidationFailed),
    ({"roles": {"volunteer"}}, Forbidden), ({"comment": "x" * 201}, ValidationFailed),
    ({"days": 15}, RuleRefused), ({"task": "accepted"}, Conflict),
])
def test_bad_ratings(kw, err):
    task = done() if kw.get("task") is None else make_task(status=kw["task"], volunteer_id="v1")
    with pytest.raises(err):
        execution.rate(task, kw.get("rater", "citizen"), kw.get("roles", {"requester"}), kw.get("stars", 5),
                       WHEN + dt.timedelta(days=kw.get("days", 1)), comment=kw.get("comment"))


COORD = {"volunteer_coordinator"}


def complain(vol, n, action="uphold"):
    """File and decide one complaint against ``vol``; return the suspension audit if due."""
    c = execution.new_complaint(done(), {"requester"}, "服务态度很差，迟到一小时", NOW + dt.timedelta(days=1))
    assert c["against"] == "volunteer" and c["status"] == "open"
    d = execution.decide_complaint(c, action, COORD, NOW + dt.timedelta(days=2), reason="核实情况 %d" % n)
    for k, inc in d.get("volunteer_inc", {}).items():
        vol[k] = vol.get(k, 0) + inc
    return execution.suspension_due(vol, NOW + dt.timedelta(days=2))


def test_three_upheld_complaints_suspend_pending_review():
    vol = make_volunteer("v1")
    assert complain(vol, 1) is None
    assert complain(vol, 2, "dismiss") is None          # dismissed ones do not count
    assert complain(vol, 3) is None
    audit = complain(vol, 4)
    assert audit["to"] == "suspended" and audit["role"] == "system" and "3次投诉" in audit["reason"]
    apply_update(vol, {"status": "active"}, {"status": audit["to"]})
    name, payload = events.volunteer_suspended(dict(vol, id="v1"), audit["reason"])
    assert payload["upheld_complaints"] == 3
    # review: reinstated, counter reset; the next upheld complaint alone does not suspend again
    reset = profile.transition_volunteer(vol, "reinstate", COORD, NOW)["reset"]
    vol.update(status="active", **reset)
    assert complain(vol, 5) is None and vol["upheld_complaints"] == 4


def test_complaint_rules():
    with pytest.raises(Forbidden):
        execution.new_complaint(done(), {"volunteer_coordinator"}, "原因写清楚了", NOW)
    with pytest.raises(Conflict):
        execution.new_complaint(make_task(status="offering"), {"requester"}, "原因写清楚了", NOW)
    with pytest.raises(ValidationFailed):
        execution.new_complaint(done(), {"requester"}, "差", NOW)
    with pytest.raises(RuleRefused):
        execution.new_complaint(done(), {"requester"}, "原因写清楚了", WHEN + dt.timedelta(days=31))
    by_volunteer = execution.new_complaint(done(), VOL, "家属言语辱骂志愿者", NOW)
    assert by_volunteer["against"] == "citizen"
    d = execution.decide_complaint(by_volunteer, "uphold", COORD, NOW, reason="属实")
    assert "volunteer_inc" not in d                     # never counts against the volunteer
    c = execution.new_complaint(done(), {"requester"}, "原因写清楚了", NOW)
    with pytest.raises(Forbidden):
        execution.decide_complaint(c, "uphold", {"requester"}, NOW, reason="x")
    with pytest.raises(ValidationFailed):
        execution.decide_complaint(c, "uphold", COORD, NOW)
    with pytest.raises(Conflict):
        execution.decide_complaint(dict(c, status="upheld"), "dismiss", COORD, NOW, reason="x")
