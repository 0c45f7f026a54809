"""Development seed (`make run` only, refused outside DEV_MODE): two designated institutions per
region with two weeks of slots, so the mini-program has something to book."""
import datetime as dt

from services.common import outbox
from services.common.errors import Conflict
from services.rehab_booking import domain

CENTRES = {"230100": (45.80, 126.53), "330200": (29.87, 121.55), "371000": (37.51, 122.12),
           "500113": (29.40, 106.54), "440704": (22.55, 113.12)}
HOURS = {str(d): [["08:00", "12:00"], ["13:30", "17:30"]] for d in range(1, 8)}
TEMPLATES = [("movement_therapy", "09:00", 60, 6), ("speech_training", "10:30", 45, 4),
             ("children_rehab_training", "14:00", 60, 4), ("needs_assessment", "15:30", 30, 3),
             ("assistive_device_fitting", "16:15", 45, 2)]
SYSTEM_STAFF = {"kind": "staff", "staff_id": "system:seed", "roles": ["admin"]}


def seed(flows, region):
    lat, lng = CENTRES.get(region, (30.0, 110.0))
    actor = dict(SYSTEM_STAFF, region=region)
    out = []
    for n, (name, dlat) in enumerate((("残疾人康复中心", 0.0), ("社区康复站", 0.03)), start=1):
        inst_id = "inst_%s_%d" % (region, n)
        record = domain.validate_institution({
            "id": inst_id, "name": "示范%s" % name, "region": region,
            "address": "示范路%d号" % n, "location": {"lat": lat + dlat, "lng": lng},
            "services": [t[0] for t in TEMPLATES], "opening_hours": HOURS,
            "accessibility": {"step_free": True, "accessible_toilet": True, "lift": n == 1}})
        now = flows.now()
        try:
            flows.store.insert_institution(dict(record, _id=inst_id, created_at=now,
                                                updated_at=now, orphaning_done=True,
                                                _outbox=[outbox.audit(actor, inst_id, "create",
                                                                      None, "admitted", now)]))
            flows.relay.flush(flows.store.db.institutions, inst_id)
        except Conflict:
            pass
        today = flows.store.clock.today_local()
        templates = [{"service": s, "weekday": d, "start": start, "duration_minutes": minutes,
                      "capacity": cap} for s, start, minutes, cap in TEMPLATES
                     for d in range(1, 8)]
        result = flows.create_schedule(actor, {"institution_id": inst_id, "templates": templates,
                                               "from_": today,
                                               "to": today + dt.timedelta(days=13)})
        out.append({"institution_id": inst_id, "slots_created": result["slots_created"]})
    return out
