import datetime as dt

import pytest

from services.common.errors import ValidationFailed
from services.rehab_booking import catalogue, policy as policy_mod

from .factories import make_policy


def test_nine_medical_items_with_chinese_names():
    names = [catalogue.service_name(c) for c in catalogue.MEDICAL_ITEMS]
    assert len(names) == 9
    assert names[0] == "运动疗法" and names[-1] == "日常生活能力评定"
    assert {"偏瘫肢体综合训练", "脑瘫肢体综合训练", "截瘫综合训练", "作业疗法",
            "认知知觉功能障碍训练", "言语训练", "吞咽功能障碍训练"} <= set(names)


@pytest.mark.parametrize("code", ["assistive_device_fitting", "children_rehab_training",
                                  "needs_assessment", "home_visit", "online_session"])
def test_other_services_present(code):
    assert catalogue.validate_service(code) == code


@pytest.mark.parametrize("bad", ["massage", "", None, 3])
def test_unknown_service_refused(bad):
    with pytest.raises(ValidationFailed):
        catalogue.validate_service(bad)


def test_open_to_uncertified_only_screening_training_assessment():
    assert {c for c in catalogue.SERVICES if catalogue.open_to_uncertified(c)} == {
        "children_rehab_training", "child_screening", "needs_assessment"}


def test_validate_services_dedupes_and_needs_one():
    assert catalogue.validate_services(["speech_training", "speech_training"]) == [
        "speech_training"]
    with pytest.raises(ValidationFailed):
        catalogue.validate_services([])


@pytest.mark.parametrize("region", ["230100", "330200", "371000", "500113", "440704"])
def test_config_has_all_five_regions(region):
    p = policy_mod.policy_for(region, dt.date(2025, 3, 3))
    assert p.hold_minutes == 10 and p.cancel_cutoff_hours == 2
    assert p.reminder_offsets_hours == (24, 2)
    assert p.no_show_limit == 3 and p.no_show_window_days == 90


def test_banan_reserves_share_for_priority_groups():
    p = policy_mod.policy_for("500113", dt.date(2025, 3, 3))
    assert p.priority_reserved_share == 0.2
    assert set(p.priority_groups) == {"tekun", "dibao", "dibao_edge"}
    assert policy_mod.policy_for("230100", dt.date(2025, 3, 3)).priority_reserved_share == 0


def test_version_in_force_by_date():
    cfg = {"defaults": {"hold_minutes": 10},
           "regions": {"500113": [{"effective_from": "2021-01-01"},
                                  {"effective_from": "2025-06-01", "hold_minutes": 15}]}}
    policies = policy_mod.policies_from_config(cfg)
    assert policy_mod.policy_for("500113", dt.date(2025, 5, 31), policies).hold_minutes == 10
    assert policy_mod.policy_for("500113", dt.date(2025, 6, 1), policies).hold_minutes == 15
    with pytest.raises(ValidationFailed):
        policy_mod.policy_for("500113", dt.date(2020, 1, 1), policies)


@pytest.mark.parametrize("over", [{"priority_reserved_share": 1.0}, {"hold_minutes": 0},
                                  {"priority_groups": ["rich"]}, {"unknown_key": 1},
                                  {"reminder_offsets_hours": []}])
def test_bad_policy_values_refused(over):
    with pytest.raises(ValidationFailed):
        make_policy(**over)
