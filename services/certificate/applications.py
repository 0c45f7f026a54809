"""Filing an application (提交申请), routing it to the competent region, and who may see it.

Routing (跨省通办 / 川渝通办): the citizen files where they live (``filed_region`` = the
residence region in the request); the case is handled by the competent region
(``handling_region``): the household-registration region (户籍地) for a first issue, the
region holding the certificate for renewal/replacement/change/cancellation, and the new
household-registration region for a transfer. Both regions (and, for a transfer, the region it
leaves) see the status; only the handling region's staff act on it.
"""
import uuid

from services.common import regions
from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.certificate import domain, events
from services.certificate.policy import home_visit_eligible
from services.certificate.workdays import local_date
from services.certificate.workflow import SUBMITTED, TERMINAL, Transition

FILING_STAFF_ROLES = frozenset({"street_officer", "county_dpf"})
CITIZEN_CANCELLATION_REASONS = frozenset({"death", "recovery", "voluntary"})
RELATIONSHIPS = frozenset({"self", "parent", "spouse", "child", "guardian", "community_officer",
                           "other_proxy"})


def new_application(request, *, person, actor, now, policy, current_certificate=None,
                    application_id=None):
    """Validate and route a new application. Returns a Transition (certificate fields None).

    ``request``: ``{"person_id", "type", "residence_region", "claimed_category"?,
    "claimed_grade"?, "home_visit"?, "bed_bound"?, "reason"?, "to_region"? (transfer),
    "relationship"? (who files for the person: self, parent, spouse, child, guardian,
    community_officer, other_proxy)}``.
    ``person``: ``{"id", "household_region"}`` from the person file.
    ``policy``: the handling region's policy (policy.policy_for); the caller can compute the
    handling region first with ``handling_region_for``.
    ``current_certificate``: the person's latest certificate record, or None.
    """
    if not isinstance(request, dict):
        raise ValidationFailed("申请内容格式不正确")
    kind = domain.validate_transaction_type(request.get("type"))
    if request.get("person_id") != person["id"]:
        raise ValidationFailed("申请人与档案不一致", {"person_id": ["不一致"]})
    filed = regions.validate(request.get("residence_region"), "residence_region")
    handling = handling_region_for(kind, person, current_certificate, request.get("to_region"))
    if policy.get("region") not in (None, handling):
        raise ValidationFailed("政策地区与办理地区不一致", {"region": [policy.get("region")]})
    relationship = _submitter_relationship(request, actor, person, filed, handling)
    domain.check_issue_allowed(kind, current_certificate, local_date(now))
    reason = (request.get("reason") or "").strip() or None
    cancellation_reason = None
    if kind == "cancellation":
        cancellation_reason = domain.validate_cancellation_reason(reason)
        if actor.get("kind") == "citizen" and cancellation_reason not in CITIZEN_CANCELLATION_REASONS:
            raise Forbidden("因骗取办证的注销只能由工作人员发起", code="ROLE_NOT_ALLOWED")
    claimed_category = (domain.validate_category(request["claimed_category"], "claimed_category")
                        if request.get("claimed_category") not in (None, "") else None)
    claimed_grade = (domain.validate_grade(request["claimed_grade"], "claimed_grade")
                     if request.get("claimed_grade") not in (None, "") else None)
    home_visit, bed_bound = bool(request.get("home_visit")), bool(request.get("bed_bound"))
    held = current_certificate if domain.is_valid(current_certificate, local_date(now)) else None
    if home_visit and not home_visit_eligible(
            policy, bed_bound=bed_bound, grade=claimed_grade or (held and held["grade"]),
            category=claimed_category or (held and held["category"])):
        raise RuleRefused("上门评残仅适用于本地区规定的重度残疾或卧床的申请人",
                          code="HOME_VISIT_NOT_ELIGIBLE")
    from_region = current_certificate["region"] if kind == "transfer" else None
    app_id = application_id or uuid.uuid4().hex
    audit = {"entity": "certificate_application", "entity_id": app_id, "from": None,
             "to": SUBMITTED, "action": "submit",
             "actor_role": "applicant" if actor.get("kind") == "citizen" else
             next(r for r in sorted(actor.get("roles") or ()) if r in FILING_STAFF_ROLES),
             "actor_kind": actor.get("kind"),
             "actor_id": actor.get("staff_id") or actor.get("account_id"),
             "region": actor.get("region"), "at": now, "reason": reason}
    application = {
        "id": app_id,
        "type": kind,
        "person_id": person["id"],
        "status": SUBMITTED,
        "filed_region": filed,
        "handling_region": handling,
        "from_region": from_region,
        "cross_province": not regions.same_province(filed, handling) or bool(
            from_region and not regions.same_province(from_region, handling)),
        "visible_regions": sorted({filed, handling} | ({from_region} if from_region else set())),
        "certificate_id": current_certificate["id"] if kind != "new" else None,
        "held_category": held["category"] if held else None,
        "held_grade": held["grade"] if held else None,
        "claimed_category": claimed_category,
        "claimed_grade": claimed_grade,
        "home_visit": home_visit,
        "bed_bound": bed_bound,
        "reason": reason,
        "cancellation_reason": cancellation_reason,
        "submitted_by": {"kind": actor.get("kind"), "account_id": actor.get("account_id"),
                         "staff_id": actor.get("staff_id"), "relationship": relationship},
        "assessment": None,
        "assessment_result": None,
        "notice": None,
        "return_reasons": [],
        "rejection_reason": None,
        "issued_certificate_id": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "history": [audit],
    }
    return Transition(application, audit, [events.status_event(application, audit, 1)])


def handling_region_for(kind, person, current_certificate, to_region=None):
    """The competent region for a transaction (see the module docstring)."""
    household = regions.validate(person.get("household_region"), "household_region")
    if kind == "new":
        return household
    if current_certificate is None:
        raise RuleRefused("该业务需要持有有效的残疾人证", code="NO_VALID_CERTIFICATE")
    if kind != "transfer":
        return current_certificate["region"]
    target = regions.validate(to_region or household, "to_region")
    if target != household:
        raise RuleRefused("迁入地须与户籍所在地一致，请先办理户口迁移",
                          {"to_region": target, "household_region": household},
                          code="TRANSFER_REGION_MISMATCH")
    if target == current_certificate["region"]:
        raise RuleRefused("残疾人证已在该地区，无需迁移", {"to_region": target},
                          code="TRANSFER_SAME_REGION")
    return target


def _submitter_relationship(request, actor, person, filed, handling):
    relationship = request.get("relationship")
    if relationship is not None and relationship not in RELATIONSHIPS:
        raise ValidationFailed("与申请人的关系不正确", {"relationship": ["未知的关系"]})
    if actor.get("kind") == "citizen":
        if person["id"] not in (actor.get("person_ids") or ()):
            raise Forbidden("您只能为本人或被监护人提交申请", code="NOT_YOUR_APPLICATION")
        return relationship or "self"
    if actor.get("kind") == "staff" and FILING_STAFF_ROLES & set(actor.get("roles") or ()):
        if actor.get("region") not in (filed, handling):
            raise Forbidden("只能为本地区的群众代办申请", code="OUT_OF_REGION")
        return relationship or "community_officer"
    raise Forbidden("您的角色不能提交残疾人证申请", code="ROLE_NOT_ALLOWED")


def check_no_open_application(open_applications):
    """One open application per person at a time (the store should also hold a unique partial
    index on person_id over non-terminal statuses). Raises Conflict APPLICATION_IN_PROGRESS."""
    for other in open_applications or ():
        if other["status"] not in TERMINAL:
            raise Conflict("已有正在办理的残疾人证申请，请勿重复提交",
                           {"application_id": other["id"], "type": other["type"]},
                           code="APPLICATION_IN_PROGRESS")


def can_view(application, actor):
    """The applicant (self or guardian), or staff of any visible region (filed, handling,
    transfer origin), including auditors and admins there."""
    if actor.get("kind") == "citizen":
        return application["person_id"] in (actor.get("person_ids") or ())
    if actor.get("kind") == "staff":
        return actor.get("region") in application["visible_regions"]
    return False
