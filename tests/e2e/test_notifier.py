"""The notifier through the running stack and the WeChat stand-in: consent and quota, sending
through wechatpy (including a token refresh after 42001), and every outcome recorded."""
import uuid

import requests
from nameko.standalone.events import event_dispatcher

from services.common.clock import set_offset
from tests.conftest import wait_for


def messages_for(standin, openid=None):
    return requests.get(standin + "/__standin/messages", params={"touser": openid} if openid else {},
                        timeout=10).json()["messages"]




def notify(amqp_config, person_id, template="application_status", **data):
    dispatch = event_dispatcher(amqp_config)
    event_id = uuid.uuid4().hex
    dispatch("certificate", "notify", {"event_id": event_id, "person_id": person_id,
                                       "template": template, "page": "pages/home/index",
                                       "data": dict({"title": "残疾人证申请", "status": "已受理",
                                                     "time": "2026-11-23 10:00"}, **data)})
    return event_id


def inbox(api, token):
    return api.get("/me/notifications", token=token).json()["items"]


def test_without_consent_nothing_is_sent_but_the_skip_is_recorded(api, amqp_config, standin):
    token, me = api.bound_citizen()
    before = len(messages_for(standin))
    notify(amqp_config, me["person"]["id"])
    items = wait_for(lambda: inbox(api, token))
    assert [(i["status"], i["reason"]) for i in items] == [("skipped", "no_consent")]
    assert len(messages_for(standin)) == before


def test_consent_is_used_once_per_message(api, amqp_config, standin):
    token, me = api.bound_citizen()
    r = api.post("/me/subscriptions", token=token, json={"results": {"application_status": "accept"}})
    assert r.status_code == 200 and r.json()["items"][0]["quota"] == 1
    notify(amqp_config, me["person"]["id"], note="请按时参加评定")
    sent = wait_for(lambda: [i for i in inbox(api, token) if i["status"] == "sent"])
    assert len(sent) == 1
    msgs = [m for m in messages_for(standin) if m["data"].get("thing4", {}).get("value") == "请按时参加评定"]
    assert len(msgs) == 1 and msgs[0]["template_id"] == "dev-tpl-application-status"
    assert msgs[0]["page"] == "pages/home/index"
    notify(amqp_config, me["person"]["id"])  # quota used up: skipped
    skipped = wait_for(lambda: [i for i in inbox(api, token) if i["status"] == "skipped"])
    assert skipped[0]["reason"] == "no_consent"


def test_guardians_hear_about_their_wards(api, amqp_config, standin):
    token, _ = api.bound_citizen()
    r = api.post("/me/wards", token=token, json={"name": "孩子", "relationship": "parent",
                                                  "id_number": __import__("tests.conftest", fromlist=["x"]).random_id(birth="20200202")})
    ward_id = r.json()["wards"][0]["id"]
    api.post("/me/subscriptions", token=token, json={"results": {"payment": "accept"}})
    notify(amqp_config, ward_id, template="payment", amount="800元")
    assert wait_for(lambda: [i for i in inbox(api, token) if i["status"] == "sent"])


def test_expired_token_is_refreshed_and_failures_are_retried(api, amqp_config, standin, stack):
    token, me = api.bound_citizen()
    api.post("/me/subscriptions", token=token, json={"results": {"application_status": "accept"}})
    requests.post(standin + "/__standin/expire-tokens", timeout=5)  # next send gets 42001
    notify(amqp_config, me["person"]["id"], note="token-refresh")
    assert wait_for(lambda: [i for i in inbox(api, token) if i["status"] == "sent"])

    api.post("/me/subscriptions", token=token, json={"results": {"application_status": "accept"}})
    requests.post(standin + "/__standin/fail-next", json={"errcode": -1, "count": 1}, timeout=5)
    notify(amqp_config, me["person"]["id"], note="retry-me")
    failed = wait_for(lambda: [i for i in inbox(api, token) if i["status"] == "failed"])
    assert failed, inbox(api, token)
    set_offset(stack.clock_file, 120)  # past the back-off: the retry timer sends it
    try:
        sent = wait_for(lambda: [i for i in inbox(api, token)
                                 if i["status"] == "sent" and i["data"].get("note") == "retry-me"], 25)
    finally:
        set_offset(stack.clock_file, 0)
    assert sent


def test_consent_input_is_checked(api):
    token = api.citizen()["access_token"]
    r = api.post("/me/subscriptions", token=token, json={"results": {"application_status": "maybe"}})
    assert r.status_code == 400
    r = api.post("/me/subscriptions", token=token, json={"results": {"no_such_template": "accept"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"
