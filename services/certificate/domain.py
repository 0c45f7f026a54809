"""Certificate rules (残疾人证): categories, grades, number, validity, the one-valid rule, the
certificate status, expiry reminders and the physical card (实体卡) production machine.

Pure: no I/O, no wall clock. Records are plain dicts ready for MongoDB: timestamps are aware
UTC datetimes, calendar dates are ISO strings ("2034-06-10", Asia/Shanghai dates).
The application workflow lives in workflow.py.
"""
import datetime as dt
import uuid

from services.common import idnumber
from services.common.errors import Conflict, Forbidden, RuleRefused, ValidationFailed
from services.certificate.workdays import local_date

# 残疾类别 (GB/T 26341-2010): code -> Chinese name. 7 多重 = several categories at once.
CATEGORIES = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
CATEGORY_CODES = {1: "visual", 2: "hearing", 3: "speech", 4: "physical", 5: "intellectual",
                  6: "psychiatric", 7: "multiple"}
MULTIPLE = 7
# 残疾等级 一级 (most severe) .. 四级; 一级 and 二级 are 重度 (severe).
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
SEVERE_GRADES = frozenset({1, 2})

# Transaction types (业务类型): 新办, 换领, 补办, 变更, 迁移, 注销.
TRANSACTION_TYPES = {"new": "新办", "renewal": "换领", "replacement": "补办", "change": "变更",
                     "transfer": "迁移", "cancellation": "注销"}
# 注销 reasons: 死亡, 康复, 本人申请, 骗取.
CANCELLATION_REASONS = {"death": "死亡", "recovery": "康复", "voluntary": "本人申请注销",
                        "fraud": "以欺骗手段取得"}

# Certificate statuses as stored; "expired" is derived from valid_until (see effective_status).
CERT_VALID, CERT_CANCELLED, CERT_REPLACED, CERT_EXPIRED = "valid", "cancelled", "replaced", "expired"

DEFAULT_VALIDITY_YEARS = 10
DEFAULT_EXPIRY_REMINDER_DAYS = 90


def _int(value, field, label):
    if isinstance(value, bool):
        raise ValidationFailed("%s必须是数字" % label, {field: ["必须是数字"]})
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("%s必须是数字" % label, {field: ["必须是数字"]})


def validate_category(value, field="category"):
    """Return the category as int 1..7, or raise ValidationFailed."""
    n = _int(value, field, "残疾类别")
    if n not in CATEGORIES:
        raise ValidationFailed("残疾类别应为1至7（视力、听力、言语、肢体、智力、精神、多重）",
                               {field: ["未知的残疾类别"]})
    return n


def validate_grade(value, field="grade"):
    """Return the grade as int 1..4, or raise ValidationFailed."""
    n = _int(value, field, "残疾等级")
    if n not in GRADES:
        raise ValidationFailed("残疾等级应为1至4（一级至四级）", {field: ["未知的残疾等级"]})
    return n


def is_severe(grade):
    """一级、二级 are 重度."""
    return validate_grade(grade) in SEVERE_GRADES


def validate_transaction_type(value, field="type"):
    if value not in TRANSACTION_TYPES:
        raise ValidationFailed("业务类型应为新办、换领、补办、变更、迁移或注销之一",
                               {field: ["未知的业务类型"]})
    return value


def validate_cancellation_reason(value, field="reason"):
    if value not in CANCELLATION_REASONS:
        raise ValidationFailed("注销原因应为死亡、康复、本人申请或骗取之一",
                               {field: ["未知的注销原因"]})
    return value


def validate_assessment(category, grade, components=None):
    """Validate an assessment outcome; returns ``{"category", "grade", "components"}``.

    For 多重 (7) ``components`` lists the single categories found (``[{"category", "grade"}]``,
    at least two different categories 1..6) and the certificate grade is the most severe of them
    (the lowest number). If ``grade`` is given it must equal that; if omitted it is derived.
    """
    category = validate_category(category)
    if category != MULTIPLE:
        if components:
            raise ValidationFailed("只有多重残疾需要填写各类残疾的评定结果",
                                   {"components": ["非多重残疾不应填写"]})
        return {"category": category, "grade": validate_grade(grade), "components": []}
    parts = []
    for i, part in enumerate(components or []):
        if not isinstance(part, dict):
            raise ValidationFailed("多重残疾的评定结果格式不正确", {"components": ["格式不正确"]})
        c = validate_category(part.get("category"), "components[%d].category" % i)
        if c == MULTIPLE:
            raise ValidationFailed("多重残疾的组成类别不能是多重", {"components": ["类别不正确"]})
        parts.append({"category": c, "grade": validate_grade(part.get("grade"),
                                                             "components[%d].grade" % i)})
    if len({p["category"] for p in parts}) < 2:
        raise ValidationFailed("多重残疾须有两类及以上不同类别的评定结果",
                               {"components": ["至少两类不同的残疾"]})
    highest = min(p["grade"] for p in parts)
    if grade is not None and validate_grade(grade) != highest:
        raise ValidationFailed("多重残疾的等级应取各类残疾中最重的等级（%s）" % GRADES[highest],
                               {"grade": ["应为%d" % highest]})
    return {"category": MULTIPLE, "grade": highest, "components": parts}


def certificate_number(id_number, category, grade):
    """残疾人证号: 18-character ID number + category digit + grade digit (20 characters)."""
    return idnumber.validate(id_number) + str(validate_category(category)) + str(validate_grade(grade))


def parse_certificate_number(number):
    """Split and check a 20-character number: ``{"id_number", "category", "grade"}``."""
    n = (number or "").strip().upper()
    if len(n) != 20:
        raise ValidationFailed("残疾人证号应为20位：18位身份证号码加类别和等级各1位",
                               {"number": ["长度不正确"]})
    return {"id_number": idnumber.validate(n[:18], "number"),
            "category": validate_category(n[18], "number"),
            "grade": validate_grade(n[19], "number")}


def as_date(value):
    if isinstance(value, dt.datetime):
        raise ValidationFailed("日期格式不正确", {"date": ["应为日期"]})
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("日期格式不正确，应为YYYY-MM-DD", {"date": ["格式不正确"]})


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> 28 February
        return day.replace(year=day.year + years, day=28)


def validity_until(valid_from, validity_years=DEFAULT_VALIDITY_YEARS):
    """Last valid day (inclusive): from 2024-06-11 for 10 years -> 2034-06-10."""
    return add_years(as_date(valid_from), validity_years) - dt.timedelta(days=1)


def effective_status(certificate, today):
    """valid | expired | cancelled | replaced, on the Shanghai date ``today``."""
    status = certificate["status"]
    if status == CERT_VALID and as_date(certificate["valid_until"]) < as_date(today):
        return CERT_EXPIRED
    return status


def is_valid(certificate, today):
    return certificate is not None and effective_status(certificate, today) == CERT_VALID


def check_issue_allowed(transaction_type, current_certificate, today):
    """Only one valid certificate per person (一人一证).

    ``new`` is refused while a valid certificate exists (Conflict CERTIFICATE_ALREADY_VALID);
    renewal may start from a valid or an expired (not cancelled/replaced) certificate; the other
    transactions need a valid one (RuleRefused NO_VALID_CERTIFICATE). Returns None when allowed.
    The store must also enforce this atomically (unique partial index on person_id where
    status == "valid", plus a conditional update of the superseded record).
    """
    validate_transaction_type(transaction_type)
    if transaction_type == "new":
        if is_valid(current_certificate, today):
            raise Conflict("该残疾人已持有有效的残疾人证，不能重复办理新证",
                           {"certificate_id": current_certificate["id"]},
                           code="CERTIFICATE_ALREADY_VALID")
        return None
    if transaction_type == "renewal" and current_certificate is not None and \
            effective_status(current_certificate, today) in (CERT_VALID, CERT_EXPIRED):
        return None
    if not is_valid(current_certificate, today):
        raise RuleRefused("该业务需要持有有效的残疾人证（%s）" % TRANSACTION_TYPES[transaction_type],
                          {"type": transaction_type}, code="NO_VALID_CERTIFICATE")
    return None


def build_certificate(*, application, id_number, category, grade, valid_from, valid_until,
                      now, certificate_id=None, previous_certificate=None, components=None):
    """A new certificate record (status valid, card queued) for an issuing application."""
    category, grade = validate_category(category), validate_grade(grade)
    return {
        "id": certificate_id or uuid.uuid4().hex,
        "person_id": application["person_id"],
        "number": certificate_number(id_number, category, grade),
        "category": category,
        "grade": grade,
        "severe": grade in SEVERE_GRADES,
        "components": components or [],
        "status": CERT_VALID,
        "region": application["handling_region"],
        "valid_from": as_date(valid_from).isoformat(),
        "valid_until": as_date(valid_until).isoformat(),
        "issued_at": now,
        "application_id": application["id"],
        "transaction": application["type"],
        "previous_certificate_id": previous_certificate["id"] if previous_certificate else None,
        "generation": 3,  # third-generation smart card (第三代智能化残疾人证)
        "card": new_card(now),
        "expiry_reminded_at": None,
    }


def supersede(certificate, new_certificate_id, now):
    """The old record once a renewal/replacement/change/transfer issued ``new_certificate_id``."""
    if certificate["status"] != CERT_VALID:
        raise Conflict("该残疾人证已不是有效状态", {"certificate_id": certificate["id"]},
                       code="ILLEGAL_TRANSITION")
    return dict(certificate, status=CERT_REPLACED, replaced_by=new_certificate_id,
                ended_at=now)


def cancel(certificate, reason, now):
    """注销: the record with status cancelled (revoke its credentials at once)."""
    validate_cancellation_reason(reason)
    if certificate["status"] != CERT_VALID:
        raise Conflict("该残疾人证已不是有效状态，不能注销", {"certificate_id": certificate["id"]},
                       code="ILLEGAL_TRANSITION")
    return dict(certificate, status=CERT_CANCELLED, cancellation_reason=reason, ended_at=now)


def revocation_entry(certificate):
    """What the revocation list needs for a cancelled or replaced certificate."""
    if certificate["status"] not in (CERT_CANCELLED, CERT_REPLACED):
        raise Conflict("只有已注销或已换发的证件才进入吊销列表", code="ILLEGAL_TRANSITION")
    return {"certificate_id": certificate["id"], "status": certificate["status"],
            "revoked_at": certificate["ended_at"]}


def expiry_reminder_due(certificate, now, reminder_days=DEFAULT_EXPIRY_REMINDER_DAYS):
    """True if a valid certificate ends within ``reminder_days`` and was not yet reminded."""
    today = local_date(now)
    if not is_valid(certificate, today) or certificate.get("expiry_reminded_at"):
        return False
    return (as_date(certificate["valid_until"]) - today).days <= reminder_days


def days_until_expiry(certificate, now):
    return (as_date(certificate["valid_until"]) - local_date(now)).days


# --- physical card production (实体卡制作): queued -> printed -> ready -> collected | mailed ---

CARD_QUEUED, CARD_PRINTED, CARD_READY = "queued", "printed", "ready"
CARD_COLLECTED, CARD_MAILED = "collected", "mailed"
CARD_TRANSITIONS = {
    # (state, action): (next_state, roles allowed)
    (CARD_QUEUED, "print"): (CARD_PRINTED, frozenset({"county_dpf"})),
    (CARD_PRINTED, "mark_ready"): (CARD_READY, frozenset({"county_dpf"})),
    (CARD_READY, "collect"): (CARD_COLLECTED, frozenset({"county_dpf", "street_officer"})),
    (CARD_READY, "mail"): (CARD_MAILED, frozenset({"county_dpf", "street_officer"})),
}
CARD_ACTIONS = frozenset(a for _, a in CARD_TRANSITIONS)


def new_card(now):
    return {"status": CARD_QUEUED, "history": [{"status": CARD_QUEUED, "at": now}]}


def advance_card(certificate, action, actor, now, tracking_number=None):
    """Move the physical card one step. Returns ``(new_certificate, audit)``.

    Staff of the certificate's region with a role in CARD_TRANSITIONS only; ``mail`` needs a
    ``tracking_number`` (快递单号).
    """
    if action not in CARD_ACTIONS:
        raise ValidationFailed("未知的制卡操作：%s" % action, {"action": ["未知的操作"]})
    allowed = set().union(*(roles for (_, a), (_, roles) in CARD_TRANSITIONS.items() if a == action))
    if actor.get("kind") != "staff" or not allowed & set(actor.get("roles") or ()):
        raise Forbidden("您的角色不能进行此制卡操作", {"required_roles": sorted(allowed)},
                        code="ROLE_NOT_ALLOWED")
    if actor.get("region") != certificate["region"]:
        raise Forbidden("只能处理本地区的残疾人证", {"region": certificate["region"]},
                        code="OUT_OF_REGION")
    card = certificate["card"]
    key = (card["status"], action)
    if key not in CARD_TRANSITIONS:
        raise Conflict("制卡状态为“%s”时不能进行此操作" % card["status"],
                       {"status": card["status"], "action": action}, code="ILLEGAL_TRANSITION")
    if action == "mail" and not (tracking_number or "").strip():
        raise ValidationFailed("邮寄时须填写快递单号", {"tracking_number": ["必填"]})
    nxt = CARD_TRANSITIONS[key][0]
    step = {"status": nxt, "at": now, "by": actor.get("staff_id")}
    if tracking_number:
        step["tracking_number"] = tracking_number.strip()
    new_card_state = dict(card, status=nxt, history=list(card["history"]) + [step])
    audit = {"entity": "certificate_card", "entity_id": certificate["id"], "from": card["status"],
             "to": nxt, "action": action, "actor_role": _first(allowed, actor),
             "actor_id": actor.get("staff_id"), "region": actor.get("region"), "at": now,
             "reason": None}
    return dict(certificate, card=new_card_state), audit


def _first(allowed, actor):
    return next((r for r in actor.get("roles") or () if r in allowed), None)
