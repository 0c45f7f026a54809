"""Staff reads: today's bookings of an institution, the work queue and the dashboard measures
(DOMAIN.md §8: booking utilisation, no-show rate, rehab service rate), from live data."""
import datetime as dt

from services.common.clock import SHANGHAI
from services.common.errors import Forbidden, ValidationFailed
from services.rehab_booking import states, views
from services.rehab_booking.util import iso_local, utc

SERVICE_RATE_TARGET = 0.85          # 001: precision rehab service rate ≥ 85%


def _scope(actor, institution_id=None):
    """Mongo filter of the bookings a staff member may see in lists."""
    roles = set(actor.get("roles", []))
    if roles & {"admin", "county_dpf"}:
        flt = {"region": actor.get("region")}
        if institution_id:
            flt["institution_id"] = institution_id
        return flt
    if "institution_staff" in roles:
        if not actor.get("institution_id"):
            raise Forbidden("您的账号未绑定康复机构", code="NO_INSTITUTION")
        if institution_id and institution_id != actor["institution_id"]:
            raise Forbidden("只能查看本机构的预约")
        return {"institution_id": actor["institution_id"]}
    return None


def day_bookings(store, actor, q):
    flt = _scope(actor, q.get("institution_id"))
    if flt is None:
        raise Forbidden("您的岗位不能查看机构预约")
    day = q.get("date") or store.clock.today_local()
    start = utc(dt.datetime.combine(day, dt.time(), SHANGHAI))
    flt["start"] = {"$gte": start, "$lt": start + dt.timedelta(days=1)}
    docs = store.bookings(flt, limit=1000)
    insts = {}
    for b in docs:
        insts.setdefault(b["institution_id"], store.institution(b["institution_id"]))
    return {"date": day.isoformat(), "next_cursor": None,
            "items": [views.booking_view(b, insts[b["institution_id"]]) for b in docs]}


def queue(store, actor, filters):
    """Bookings waiting for staff: awaiting confirmation (no-show rule), orphaned (citizen to be
    helped to rebook), confirmed but ended without check-in (check in or record a no-show)."""
    flt = _scope(actor)
    if flt is None:
        return {"items": [], "next_cursor": None}
    now = store.clock.now()
    wanted = [filters["status"]] if filters.get("status") else [
        states.PENDING_STAFF_CONFIRMATION, states.ORPHANED, states.CONFIRMED]
    items = []
    for status in wanted:
        q = dict(flt, status=status)
        if status == states.CONFIRMED:
            q["end"] = {"$lte": now}
        for b in store.bookings(q, limit=500):
            start = utc(b["start"])
            if status == states.PENDING_STAFF_CONFIRMATION:
                due, since = start, b.get("pending_staff_confirmation_at") or b["created_at"]
            elif status == states.ORPHANED:
                due, since = start, b.get("orphaned_at") or b["updated_at"]
            else:
                due, since = utc(b["end"]) + dt.timedelta(days=1), b["end"]
            items.append({"id": b["_id"], "kind": "rehab_booking", "status": status,
                          "title": views.booking_view(b)["service_name"],
                          "person_id": b["person_id"], "institution_id": b["institution_id"],
                          "start": iso_local(b["start"]), "waiting_since": iso_local(since),
                          "due_at": iso_local(due), "overdue": now >= due})
    items.sort(key=lambda i: i["waiting_since"], reverse=filters.get("sort") == "newest")
    try:
        offset = int(filters.get("cursor") or 0)
    except ValueError:
        raise ValidationFailed("cursor 不正确", {"cursor": ["应为数字"]})
    limit = int(filters.get("limit") or 50)
    page = items[offset:offset + limit]
    return {"items": page,
            "next_cursor": str(offset + limit) if offset + limit < len(items) else None}


def _rate(num, den):
    return round(num / den, 4) if den else None


def dashboard(store, region):
    now = store.clock.now()
    since30, since90, since365 = (now - dt.timedelta(days=d) for d in (30, 90, 365))
    seats = store.sum_slots({"region": region, "start": {"$gte": since30, "$lt": now}})
    outcome = store.count_by("bookings", {"region": region,
                                          "start": {"$gte": since90, "$lt": now}}, "status")
    attended = outcome.get(states.COMPLETED, 0) + outcome.get(states.CHECKED_IN, 0)
    no_show = outcome.get(states.NO_SHOW, 0)
    holders = {p["_id"] for p in store.db.people.find(
        {"certificate.status": "valid", "certificate.region": region}, {"_id": 1})}
    served = set(store.count_by("bookings", {"region": region, "status": states.COMPLETED,
                                             "start": {"$gte": since365}}, "person_id"))
    upcoming = store.count_by("bookings", {"region": region, "start": {"$gte": now}}, "status")
    return {
        "booking_utilisation": {"value": _rate(seats["booked"], seats["capacity"]),
                                "booked": seats["booked"], "capacity": seats["capacity"],
                                "window_days": 30},
        "no_show_rate": {"value": _rate(no_show, no_show + attended), "no_shows": no_show,
                         "attended": attended, "window_days": 90},
        "rehab_service_rate": {"value": _rate(len(holders & served), len(holders)),
                               "served": len(holders & served), "certificate_holders":
                               len(holders), "target": SERVICE_RATE_TARGET,
                               "window_days": 365},
        "upcoming_bookings": upcoming,
    }
