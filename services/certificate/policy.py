"""Per-region certificate policy (config/certificate.yml): parse, validate, pick by date.

``parse_policies(data)`` is pure (a dict in, a checked structure out, ValidationFailed with
every problem otherwise); ``load_policies(path)`` only reads the YAML and calls it.
``policy_for(policies, region, on)`` returns one flat dict for a region on a date:
    {"region", "effective_from", "validity_years", "expiry_reminder_days",
     "public_notice_working_days", "home_visit": {"enabled", "grades", "bed_bound", "categories"},
     "expert_pool": [...], "verify_public_fields": [...], "holidays": frozenset, "makeup_workdays": frozenset}
"""
import copy
import datetime as dt
import os

import yaml

from services.common import regions as region_registry
from services.common.errors import NotFound, ValidationFailed

DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "config", "certificate.yml")

BUILTIN_DEFAULTS = {
    "validity_years": 10,
    "expiry_reminder_days": 90,
    "public_notice_working_days": 5,
    "home_visit": {"enabled": True, "grades": [1, 2], "bed_bound": True, "categories": []},
    "expert_pool": [],
    # what GET /verify/{token} shows strangers besides status and the masked name
    "verify_public_fields": ["category", "grade", "valid_until"],
}
PUBLIC_FIELDS = frozenset({"category", "grade", "valid_until", "region"})
BUILTIN_CREDENTIAL = {
    "token_ttl_hours": 24,
    "disclosure_code_ttl_minutes": 5,
    "disclosure_code_length": 6,
    "disclosure_code_max_attempts": 5,
    "revocation_list_max_age_hours": 168,
}
_INT_RANGES = {
    "validity_years": (1, 50),
    "expiry_reminder_days": (0, 3650),
    "public_notice_working_days": (1, 60),
}


def _date(value, where, problems):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.setdefault(where, []).append("日期格式不正确")
        return None


def _check_params(params, where, problems, partial):
    unknown = set(params) - set(BUILTIN_DEFAULTS) - {"effective_from"}
    for key in sorted(unknown):
        problems.setdefault("%s.%s" % (where, key), []).append("未知的参数")
    for key, (lo, hi) in _INT_RANGES.items():
        if key not in params:
            if not partial:
                problems.setdefault("%s.%s" % (where, key), []).append("缺少参数")
            continue
        v = params[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            problems.setdefault("%s.%s" % (where, key), []).append("应为%d至%d的整数" % (lo, hi))
    if "home_visit" in params:
        hv = params["home_visit"]
        if not isinstance(hv, dict) or set(hv) - set(BUILTIN_DEFAULTS["home_visit"]):
            problems.setdefault(where + ".home_visit", []).append("格式不正确")
        else:
            if not all(g in (1, 2, 3, 4) for g in hv.get("grades", [])):
                problems.setdefault(where + ".home_visit.grades", []).append("等级应为1至4")
            if not all(c in range(1, 8) for c in hv.get("categories", [])):
                problems.setdefault(where + ".home_visit.categories", []).append("类别应为1至7")
    if "verify_public_fields" in params:
        pf = params["verify_public_fields"]
        if not isinstance(pf, list) or not all(isinstance(f, str) and f in PUBLIC_FIELDS
                                               for f in pf):
            problems.setdefault(where + ".verify_public_fields", []).append(
                "应为 %s 中的字段列表" % ", ".join(sorted(PUBLIC_FIELDS)))
    if "expert_pool" in params:
        pool = params["expert_pool"]
        if not isinstance(pool, list) or not all(isinstance(s, str) and s.strip() for s in pool):
            problems.setdefault(where + ".expert_pool", []).append("应为评残专家工作人员编号列表")


def parse_policies(data, known_regions=None):
    """Check the YAML structure; returns {"defaults", "calendar", "credential", "regions"}.

    Every known region (config/regions.yml unless ``known_regions`` is given) must have at least
    one version; each region's pool must not be empty in any version.
    """
    problems = {}
    if not isinstance(data, dict):
        raise ValidationFailed("残疾人证政策配置格式不正确", {"certificate.yml": ["应为映射"]})
    known = set(known_regions if known_regions is not None else region_registry.all_regions())
    defaults = copy.deepcopy(BUILTIN_DEFAULTS)
    user_defaults = data.get("defaults") or {}
    _check_params(user_defaults, "defaults", problems, partial=True)
    for key, value in user_defaults.items():
        if key == "home_visit" and isinstance(value, dict):
            defaults["home_visit"].update(value)
        else:
            defaults[key] = value
    cal = data.get("calendar") or {}
    calendar = {k: frozenset(d for d in (_date(v, "calendar." + k, problems)
                                         for v in cal.get(k) or []) if d)
                for k in ("holidays", "makeup_workdays")}
    credential = dict(BUILTIN_CREDENTIAL)
    for key, value in (data.get("credential") or {}).items():
        if key not in BUILTIN_CREDENTIAL:
            problems.setdefault("credential." + key, []).append("未知的参数")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.setdefault("credential." + key, []).append("应为正整数")
        else:
            credential[key] = value
    regions = {}
    for code, versions in (data.get("regions") or {}).items():
        code = str(code)
        where = "regions." + code
        if code not in known:
            problems.setdefault(where, []).append("未知的地区")
            continue
        if not isinstance(versions, list) or not versions:
            problems.setdefault(where, []).append("应为至少一个政策版本的列表")
            continue
        checked = []
        ordered = sorted(enumerate(versions), key=lambda iv: str(
            iv[1].get("effective_from")) if isinstance(iv[1], dict) else "")
        for i, version in ordered:
            vwhere = "%s[%d]" % (where, i)
            if not isinstance(version, dict) or "effective_from" not in version:
                problems.setdefault(vwhere, []).append("缺少生效日期effective_from")
                continue
            _check_params(version, vwhere, problems, partial=True)
            # a version overrides the one before it (or the defaults), key by key
            merged = {k: copy.deepcopy(v) for k, v in (checked[-1] if checked else defaults).items()
                      if k != "effective_from"}
            for key, value in version.items():
                if key == "home_visit" and isinstance(value, dict):
                    merged["home_visit"].update(value)
                elif key != "effective_from":
                    merged[key] = value
            _check_params(merged, vwhere, problems, partial=False)
            if not merged.get("expert_pool"):
                problems.setdefault(vwhere + ".expert_pool", []).append("评残专家库不能为空")
            merged["effective_from"] = _date(version["effective_from"], vwhere, problems)
            checked.append(merged)
        dates = [v["effective_from"] for v in checked]
        if len(set(dates)) != len(dates):
            problems.setdefault(where, []).append("生效日期重复")
        regions[code] = sorted(checked, key=lambda v: v["effective_from"] or dt.date.min)
    for code in sorted(known - set(regions)):
        problems.setdefault("regions." + code, []).append("缺少该地区的政策")
    if problems:
        raise ValidationFailed("残疾人证政策配置有误", problems, code="POLICY_CONFIG_INVALID")
    return {"defaults": defaults, "calendar": calendar, "credential": credential,
            "regions": regions}


def load_policies(path=DEFAULT_PATH, known_regions=None):
    with open(path, encoding="utf-8") as f:
        return parse_policies(yaml.safe_load(f), known_regions)


def policy_for(policies, region, on):
    """The region's policy in force on the date ``on`` (NotFound if none)."""
    versions = policies["regions"].get(str(region))
    if not versions:
        raise NotFound("该地区没有残疾人证政策：%s" % region, {"region": region},
                       code="POLICY_NOT_FOUND")
    current = None
    for version in versions:
        if version["effective_from"] <= on:
            current = version
    if current is None:
        raise NotFound("该地区在%s没有生效的残疾人证政策" % on.isoformat(), {"region": region},
                       code="POLICY_NOT_FOUND")
    result = copy.deepcopy(current)
    result["region"] = str(region)
    result.update(policies["calendar"])
    return result


def home_visit_eligible(policy, *, bed_bound=False, grade=None, category=None):
    """上门评残: the region allows it for severe grades and/or bed-bound people, optionally
    limited to some categories. ``grade``/``category`` are the held or claimed ones (may be None)."""
    hv = policy["home_visit"]
    if not hv["enabled"]:
        return False
    if hv["categories"] and category not in hv["categories"]:
        return False
    return bool((hv["bed_bound"] and bed_bound) or (grade is not None and grade in hv["grades"]))
