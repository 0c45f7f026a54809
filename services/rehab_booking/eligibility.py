"""Who may book what (预约资格), priority groups (优先对象) and the no-show rule (爽约限制).

Person facts (from the person file / certificate service, passed in by the service layer):
  {person_id, id_number? | birth_date?, deceased?: bool,
   certificate?: {status: valid|expired|cancelled|replaced, valid_until?: date},
   suspected?: bool (疑似残疾, e.g. referred by screening), household_status?: tekun|dibao|
   dibao_edge|low_income|none}
"""
import datetime as dt

from services.common import idnumber
from services.common.errors import RuleRefused
from services.rehab_booking import catalogue
from services.rehab_booking.states import NO_SHOW
from services.rehab_booking.util import utc

CHILD_SERVICE_MAX_AGE = 17   # services of kind "children" are for people under 18


def age_of(person, on):
    if person.get("birth_date"):
        b = person["birth_date"]
        b = dt.date.fromisoformat(b) if isinstance(b, str) else b
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))
    if person.get("id_number"):
        return idnumber.age_on(idnumber.validate(person["id_number"]), on)
    return None


def has_valid_certificate(person, on):
    cert = person.get("certificate") or {}
    if cert.get("status") != "valid":
        return False
    until = cert.get("valid_until")
    if until is None:
        return True
    until = dt.date.fromisoformat(until) if isinstance(until, str) else until
    if isinstance(until, dt.datetime):
        until = until.date()
    return until >= on


def is_priority(person, policy):
    """特困/低保/低保边缘 (policy.priority_groups) are served first."""
    return person.get("household_status") in policy.priority_groups


def check_eligibility(person, service, policy, on):
    """Decide whether ``person`` may book ``service`` on local date ``on``.

    Returns {eligible, basis: certificate|child|suspected|None, priority, reasons: [str]}.
    A valid certificate opens every service; without one, a child up to
    policy.uncertified_child_max_age or a suspected case may book the services open to the
    uncertified (screening, children's training, needs assessment). Children's services need
    the person to be under 18. Death ends every entitlement.
    """
    catalogue.validate_service(service)
    reasons = []
    age = age_of(person, on)
    priority = is_priority(person, policy)
    if person.get("deceased"):
        return {"eligible": False, "basis": None, "priority": priority,
                "reasons": ["当事人已身故"]}
    if catalogue.SERVICES[service]["kind"] == "children" and (age is None
                                                              or age > CHILD_SERVICE_MAX_AGE):
        return {"eligible": False, "basis": None, "priority": priority,
                "reasons": ["儿童康复项目仅面向未满18周岁的儿童"]}
    if has_valid_certificate(person, on):
        return {"eligible": True, "basis": "certificate", "priority": priority,
                "reasons": ["持有有效残疾人证"]}
    reasons.append("未持有有效残疾人证")
    if catalogue.open_to_uncertified(service):
        if age is not None and age <= policy.uncertified_child_max_age:
            return {"eligible": True, "basis": "child", "priority": priority,
                    "reasons": ["%d周岁以下儿童可先行预约此项服务" % (
                        policy.uncertified_child_max_age + 1)]}
        if person.get("suspected"):
            return {"eligible": True, "basis": "suspected", "priority": priority,
                    "reasons": ["疑似残疾人员可预约此项服务"]}
        reasons.append("不是%d周岁以下儿童，也不是疑似残疾人员" % (
            policy.uncertified_child_max_age + 1))
    else:
        reasons.append("此项服务需持有有效残疾人证")
    return {"eligible": False, "basis": None, "priority": priority, "reasons": reasons}


def ensure_eligible(person, service, policy, on):
    """check_eligibility, raising RuleRefused NOT_ELIGIBLE (details.reasons) when not eligible."""
    result = check_eligibility(person, service, policy, on)
    if not result["eligible"]:
        raise RuleRefused("不符合预约条件：%s" % "；".join(result["reasons"]),
                          {"reasons": result["reasons"], "service": service},
                          code="NOT_ELIGIBLE")
    return result


def no_show_times(bookings):
    """The start times of the person's bookings marked no-show (recent_no_shows windows them)."""
    return [b["start"] for b in bookings if b.get("status") == NO_SHOW]


def recent_no_shows(no_show_times, now, policy):
    """How many no-shows (their slot start times) fall within the policy window before ``now``."""
    now = utc(now)
    since = now - policy.no_show_window
    return sum(1 for t in no_show_times if since < utc(t, "no_show") <= now)


def needs_staff_confirmation(no_show_times, now, policy):
    """Three (policy.no_show_limit) no-shows in 90 days => later bookings need staff confirmation."""
    return recent_no_shows(no_show_times, now, policy) >= policy.no_show_limit
