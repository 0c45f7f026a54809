"""First accept wins: 50 volunteers get the same offer and accept at the same moment.

All 50 are in the first wave because the need is recorded by a coordinator as ``urgent`` (a
12385 hotline call): an urgent need goes out as ONE wave to up to ``broadcast_wave_size`` (100)
qualified candidates instead of waves of five (config/volunteer.yml, docs/volunteer-service.md).
"""
import threading
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.test_volunteer_support import (COORDINATOR, REGION, citizen, error_code, get, near, offer_for,
                                              offers, post, register_many, request_body, spot)

N = 50


def test_fifty_simultaneous_accepts_one_winner(api):
    coord = api.staff(COORDINATOR, REGION)
    here = spot(0)
    vols = register_many(api, [near(here, km_north=0.05 * i) for i in range(N)], coord)
    _, me = citizen(api, "求助人")
    body = request_body(me["person"]["id"], here, channel="12385", hotline_ticket="HL-0001", urgent=True)
    r = post(api, "/admin/volunteer/requests", coord, body)
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    assert r.json()["status"] == "offering"

    with ThreadPoolExecutor(N) as pool:
        got = list(pool.map(lambda v: offer_for(api, v[0], request_id), vols))
    assert all(got), "every volunteer must hold an offer in the one urgent wave"
    assert {o["wave"] for o in got} == {1}

    barrier = threading.Barrier(N)

    def accept(pair):
        (token, _), offer = pair
        barrier.wait()
        return post(api, "/volunteer/offers/%s/accept" % offer["id"], token)

    with ThreadPoolExecutor(N) as pool:
        results = list(pool.map(accept, zip(vols, got)))
    codes = [r.status_code for r in results]
    assert codes.count(200) == 1, codes
    assert codes.count(409) == N - 1, codes
    assert all(error_code(r) == "TASK_TAKEN" for r in results if r.status_code == 409)
    winner = codes.index(200)
    win_token, win_vid = vols[winner]
    assert results[winner].json()["status"] == "accepted" and results[winner].json()["address"]

    # the task, the volunteers' load and the offers all agree
    task = get(api, "/volunteer/requests/%s" % request_id, coord).json()
    assert task["status"] == "accepted" and task["volunteer_id"] == win_vid
    profiles = [get(api, "/volunteers/me", t).json() for t, _ in vols]
    assert [p["active_tasks"] for p in profiles].count(1) == 1
    assert profiles[winner]["active_tasks"] == 1 and profiles[winner]["accepted_count"] == 1
    assert sum(p["accepted_count"] for p in profiles) == 1
    statuses = [offer_for(api, t, request_id, status="all")["status"] for t, _ in vols]
    assert statuses[winner] == "accepted"
    assert statuses.count("accepted") == 1 and statuses.count("taken") == N - 1
    assert all(not [o for o in offers(api, t) if o["request_id"] == request_id] for t, _ in vols)
    # a retried accept by the winner is answered again; a loser retrying still gets 409
    assert post(api, "/volunteer/offers/%s/accept" % got[winner]["id"], win_token).status_code == 200
    loser = (winner + 1) % N
    r = post(api, "/volunteer/offers/%s/accept" % got[loser]["id"], vols[loser][0])
    assert r.status_code == 409 and error_code(r) == "TASK_TAKEN"
    trail = api.get("/admin/audit", token=coord, params={"entity": request_id}).json()["items"]
    assert [e["action"] for e in trail if e["action"] == "accept"] == ["accept"]
