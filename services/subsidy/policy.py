"""Benefit policies (补贴政策) as data: load, validate, pick the version in force, list a catalogue.

A region's policies live in ``config/policies/<region>.yml`` (schema: config/policies/README.md).
Pure apart from reading those files; everything else takes the loaded data as an argument.
Loaded policies are plain dicts; each version carries its *effective* conditions (the policy's
conditions with the version's overrides applied), so callers never merge by hand.
"""
import datetime as dt
import glob
import os

import yaml

from services.common import regions
from services.common.errors import NotFound, ValidationFailed

POLICY_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "config", "policies")

POLICY_CODES = (
    "living_allowance", "nursing_allowance", "psychiatric_medication", "pension_premium",
    "home_modification", "child_rehab_aid", "assistive_device", "wheelchair_fuel",
    "driving_training",
)
KINDS = ("monthly", "yearly", "one_off")
HOUSEHOLD_STATUSES = ("dibao", "dibao_edge", "tekun", "low_income", "none")
REVIEW_STEPS = {  # step state -> the role that owns it
    "street_review": "street_officer",
    "county_review": "county_dpf",
    "civil_affairs_review": "civil_affairs",
}
DEFAULT_REVIEW_CHAIN = (
    {"step": "street_review", "role": "street_officer", "days": 5},
    {"step": "county_review", "role": "county_dpf", "days": 5},
    {"step": "civil_affairs_review", "role": "civil_affairs", "days": 5},
)
_POLICY_KEYS = {"code", "name", "short_name", "kind", "application_required", "source",
                "conditions", "exclusions", "manual_checks", "review_chain", "phase_out",
                "versions"}
_CONDITION_KEYS = {"certificate", "household_local", "grades", "categories", "age",
                   "household_statuses", "any_of"}
_GROUP_KEYS = {"label", "grades", "categories", "household_statuses"}
_VERSION_KEYS = {"effective_from", "effective_to", "amounts_fen", "example", "conditions",
                 "source"}


def _fail(where, errors):
    raise ValidationFailed("补贴政策数据有误：%s" % "；".join(errors),
                           {"file": where, "errors": errors}, code="POLICY_DATA_INVALID")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _as_date(value, field, errors):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.append("%s 不是日期（YYYY-MM-DD）：%r" % (field, value))
        return None


def _check_int_list(value, allowed, field, errors):
    if value is None:
        return
    if not isinstance(value, list) or not value or any(v not in allowed for v in value):
        errors.append("%s 应为 %s 中的非空列表：%r" % (field, list(allowed), value))


def _check_conditions(cond, where, errors):
    if not isinstance(cond, dict):
        errors.append("%s 应为映射" % where)
        return
    for key in set(cond) - _CONDITION_KEYS:
        errors.append("%s 有未知条件 %s" % (where, key))
    if cond.get("certificate") not in (None, "required", "not_required"):
        errors.append("%s.certificate 应为 required 或 not_required" % where)
    if "household_local" in cond and not isinstance(cond["household_local"], bool):
        errors.append("%s.household_local 应为 true/false" % where)
    _check_int_list(cond.get("grades"), (1, 2, 3, 4), where + ".grades", errors)
    _check_int_list(cond.get("categories"), range(1, 8), where + ".categories", errors)
    _check_int_list(cond.get("household_statuses"), HOUSEHOLD_STATUSES,
                    where + ".household_statuses", errors)
    age = cond.get("age")
    if age is not None:
        lo, hi = (age.get("min", 0), age.get("max", 200)) if isinstance(age, dict) else (-1, -1)
        if not (_is_int(lo) and _is_int(hi) and 0 <= lo <= hi):
            errors.append("%s.age 应为 {min, max}，且 0 ≤ min ≤ max：%r" % (where, age))
    groups = cond.get("any_of")
    if groups is not None:
        if not isinstance(groups, list) or len(groups) < 2:
            errors.append("%s.any_of 应为至少两项的列表" % where)
            return
        for i, g in enumerate(groups):
            w = "%s.any_of[%d]" % (where, i)
            if not isinstance(g, dict) or not g.get("label") or set(g) - _GROUP_KEYS:
                errors.append("%s 应含 label，且只能含 grades/categories/household_statuses" % w)
                continue
            _check_int_list(g.get("grades"), (1, 2, 3, 4), w + ".grades", errors)
            _check_int_list(g.get("categories"), range(1, 8), w + ".categories", errors)
            _check_int_list(g.get("household_statuses"), HOUSEHOLD_STATUSES,
                            w + ".household_statuses", errors)


def _check_amounts(amounts, where, errors):
    if not isinstance(amounts, dict) or not amounts or set(amounts) - {"default", "by_grade"}:
        errors.append("%s.amounts_fen 应含 default 和/或 by_grade" % where)
        return
    values = [amounts["default"]] if "default" in amounts else []
    by_grade = amounts.get("by_grade", {})
    if not isinstance(by_grade, dict) or any(g not in (1, 2, 3, 4) for g in by_grade):
        errors.append("%s.amounts_fen.by_grade 的键应为等级 1-4" % where)
    else:
        values += list(by_grade.values())
    for v in values:
        if not _is_int(v) or v < 0:
            errors.append("%s 金额应为非负整数（分）：%r" % (where, v))


def _normalise_policy(raw, region, where, errors):
    if not isinstance(raw, dict):
        errors.append("%s 应为映射" % where)
        return None
    code = raw.get("code")
    where = "%s[%s]" % (where, code)
    for key in set(raw) - _POLICY_KEYS:
        errors.append("%s 有未知字段 %s" % (where, key))
    if code not in POLICY_CODES:
        errors.append("%s 未知的补贴代码 %r" % (where, code))
    if not isinstance(raw.get("name"), str) or not raw.get("name"):
        errors.append("%s 缺少中文名称 name" % where)
    if raw.get("kind") not in KINDS:
        errors.append("%s.kind 应为 monthly/yearly/one_off" % where)
    if not isinstance(raw.get("application_required", True), bool):
        errors.append("%s.application_required 应为 true/false" % where)
    conditions = raw.get("conditions") or {}
    _check_conditions(conditions, where + ".conditions", errors)
    exclusions = raw.get("exclusions") or []
    if not isinstance(exclusions, list) or any(
            not isinstance(e, dict) or not isinstance(e.get("benefit"), str) for e in exclusions):
        errors.append("%s.exclusions 每项应为 {benefit, reason}" % where)
    manual = raw.get("manual_checks") or []
    if not isinstance(manual, list) or any(not isinstance(m, str) for m in manual):
        errors.append("%s.manual_checks 应为文字列表" % where)
    chain = raw.get("review_chain") or [dict(s) for s in DEFAULT_REVIEW_CHAIN]
    if not isinstance(chain, list) or not chain:
        errors.append("%s.review_chain 应为非空列表" % where)
        chain = []
    for s in chain:
        if (not isinstance(s, dict) or REVIEW_STEPS.get(s.get("step")) != s.get("role")
                or not _is_int(s.get("days")) or s["days"] <= 0):
            errors.append("%s.review_chain 步骤有误：%r" % (where, s))
    phase_out = raw.get("phase_out")
    if phase_out is not None:
        ok = (isinstance(phase_out, dict) and _is_int(phase_out.get("months"))
              and phase_out["months"] > 0
              and isinstance(phase_out.get("income_multiple_max"), (int, float))
              and phase_out["income_multiple_max"] > 1
              and isinstance(phase_out.get("standards_fen"), dict)
              and set(phase_out.get("statuses") or []) <= set(phase_out["standards_fen"])
              and all(_is_int(v) and v > 0 for v in phase_out["standards_fen"].values()))
        if not ok:
            errors.append("%s.phase_out 应含 statuses、income_multiple_max>1、months>0、"
                          "standards_fen（正整数分）" % where)
    versions = []
    raw_versions = raw.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        errors.append("%s 至少需要一个版本 versions" % where)
        raw_versions = []
    for i, v in enumerate(raw_versions):
        w = "%s.versions[%d]" % (where, i)
        if not isinstance(v, dict):
            errors.append("%s 应为映射" % w)
            continue
        for key in set(v) - _VERSION_KEYS:
            errors.append("%s 有未知字段 %s" % (w, key))
        start = _as_date(v.get("effective_from"), w + ".effective_from", errors)
        end = _as_date(v.get("effective_to"), w + ".effective_to", errors)
        if start is None:
            errors.append("%s 缺少 effective_from" % w)
            continue
        if end is not None and end < start:
            errors.append("%s 的 effective_to 早于 effective_from" % w)
        _check_amounts(v.get("amounts_fen"), w, errors)
        override = v.get("conditions") or {}
        _check_conditions(override, w + ".conditions", errors)
        merged = {k: val for k, val in {**conditions, **override}.items() if val is not None}
        versions.append({"effective_from": start, "effective_to": end,
                         "amounts_fen": v.get("amounts_fen"), "example": bool(v.get("example")),
                         "conditions": merged})
    versions.sort(key=lambda x: x["effective_from"])
    for a, b in zip(versions, versions[1:]):
        if a["effective_to"] is None or a["effective_to"] >= b["effective_from"]:
            errors.append("%s 的版本时间重叠：%s 与 %s" % (where, a["effective_from"],
                                                     b["effective_from"]))
    return {
        "region": region, "code": code, "name": raw.get("name"),
        "short_name": raw.get("short_name") or raw.get("name"), "kind": raw.get("kind"),
        "application_required": raw.get("application_required", True),
        "source": raw.get("source"), "conditions": conditions, "exclusions": exclusions,
        "manual_checks": manual, "review_chain": chain, "phase_out": phase_out,
        "versions": versions,
    }


def parse_region(data, where="<data>"):
    """Validate one region's parsed YAML; return ``{code: policy}``. Raises ValidationFailed
    (code POLICY_DATA_INVALID, details.errors lists every problem found)."""
    errors = []
    if not isinstance(data, dict):
        _fail(where, ["文件内容应为映射"])
    region = str(data.get("region") or "")
    if region not in regions.all_regions():
        errors.append("未知的地区代码 %r" % region)
    raw_policies = data.get("policies")
    if not isinstance(raw_policies, list):
        _fail(where, errors + ["policies 应为列表"])
    out = {}
    for i, raw in enumerate(raw_policies):
        p = _normalise_policy(raw, region, "policies[%d]" % i, errors)
        if p and p["code"] in out:
            errors.append("补贴代码 %s 重复" % p["code"])
        if p:
            out[p["code"]] = p
    if errors:
        _fail(where, errors)
    return region, out


def load_region_file(path):
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.safe_load(f)
        except yaml.YAMLError as exc:
            _fail(path, ["YAML 格式错误：%s" % exc])
    return parse_region(data, path)


def load_all(directory=POLICY_DIR):
    """Every ``<region>.yml`` in the directory -> ``{region: {code: policy}}``."""
    catalogue = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.yml"))):
        region, policies = load_region_file(path)
        if os.path.basename(path) != region + ".yml":
            _fail(path, ["文件名应为 %s.yml" % region])
        catalogue[region] = policies
    return catalogue


def get_policy(catalogue, region, code):
    """The region's policy, or ValidationFailed UNKNOWN_POLICY / NotFound POLICY_NOT_IN_REGION."""
    if code not in POLICY_CODES:
        raise ValidationFailed("未知的补贴项目：%s" % code, {"policy_code": ["未知"]},
                               code="UNKNOWN_POLICY")
    region_policies = catalogue.get(region)
    if region_policies is None:
        raise NotFound("该地区没有补贴政策数据：%s" % region, {"region": region},
                       code="REGION_NOT_FOUND")
    if code not in region_policies:
        raise NotFound("%s没有此项补贴：%s" % (regions.name(region), code),
                       {"region": region, "policy_code": code}, code="POLICY_NOT_IN_REGION")
    return region_policies[code]


def version_on(policy, day):
    """The version in force on ``day`` (a date), or None."""
    for v in policy["versions"]:
        if v["effective_from"] <= day and (v["effective_to"] is None or day <= v["effective_to"]):
            return v
    return None


def amount_fen(version, grade=None):
    """The amount of a version for a grade (by_grade first, then default); None if none applies."""
    amounts = version["amounts_fen"]
    by_grade = amounts.get("by_grade") or {}
    if grade in by_grade:
        return by_grade[grade]
    return amounts.get("default")


def active_catalogue(region_policies, day):
    """The region's benefits in force on ``day``: list of
    ``{code, name, kind, application_required, effective_from, effective_to, amounts_fen,
    example}`` sorted by code order in POLICY_CODES."""
    out = []
    for code in POLICY_CODES:
        p = region_policies.get(code)
        v = p and version_on(p, day)
        if not v:
            continue
        out.append({"code": code, "name": p["name"], "kind": p["kind"],
                    "application_required": p["application_required"],
                    "effective_from": v["effective_from"].isoformat(),
                    "effective_to": v["effective_to"] and v["effective_to"].isoformat(),
                    "amounts_fen": v["amounts_fen"], "example": v["example"]})
    return out
