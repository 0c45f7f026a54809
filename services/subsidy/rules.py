"""Eligibility rules engine (资格判定): a person's facts against a policy, with reasons in Chinese.

Facts (validated by :func:`normalise_facts`)::

    {"certificate": {"status": "valid"|"expired"|"cancelled"|"replaced",
                     "category": 1-7, "grade": 1-4, "valid_until": date|None} | None,
     "birth_date": date|None, "household_status": "dibao"|"dibao_edge"|"tekun"|"low_income"|"none",
     "household_region": "500113", "residence_region": "500113",
     "benefits_held": ["nursing_allowance", "orphan_allowance", ...], "alive": True}

Every check appends a reason, whether it passes or fails, so citizens and staff see why.
"""
import datetime as dt
import re

from services.common import regions
from services.common.errors import RuleRefused, ValidationFailed
from services.subsidy import policy as policy_mod

CATEGORY_NAMES = {1: "视力残疾", 2: "听力残疾", 3: "言语残疾", 4: "肢体残疾", 5: "智力残疾",
                  6: "精神残疾", 7: "多重残疾"}
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
STATUS_NAMES = {"dibao": "低保", "dibao_edge": "低保边缘", "tekun": "特困", "low_income": "低收入",
                "none": "无困难身份"}
CERT_STATUS_NAMES = {"expired": "已过期", "cancelled": "已注销", "replaced": "已换发"}
_REGION = re.compile(r"^\d{6}$")


def to_date(value, field):
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("日期格式不正确：%s" % field, {field: ["应为 YYYY-MM-DD"]})


def normalise_facts(facts):
    """Check and normalise a facts dict; raise ValidationFailed naming the bad field."""
    if not isinstance(facts, dict):
        raise ValidationFailed("缺少申请人信息", {"facts": ["应为对象"]})
    out = dict(facts)
    cert = facts.get("certificate")
    if cert is not None:
        if not isinstance(cert, dict):
            raise ValidationFailed("残疾人证信息格式不正确", {"certificate": ["应为对象"]})
        cert = dict(cert)
        try:
            cert["category"], cert["grade"] = int(cert.get("category")), int(cert.get("grade"))
        except (TypeError, ValueError):
            raise ValidationFailed("残疾类别或等级不正确", {"certificate": ["类别1-7，等级1-4"]})
        if cert["category"] not in CATEGORY_NAMES or cert["grade"] not in GRADE_NAMES:
            raise ValidationFailed("残疾类别或等级不正确", {"certificate": ["类别1-7，等级1-4"]})
        if cert.get("status") not in ("valid", "expired", "cancelled", "replaced"):
            raise ValidationFailed("残疾人证状态不正确", {"certificate.status": ["未知状态"]})
        cert["valid_until"] = to_date(cert.get("valid_until"), "certificate.valid_until")
    out["certificate"] = cert
    out["birth_date"] = to_date(facts.get("birth_date"), "birth_date")
    status = facts.get("household_status") or "none"
    if status not in STATUS_NAMES:
        raise ValidationFailed("家庭经济状况不正确：%s" % status, {"household_status": ["未知"]})
    out["household_status"] = status
    for field in ("household_region", "residence_region"):
        value = facts.get(field)
        if value is not None and not _REGION.match(str(value)):
            raise ValidationFailed("行政区划代码应为6位数字", {field: ["格式不正确"]})
        out[field] = value and str(value)
    held = facts.get("benefits_held") or []
    if not isinstance(held, (list, tuple, set)) or any(not isinstance(b, str) for b in held):
        raise ValidationFailed("已享受的补贴列表格式不正确", {"benefits_held": ["应为代码列表"]})
    out["benefits_held"] = list(held)
    alive = facts.get("alive", True)
    if not isinstance(alive, bool):
        raise ValidationFailed("在世状态应为 true/false", {"alive": ["应为布尔值"]})
    out["alive"] = alive
    return out


# ---- regions: who handles a case ------------------------------------------------------------

def region_covers(region, code):
    """Does a served region (city 230100 or district 500113) contain division ``code``?"""
    if not code:
        return False
    if region.endswith("00"):
        return code[:4] == region[:4]
    return code == region


def serving_region(code):
    """The served region that contains ``code``, or None."""
    for region in regions.all_regions():
        if region_covers(region, code):
            return region
    return None


def region_label(code):
    served = serving_region(code)
    return regions.name(served) if served else (code or "未知")


def competent_region(facts):
    """两项补贴资格认定 跨省通办: filed where the person lives, handled where they are registered.

    Returns ``{filing_region, handling_region, routed, cross_province}``. Raises RuleRefused
    (REGION_NOT_SERVED) if either region is outside the suite's service area."""
    facts = normalise_facts(facts)
    filing = serving_region(facts.get("residence_region"))
    handling = serving_region(facts.get("household_region"))
    if filing is None:
        raise RuleRefused("您的居住地不在本系统服务范围内", {"residence_region":
                          facts.get("residence_region")}, code="REGION_NOT_SERVED")
    if handling is None:
        raise RuleRefused("您的户籍地不在本系统服务范围内，请向户籍地残联咨询",
                          {"household_region": facts.get("household_region")},
                          code="REGION_NOT_SERVED")
    return {"filing_region": filing, "handling_region": handling, "routed": filing != handling,
            "cross_province": not regions.same_province(filing, handling)}


# ---- the checks -------------------------------------------------------------------------------

def _or_list(items):
    items = list(items)
    return items[0] if len(items) == 1 else "、".join(items[:-1]) + "或" + items[-1]


def _age(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _cn_date(d):
    return "%d年%d月%d日" % (d.year, d.month, d.day)


def _valid_cert(cert, day):
    return bool(cert and cert["status"] == "valid"
                and (cert["valid_until"] is None or cert["valid_until"] >= day))


def _check_certificate(cond, facts, short, day):
    cert = facts["certificate"]
    if _valid_cert(cert, day):
        return True, "持有有效残疾人证"
    if cond.get("certificate", "required") == "not_required":
        return True, "本项目不要求持有残疾人证"
    if cert is None:
        return False, "%s要求持有残疾人证，您尚未持证" % short
    if cert["status"] != "valid":
        return False, "残疾人证%s，需持有有效残疾人证" % CERT_STATUS_NAMES[cert["status"]]
    return False, "残疾人证已于%s到期，需持有有效残疾人证" % _cn_date(cert["valid_until"])


def _group_passes(group, facts):
    cert = facts["certificate"]
    if ("grades" in group or "categories" in group) and cert is None:
        return False
    return ((not group.get("grades") or cert["grade"] in group["grades"])
            and (not group.get("categories") or cert["category"] in group["categories"])
            and (not group.get("household_statuses")
                 or facts["household_status"] in group["household_statuses"]))


def _describe_person(facts, groups):
    cert, parts = facts["certificate"], []
    if any("grades" in g or "categories" in g for g in groups):
        parts.append("您尚未持证" if cert is None else "您的等级为%s、类别为%s" % (
            GRADE_NAMES[cert["grade"]], CATEGORY_NAMES[cert["category"]]))
    if any("household_statuses" in g for g in groups):
        status = facts["household_status"]
        parts.append("家庭没有低保等困难身份" if status == "none"
                     else "家庭为%s家庭" % STATUS_NAMES[status])
    return "，".join(parts)


def _checks(policy, cond, facts, day):
    """Yield (check, passed, reason) for every condition of the version in force."""
    short = policy["short_name"]
    yield ("certificate",) + _check_certificate(cond, facts, short, day)
    if cond.get("household_local"):
        if region_covers(policy["region"], facts.get("household_region")):
            yield "household_region", True, "户籍在%s" % regions.name(policy["region"])
        else:
            yield "household_region", False, "%s要求户籍在%s，您的户籍地为%s" % (
                short, regions.name(policy["region"]), region_label(facts.get("household_region")))
    cert = facts["certificate"]
    if cond.get("grades"):
        wanted = _or_list(GRADE_NAMES[g] for g in cond["grades"])
        if cert is None:
            yield "grade", False, "%s要求残疾等级为%s，无法确认您的等级" % (short, wanted)
        elif cert["grade"] in cond["grades"]:
            yield "grade", True, "残疾等级为%s" % GRADE_NAMES[cert["grade"]]
        else:
            yield "grade", False, "%s要求残疾等级为%s，您的等级为%s" % (short, wanted,
                                                      GRADE_NAMES[cert["grade"]])
    if cond.get("categories"):
        wanted = _or_list(CATEGORY_NAMES[c] for c in cond["categories"])
        if cert is None:
            yield "category", False, "%s要求残疾类别为%s，无法确认您的类别" % (short, wanted)
        elif cert["category"] in cond["categories"]:
            yield "category", True, "残疾类别为%s" % CATEGORY_NAMES[cert["category"]]
        else:
            yield "category", False, "%s要求残疾类别为%s，您的类别为%s" % (
                short, wanted, CATEGORY_NAMES[cert["category"]])
    if cond.get("any_of"):
        hit = next((g for g in cond["any_of"] if _group_passes(g, facts)), None)
        if hit:
            yield "any_of", True, "属于%s" % hit["label"]
        else:
            yield "any_of", False, "%s要求为%s，%s" % (short, _or_list(g["label"] for g in cond["any_of"]),
                                         _describe_person(facts, cond["any_of"]))
    if cond.get("age"):
        lo, hi = cond["age"].get("min", 0), cond["age"].get("max", 200)
        if facts["birth_date"] is None:
            yield "age", False, "缺少出生日期，无法确认年龄"
        else:
            age = _age(facts["birth_date"], day)
            if lo <= age <= hi:
                yield "age", True, "年龄%d周岁，在%d至%d周岁范围内" % (age, lo, hi)
            else:
                yield "age", False, "%s要求年龄在%d至%d周岁，您现在%d周岁" % (short, lo, hi, age)
    if cond.get("household_statuses"):
        status = facts["household_status"]
        wanted = _or_list(STATUS_NAMES[s] for s in cond["household_statuses"])
        if status in cond["household_statuses"]:
            yield "household_status", True, "家庭为%s家庭" % STATUS_NAMES[status]
        elif status == "none":
            yield "household_status", False, "%s要求家庭为%s家庭，您的家庭没有低保等困难身份" % (short, wanted)
        else:
            yield "household_status", False, "%s要求家庭为%s家庭，您的家庭为%s家庭" % (short, wanted,
                                                        STATUS_NAMES[status])
    for ex in policy["exclusions"]:
        if ex["benefit"] in facts["benefits_held"]:
            yield "exclusion", False, ex.get("reason") or "已享受%s，不能同时享受%s" % (ex["benefit"], short)


def evaluate(facts, policy, on_date):
    """One policy: ``{policy_code, policy_name, region, kind, eligible, reasons[], failures[],
    application_required, amount_fen?, monthly_amount_fen?, amount_is_example?}``.

    ``failures`` = ``[{check, reason}]`` for the checks that failed; check is one of alive,
    in_force, certificate, household_region, grade, category, any_of, age, household_status,
    exclusion.

    Amounts appear only when eligible; ``monthly_amount_fen`` only for monthly policies."""
    facts = normalise_facts(facts)
    result = {"policy_code": policy["code"], "policy_name": policy["name"],
              "region": policy["region"], "kind": policy["kind"],
              "application_required": policy["application_required"],
              "eligible": False, "reasons": [], "failures": []}
    version = policy_mod.version_on(policy, on_date)
    stop = ("alive", "当事人已身故，不能享受补贴") if not facts["alive"] else (
        ("in_force", "%s在%s不在实施期内" % (policy["name"], _cn_date(on_date)))
        if version is None else None)
    if stop:
        result["reasons"] = [stop[1]]
        result["failures"] = [{"check": stop[0], "reason": stop[1]}]
        return result
    checks = list(_checks(policy, version["conditions"], facts, on_date))
    result["reasons"] = [reason for _, _, reason in checks]
    result["failures"] = [{"check": check, "reason": reason}
                          for check, ok, reason in checks if not ok]
    result["eligible"] = not result["failures"]
    if result["eligible"]:
        result["reasons"] += ["需工作人员核实：%s" % m for m in policy["manual_checks"]]
        grade = facts["certificate"]["grade"] if facts["certificate"] else None
        amount = policy_mod.amount_fen(version, grade)
        if amount is not None:
            result["amount_fen"] = amount
            result["amount_is_example"] = version["example"]
            if policy["kind"] == "monthly":
                result["monthly_amount_fen"] = amount
    return result


def evaluate_all(facts, region_policies, on_date):
    """Every policy of a region in force on ``on_date``, in catalogue order."""
    facts = normalise_facts(facts)
    return [evaluate(facts, region_policies[code], on_date)
            for code in policy_mod.POLICY_CODES
            if code in region_policies
            and policy_mod.version_on(region_policies[code], on_date)]


def eligibility(facts, catalogue, on_date):
    """The person's eligibility where their case is handled (户籍地):
    ``{filing_region, handling_region, routed, cross_province, results: [...]}``."""
    where = competent_region(facts)
    results = evaluate_all(facts, catalogue.get(where["handling_region"], {}), on_date)
    return dict(where, results=results)
