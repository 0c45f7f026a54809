"""Domain events → outbox entries: notify events the notifier understands, no personal data."""
from services.volunteer import events, notices
from services.volunteer.store import escort_task_id, offer_id
from tests.unit.volunteer.factories import NOW, make_task

OFFER = {"id": "of_1", "volunteer_id": "v1", "wave": 1, "status": "pending", "expires_at": NOW}


def notify_bodies(entries):
    return [e["payload"] for e in entries if e["type"] == "notify"]


def test_an_offer_is_a_volunteer_offer_message_to_the_volunteers_account():
    entries = notices.entries(*events.offer_sent(OFFER, make_task(status="offering")), NOW, {"v1": "acc_1"})
    [body] = notify_bodies(entries)
    assert body["account_id"] == "acc_1" and body["template"] == "volunteer_offer"
    assert body["page"] == "pages/volunteer-work/index?offer=of_1"
    assert body["data"] == {"title": "志愿服务邀请：陪同出行", "time": "2026-06-02 09:00", "place": "重庆市巴南区",
                            "note": "请于2026-06-01 08:00前接单"}
    text = str(entries)
    assert "巴南区龙洲湾" not in text and "13800138000" not in text and "p1" not in text


def test_an_offer_without_a_known_account_sends_nothing():
    assert notices.entries(*events.offer_sent(OFFER, make_task()), NOW, {}) == []


def test_citizens_hear_accepted_on_the_way_and_done_by_person_id():
    task = make_task(status="accepted", volunteer_id="v1")
    for builder, status in ((events.task_accepted, "已有志愿者接单"), (events.task_on_the_way, "志愿者已出发"),
                            (events.task_completed, "服务已完成")):
        [body] = notify_bodies(notices.entries(*builder(task, "李小明"), NOW))
        assert body["person_id"] == "p1" and body["template"] == "application_status"
        assert body["data"]["status"] == status and "李小明" not in str(body)


def test_the_coordinator_alert_is_not_a_wechat_message_but_the_citizen_hears():
    task = make_task(status="unmatched", wave_plan=[{"number": 1, "kind": "general", "volunteer_ids": ["a"]}])
    bodies = notify_bodies(notices.entries(*events.task_unmatched(task, "no_more_waves"), NOW))
    assert [b.get("person_id") for b in bodies] == ["p1"] and bodies[0]["data"]["status"] == "正在人工协调"


def test_domain_events_are_published_only_when_configured():
    name, payload = events.task_accepted(make_task(status="accepted", volunteer_id="v1"))
    assert [e["type"] for e in notices.entries(name, payload, NOW)] == ["notify"]
    settings = {"publish_events": ["task_accepted"]}
    types = [e["type"] for e in notices.entries(name, payload, NOW, settings=settings)]
    assert types == ["task_accepted", "notify"]


def test_ids_are_deterministic():
    assert offer_id("t1", 1, "v1") == offer_id("t1", 1, "v1") != offer_id("t1", 2, "v1")
    assert escort_task_id("k").startswith("vt_") and escort_task_id("k") != escort_task_id("k2")
