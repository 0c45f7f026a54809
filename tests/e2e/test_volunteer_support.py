"""Helpers for the volunteer end-to-end tests (no tests here).

Isolation: every test works at its own spot in Ningbo (330200), 25–30 km from the others, so
with the 10 km matching radius no test's volunteers are candidates for another test's needs.
"""
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import random_id, wait_for  # noqa: F401  (wait_for re-exported)

REGION = "330200"
COORDINATOR = "volunteer_coordinator"
_REFRESH = {}  # access token → refresh token, to log in again after the clock moved
ALL_WEEK = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(1, 8)]


def spot(index):
    """A point in Ningbo's approximate box; spots are ≥ 25 km apart (index 0–29)."""
    return {"lat": 29.0 + 0.25 * (index // 5), "lng": 121.0 + 0.3 * (index % 5)}


def near(point, km_north=0.0, km_east=0.0):
    return {"lat": point["lat"] + km_north / 111.195, "lng": point["lng"] + km_east / 97.0}


def when_iso(hours=48, minutes=0):
    at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours, minutes=minutes)
    return at.replace(microsecond=0, second=0).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()


def post(api, path, token, body=None):
    """A fresh connection per call: safe from many threads at once."""
    return requests.post(api.base + path, json=body or {}, timeout=60,
                         headers={"Authorization": "Bearer " + token})


def get(api, path, token, **params):
    return requests.get(api.base + path, params=params, timeout=60, headers={"Authorization": "Bearer " + token})


def register(api, location, skills=("escort",), name=None, phone=None, verify_with=None):
    """A WeChat user registers as a volunteer (and is verified when ``verify_with`` is a
    coordinator token) → (access token, volunteer id)."""
    code = "dev:vol-%s#%s" % (uuid.uuid4().hex[:10], uuid.uuid4().hex[:4])
    r = requests.post(api.base + "/auth/wechat-login", json={"code": code}, timeout=60)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    _REFRESH[token] = r.json()["refresh_token"]
    body = {"skills": list(skills), "languages": ["普通话"], "availability": ALL_WEEK,
            "home_region": REGION, "location": location}
    if name:
        body["name"] = name
    if phone:
        body["phone"] = phone
    r = post(api, "/volunteers", token, body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    vid = r.json()["id"]
    if verify_with:
        r = post(api, "/admin/volunteers/%s/verify" % vid, verify_with)
        assert r.status_code == 200 and r.json()["status"] == "active", r.text
    return token, vid


def register_many(api, locations, coordinator_token, workers=12, **kw):
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda loc: register(api, loc, verify_with=coordinator_token, **kw), locations))


def request_body(person_id, location, hours=48, skill="escort", duration=120, **extra):
    return dict({"person_id": person_id, "skill": skill, "when": when_iso(hours), "duration_minutes": duration,
                 "region": REGION, "location": location, "address": "宁波市某区某街道12号3单元501",
                 "contact_phone": "13912345678", "notes": "轮椅出行"}, **extra)


def offers(api, token, status="pending"):
    r = get(api, "/volunteers/me/offers", token, status=status)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def offer_for(api, token, request_id, status="pending"):
    return next((o for o in offers(api, token, status) if o["request_id"] == request_id), None)




def error_code(r):
    return r.json().get("error", {}).get("code")


def citizen(api, name):
    """A bound citizen (random_id varies the birth date, so numbers do not collide)."""
    number = random_id(REGION)
    tokens = api.citizen()
    r = api.post("/me/identity", token=tokens["access_token"], json={"name": name, "id_number": number})
    assert r.status_code == 200, r.text
    body = r.json()
    _REFRESH[body["tokens"]["access_token"]] = body["tokens"]["refresh_token"]
    return body["tokens"]["access_token"], body


def fresh(api, token):
    """A new access token for the same account (after ``set_offset`` moved past its expiry)."""
    r = requests.post(api.base + "/auth/refresh", json={"refresh_token": _REFRESH[token]}, timeout=60)
    assert r.status_code == 200, r.text
    _REFRESH[r.json()["access_token"]] = r.json()["refresh_token"]
    return r.json()["access_token"]
