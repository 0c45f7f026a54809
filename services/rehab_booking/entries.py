"""Joining the waitlist (候补登记): facts loaded, the domain decides, one insert with its audit."""
from services.common import outbox
from services.common.errors import ValidationFailed
from services.common.ids import new_id
from services.rehab_booking import domain, views


def join_waitlist(flows, actor, data):
    pid = data["person_id"]
    actor = flows.extend_actor(actor, pid)
    slot = None
    if data.get("slot_id"):
        slot = flows.slot(data["slot_id"])
        inst = flows.institution(slot["institution_id"])
        request, on = {"slot_id": slot["_id"]}, slot["start"]
    else:
        if not data.get("institution_id"):
            raise ValidationFailed("请指定时段，或机构、服务和日期", {"slot_id": ["必填"]})
        inst = flows.institution(data["institution_id"])
        on = data.get("date")
        request = {"service": data.get("service"), "institution_id": inst["id"],
                   "date": on.isoformat() if on else None}
        on = on or flows.now()
    policy = flows.policy(inst["region"], on)
    if (actor or {}).get("kind") != "citizen" or pid not in actor.get("person_ids", []):
        domain.waitlist.new_entry("x", {"person_id": pid}, request, inst, [], actor,
                                  flows.now(), policy, slot)     # raises Forbidden first
    person = flows.person_facts(pid)
    token = flows.store.acquire_person(pid)
    try:
        now = flows.now()
        existing = flows.store.waitlist({"person_id": pid, "status": {
            "$in": list(domain.waitlist.OPEN_STATES)}})
        entry = domain.waitlist.new_entry(new_id("wl"), person, request, inst, existing, actor,
                                          now, policy, slot)
        entry["_outbox"] = [outbox.audit(actor, entry["_id"], "join", None, entry["status"], now)]
        flows.store.insert_waitlist(entry)
    finally:
        flows.store.release_person(pid, token)
    flows.relay.flush(flows.store.db.waitlist, entry["_id"])
    return views.waitlist_view(entry)
