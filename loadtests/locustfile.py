"""make load: journeys, not endpoints (locust, runs in .venv-load only — never with nameko).

The mix (weights of the user classes, each user waits between(1, 3) s between tasks):

  CitizenUser   weight 16  a certificate holder of Banan (500113) opening the mini-program:
                           WeChat login, bind identity (first time), then, weighted per task:
                           view the person file (6), subsidy eligibility and suggestions (4),
                           browse institutions/slots, book then cancel (3), follow my
                           applications (2), apply for a new certificate as a new applicant (1),
                           ask for a volunteer (1)
  VolunteerUser weight 3   registers (verified by the coordinator), polls offers (5), accepts
                           one and walks the task: set out / check in / check out where the
                           clock allows (2), views the profile (1)
  StaffUser     weight 1   street_officer / county_dpf / civil_affairs of 500113: works a queue
                           (GET /admin/queues?service=...) and acts on the oldest item when an
                           action needs no extra input (accept / approve), reads the dashboard

So 20 users ≈ 16 citizens, 3 volunteers, 1 staff member: the shape of the seed's traffic
(citizens dominate; staff are few but their pages are heavy).

Every request is named "<journey>: <step>" so the report reads per journey; the thresholds in
loadtests/thresholds.yml are per journey (the part before the colon). Answers that are a correct
business outcome under contention (409 SLOT_FULL, TASK_TAKEN, an already open application,
a check-in before the window opens) count as successes, anything else 4xx/5xx as failures.

Holders come from loadtests/datagen.py: holder i has WeChat login dev:load-h<i> and the ID
number computed below (the same rule as datagen, GB 11643 check character).
"""
import datetime as dt
import os
import random
import uuid

from locust import FastHttpUser, between, task

API = "/api/v1"
REGION = "500113"
HOLDERS = int(os.environ.get("LOAD_HOLDERS", "24400"))
CENTRE = (29.40, 106.54)
ALL_WEEK = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(1, 8)]
OK_CONFLICTS = {"SLOT_FULL", "TASK_TAKEN", "OFFER_CLOSED", "ILLEGAL_TRANSITION", "NOT_CHECKED_IN",
                "APPLICATION_OPEN", "ALREADY_REGISTERED", "TOO_EARLY", "CHECK_IN_TOO_EARLY"}
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number(first17):
    """GB 11643-1999: check character = (12 - sum(a_i * w_i) mod 11) mod 11 -> 10X98765432."""
    return first17 + _CHECK[sum(int(a) * w for a, w in zip(first17, _W)) % 11]


# children's services are for under-18s (422 NOT_ELIGIBLE); datagen's holders are all adults
# (born 1940-2008), and the mini-program offers them only what they may book
CHILDREN_SERVICES = {"children_rehab_training", "child_screening"}


def holder_number(i):
    day = dt.date(1940, 1, 1) + dt.timedelta(days=i % 25000)
    return id_number(REGION + day.strftime("%Y%m%d") + "%03d" % (900 + i // 25000))


def new_applicant_number():
    """Sequence 000–899: never a datagen holder."""
    day = dt.date(1950, 1, 1) + dt.timedelta(days=random.randrange(20000))
    return id_number(REGION + day.strftime("%Y%m%d") + "%03d" % random.randrange(900))


def error_code(resp):
    try:
        return (resp.json().get("error") or {}).get("code")
    except Exception:  # noqa: BLE001
        return None


def near_centre(km=3.0):
    return {"lat": CENTRE[0] + random.uniform(-km, km) / 111.0,
            "lng": CENTRE[1] + random.uniform(-km, km) / 97.0}


class _Journeys(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)

    def call(self, method, path, name, token=None, expect=(200, 201), ok_codes=(), **kw):
        """One request named ``name``; returns the JSON body or None (a failure is recorded)."""
        headers = {"Authorization": "Bearer " + token} if token else {}
        with self.client.request(method, API + path, name=name, headers=headers,
                                 catch_response=True, **kw) as r:
            if r.status_code in expect:
                r.success()
                try:
                    return r.json()
                except Exception:  # noqa: BLE001
                    return {}
            code = error_code(r)
            if r.status_code in (403, 404, 409, 422) and (code in OK_CONFLICTS or code in ok_codes):
                r.success()
                return None
            r.failure("%s %s" % (r.status_code, code or (r.text or "")[:80]))
            return None

    def wechat_login(self, name, journey):
        return self.call("POST", "/auth/wechat-login", "%s: wechat login" % journey,
                         json={"code": "dev:%s#%s" % (name, uuid.uuid4().hex[:8])})


class CitizenUser(_Journeys):
    weight = 16

    def on_start(self):
        self.token, self.person_id = None, None
        for _ in range(3):
            i = random.randrange(HOLDERS)
            tokens = self.wechat_login("load-h%d" % i, "citizen")
            if not tokens:
                continue
            self.token = tokens["access_token"]
            me = self.call("GET", "/me", "citizen: me", self.token)
            if me and me.get("person"):
                self.person_id = me["person"]["id"]
                return
            body = self.call("POST", "/me/identity", "citizen: bind identity", self.token,
                             ok_codes=("IDENTITY_ALREADY_BOUND",),
                             json={"name": "持证人%05d" % i, "id_number": holder_number(i)})
            if body and body.get("person"):
                self.token = body["tokens"]["access_token"]
                self.person_id = body["person"]["id"]
                return

    @task(6)
    def view_file(self):
        if self.person_id:
            self.call("GET", "/people/%s/file" % self.person_id, "citizen: view file", self.token)

    @task(4)
    def subsidy(self):
        if not self.person_id:
            return
        self.call("GET", "/people/%s/subsidy/eligibility" % self.person_id,
                  "subsidy: eligibility", self.token)
        self.call("GET", "/people/%s/subsidy/suggestions" % self.person_id,
                  "subsidy: suggestions", self.token)
        self.call("GET", "/people/%s/subsidy/payments" % self.person_id,
                  "subsidy: payments", self.token)

    @task(3)
    def rehab(self):
        if not self.person_id:
            return
        insts = self.call("GET", "/rehab/institutions?region=%s" % REGION,
                          "rehab: institutions", self.token) or {}
        items = insts.get("items") or []
        if not items:
            return
        inst = random.choice(items)
        slots = self.call("GET", "/rehab/slots?institution_id=%s&limit=100" % inst["id"],
                          "rehab: slots", self.token) or {}
        free = [s for s in slots.get("items") or [] if s.get("available", 0) > 0
                and s.get("service") not in CHILDREN_SERVICES]
        if not free:
            return
        booking = self.call("POST", "/rehab/bookings", "rehab: book", self.token,
                            json={"slot_id": random.choice(free)["id"],
                                  "person_id": self.person_id},
                            ok_codes=("ALREADY_BOOKED", "DUPLICATE_BOOKING", "TOO_MANY_BOOKINGS"))
        if booking and booking.get("id"):
            self.call("GET", "/rehab/bookings/%s" % booking["id"], "rehab: booking", self.token)
            self.call("POST", "/rehab/bookings/%s/cancel" % booking["id"], "rehab: cancel",
                      self.token, json={"reason": "压测取消"})

    @task(2)
    def my_things(self):
        if self.person_id:
            self.call("GET", "/people/%s/rehab/bookings" % self.person_id,
                      "citizen: my bookings", self.token)
            self.call("GET", "/me/notifications", "citizen: notifications", self.token)

    @task(1)
    def apply_certificate(self):
        """A new applicant (new WeChat user, new ID number) files and follows an application."""
        tokens = self.wechat_login("load-a%s" % uuid.uuid4().hex[:10], "certificate")
        if not tokens:
            return
        body = self.call("POST", "/me/identity", "certificate: bind identity",
                         tokens["access_token"],
                         json={"name": "申请人", "id_number": new_applicant_number()},
                         ok_codes=("IDENTITY_ALREADY_BOUND", "NAME_MISMATCH"))
        if not body or not body.get("person"):
            return
        token, pid = body["tokens"]["access_token"], body["person"]["id"]
        app = self.call("POST", "/certificate/applications", "certificate: apply", token,
                        json={"person_id": pid, "type": "new", "residence_region": REGION,
                              "claimed_category": random.randint(1, 7),
                              "claimed_grade": random.randint(1, 4)})
        if app and app.get("id"):
            self.call("GET", "/certificate/applications/%s" % app["id"], "certificate: follow",
                      token)

    @task(1)
    def ask_volunteer(self):
        if not self.person_id:
            return
        when = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(hours=48)
                ).replace(second=0, microsecond=0)
        req = self.call("POST", "/volunteer/requests", "volunteer help: ask", self.token, json={
            "person_id": self.person_id, "skill": "escort", "when": when.isoformat(),
            "duration_minutes": 120, "region": REGION, "location": near_centre(),
            "address": "巴南区某街道12号", "contact_phone": "13912345678", "notes": "压测"},
            ok_codes=("TOO_MANY_REQUESTS", "OPEN_REQUEST_LIMIT"))
        if req and req.get("id"):
            self.call("GET", "/volunteer/requests/%s" % req["id"], "volunteer help: follow",
                      self.token)


class VolunteerUser(_Journeys):
    weight = 3

    def on_start(self):
        self.token = None
        tokens = self.wechat_login("load-v%s" % uuid.uuid4().hex[:10], "volunteer")
        if not tokens:
            return
        self.token = tokens["access_token"]
        vol = self.call("POST", "/volunteers", "volunteer: register", self.token, json={
            "skills": ["escort"], "languages": ["普通话"], "availability": ALL_WEEK,
            "home_region": REGION, "location": near_centre(2.0)})
        if vol and vol.get("id"):
            staff = self.call("POST", "/auth/staff-login", "volunteer: coordinator login",
                              json={"username": "volunteer_coordinator.%s" % REGION,
                                    "password": "demo12345"})
            if staff:
                self.call("POST", "/admin/volunteers/%s/verify" % vol["id"],
                          "volunteer: verified by coordinator", staff["access_token"], json={})

    @task(5)
    def poll(self):
        if self.token:
            self.offers = (self.call("GET", "/volunteers/me/offers?status=pending",
                                     "volunteer: poll offers", self.token) or {}).get("items", [])

    @task(2)
    def accept_and_work(self):
        if not self.token:
            return
        offers = getattr(self, "offers", None) or []
        if not offers:
            return
        task_ = self.call("POST", "/volunteer/offers/%s/accept" % offers[0]["id"],
                          "volunteer: accept", self.token)
        self.offers = offers[1:]
        tid = (task_ or {}).get("task_id") or (task_ or {}).get("id")
        if not tid:
            return
        for step in ("set-out", "check-in", "check-out"):   # the window opens 60 min before
            self.call("POST", "/volunteer/tasks/%s/%s" % (tid, step), "volunteer: " + step,
                      self.token, ok_codes=("TOO_EARLY", "NOT_YET", "OUTSIDE_WINDOW"))

    @task(1)
    def profile(self):
        if self.token:
            self.call("GET", "/volunteers/me", "volunteer: profile", self.token)
            self.call("GET", "/volunteers/me/tasks", "volunteer: tasks", self.token)


class StaffUser(_Journeys):
    weight = 1
    ROLES = ("street_officer", "county_dpf", "civil_affairs")

    def on_start(self):
        self.role = random.choice(self.ROLES)
        body = self.call("POST", "/auth/staff-login", "staff: login",
                         json={"username": "%s.%s" % (self.role, REGION),
                               "password": "demo12345"})
        self.token = body["access_token"] if body else None

    @task(4)
    def certificate_queue(self):
        if not self.token:
            return
        q = self.call("GET", "/admin/queues?service=certificate&limit=20",
                      "staff: certificate queue", self.token) or {}
        for item in q.get("items") or []:
            if "accept" in (item.get("available_actions") or []):
                self.call("POST", "/admin/certificate/applications/%s/actions" % item["id"],
                          "staff: accept application", self.token, json={"action": "accept"})
                return

    @task(2)
    def subsidy_queue(self):
        if not self.token:
            return
        q = self.call("GET", "/admin/queues?service=subsidy&limit=20", "staff: subsidy queue",
                      self.token) or {}
        items = q.get("items") or []
        if items and "approve" in (items[0].get("available_actions") or []):
            self.call("POST", "/admin/subsidy/applications/%s/actions" % items[0]["id"],
                      "staff: approve subsidy", self.token, json={"action": "approve"})

    @task(1)
    def other_queues(self):
        if self.token:
            self.call("GET", "/admin/queues?service=rehab_booking&limit=20",
                      "staff: rehab queue", self.token)
            self.call("GET", "/admin/queues?service=volunteer&limit=20",
                      "staff: volunteer queue", self.token)

    @task(1)
    def dashboard(self):
        if self.token:
            self.call("GET", "/admin/dashboard", "staff: dashboard", self.token)


# per-journey response times (the part of the name before ":"), written at the end for
# loadtests/run_load.py: exact p95 per journey, not a max over its requests' percentiles
from locust import events  # noqa: E402

_JOURNEYS = {}


@events.request.add_listener
def _record(name, response_time, exception, **_):
    j = _JOURNEYS.setdefault(name.split(":", 1)[0], {"times": [], "failures": 0})
    j["times"].append(response_time)
    if exception:
        j["failures"] += 1


@events.quitting.add_listener
def _write(environment, **_):
    path = os.environ.get("LOAD_JOURNEYS_OUT")
    if not path:
        return
    import json
    out = {}
    for name, j in _JOURNEYS.items():
        t = sorted(j["times"])
        pick = lambda p: round(t[min(len(t) - 1, int(p / 100.0 * (len(t) - 1) + 0.5))], 1) if t else 0  # noqa: E731
        out[name] = {"requests": len(t), "failures": j["failures"], "p50_ms": pick(50),
                     "p95_ms": pick(95), "p99_ms": pick(99), "max_ms": round(t[-1], 1) if t else 0}
    with open(path, "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
