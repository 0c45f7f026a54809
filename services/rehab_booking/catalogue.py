"""The rehab service catalogue (康复服务目录): stable codes, Chinese names, kinds.

The nine medical rehab items (九项医疗康复项目, seed 000 L70) plus assistive-device fitting
(辅具适配), children's rehab training (儿童康复训练), screening of suspected children
(疑似残疾儿童筛查), precision needs assessment (精准康复需求评估), home rehab visits (康复进家庭)
and online sessions (线上康复) — DOMAIN.md §4.
"""
from services.common.errors import ValidationFailed

# mode: where it happens — onsite (at the institution), home (staff visit), online.
# open_to_uncertified: children in the age band and suspected cases may book it without a
# certificate (DOMAIN.md §4; seeds 001 L46, 002 L32).
SERVICES = {
    "movement_therapy":          {"name": "运动疗法", "kind": "medical", "mode": "onsite"},
    "hemiplegia_training":       {"name": "偏瘫肢体综合训练", "kind": "medical", "mode": "onsite"},
    "cerebral_palsy_training":   {"name": "脑瘫肢体综合训练", "kind": "medical", "mode": "onsite"},
    "paraplegia_training":       {"name": "截瘫综合训练", "kind": "medical", "mode": "onsite"},
    "occupational_therapy":      {"name": "作业疗法", "kind": "medical", "mode": "onsite"},
    "cognitive_perceptual_training": {"name": "认知知觉功能障碍训练", "kind": "medical",
                                      "mode": "onsite"},
    "speech_training":           {"name": "言语训练", "kind": "medical", "mode": "onsite"},
    "dysphagia_training":        {"name": "吞咽功能障碍训练", "kind": "medical", "mode": "onsite"},
    "adl_assessment":            {"name": "日常生活能力评定", "kind": "medical", "mode": "onsite"},
    "assistive_device_fitting":  {"name": "辅助器具适配", "kind": "device", "mode": "onsite"},
    "children_rehab_training":   {"name": "儿童康复训练", "kind": "children", "mode": "onsite",
                                  "open_to_uncertified": True},
    "child_screening":           {"name": "疑似残疾儿童筛查", "kind": "children", "mode": "onsite",
                                  "open_to_uncertified": True},
    "needs_assessment":          {"name": "精准康复需求评估", "kind": "assessment", "mode": "onsite",
                                  "open_to_uncertified": True},
    "home_visit":                {"name": "康复进家庭", "kind": "home", "mode": "home"},
    "online_session":            {"name": "线上康复指导", "kind": "online", "mode": "online"},
}

MEDICAL_ITEMS = tuple(code for code, s in SERVICES.items() if s["kind"] == "medical")


def validate_service(code, field="service"):
    """Return the code, or raise ValidationFailed for an unknown service."""
    if not isinstance(code, str) or code not in SERVICES:
        raise ValidationFailed("不支持的康复服务项目：%s" % (code,), {field: ["未知的服务项目"]})
    return code


def validate_services(codes, field="services"):
    """A non-empty list of distinct known codes, order kept."""
    if not isinstance(codes, (list, tuple)) or not codes:
        raise ValidationFailed("请至少选择一项康复服务", {field: ["必填"]})
    out = []
    for c in codes:
        validate_service(c, field)
        if c not in out:
            out.append(c)
    return out


def service_name(code):
    return SERVICES[validate_service(code)]["name"]


def service_mode(code):
    return SERVICES[validate_service(code)]["mode"]


def open_to_uncertified(code):
    """True when children in the age band / suspected cases may book it without a certificate."""
    return bool(SERVICES[validate_service(code)].get("open_to_uncertified"))


def catalogue():
    """The catalogue as a list for the API: [{code, name, kind, mode, open_to_uncertified}]."""
    return [{"code": c, "name": s["name"], "kind": s["kind"], "mode": s["mode"],
             "open_to_uncertified": bool(s.get("open_to_uncertified"))}
            for c, s in SERVICES.items()]
