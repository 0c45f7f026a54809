"""What each side may see (隐私保护): least information until the task is accepted.

Before acceptance a volunteer sees only the skill (task type), time, duration and district
(region name): never the address, phone, exact location, notes or who the person is. The
assigned volunteer sees the address, contact phone, location and notes while the task is
``accepted`` or ``in_progress``; once it is completed or cancelled those are hidden again.
The citizen sees the assigned volunteer's masked name and phone only while accepted/in progress.
"""
from services.common import regions
from services.common.clock import iso
from services.volunteer.profile import skill_name
from services.volunteer.tasks import ACCEPTED, IN_PROGRESS, OFFERING, OPEN

REVEAL_STATES = (ACCEPTED, IN_PROGRESS)


def mask_name(name):
    """张三 → 张*, 欧阳娜娜 → 欧***."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def _base(task):
    return {"request_id": task.get("id"), "skill": task["skill"], "skill_name": skill_name(task["skill"]),
            "when": iso(task["when"]), "duration_minutes": task["duration_minutes"],
            "district": regions.name(task["region"])}


def offer_view(offer, task):
    """An offer card: ``{id, request_id, skill, skill_name, when, duration_minutes, district,
    expires_at, status}`` — no address, phone, location, notes or person."""
    return dict(_base(task), id=offer.get("id"), expires_at=iso(offer["expires_at"]),
                status=offer.get("status"))


def task_view_for_volunteer(task, volunteer_id):
    """The task as ``volunteer_id`` may see it.

    Not the assigned volunteer → the base fields and ``status`` ``open`` (still looking) or
    ``closed``. Assigned → also ``status``, ``on_the_way_at``, ``checked_in_at``,
    ``checked_out_at``, ``credited_minutes``; and while accepted/in progress ``address``,
    ``contact_phone``, ``location``, ``notes``, ``language``.
    """
    view = _base(task)
    if not volunteer_id or task.get("volunteer_id") != volunteer_id:
        view["status"] = "open" if task.get("status") in (OPEN, OFFERING) else "closed"
        return view
    view.update(status=task["status"], assigned=True, on_the_way_at=iso(task.get("on_the_way_at")),
                checked_in_at=iso(task.get("checked_in_at")), checked_out_at=iso(task.get("checked_out_at")),
                credited_minutes=task.get("credited_minutes"))
    if task["status"] in REVEAL_STATES:
        view.update(address=task.get("address"), contact_phone=task.get("contact_phone"),
                    location=task.get("location"), notes=task.get("notes"), language=task.get("language"))
    return view


def request_view_for_citizen(task, volunteer=None):
    """The requester's own view: all their fields and status; ``volunteer`` (``{name, phone,
    stars}``) appears masked-name + phone only while accepted/in progress, masked name only after."""
    view = dict(_base(task), id=task.get("id"), status=task["status"], source=task.get("source"),
                region=task["region"], address=task.get("address"), location=task.get("location"),
                notes=task.get("notes"), contact_phone=task.get("contact_phone"),
                created_at=iso(task.get("created_at")), checked_in_at=iso(task.get("checked_in_at")),
                checked_out_at=iso(task.get("checked_out_at")), volunteer=None)
    if volunteer and task.get("volunteer_id"):
        contact = {"name": mask_name(volunteer.get("name")), "stars": volunteer.get("stars")}
        if task["status"] in REVEAL_STATES:
            contact["phone"] = volunteer.get("phone")
        view["volunteer"] = contact
    return view
