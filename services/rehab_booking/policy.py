"""Per-region rehab booking policy (康复预约政策参数), from config/rehab.yml.

``policy_from_dict`` is pure; ``policy_for(region, on)`` reads the file once (like
``services.common.regions``) and picks the version in force on a date.
"""
import dataclasses
import datetime as dt
import functools
import os

import yaml

from services.common import regions
from services.common.errors import ValidationFailed

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "config", "rehab.yml")

HOUSEHOLD_STATUSES = ("tekun", "dibao", "dibao_edge", "low_income", "none")


@dataclasses.dataclass(frozen=True)
class RehabPolicy:
    region: str
    effective_from: dt.date
    hold_minutes: int = 10
    cancel_cutoff_hours: float = 2
    reminder_offsets_hours: tuple = (24, 2)
    no_show_limit: int = 3
    no_show_window_days: int = 90
    no_show_grace_minutes: int = 15
    check_in_open_minutes: int = 60
    priority_groups: tuple = ("tekun", "dibao", "dibao_edge")
    priority_reserved_share: float = 0.0
    priority_release_hours: float = 24
    waitlist_priority_first: bool = True
    waitlist_offer_minutes: int = 30
    uncertified_child_max_age: int = 6
    companion_consumes_capacity: bool = False
    max_companions: int = 1
    escort_lead_minutes: int = 30
    alternative_max_km: float = 30
    alternative_horizon_days: int = 14
    min_lead_minutes: int = 0

    @property
    def hold(self):
        return dt.timedelta(minutes=self.hold_minutes)

    @property
    def cancel_cutoff(self):
        return dt.timedelta(hours=self.cancel_cutoff_hours)

    @property
    def no_show_window(self):
        return dt.timedelta(days=self.no_show_window_days)

    @property
    def waitlist_offer(self):
        return dt.timedelta(minutes=self.waitlist_offer_minutes)

    @property
    def priority_release(self):
        return dt.timedelta(hours=self.priority_release_hours)


_FIELDS = {f.name: f for f in dataclasses.fields(RehabPolicy)}


def policy_from_dict(region, values):
    """Build and check a RehabPolicy from merged config values (raises ValidationFailed)."""
    values = dict(values)
    unknown = sorted(set(values) - set(_FIELDS) - {"region"})
    if unknown:
        raise ValidationFailed("康复预约政策含未知参数", {"policy": unknown})
    eff = values.get("effective_from")
    if isinstance(eff, str):
        eff = dt.date.fromisoformat(eff)
    if not isinstance(eff, dt.date):
        raise ValidationFailed("康复预约政策缺少生效日期", {"effective_from": ["必填"]})
    values["effective_from"] = eff
    for key in ("reminder_offsets_hours", "priority_groups"):
        if key in values:
            values[key] = tuple(values[key])
    values["region"] = region
    p = RehabPolicy(**values)
    errors = {}
    if not 0 <= p.priority_reserved_share < 1:
        errors["priority_reserved_share"] = ["应在0到1之间（不含1）"]
    if p.hold_minutes <= 0 or p.waitlist_offer_minutes <= 0:
        errors["hold_minutes"] = ["应大于0"]
    if p.cancel_cutoff_hours < 0:
        errors["cancel_cutoff_hours"] = ["不能为负"]
    if not p.reminder_offsets_hours or any(h <= 0 for h in p.reminder_offsets_hours):
        errors["reminder_offsets_hours"] = ["应为正数列表"]
    if p.no_show_limit < 1 or p.no_show_window_days < 1:
        errors["no_show_limit"] = ["应大于0"]
    bad_groups = [g for g in p.priority_groups if g not in HOUSEHOLD_STATUSES]
    if bad_groups:
        errors["priority_groups"] = ["未知的家庭经济状况：%s" % ",".join(bad_groups)]
    if errors:
        raise ValidationFailed("康复预约政策参数不正确", errors)
    return p


def policies_from_config(config):
    """{region: [RehabPolicy, ...] sorted by effective_from} from the parsed YAML."""
    defaults = config.get("defaults") or {}
    out = {}
    for region, versions in (config.get("regions") or {}).items():
        region = regions.validate(str(region))
        out[region] = sorted((policy_from_dict(region, dict(defaults, **v)) for v in versions),
                             key=lambda p: p.effective_from)
    return out


@functools.lru_cache(maxsize=None)
def _all_policies():
    with open(_PATH, encoding="utf-8") as f:
        return policies_from_config(yaml.safe_load(f))


def select_version(versions, on):
    """The version in force on ``on`` (a date), or None."""
    current = None
    for p in versions:
        if p.effective_from <= on:
            current = p
    return current


def policy_for(region, on, policies=None):
    """The region's policy in force on ``on`` (a local date). Raises ValidationFailed."""
    region = regions.validate(region)
    p = select_version((policies if policies is not None else _all_policies()).get(region, []), on)
    if p is None:
        raise ValidationFailed("该地区在此日期没有康复预约政策", {"region": [region]})
    return p
