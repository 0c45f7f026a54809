"""Every policy of every region: one eligible and one refused case, reasons asserted."""
import datetime as dt

import pytest

from services.subsidy import rules
from tests.unit.subsidy.helpers import CATALOGUE, facts

D = dt.date(2024, 9, 1)
HB, NB, WH, BN, JH = "230100", "330200", "371000", "500113", "440704"

EXPECTED_CATALOGUE = {
    HB: {"living_allowance", "nursing_allowance", "psychiatric_medication", "pension_premium",
         "home_modification", "child_rehab_aid", "assistive_device"},
    NB: {"living_allowance", "nursing_allowance", "home_modification", "child_rehab_aid",
         "assistive_device"},
    WH: {"living_allowance", "nursing_allowance", "psychiatric_medication", "pension_premium",
         "home_modification", "child_rehab_aid", "assistive_device", "wheelchair_fuel",
         "driving_training"},
    BN: {"living_allowance", "nursing_allowance", "pension_premium", "home_modification",
         "child_rehab_aid", "assistive_device", "wheelchair_fuel", "driving_training"},
    JH: {"living_allowance", "nursing_allowance", "home_modification", "child_rehab_aid",
         "assistive_device"},
}


def test_catalogue_per_region():
    assert {r: set(p) for r, p in CATALOGUE.items()} == EXPECTED_CATALOGUE


# (region, code, facts kwargs, eligible, reasons that must appear, amount_fen or None)
CASES = [
    # --- living allowance ---
    (HB, "living_allowance", dict(region=HB, status="dibao", grade=4), True,
     ["持有有效残疾人证", "户籍在哈尔滨市", "家庭为低保家庭"], 10000),
    (HB, "living_allowance", dict(region=HB, status="low_income"), True, ["家庭为低收入家庭"], 10000),
    (HB, "living_allowance", dict(region=HB, status="dibao_edge"), False,
     ["生活补贴要求家庭为低保或低收入家庭，您的家庭为低保边缘家庭"], None),
    (NB, "living_allowance", dict(region=NB, status="dibao_edge"), True, ["家庭为低保边缘家庭"], 17000),
    (NB, "living_allowance", dict(region=NB, status="none"), False,
     ["生活补贴要求家庭为低保或低保边缘家庭，您的家庭没有低保等困难身份"], None),
    (WH, "living_allowance", dict(region=WH, status="dibao"), True, ["户籍在威海市"], 9000),
    (WH, "living_allowance", dict(region=WH, status="low_income"), False,
     ["生活补贴要求家庭为低保家庭，您的家庭为低收入家庭"], None),
    (BN, "living_allowance", dict(status="dibao", held=["orphan_allowance"]), False,
     ["享受孤儿基本生活保障的残疾儿童不重复享受生活补贴"], None),
    (BN, "living_allowance", dict(status="dibao"), True, ["户籍在重庆市巴南区"], 10000),
    (JH, "living_allowance", dict(region=JH, status="dibao"), True, ["家庭为低保家庭"], 15000),
    (JH, "living_allowance", dict(region=JH, status="dibao", no_cert=True), False,
     ["生活津贴要求持有残疾人证，您尚未持证"], None),
    # --- nursing allowance ---
    (HB, "nursing_allowance", dict(region=HB, grade=2), True,
     ["残疾等级为二级", "需工作人员核实：需要长期照护"], 10000),
    (HB, "nursing_allowance", dict(region=HB, grade=3, category=5), False,
     ["护理补贴要求残疾等级为一级或二级，您的等级为三级"], None),
    (NB, "nursing_allowance", dict(region=NB, grade=1), True, ["残疾等级为一级"], 18000),
    (NB, "nursing_allowance", dict(region=NB, grade=1, held=["work_injury_nursing"]), False,
     ["已享受工伤保险生活护理费的不重复享受护理补贴"], None),
    (WH, "nursing_allowance", dict(region=WH, grade=1, cert_status="cancelled"), False,
     ["残疾人证已注销，需持有有效残疾人证"], None),
    (WH, "nursing_allowance", dict(region=WH, grade=2), True, ["残疾等级为二级"], 7000),
    (BN, "nursing_allowance", dict(grade=3, category=6), True, ["属于三、四级智力、精神残疾人"], 5000),
    (BN, "nursing_allowance", dict(grade=3, category=4), False,
     ["护理补贴要求为一、二级残疾人或三、四级智力、精神残疾人，您的等级为三级、类别为肢体残疾"], None),
    (JH, "nursing_allowance", dict(region=JH, grade=1, valid_until="2024-08-31"), False,
     ["残疾人证已于2024年8月31日到期，需持有有效残疾人证"], None),
    (JH, "nursing_allowance", dict(region=JH, grade=1, alive=False), False,
     ["当事人已身故，不能享受补贴"], None),
    (JH, "nursing_allowance", dict(region=JH, grade=1), True, ["户籍在江门市江海区"], 15000),
    # --- psychiatric medication ---
    (HB, "psychiatric_medication", dict(region=HB, grade=1, category=6), True,
     ["残疾类别为精神残疾", "需工作人员核实：居住在城区（000 L72 限城区）"], 80000),
    (HB, "psychiatric_medication", dict(region=HB, grade=1, category=5), False,
     ["服药补贴要求残疾类别为精神残疾，您的类别为智力残疾"], None),
    (WH, "psychiatric_medication", dict(region=WH, grade=3, category=6, status="tekun"), True,
     ["家庭为特困家庭"], 60000),
    (WH, "psychiatric_medication", dict(region=WH, grade=3, category=6), False,
     ["服药补贴要求家庭为低保、低保边缘、特困或低收入家庭，您的家庭没有低保等困难身份"], None),
    # --- pension premium ---
    (HB, "pension_premium", dict(region=HB, grade=1), True, ["年龄44周岁，在16至59周岁范围内"], 10000),
    (HB, "pension_premium", dict(region=HB, grade=1, birth="1960-01-01"), False,
     ["养老保险代缴要求年龄在16至59周岁，您现在64周岁"], None),
    (WH, "pension_premium", dict(region=WH, grade=2), True, ["残疾等级为二级"], 10000),
    (WH, "pension_premium", dict(region=WH, grade=3), False,
     ["养老保险缴费补贴要求残疾等级为一级或二级，您的等级为三级"], None),
    (BN, "pension_premium", dict(grade=1), True, ["残疾等级为一级"], 20000),
    (BN, "pension_premium", dict(grade=1, birth=None), False, ["缺少出生日期，无法确认年龄"], None),
    # --- home modification ---
    (HB, "home_modification", dict(region=HB, status="tekun"), True,
     ["家庭为特困家庭", "需工作人员核实：有通行或卫生间无障碍改造需求"], 600000),
    (HB, "home_modification", dict(region=HB, status="dibao", held=["home_modification"]), False,
     ["已享受过家庭无障碍改造"], None),
    (NB, "home_modification", dict(region=NB, status="low_income"), True, ["家庭为低收入家庭"], 600000),
    (NB, "home_modification", dict(region=NB), False,
     ["无障碍改造要求家庭为低保、低保边缘、特困或低收入家庭，您的家庭没有低保等困难身份"], None),
    (WH, "home_modification", dict(region=WH, status="dibao"), True, ["家庭为低保家庭"], 500000),
    (WH, "home_modification", dict(status="dibao", region="330203"), False,
     ["无障碍改造要求户籍在威海市，您的户籍地为宁波市"], None),
    (BN, "home_modification", dict(grade=2, status="dibao"), True, ["残疾等级为二级"], 600000),
    (BN, "home_modification", dict(grade=3, status="dibao"), False,
     ["无障碍改造要求残疾等级为一级或二级，您的等级为三级"], None),
    (JH, "home_modification", dict(region=JH, grade=4), True, ["需工作人员核实：有居家无障碍改造需求"], 500000),
    (JH, "home_modification", dict(region=JH, held=["home_modification"]), False,
     ["已享受过居家无障碍改造"], None),
    # --- children's rehab aid ---
    (HB, "child_rehab_aid", dict(region=HB, birth="2020-01-01", status="dibao", no_cert=True), True,
     ["本项目不要求持有残疾人证", "年龄4周岁，在0至6周岁范围内"], 300000),
    (HB, "child_rehab_aid", dict(region=HB, birth="2020-01-01", no_cert=True), False,
     ["儿童康复救助要求家庭为低保、低保边缘、特困或低收入家庭，您的家庭没有低保等困难身份"], None),
    (NB, "child_rehab_aid", dict(region=NB, birth="2007-01-01", no_cert=True), True,
     ["年龄17周岁，在0至17周岁范围内"], 1200000),
    (NB, "child_rehab_aid", dict(region=NB, birth="2006-09-01", no_cert=True), False,
     ["儿童康复救助要求年龄在0至17周岁，您现在18周岁"], None),
    (WH, "child_rehab_aid", dict(region=WH, birth="2019-01-01", no_cert=True), True,
     ["年龄5周岁，在0至6周岁范围内"], 1200000),
    (WH, "child_rehab_aid", dict(region=WH, birth="2016-01-01", no_cert=True), False,
     ["儿童康复救助要求年龄在0至6周岁，您现在8周岁"], None),
    (BN, "child_rehab_aid", dict(birth="2021-01-01", no_cert=True), True,
     ["本项目不要求持有残疾人证"], 1200000),
    (BN, "child_rehab_aid", dict(birth="2021-01-01", region="500112"), False,
     ["儿童康复救助要求户籍在重庆市巴南区，您的户籍地为500112"], None),
    (JH, "child_rehab_aid", dict(region=JH, birth="2022-03-01", grade=2), True,
     ["持有有效残疾人证"], 1200000),
    (JH, "child_rehab_aid", dict(region=JH, birth="1990-03-01"), False,
     ["儿童康复救助要求年龄在0至6周岁，您现在34周岁"], None),
    # --- assistive devices ---
    (HB, "assistive_device", dict(region=HB, grade=4, status="low_income"), True, ["属于贫困家庭残疾人"], 100000),
    (HB, "assistive_device", dict(region=HB, grade=4), False,
     ["辅具补贴要求为贫困家庭残疾人或一、二级重度残疾人，您的等级为四级、类别为肢体残疾，家庭没有低保等困难身份"], None),
    (NB, "assistive_device", dict(region=NB, grade=4), True, ["持有有效残疾人证"], 100000),
    (NB, "assistive_device", dict(region=NB, cert_status="expired"), False, ["残疾人证已过期，需持有有效残疾人证"], None),
    (WH, "assistive_device", dict(region=WH, alive=False), False, ["当事人已身故，不能享受补贴"], None),
    (WH, "assistive_device", dict(region=WH, grade=3), True, ["需工作人员核实：经评估有辅助器具适配需求"], 100000),
    (BN, "assistive_device", dict(grade=1), True, ["属于一、二级重度残疾人"], 100000),
    (BN, "assistive_device", dict(grade=3), False,
     ["辅具补贴要求为困难残疾人或一、二级重度残疾人，您的等级为三级、类别为肢体残疾，家庭没有低保等困难身份"], None),
    (JH, "assistive_device", dict(region=JH, grade=4), True, ["户籍在江门市江海区"], 100000),
    (JH, "assistive_device", dict(region=HB), False, ["辅具补贴要求户籍在江门市江海区，您的户籍地为哈尔滨市"], None),
    # --- wheelchair fuel ---
    (WH, "wheelchair_fuel", dict(region=WH, category=4, grade=2), True,
     ["残疾类别为肢体残疾", "需工作人员核实：本人持有并使用机动轮椅车"], 26000),
    (WH, "wheelchair_fuel", dict(region=WH, category=1), False,
     ["燃油补贴要求残疾类别为肢体残疾，您的类别为视力残疾"], None),
    (BN, "wheelchair_fuel", dict(category=4, grade=3), True, ["残疾类别为肢体残疾"], 30000),
    (BN, "wheelchair_fuel", dict(category=2), False, ["燃油补贴要求残疾类别为肢体残疾，您的类别为听力残疾"], None),
    # --- driving training ---
    (WH, "driving_training", dict(region=WH, category=4, grade=3), True, ["年龄44周岁，在18至70周岁范围内"], 200000),
    (WH, "driving_training", dict(region=WH, category=4, held=["driving_training"]), False, ["已领取过学车补助"], None),
    (BN, "driving_training", dict(category=4, birth="2008-01-01"), False,
     ["C5驾驶培训补贴要求年龄在18至70周岁，您现在16周岁"], None),
    (BN, "driving_training", dict(category=4), True, ["残疾类别为肢体残疾"], 200000),
]


@pytest.mark.parametrize("region,code,kw,eligible,reasons,amount", CASES,
                         ids=["%s-%s-%d" % (c[0], c[1], i) for i, c in enumerate(CASES)])
def test_policy_case(region, code, kw, eligible, reasons, amount):
    result = rules.evaluate(facts(**kw), CATALOGUE[region][code], D)
    assert result["eligible"] is eligible, result["reasons"]
    for reason in reasons:
        assert reason in result["reasons"], result["reasons"]
    assert result.get("amount_fen") == amount
    if amount is not None and CATALOGUE[region][code]["kind"] == "monthly":
        assert result["monthly_amount_fen"] == amount
    else:
        assert "monthly_amount_fen" not in result


def test_every_policy_of_every_region_has_both_outcomes():
    seen = {}
    for region, code, _, eligible, _, _ in CASES:
        seen.setdefault((region, code), set()).add(eligible)
    for region, policies in CATALOGUE.items():
        for code in policies:
            assert seen.get((region, code)) == {True, False}, (region, code)


def test_policy_not_in_force_before_its_first_version():
    result = rules.evaluate(facts(status="dibao"), CATALOGUE[BN]["living_allowance"],
                            dt.date(2020, 1, 1))
    assert result == dict(result, eligible=False,
                          reasons=["困难残疾人生活补贴在2020年1月1日不在实施期内"])


def test_banan_nursing_extension_only_from_its_version():
    before = rules.evaluate(facts(grade=3, category=5), CATALOGUE[BN]["nursing_allowance"],
                            dt.date(2023, 6, 1))
    assert before["eligible"] is False
    assert "护理补贴要求残疾等级为一级或二级，您的等级为三级" in before["reasons"]


def test_living_and_nursing_may_be_held_together():
    f = facts(grade=1, status="dibao", held=["nursing_allowance"])
    assert rules.evaluate(f, CATALOGUE[BN]["living_allowance"], D)["eligible"] is True


def test_evaluate_all_lists_active_catalogue_in_order():
    out = rules.evaluate_all(facts(region=NB, grade=1, status="dibao"), CATALOGUE[NB], D)
    assert [r["policy_code"] for r in out] == ["living_allowance", "nursing_allowance",
                                               "home_modification", "child_rehab_aid",
                                               "assistive_device"]
    assert [r["eligible"] for r in out] == [True, True, True, False, True]
    assert out[0]["application_required"] is False
