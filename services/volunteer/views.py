"""Response shapes (pure): volunteer profiles, requests for each kind of viewer, board rows.

Personal data (names, phones) is stored encrypted; the service decrypts with ``pii`` only for
the views that may show it, and masks it everywhere else.
"""
from services.common import regions
from services.common.clock import iso
from services.common.crypto import mask_phone
from services.common.mongo import without_id
from services.volunteer import hours, privacy
from services.volunteer.profile import skill_name


def decrypt(pii, value):
    return pii.decrypt(value) if value else None


def volunteer_view(doc, pii, full=True):
    """The volunteer's own profile (``full``) or the coordinator's view (phone masked)."""
    minutes = doc.get("logged_minutes") or 0
    count = doc.get("rating_count") or 0
    phone = decrypt(pii, doc.get("phone_enc"))
    return {
        "id": doc["_id"], "status": doc["status"], "name": decrypt(pii, doc.get("name_enc")),
        "phone_masked": mask_phone(phone) if phone else None,
        "skills": doc["skills"], "skill_names": [skill_name(s) for s in doc["skills"]],
        "languages": doc.get("languages") or [], "availability": doc["availability"],
        "home_region": doc["home_region"], "district": regions.name(doc["home_region"]),
        "location": doc["location"] if full else None,
        "logged_minutes": minutes, "service_hours": hours.star_level(minutes),
        "rating": {"average": round((doc.get("rating_sum") or 0) / count, 2) if count else None, "count": count},
        "active_tasks": len(doc.get("active_task_ids") or ()), "accepted_count": doc.get("accepted_count") or 0,
        "completed_count": doc.get("completed_count") or 0,
        "upheld_complaints": doc.get("upheld_complaints") or 0,
        "created_at": iso(doc.get("created_at")), "verified_at": iso(doc.get("verified_at")),
        "status_reason": doc.get("status_reason"),
    }


def task_with_phone(doc, pii):
    task = without_id(doc)
    task["contact_phone"] = decrypt(pii, doc.get("contact_phone_enc"))
    return task


def volunteer_contact(vol, pii):
    """What the citizen may learn of the assigned volunteer (privacy.request_view_for_citizen masks it)."""
    if not vol:
        return None
    return {"name": decrypt(pii, vol.get("name_enc")) or "志愿者", "phone": decrypt(pii, vol.get("phone_enc")),
            "stars": hours.star_level(vol.get("logged_minutes") or 0)["stars"]}


def citizen_request_view(doc, vol, pii):
    view = privacy.request_view_for_citizen(task_with_phone(doc, pii), volunteer_contact(vol, pii))
    view.update(on_the_way_at=iso(doc.get("on_the_way_at")), accepted_at=iso(doc.get("accepted_at")),
                credited_minutes=doc.get("credited_minutes"), ratings=_ratings(doc))
    return view


def staff_request_view(doc, pii):
    """Coordinators: the whole need, the citizen's phone masked, and the matching trail."""
    task = task_with_phone(doc, pii)
    view = privacy.request_view_for_citizen(dict(task, contact_phone=None))
    phone = task.get("contact_phone")
    view.update(contact_phone_masked=mask_phone(phone) if phone else None, person_id=doc["person_id"],
                volunteer_id=doc.get("volunteer_id"), current_wave=doc.get("current_wave") or 0,
                waves_planned=len(doc.get("wave_plan") or ()), alert=doc.get("alert"),
                unmatched_reason=doc.get("unmatched_reason"), filtered_out=doc.get("filtered_out") or {},
                offered=sum(len(w["volunteer_ids"]) for w in doc.get("wave_plan") or ()),
                declined=len(doc.get("declined_ids") or ()), timed_out=len(doc.get("timed_out_ids") or ()),
                wave_expires_at=iso(doc.get("wave_expires_at")), channel=doc.get("channel"),
                hotline_ticket=doc.get("hotline_ticket"), source_ref=doc.get("source_ref"),
                urgent=bool(doc.get("urgent")), ratings=_ratings(doc))
    return view


def _ratings(doc):
    r = doc.get("ratings") or {}
    return {side: ({"stars": r[side]["stars"], "at": iso(r[side]["at"])} if r.get(side) else None)
            for side in ("by_citizen", "by_volunteer")}


def offer_row(offer, task_doc):
    return dict(privacy.offer_view(without_id(offer), without_id(task_doc)), wave=offer.get("wave"),
                sent_at=iso(offer.get("sent_at")))


def complaint_view(doc):
    return {"id": doc["_id"], "task_id": doc["task_id"], "against": doc["against"],
            "volunteer_id": doc["volunteer_id"], "status": doc["status"], "reason": doc["reason"],
            "created_at": iso(doc["created_at"]), "decided_at": iso(doc.get("decided_at")),
            "decision_reason": doc.get("decision_reason")}
