import datetime as dt
import json

import pytest

from services.volunteer import events, privacy

from .factories import NOW, make_task

SECRET = ("address", "contact_phone", "location", "notes", "person_id")
OFFER = {"id": "o1", "task_id": "t1", "volunteer_id": "v1", "wave": 1, "status": "pending",
         "expires_at": NOW + dt.timedelta(minutes=10)}


def leaks(view, task):
    text = json.dumps(view, ensure_ascii=False, default=str)
    return [s for s in (task["address"], task["contact_phone"], task["notes"], str(task["location"]["lat"]))
            if s in text]


def test_offer_shows_only_type_time_duration_and_district():
    task = make_task(status="offering")
    view = privacy.offer_view(OFFER, task)
    assert view == {"id": "o1", "request_id": "t1", "skill": "escort", "skill_name": "陪同出行",
                    "when": "2026-06-02T01:00:00+00:00", "duration_minutes": 120, "district": "重庆市巴南区",
                    "expires_at": (NOW + dt.timedelta(minutes=10)).isoformat(), "status": "pending"}
    assert not leaks(view, task)


def test_offer_event_carries_no_personal_data():
    name, payload = events.offer_sent(OFFER, make_task(status="offering"))
    assert name == "volunteer.offer_sent" and payload["notify"] == [{"volunteer_id": "v1"}]
    assert not leaks(payload, make_task()) and not set(SECRET) & set(payload)


@pytest.mark.parametrize("status,viewer,revealed", [
    ("offering", "v1", False),
    ("accepted", "v1", True),
    ("in_progress", "v1", True),
    ("accepted", "v2", False),        # someone else took it
    ("completed", "v1", False),       # hidden again once done
    ("cancelled", "v1", False),
])
def test_address_and_phone_only_for_the_assigned_volunteer_while_active(status, viewer, revealed):
    task = make_task(status=status, volunteer_id=None if status == "offering" else "v1")
    view = privacy.task_view_for_volunteer(task, viewer)
    if revealed:
        assert view["address"] == task["address"] and view["contact_phone"] == task["contact_phone"]
        assert view["location"] == task["location"]
    else:
        assert not leaks(view, task) and not set(SECRET) & set(view)
    assert view["district"] == "重庆市巴南区"


def test_other_volunteers_see_the_task_closed():
    view = privacy.task_view_for_volunteer(make_task(status="accepted", volunteer_id="v1"), "v2")
    assert view["status"] == "closed" and "assigned" not in view


@pytest.mark.parametrize("status,phone", [("offering", False), ("accepted", True), ("in_progress", True),
                                          ("completed", False)])
def test_citizen_sees_volunteer_contact_only_after_acceptance(status, phone):
    task = make_task(status=status, volunteer_id=None if status == "offering" else "v1")
    vol = {"name": "李小明", "phone": "13900139000", "stars": 2}
    view = privacy.request_view_for_citizen(task, vol)
    assert view["address"] == task["address"]           # the citizen's own data
    if status == "offering":
        assert view["volunteer"] is None
    else:
        assert view["volunteer"]["name"] == "李**"
        assert ("phone" in view["volunteer"]) is phone


@pytest.mark.parametrize("name,masked", [("张三", "张*"), ("欧阳娜娜", "欧***"), ("", ""), (None, "")])
def test_mask_name(name, masked):
    assert privacy.mask_name(name) == masked
