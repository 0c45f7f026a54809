"""Certificate application workflow (办证流程) as explicit transition tables.

Each transaction type has a table ``(state, action) -> (next_state, roles allowed)``. The
pseudo-role ``applicant`` is a citizen acting for the application's person (self or ward).
Staff must belong to the application's ``handling_region``; ``filed_region`` (where the
citizen lives and applied, 跨省通办) only sees the status (see applications.can_view).

``apply_action`` checks, in order: the action exists for this type (400 UNKNOWN_ACTION); the
actor holds a role that may ever take it (403 ROLE_NOT_ALLOWED); staff region / applicant person
(403 OUT_OF_REGION / NOT_YOUR_APPLICATION); the (state, action) pair (409 ILLEGAL_TRANSITION);
the role for this state (403 ROLE_NOT_ALLOWED); then the step's own rules.
"""
import dataclasses
import datetime as dt
from typing import Optional

from services.common import idnumber
from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.certificate import domain, events
from services.certificate.policy import home_visit_eligible
from services.certificate.workdays import local_date, notice_elapsed, notice_period

SUBMITTED, RETURNED = "submitted", "returned_for_correction"
MATERIALS_ACCEPTED, ASSESSMENT_SCHEDULED = "materials_accepted", "assessment_scheduled"
ASSESSED, PUBLIC_NOTICE, APPROVED = "assessed", "public_notice", "approved"
ISSUED, CERTIFICATE_CANCELLED = "issued", "certificate_cancelled"
REJECTED, WITHDRAWN = "rejected", "withdrawn"
TERMINAL = frozenset({ISSUED, CERTIFICATE_CANCELLED, REJECTED, WITHDRAWN})

APPLICANT, STREET, DPF, ASSESSOR = "applicant", "street_officer", "county_dpf", "assessor"


def _r(*roles):
    return frozenset(roles)


# materials check by the street/township (初审)
_INTAKE = {
    (SUBMITTED, "accept"): (MATERIALS_ACCEPTED, _r(STREET)),
    (SUBMITTED, "return"): (RETURNED, _r(STREET)),
    (SUBMITTED, "reject"): (REJECTED, _r(STREET)),
    (SUBMITTED, "withdraw"): (WITHDRAWN, _r(APPLICANT)),
    (RETURNED, "resubmit"): (SUBMITTED, _r(APPLICANT)),
    (RETURNED, "withdraw"): (WITHDRAWN, _r(APPLICANT)),
    (MATERIALS_ACCEPTED, "reject"): (REJECTED, _r(DPF)),
    (MATERIALS_ACCEPTED, "withdraw"): (WITHDRAWN, _r(APPLICANT)),
}
# assessment (评残) booked by the county 残联 with an assessor from the pool, then notice (公示)
_ASSESSMENT = {
    (MATERIALS_ACCEPTED, "schedule_assessment"): (ASSESSMENT_SCHEDULED, _r(DPF)),
    (ASSESSMENT_SCHEDULED, "schedule_assessment"): (ASSESSMENT_SCHEDULED, _r(DPF)),  # reschedule
    (ASSESSMENT_SCHEDULED, "record_assessment"): (ASSESSED, _r(ASSESSOR)),
    (ASSESSMENT_SCHEDULED, "reject"): (REJECTED, _r(DPF, ASSESSOR)),
    (ASSESSMENT_SCHEDULED, "withdraw"): (WITHDRAWN, _r(APPLICANT)),
    (ASSESSED, "approve"): (PUBLIC_NOTICE, _r(DPF)),
    (ASSESSED, "reject"): (REJECTED, _r(DPF)),
    (PUBLIC_NOTICE, "issue"): (ISSUED, _r(DPF)),
    (PUBLIC_NOTICE, "reject"): (REJECTED, _r(DPF)),  # an objection upheld during the notice
}
# no re-assessment: the county 残联 approves on the papers, then issues
_DIRECT = {
    (MATERIALS_ACCEPTED, "approve"): (APPROVED, _r(DPF)),
    (APPROVED, "issue"): (ISSUED, _r(DPF)),
}
_CANCELLATION = {
    (SUBMITTED, "approve"): (CERTIFICATE_CANCELLED, _r(DPF)),
    (SUBMITTED, "reject"): (REJECTED, _r(DPF)),
    (SUBMITTED, "withdraw"): (WITHDRAWN, _r(APPLICANT)),
}

FLOWS = {
    "new": {**_INTAKE, **_ASSESSMENT},
    "change": {**_INTAKE, **_ASSESSMENT},            # 变更 needs re-assessment
    "renewal": {**_INTAKE, **_DIRECT, **_ASSESSMENT},  # 换领: papers, or re-assess if staff decide
    "replacement": {**_INTAKE, **_DIRECT},           # 补办: same category/grade/validity
    "transfer": {**_INTAKE, **_DIRECT},              # 迁移: handled by the destination region
    "cancellation": dict(_CANCELLATION),             # 注销: county 残联 approval
}
REASON_REQUIRED = frozenset({"return", "reject"})
ASSESSMENT_MODES = frozenset({"clinic", "home_visit"})


@dataclasses.dataclass(frozen=True)
class Transition:
    """What a step produces; the store writes ``application`` (conditional on the old
    ``version``), inserts ``certificate``, updates ``ended_certificate`` (conditional on
    status "valid"), appends ``audit`` and puts ``events`` in the outbox, all or nothing."""
    application: dict
    audit: dict
    events: list
    certificate: Optional[dict] = None
    ended_certificate: Optional[dict] = None


def actor_roles(application, actor):
    """The workflow roles this actor holds for this application (before the region check)."""
    if actor.get("kind") == "citizen":
        return {APPLICANT} if application["person_id"] in (actor.get("person_ids") or ()) else set()
    if actor.get("kind") == "staff":
        return set(actor.get("roles") or ())
    return set()


def _authorise(application, action, actor, flow):
    ever = set().union(*(roles for (_, a), (_, roles) in flow.items() if a == action))
    kind = actor.get("kind")
    if kind == "citizen":
        if APPLICANT not in ever:
            raise Forbidden("此操作只能由工作人员办理", {"action": action}, code="ROLE_NOT_ALLOWED")
        if application["person_id"] not in (actor.get("person_ids") or ()):
            raise Forbidden("您只能办理本人或被监护人的申请", code="NOT_YOUR_APPLICATION")
        return
    if kind != "staff" or not ever & set(actor.get("roles") or ()):
        raise Forbidden("您的角色不能进行此操作", {"action": action,
                                                 "required_roles": sorted(ever - {APPLICANT})},
                        code="ROLE_NOT_ALLOWED")
    if actor.get("region") != application["handling_region"]:
        raise Forbidden("该申请由其他地区办理，您无权处理",
                        {"handling_region": application["handling_region"]}, code="OUT_OF_REGION")


def available_actions(application, actor):
    """Actions this actor may take now (for buttons and staff queues); no region check."""
    flow = FLOWS[application["type"]]
    held = actor_roles(application, actor)
    if actor.get("kind") == "staff" and actor.get("region") != application["handling_region"]:
        return []
    return sorted(a for (s, a), (_, roles) in flow.items()
                  if s == application["status"] and roles & held)


def apply_action(application, action, actor, now, policy, params=None, *, id_number=None,
                 current_certificate=None, certificate_id=None):
    """Take one workflow step. Returns a Transition.

    ``params`` per action: return/reject ``{"reason"}`` (required); accept/approve/resubmit/
    withdraw ``{"reason"?}``; schedule_assessment ``{"assessor_id", "scheduled_at", "mode"?:
    clinic|home_visit, "location"?}``; record_assessment ``{"category", "grade",
    "components"?, "assessed_on"?, "notes"?}``. ``issue`` needs ``id_number`` (the person's)
    and ``current_certificate`` (the person's latest certificate record or None); cancellation
    ``approve`` needs ``current_certificate``. ``certificate_id`` fixes the new record's id.
    """
    params = dict(params or {})
    flow = FLOWS[application["type"]]
    if action not in {a for (_, a) in flow}:
        raise ValidationFailed("该业务没有此操作：%s" % action, {"action": ["未知的操作"]},
                               code="UNKNOWN_ACTION")
    _authorise(application, action, actor, flow)
    state = application["status"]
    if (state, action) not in flow:
        raise Conflict("申请当前状态为“%s”，不能进行此操作" % STATUS_NAMES.get(state, state),
                       {"status": state, "action": action}, code="ILLEGAL_TRANSITION")
    nxt, roles = flow[(state, action)]
    role = next((r for r in sorted(actor_roles(application, actor)) if r in roles), None)
    if role is None:
        raise Forbidden("您的角色不能在此环节进行此操作",
                        {"action": action, "required_roles": sorted(roles)},
                        code="ROLE_NOT_ALLOWED")
    reason = _reason(params, action)
    app = dict(application)
    out = {"certificate": None, "ended": None, "event_cert": None}
    _STEPS.get(action, _noop)(app, params, actor, now, policy, out, id_number=id_number,
                              current_certificate=current_certificate,
                              certificate_id=certificate_id, state=state)
    version = application.get("version", 0) + 1
    audit = {"entity": "certificate_application", "entity_id": application["id"],
             "from": state, "to": nxt, "action": action, "actor_role": role,
             "actor_kind": actor.get("kind"),
             "actor_id": actor.get("staff_id") or actor.get("account_id"),
             "region": actor.get("region"), "at": now, "reason": reason}
    app.update(status=nxt, updated_at=now, version=version,
               history=list(application.get("history") or []) + [audit])
    evts = [events.status_event(app, audit, version)]
    if nxt in (ISSUED, CERTIFICATE_CANCELLED):
        evts.append(events.completion_event(app, out["event_cert"], out["ended"]
                                            if nxt == ISSUED else None, now, version))
    return Transition(app, audit, evts, out["certificate"], out["ended"])


def _reason(params, action):
    reason = params.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed("原因必须是文字", {"reason": ["必须是文字"]})
    reason = (reason or "").strip() or None
    if action in REASON_REQUIRED and not reason:
        raise ValidationFailed("请填写%s的原因" % ("退回补正" if action == "return" else "不予通过"),
                               {"reason": ["必填"]})
    if reason and len(reason) > 500:
        raise ValidationFailed("原因不能超过500字", {"reason": ["过长"]})
    return reason


def _noop(app, params, actor, now, policy, out, **_):
    return None


def _return(app, params, actor, now, policy, out, **_):
    app["return_reasons"] = list(app.get("return_reasons") or []) + [params["reason"].strip()]


def _reject(app, params, actor, now, policy, out, **_):
    app["rejection_reason"] = params["reason"].strip()


def _parse_time(value, field):
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValidationFailed("时间格式不正确，应为带时区的ISO 8601时间", {field: ["格式不正确"]})
    return value.astimezone(dt.timezone.utc)


def _schedule(app, params, actor, now, policy, out, **_):
    assessor = (params.get("assessor_id") or "").strip()
    if not assessor:
        raise ValidationFailed("请指定评残专家", {"assessor_id": ["必填"]})
    if assessor not in policy["expert_pool"]:
        raise RuleRefused("该评残专家不在本地区专家库中", {"assessor_id": assessor},
                          code="ASSESSOR_NOT_IN_POOL")
    when = _parse_time(params.get("scheduled_at"), "scheduled_at")
    if when <= now:
        raise ValidationFailed("评定时间必须晚于当前时间", {"scheduled_at": ["应为将来的时间"]})
    mode = params.get("mode") or ("home_visit" if app.get("home_visit") else "clinic")
    if mode not in ASSESSMENT_MODES:
        raise ValidationFailed("评定方式应为到场评定或上门评定", {"mode": ["未知的方式"]})
    if mode == "home_visit" and not home_visit_eligible(
            policy, bed_bound=app.get("bed_bound", False),
            grade=app.get("claimed_grade") or app.get("held_grade"),
            category=app.get("claimed_category") or app.get("held_category")):
        raise RuleRefused("上门评残仅适用于本地区规定的重度残疾或卧床的申请人",
                          code="HOME_VISIT_NOT_ELIGIBLE")
    app["assessment"] = {"assessor_id": assessor, "scheduled_at": when, "mode": mode,
                         "location": (params.get("location") or "").strip() or None,
                         "scheduled_by": actor.get("staff_id")}


def _record(app, params, actor, now, policy, out, **_):
    booked = app.get("assessment") or {}
    if actor.get("staff_id") != booked.get("assessor_id"):
        raise Forbidden("只有被指定的评残专家才能录入评定结果",
                        {"assessor_id": booked.get("assessor_id")}, code="NOT_ASSIGNED_ASSESSOR")
    result = domain.validate_assessment(params.get("category"), params.get("grade"),
                                        params.get("components"))
    on = domain.as_date(params["assessed_on"]) if params.get("assessed_on") else local_date(now)
    if on > local_date(now):
        raise ValidationFailed("评定日期不能晚于今天", {"assessed_on": ["不能是将来的日期"]})
    result.update(severe=result["grade"] in domain.SEVERE_GRADES, assessor_id=booked["assessor_id"],
                  assessed_on=on.isoformat(),
                  notes=(params.get("notes") or "").strip() or None)
    app["assessment_result"] = result


def _approve(app, params, actor, now, policy, out, state, current_certificate=None, **_):
    if app["type"] == "cancellation":
        _check_same_certificate(app, current_certificate)
        cancelled = domain.cancel(current_certificate, app["cancellation_reason"], now)
        out["ended"] = out["event_cert"] = cancelled
    elif state == ASSESSED:
        notice = notice_period(now, policy["public_notice_working_days"],
                               policy.get("holidays", ()), policy.get("makeup_workdays", ()))
        app["notice"] = {k: v.isoformat() for k, v in notice.items()}


def _check_same_certificate(app, current):
    if current is None or current["id"] != app.get("certificate_id"):
        raise Conflict("申请所涉的残疾人证已发生变化，请重新申请",
                       {"certificate_id": app.get("certificate_id")}, code="CERTIFICATE_CHANGED")


def _issue(app, params, actor, now, policy, out, state, id_number=None, current_certificate=None,
           certificate_id=None, **_):
    today = local_date(now)
    if state == PUBLIC_NOTICE:
        notice = {"issue_from": domain.as_date(app["notice"]["issue_from"])}
        if not notice_elapsed(notice, now):
            raise RuleRefused("公示期未满，%s起方可发证" % app["notice"]["issue_from"],
                              {"issue_from": app["notice"]["issue_from"]},
                              code="NOTICE_PERIOD_NOT_ELAPSED")
    if id_number is None:
        raise ValidationFailed("发证需要申请人的身份证号码", {"id_number": ["必填"]})
    idnumber.validate(id_number)
    domain.check_issue_allowed(app["type"], current_certificate, today)
    if app["type"] != "new":
        _check_same_certificate(app, current_certificate)
    result = app.get("assessment_result")
    if result:
        category, grade, components = result["category"], result["grade"], result["components"]
    else:
        category, grade = current_certificate["category"], current_certificate["grade"]
        components = current_certificate.get("components") or []
    if app["type"] in ("replacement", "transfer"):
        valid_until = domain.as_date(current_certificate["valid_until"])
    else:
        valid_until = domain.validity_until(today, policy["validity_years"])
    previous = current_certificate if current_certificate and \
        current_certificate["status"] == domain.CERT_VALID else None
    cert = domain.build_certificate(
        application=app, id_number=id_number, category=category, grade=grade, valid_from=today,
        valid_until=valid_until, now=now, certificate_id=certificate_id,
        previous_certificate=previous, components=components)
    out["certificate"] = out["event_cert"] = cert
    out["ended"] = domain.supersede(previous, cert["id"], now) if previous else None
    app["issued_certificate_id"] = cert["id"]


_STEPS = {"return": _return, "reject": _reject, "schedule_assessment": _schedule,
          "record_assessment": _record, "approve": _approve, "issue": _issue}

STATUS_NAMES = {SUBMITTED: "已提交", RETURNED: "退回补正", MATERIALS_ACCEPTED: "材料已受理",
                ASSESSMENT_SCHEDULED: "已预约评定", ASSESSED: "已评定", PUBLIC_NOTICE: "公示中",
                APPROVED: "已审核通过", ISSUED: "已发证", CERTIFICATE_CANCELLED: "已注销",
                REJECTED: "未通过", WITHDRAWN: "已撤回"}
