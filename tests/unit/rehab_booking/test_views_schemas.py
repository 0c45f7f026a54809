"""The service layer's pure pieces: notify payloads, event mapping, request schemas."""
import pytest

from services.common.errors import ValidationFailed
from services.common.rpc import load
from services.rehab_booking import events, schemas, views
from tests.unit.rehab_booking.factories import NOW, make_institution, make_slot

INST = make_institution()


def _booking(**over):
    slot = make_slot()
    b = {"_id": "bk_1", "person_id": "p1", "slot_id": slot["_id"], "institution_id": INST["id"],
         "region": "500113", "service": slot["service"], "start": slot["start"],
         "end": slot["end"], "status": "confirmed", "hold_expires_at": NOW}
    b.update(over)
    return b


def test_reminder_becomes_an_appointment_reminder_notice():
    ev = events.reminder_due(_booking(), INST, "24h")
    out = views.outbox_entries([ev], NOW)
    assert [e["type"] for e in out] == ["notify"]
    p = out[0]["payload"]
    assert p["template"] == "appointment_reminder" and p["person_id"] == "p1"
    assert p["data"]["time"] == "2025-03-05 09:00" and p["data"]["place"] == INST["name"]
    assert "24小时" in p["data"]["note"]


def test_escort_events_keep_their_contract_names_and_other_facts_stay_unpublished():
    from services.rehab_booking.policy import policy_from_dict
    policy = policy_from_dict("500113", {"effective_from": "2021-01-01"})
    b = _booking(escort_needed=True)
    evs = [events.escort_requested(b, INST, policy), events.escort_cancelled(b, "cancelled"),
           {"type": events.BOOKING_CHECKED_IN, "payload": events.summary(b, INST)}]
    assert [e["type"] for e in views.outbox_entries(evs, NOW)] == ["escort_requested",
                                                                   "escort_cancelled"]


def test_citizens_own_changes_are_not_pushed():
    ev = {"type": events.BOOKING_CANCELLED,
          "payload": dict(events.summary(_booking(), INST), template="appointment_cancelled")}
    assert views.outbox_entries([ev], NOW, notify=False) == []
    notice = views.outbox_entries([ev], NOW)[0]["payload"]
    assert notice["template"] == "appointment_update"
    assert notice["data"]["status"] == "预约已取消"


@pytest.mark.parametrize("companion,expected", [
    ("李四", {"relationship": "caregiver", "name": "李四"}),
    (True, {"relationship": "caregiver"}),
    (None, None),
    ({"relationship": "parent"}, {"relationship": "parent"}),
])
def test_companion_accepts_a_name_or_a_record(companion, expected):
    data = load(schemas.Book(), {"slot_id": "s", "person_id": "p", "companion": companion})
    assert data["companion"] == expected


def test_booking_schema_refuses_unknown_fields_and_missing_slot():
    with pytest.raises(ValidationFailed):
        load(schemas.Book(), {"person_id": "p"})
    with pytest.raises(ValidationFailed):
        load(schemas.Book(), {"slot_id": "s", "person_id": "p", "seats": 3})
