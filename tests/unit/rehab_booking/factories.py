"""Shared facts for the rehab booking unit tests. The clock is a fixed ``NOW``; nothing sleeps."""
import datetime as dt

from services.common import idnumber
from services.common.clock import SHANGHAI, UTC
from services.rehab_booking import policy as policy_mod
from services.rehab_booking import schedule

NOW = dt.datetime(2025, 3, 3, 0, 0, tzinfo=UTC)        # Monday 08:00 in Shanghai


def local_dt(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def make_policy(region="500113", **over):
    values = dict(effective_from="2021-01-01", **over)
    return policy_mod.policy_from_dict(region, values)


def make_institution(**over):
    inst = {
        "id": "inst-banan-1", "name": "巴南区残疾人康复中心", "region": "500113",
        "address": "重庆市巴南区龙洲湾", "location": {"lat": 29.40, "lng": 106.54},
        "services": ["movement_therapy", "speech_training", "children_rehab_training",
                     "needs_assessment", "child_screening", "home_visit"],
        "accessibility": {"step_free": True, "lift": True},
        "opening_hours": {"1": [["08:30", "11:30"], ["13:30", "17:30"]],
                          "2": [["08:30", "11:30"], ["13:30", "17:30"]],
                          "3": [["08:30", "11:30"]]},
        "designation": "admitted",
    }
    inst.update(over)
    return inst


def make_slot(start=None, capacity=5, reserved=0, booked=0, general=None, priority=0,
              service="movement_therapy", institution_id="inst-banan-1", minutes=60,
              status="open", region="500113"):
    start = start or local_dt(2025, 3, 5, 9)
    return {"_id": schedule.slot_id(institution_id, service, start),
            "institution_id": institution_id, "region": region, "service": service,
            "start": start, "end": start + dt.timedelta(minutes=minutes),
            "duration_minutes": minutes, "capacity": capacity, "priority_reserved": reserved,
            "booked": booked, "general_booked": booked - priority if general is None else general,
            "priority_booked": priority, "status": status}


def make_person(person_id="p1", household_status="none", cert=True, birth="19800101",
                suspected=False, deceased=False):
    person = {"person_id": person_id,
              "id_number": idnumber.make("500113" + birth + "123"),
              "household_status": household_status, "suspected": suspected,
              "deceased": deceased}
    if cert:
        person["certificate"] = {"status": "valid", "valid_until": dt.date(2030, 1, 1)}
    return person


def citizen(*person_ids):
    return {"kind": "citizen", "account_id": "acc1", "person_ids": list(person_ids)}


def staff(role="institution_staff", region="500113", institution_id="inst-banan-1"):
    return {"kind": "staff", "staff_id": "s1", "roles": [role], "region": region,
            "institution_id": institution_id}


SYSTEM = {"kind": "system"}

