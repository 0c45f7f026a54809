"""Shared facts for the certificate domain tests: actors, a person, a clock, workflow drivers."""
import datetime as dt

from services.common import idnumber
from services.certificate import applications, workflow

UTC = dt.timezone.utc
MONDAY = dt.datetime(2024, 6, 3, 2, 0, tzinfo=UTC)  # Monday 2024-06-03 10:00 Shanghai
ID_NUMBER = idnumber.make("50011319800101001")
PERSON = {"id": "person-1", "household_region": "500113"}


def staff(role, region="500113", staff_id=None):
    return {"kind": "staff", "roles": [role], "region": region,
            "staff_id": staff_id or "%s.%s" % (role, region)}


def citizen(*person_ids):
    return {"kind": "citizen", "account_id": "acc-1", "person_ids": list(person_ids)}


APPLICANT = citizen("person-1")
STREET = staff("street_officer")
DPF = staff("county_dpf")
ASSESSOR = staff("assessor")


def certificate(category=4, grade=2, region="500113", status="valid", valid_until="2030-01-01",
                cid="cert-old", person_id="person-1"):
    return {"id": cid, "person_id": person_id, "number": ID_NUMBER + "%d%d" % (category, grade),
            "category": category, "grade": grade, "severe": grade <= 2, "components": [],
            "status": status, "region": region, "valid_from": "2020-01-02",
            "valid_until": valid_until, "issued_at": MONDAY, "card": {"status": "collected"}}


def file(policy, kind="new", now=MONDAY, current=None, actor=APPLICANT, person=PERSON, **extra):
    request = dict({"person_id": person["id"], "type": kind, "residence_region": "500113"},
                   **extra)
    return applications.new_application(request, person=person, actor=actor, now=now,
                                        policy=policy, current_certificate=current,
                                        application_id="app-1").application


def step(app, action, actor, policy, now=MONDAY, params=None, **ctx):
    return workflow.apply_action(app, action, actor, now, policy, params, **ctx)


SCHEDULE = {"assessor_id": "assessor.500113", "scheduled_at": "2024-06-05T09:00:00+08:00"}


def drive(app, policy, actions, now=MONDAY):
    """Run a list of actions with the usual actor and params; returns the last application."""
    defaults = {
        "accept": (STREET, None), "return": (STREET, {"reason": "缺少照片"}),
        "resubmit": (APPLICANT, None), "schedule_assessment": (DPF, SCHEDULE),
        "record_assessment": (ASSESSOR, {"category": 4, "grade": 2}),
        "approve": (DPF, None), "withdraw": (APPLICANT, None),
    }
    for action in actions:
        actor, params = defaults[action]
        app = step(app, action, actor, policy, now, params).application
    return app
