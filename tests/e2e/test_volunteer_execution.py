"""Doing the task on the running stack: on the way, check-in/out with the injected clock, credited
minutes and hours (floored, overtime capped), two-sided ratings, and complaints (three upheld →
suspended pending review; reinstating resets the count)."""
import datetime as dt

from services.common.clock import set_offset
from tests.e2e.test_volunteer_support import (COORDINATOR, REGION, citizen, error_code, get, near, offer_for,
                                              post, fresh, register_many, request_body, spot)

MIN = 60


def accepted_task(api, token, person, vol_token, here, hours, duration):
    r = post(api, "/volunteer/requests", token, request_body(person, here, hours=hours, duration=duration))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = post(api, "/volunteer/offers/%s/accept" % offer_for(api, vol_token, rid)["id"], vol_token)
    assert r.status_code == 200, r.text
    return rid, dt.datetime.fromisoformat(r.json()["when"])


def test_hours_stars_and_two_sided_ratings(api, stack):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(4)
    [(vol, vid)] = register_many(api, [near(here, km_north=1)], coord)
    token, me = citizen(api, "服务对象")
    person = me["person"]["id"]
    t1, when1 = accepted_task(api, token, person, vol, here, hours=24, duration=60)
    t2, when2 = accepted_task(api, token, person, vol, here, hours=48, duration=120)
    now = dt.datetime.now(dt.timezone.utc)

    r = post(api, "/volunteer/tasks/%s/check-out" % t1, vol)  # bad input: not checked in
    assert r.status_code == 409 and error_code(r) == "NOT_CHECKED_IN"
    assert get(api, "/volunteer/requests/%s" % t1, vol).json()["status"] == "accepted"
    r = post(api, "/volunteer/tasks/%s/check-in" % t1, vol)
    assert r.status_code == 422 and error_code(r) == "TOO_EARLY"
    try:
        set_offset(stack.clock_file, (when1 - now).total_seconds() - 45 * MIN)
        vol, token = fresh(api, vol), fresh(api, token)  # tokens expire on the moved clock
        r = post(api, "/volunteer/tasks/%s/set-out" % t1, vol)
        assert r.status_code == 200 and r.json()["on_the_way_at"], r.text
        assert post(api, "/volunteer/tasks/%s/check-in" % t1, vol).json()["status"] == "in_progress"
        set_offset(stack.clock_file, (when1 - now).total_seconds() + 200 * MIN)  # forgot to check out
        vol, token = fresh(api, vol), fresh(api, token)
        done = post(api, "/volunteer/tasks/%s/check-out" % t1, vol).json()
        assert done["status"] == "completed" and done["credited_minutes"] == 180  # 60 + 120 allowance
        set_offset(stack.clock_file, (when2 - now).total_seconds())
        vol, token = fresh(api, vol), fresh(api, token)
        assert post(api, "/volunteer/tasks/%s/check-in" % t2, vol).status_code == 200
        set_offset(stack.clock_file, (when2 - now).total_seconds() + 95 * MIN + 50)
        vol, token = fresh(api, vol), fresh(api, token)
        assert post(api, "/volunteer/tasks/%s/check-out" % t2, vol).json()["credited_minutes"] == 95
        citizen_view = get(api, "/volunteer/requests/%s" % t2, token).json()
        assert citizen_view["status"] == "completed" and "phone" not in citizen_view["volunteer"]
        profile = get(api, "/volunteers/me", vol).json()
        assert profile["logged_minutes"] == 275 and profile["service_hours"]["hours"] == 4.5
        assert profile["service_hours"]["stars"] == 0 and profile["service_hours"]["minutes_to_next"] == 6000 - 275
        assert profile["active_tasks"] == 0 and profile["completed_count"] == 2

        assert post(api, "/volunteer/tasks/%s/rate" % t1, token, {"stars": 4, "comment": "很耐心"}).status_code == 200
        assert post(api, "/volunteer/tasks/%s/rate" % t2, token, {"stars": 5}).status_code == 200
        r = post(api, "/volunteer/tasks/%s/rate" % t2, vol, {"stars": 5})
        assert r.status_code == 200 and r.json()["rater"] == "volunteer"
        r = post(api, "/volunteer/tasks/%s/rate" % t2, token, {"stars": 1})
        assert r.status_code == 409 and error_code(r) == "ALREADY_RATED"
        assert post(api, "/volunteer/tasks/%s/rate" % t1, token, {"stars": 6}).status_code == 400
    finally:
        set_offset(stack.clock_file, 0)
    profile = get(api, "/volunteers/me", vol).json()
    assert profile["rating"] == {"average": 4.5, "count": 2}
    ratings = get(api, "/volunteer/requests/%s" % t2, token).json()["ratings"]
    assert ratings["by_citizen"]["stars"] == 5 and ratings["by_volunteer"]["stars"] == 5


def test_three_upheld_complaints_suspend_pending_review(api):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(5)
    [(vol, vid)] = register_many(api, [near(here, km_north=1)], coord)
    token, me = citizen(api, "投诉人")
    person = me["person"]["id"]
    tasks = [accepted_task(api, token, person, vol, here, hours=24 + 6 * i, duration=60)[0] for i in range(4)]

    def complain_and_decide(task_id, action):
        r = post(api, "/volunteer/tasks/%s/complain" % task_id, token, {"reason": "志愿者迟到一个小时以上"})
        assert r.status_code == 201 and r.json()["against"] == "volunteer", r.text
        r = post(api, "/admin/volunteer/complaints/%s/decide" % r.json()["id"], coord,
                 {"action": action, "reason": "核实情况属实" if action == "uphold" else "证据不足"})
        assert r.status_code == 200, r.text
        return r.json()

    assert complain_and_decide(tasks[0], "uphold")["volunteer_status"] == "active"
    assert complain_and_decide(tasks[1], "dismiss")["volunteer_upheld_since_review"] == 1
    assert complain_and_decide(tasks[2], "uphold")["volunteer_status"] == "active"
    third = complain_and_decide(tasks[3], "uphold")
    assert third["volunteer_status"] == "suspended" and third["volunteer_upheld_since_review"] == 3
    profile = get(api, "/volunteers/me", vol).json()
    assert profile["status"] == "suspended" and "3次投诉" in profile["status_reason"]
    # suspended volunteers get no offers
    rid = post(api, "/volunteer/requests", token, request_body(person, here, hours=80)).json()["id"]
    assert offer_for(api, vol, rid) is None
    # a decided complaint cannot be decided again; the review reinstates and resets the count
    r = post(api, "/admin/volunteers/%s/reinstate" % vid, coord, {"reason": "复核后恢复"})
    assert r.status_code == 200 and r.json()["status"] == "active"
    trail = [e["action"] for e in api.get("/admin/audit", token=coord, params={"entity": vid}).json()["items"]]
    assert trail == ["register", "verify", "suspend", "reinstate"]
    r = post(api, "/admin/volunteers/%s/reinstate" % vid, coord, {"reason": "再次"})
    assert r.status_code == 409 and error_code(r) == "ILLEGAL_TRANSITION"
    other_region = api.staff(COORDINATOR, "500113")
    assert post(api, "/admin/volunteers/%s/suspend" % vid, other_region, {"reason": "越权"}).status_code == 403
