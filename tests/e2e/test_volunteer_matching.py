"""Matching on the running stack: waves escalate with the injected clock, the coordinator is
alerted after the last wave, pairs (结对) are asked first, and privacy holds until acceptance."""
from services.common.clock import set_offset
from tests.e2e.test_volunteer_support import (COORDINATOR, REGION, citizen, error_code, get, near, offer_for,
                                              post, register, register_many, request_body, spot, wait_for)


def test_waves_escalate_then_the_coordinator_is_alerted(api, stack):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(1)
    vols = register_many(api, [near(here, km_north=1 + i) for i in range(7)], coord)  # 1 km … 7 km away
    token, me = citizen(api, "等待帮助")
    r = post(api, "/volunteer/requests", token, request_body(me["person"]["id"], here))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    first = [offer_for(api, t, rid) for t, _ in vols]
    assert [bool(o) for o in first] == [True] * 5 + [False] * 2  # wave 1: the five nearest
    try:
        set_offset(stack.clock_file, 11 * 60)  # past wave 1's 10-minute deadline
        second = wait_for(lambda: all(offer_for(api, t, rid) for t, _ in vols[5:]) and
                          [offer_for(api, t, rid) for t, _ in vols])
        assert [o["wave"] if o else None for o in second] == [None] * 5 + [2, 2]
        r = post(api, "/volunteer/offers/%s/accept" % first[0]["id"], vols[0][0])
        assert r.status_code == 409 and error_code(r) == "OFFER_EXPIRED"
        assert offer_for(api, vols[0][0], rid, status="expired")
        set_offset(stack.clock_file, 22 * 60)  # past wave 2: no more waves → unmatched + alert
        later = api.staff(COORDINATOR, REGION)  # (tokens expire on the moved clock too)
        board = wait_for(lambda: [i for i in get(api, "/admin/volunteer/board", later).json()["items"]
                                  if i["id"] == rid and i["status"] == "unmatched"])
    finally:
        set_offset(stack.clock_file, 0)
    assert board[0]["alert"] == "unmatched" and board[0]["unmatched_reason"] == "no_more_waves"
    assert board[0]["offered"] == 7 and board[0]["timed_out"] == 7
    queue = api.get("/admin/queues", token=coord, params={"service": "volunteer", "status": "unmatched"}).json()
    assert [i for i in queue["items"] if i["id"] == rid and i["alert"]]
    mine = get(api, "/volunteer/requests/%s" % rid, token).json()
    assert mine["status"] == "unmatched" and mine["volunteer"] is None
    trail = [e["action"] for e in api.get("/admin/audit", token=coord, params={"entity": rid}).json()["items"]]
    assert trail == ["create", "start_matching", "next_wave", "exhaust"]
    # the coordinator reopens: nobody already asked is asked again, so it is unmatched at once
    r = post(api, "/admin/volunteer/requests/%s/reopen" % rid, coord, {"reason": "电话联系后重新派单"})
    assert r.status_code == 200 and r.json()["status"] == "unmatched", r.text
    assert r.json()["unmatched_reason"] == "no_candidates" and r.json()["filtered_out"] == {"excluded": 7}


def test_a_pair_is_asked_first_and_a_decline_moves_on_at_once(api):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(2)
    (near_token, near_vid), (pair_token, pair_vid) = register_many(
        api, [near(here, km_north=0.5), near(here, km_north=8)], coord)
    token, me = citizen(api, "结对对象")
    person = me["person"]["id"]
    r = post(api, "/admin/volunteer/pairs", coord, {"person_id": person, "volunteer_id": pair_vid})
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    r = post(api, "/volunteer/requests", token, request_body(person, here))
    rid = r.json()["id"]
    pair_offer = offer_for(api, pair_token, rid)
    assert pair_offer and pair_offer["wave"] == 1  # the pair, 8 km away, before the one 0.5 km away
    assert offer_for(api, near_token, rid) is None
    r = post(api, "/volunteer/offers/%s/decline" % pair_offer["id"], pair_token, {"reason": "当天有事"})
    assert r.status_code == 200 and r.json()["status"] == "declined"
    nxt = offer_for(api, near_token, rid)
    assert nxt and nxt["wave"] == 2  # everyone in wave 1 declined: wave 2 without waiting
    # declining lowers nobody's standing: the pair is still asked first for the next need
    r = post(api, "/volunteer/requests", token, request_body(person, here, hours=72))
    assert offer_for(api, pair_token, r.json()["id"])["wave"] == 1
    r = post(api, "/volunteer/offers/%s/accept" % nxt["id"], near_token)
    assert r.status_code == 200


def test_privacy_type_time_and_district_only_until_accepted(api):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(3)
    (a_token, a_vid), (b_token, _) = register_many(api, [near(here, km_north=1), near(here, km_north=2)], coord)
    token, me = citizen(api, "隐私测试")
    rid = post(api, "/volunteer/requests", token, request_body(me["person"]["id"], here)).json()["id"]
    secrets = ("宁波市某区某街道12号3单元501", "13912345678", "轮椅出行", me["person"]["id"])
    for tok in (a_token, b_token):
        offer = offer_for(api, tok, rid)
        assert set(offer) >= {"id", "request_id", "skill", "when", "duration_minutes", "district", "expires_at"}
        assert offer["district"] == "宁波市"
        view = get(api, "/volunteer/requests/%s" % rid, tok)
        assert view.status_code == 200
        for text in (get(api, "/volunteers/me/offers", tok).text, view.text):
            assert not any(s in text for s in secrets) and "location" not in view.json()
    assert get(api, "/volunteer/requests/%s" % rid, token).json()["volunteer"] is None
    r = post(api, "/volunteer/offers/%s/accept" % offer_for(api, a_token, rid)["id"], a_token)
    assert r.status_code == 200
    mine = get(api, "/volunteer/requests/%s" % rid, a_token).json()
    assert mine["address"] == secrets[0] and mine["contact_phone"] == secrets[1] and mine["location"]
    other = get(api, "/volunteer/requests/%s" % rid, b_token)
    assert other.json()["status"] == "closed" and not any(s in other.text for s in secrets)
    seen_by_citizen = get(api, "/volunteer/requests/%s" % rid, token).json()
    assert seen_by_citizen["status"] == "accepted" and seen_by_citizen["volunteer"]["name"].endswith("*")
    stranger, _ = register(api, near(here, km_north=40))
    assert get(api, "/volunteer/requests/%s" % rid, stranger).status_code == 403
