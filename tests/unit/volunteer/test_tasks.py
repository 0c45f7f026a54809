import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.volunteer import tasks
from services.volunteer.tasks import TASK_TRANSITIONS

from .factories import HOME, NOW, make_task

REQ = {"person_id": "p1", "skill": "escort", "when": "2026-06-02T09:00:00+08:00", "duration_minutes": 120,
       "region": "500113", "location": dict(HOME), "address": "巴南区龙洲湾街道某小区3栋", "notes": "轮椅",
       "contact_phone": "13800138000"}


def test_valid_request_becomes_open_task():
    t = tasks.validate_request(dict(REQ), NOW)
    assert t["status"] == "open" and t["volunteer_id"] is None
    assert t["when"] == dt.datetime(2026, 6, 2, 1, 0, tzinfo=dt.timezone.utc)
    assert t["source"] == "citizen" and t["address"].startswith("巴南区")


@pytest.mark.parametrize("field,value,fragment", [
    ("skill", "cooking", "不支持的服务技能"),
    ("when", "2026-06-01T08:10:00+08:00", "至少在30分钟之后"),     # 10 minutes ahead
    ("when", "2026-05-01T09:00:00+08:00", "至少在30分钟之后"),     # past
    ("when", "2026-06-02T09:00:00", "时区"),
    ("when", "tomorrow", "ISO 8601"),
    ("when", "2026-12-01T09:00:00+08:00", "最多可提前90天"),
    ("duration_minutes", 10, "服务时长"),
    ("duration_minutes", 481, "服务时长"),
    ("duration_minutes", True, "服务时长"),
    ("duration_minutes", "60", "服务时长"),
    ("region", "999999", "行政区划"),
    ("location", {"lat": 45.8, "lng": 126.5}, "哈尔滨市"),
    ("location", {"lat": 0, "lng": 0}, "不在本平台服务的地区范围内"),
    ("address", "  ", "服务地址"),
    ("address", "x" * 201, "过长"),
    ("notes", "x" * 501, "备注"),
    ("contact_phone", "12345", "联系电话"),
    ("person_id", None, "为谁申请"),
])
def test_bad_requests(field, value, fragment):
    with pytest.raises(ValidationFailed) as e:
        tasks.validate_request(dict(REQ, **{field: value}), NOW)
    assert fragment in e.value.message


def test_sources():
    staff = tasks.validate_request(dict(REQ, hotline_ticket="HL-1"), NOW, source="staff")
    assert staff["channel"] == "12385" and staff["hotline_ticket"] == "HL-1"
    escort = tasks.validate_request(dict(REQ, source_ref="booking-9"), NOW, source="rehab_escort")
    assert escort["source_ref"] == "booking-9"
    with pytest.raises(ValidationFailed):
        tasks.validate_request(dict(REQ), NOW, source="rehab_escort")       # no booking id
    with pytest.raises(ValidationFailed):
        tasks.validate_request(dict(REQ), NOW, source="weibo")


def test_who_may_create():
    t = tasks.validate_request(dict(REQ), NOW)
    tasks.check_can_create({"kind": "citizen", "person_ids": ["p1"]}, t)
    with pytest.raises(Forbidden):
        tasks.check_can_create({"kind": "citizen", "person_ids": ["p2"]}, t)
    s = tasks.validate_request(dict(REQ), NOW, source="staff")
    tasks.check_can_create({"kind": "staff", "roles": ["street_officer"], "region": "500113"}, s)
    with pytest.raises(Forbidden):
        tasks.check_can_create({"kind": "staff", "roles": ["street_officer"], "region": "230100"}, s)
    with pytest.raises(Forbidden):
        tasks.check_can_create({"kind": "staff", "roles": ["auditor"], "region": "500113"}, s)


ALL_STATES = ("open", "offering", "accepted", "in_progress", "completed", "cancelled", "unmatched")
ACTIONS = sorted({a for _, a in TASK_TRANSITIONS})


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_table_is_the_only_way(state, action):
    task = make_task(status=state, volunteer_id="v1")
    roles = {"system", "volunteer", "requester", "volunteer_coordinator"}
    if (state, action) in TASK_TRANSITIONS:
        audit = tasks.transition_task(task, action, roles, NOW, reason="原因")
        assert audit["to"] == TASK_TRANSITIONS[(state, action)][0] and audit["from"] == state
    else:
        with pytest.raises(Conflict) as e:
            tasks.transition_task(task, action, roles, NOW, reason="原因")
        assert e.value.code == "ILLEGAL_TRANSITION"


def test_terminal_states_have_no_way_out():
    assert not [k for k in TASK_TRANSITIONS if k[0] in ("completed", "cancelled")]


def test_roles_are_relative_to_the_task():
    t = make_task(status="accepted", volunteer_id="v1")
    assert tasks.task_roles({"kind": "citizen", "person_ids": ["p1"]}, t) == {"requester"}
    assert tasks.task_roles({"kind": "citizen", "person_ids": ["x"]}, t, volunteer_id="v1") == {"volunteer"}
    assert tasks.task_roles({"kind": "citizen", "person_ids": ["x"]}, t, volunteer_id="v2") == set()
    assert tasks.task_roles({"kind": "staff", "roles": ["volunteer_coordinator"], "region": "230100"}, t) == set()
    with pytest.raises(Forbidden):
        tasks.transition_task(t, "check_in", tasks.task_roles({"kind": "citizen", "person_ids": ["p1"]}, t), NOW)


def test_coordinator_cancel_and_release_need_a_reason():
    with pytest.raises(ValidationFailed):
        tasks.transition_task(make_task(status="accepted"), "cancel", {"volunteer_coordinator"}, NOW)
    with pytest.raises(ValidationFailed):
        tasks.transition_task(make_task(status="accepted"), "release", {"volunteer"}, NOW)
    assert tasks.transition_task(make_task(status="accepted"), "cancel", {"requester"}, NOW)["to"] == "cancelled"
