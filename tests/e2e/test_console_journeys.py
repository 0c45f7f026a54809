"""Staff journeys through the console in headless Chromium, the citizen side over HTTP:
a certificate application from acceptance to issue → the holder's subsidy application through
its review chain → the month's payout batch (totals, bank file, reconciliation) → a rehab
booking checked in and completed. Each step is a click in the console; a broken step fails."""
import datetime as dt
import time

from nameko.standalone.rpc import ClusterRpcProxy

from services.common.clock import SHANGHAI
from tests.conftest import random_id
from tests.e2e.certificate_flow import NOTICE_SKIP, move_clock, stack_now
from tests.e2e.console_browser import browser, console  # noqa: F401 - fixtures
from tests.e2e.test_subsidy_support import ACCOUNT, wait_for

REGION = "500113"


def act(c, button, fields=(), expect=None):
    """Click an action on the application page, fill its dialog, confirm, wait for the result."""
    c.click(button, True, "section[aria-labelledby=actions-h]")
    for label, value in fields:
        c.fill(label, value, "dialog")
    c.click("确认" + button, True, "dialog")
    c.wait_for("() => !document.querySelector('dialog')")
    if expect:
        c.wait_text(expect, "#page")
    assert not c.alert(), c.alert()


def open_application(c, staff, menu, app_id):
    c.login("%s.%s" % (staff, REGION))
    c.go(menu)
    c.wait_text(app_id)
    c.click_link("办理 " + app_id, "申请")
    return c


def test_certificate_subsidy_and_payout_in_the_console(console, api, stack):
    c = console
    token, me = api.bound_citizen("控制台测试", id_number=random_id(REGION, "19700301"))
    pid = me["person"]["id"]
    r = api.post("/certificate/applications", token=token,
                 json={"person_id": pid, "type": "new", "residence_region": REGION,
                       "claimed_category": 4})
    assert r.status_code == 201, r.text
    aid = r.json()["id"]

    # street officer: materials check; a reject without a reason is refused in the dialog
    open_application(c, "street_officer", "残疾人证办理", aid)
    c.assert_accessible("application-detail")
    c.shot("09-application-detail")
    c.click("不予通过", True, "section[aria-labelledby=actions-h]")
    assert c.focused()["in_dialog"]
    for _ in range(6):                       # Tab stays inside the dialog
        c.press("Tab")
        assert c.focused()["in_dialog"]
    c.click("确认不予通过", True, "dialog")
    c.wait_text("请填写", "dialog")
    c.assert_accessible("action-dialog")
    c.shot("10-action-dialog")
    c.press("Escape")
    c.wait_for("() => !document.querySelector('dialog')")
    assert c.focused()["text"] == "不予通过"      # focus back on the button that opened it
    act(c, "受理", expect="材料已受理")

    # county DPF books the assessment with the region's assessor
    when = (stack_now(stack) + dt.timedelta(days=2)).astimezone(SHANGHAI)
    open_application(c, "county_dpf", "残疾人证办理", aid)
    act(c, "安排评残", [("评残专家账号", "assessor.%s" % REGION),
                       ("评残时间", when.strftime("%Y-%m-%dT10:00"))], "已预约评定")
    # the assessor finds it in their own queue and records category and grade
    open_application(c, "assessor", "残疾人证办理", aid)
    act(c, "录入评残结果", [("残疾类别", "4"), ("残疾等级", "2")], "已评定")
    open_application(c, "county_dpf", "残疾人证办理", aid)
    act(c, "审核通过", expect="公示中")
    # after the public notice period: issue (the console's token expired on the moved clock
    # and is renewed silently through /auth/refresh)
    move_clock(stack, NOTICE_SKIP.total_seconds())
    try:
        c.open("/console/applications/certificate/" + aid, "申请")
        act(c, "发证", expect="已发证")
    finally:
        move_clock(stack, 0)
    assert api.get("/people/%s/certificate" % pid, token=token).status_code == 200

    # the holder applies for the nursing allowance once subsidy has the certificate
    def applied():
        r = api.post("/subsidy/applications", token=token, json={
            "person_id": pid, "policy_code": "nursing_allowance", "residence_region": REGION,
            "bank_account": ACCOUNT, "bank_name": "农业银行"})
        return r.json() if r.status_code == 201 else None
    sid = wait_for(applied, 30)["id"]
    for staff, expect in (("street_officer", "残联审核"), ("county_dpf", "民政审批"),
                          ("civil_affairs", "已批准")):
        open_application(c, staff, "补贴审核", sid)
        act(c, "审核通过", expect=expect)
    c.shot("11-subsidy-approved")

    # the month's payout batch: totals, bank file, reconciliation
    month = stack_now(stack).astimezone(SHANGHAI).strftime("%Y-%m")
    c.go("发放批次")
    c.fill("地区代码", REGION)
    c.fill("发放月份", month)
    c.click("生成批次", True)
    c.settle("发放批次 %s" % REGION)
    c.wait_text("合计")
    assert int(c.text("[data-total-count]")) >= 1
    c.assert_accessible("payout-batch")
    c.shot("12-payout-batch")
    bank = c.download("下载银行代发文件")
    assert "nursing_allowance" in bank["content"] and ACCOUNT not in bank["content"]
    c.click("待支付的全部标记为已支付")
    c.click("提交对账", True)
    c.wait_text("对账结果")
    c.wait_text("已支付", "#page")
    c.shot("13-payout-reconciled")


def test_booking_check_in_and_completion_in_the_console(console, api, stack, amqp_config):
    c = console
    name = "控制台康复中心%d" % int(time.time())
    c.login("county_dpf.%s" % REGION)
    c.go("机构与排班")
    c.fill("机构名称", name)
    c.fill("地址", "巴南区鱼洞街道测试路1号")
    c.fill("纬度", "29.38")
    c.fill("经度", "106.54")
    c.eval("() => { document.querySelector('input[name=services][value=movement_therapy]').click();"
           " document.querySelector('input[name=access][value=step_free]').click(); }")
    c.click("保存机构", True)
    c.wait_text(name)
    inst = [i for i in api.get("/rehab/institutions", params={"region": REGION}).json()["items"]
            if i["name"] == name][0]

    # a weekly schedule for tomorrow, through the console
    tomorrow = (stack_now(stack).astimezone(SHANGHAI) + dt.timedelta(days=1)).date()
    c.fill("机构", inst["id"])
    c.fill("服务项目", "movement_therapy")
    c.fill("星期", str(tomorrow.isoweekday()))
    c.fill("开始时间", "10:00")
    c.fill("开始日期", tomorrow.isoformat())
    c.fill("结束日期", tomorrow.isoformat())
    c.click("生成号源", True)
    c.wait_text("排班已保存")
    c.shot("14-institution-schedule")

    # institution staff of that institution; a certificate holder books the slot
    with ClusterRpcProxy(amqp_config, timeout=30) as rpc:
        rpc.identity.ensure_staff([{"username": "institution_staff.%s" % REGION,
                                    "password": "demo12345", "roles": ["institution_staff"],
                                    "region": REGION, "institution_id": inst["id"]}])
    from tests.e2e.certificate_flow import issue_certificate
    token, me = api.bound_citizen("预约测试", id_number=random_id(REGION, "19800101"))
    pid = me["person"]["id"]
    issue_certificate(api, stack, pid, token, REGION, category=4, grade=2)

    def booked():
        slots = api.get("/rehab/slots", token=token, params={
            "institution_id": inst["id"], "service": "movement_therapy"}).json()["items"]
        if not slots:
            return None
        r = api.post("/rehab/bookings", token=token,
                     json={"slot_id": slots[0]["id"], "person_id": pid, "confirm": True})
        return r.json() if r.status_code == 201 else None
    booking = wait_for(booked, 30)
    if booking["status"] == "held":
        r = api.post("/rehab/bookings/%s/confirm" % booking["id"], token=token, json={})
        assert r.status_code == 200, r.text

    c.login("institution_staff.%s" % REGION)
    start = dt.datetime.fromisoformat(booking["start"])
    move_clock(stack, (start - stack_now(stack)).total_seconds() + 300)
    try:
        c.go("今日预约")
        c.fill("日期", start.astimezone(SHANGHAI).date().isoformat())
        c.wait_text("运动疗法")
        c.assert_accessible("bookings-today")
        c.click("签到", False, "#page table")
        c.wait_text("已签到")
        c.click("完成服务", False, "#page table")
        c.fill("服务记录", "上肢运动训练30分钟，状态良好", "dialog")
        c.click("完成服务", True, "dialog")
        c.wait_text("已完成")
        c.shot("15-booking-completed")
        assert not c.alert(), c.alert()
    finally:
        move_clock(stack, 0)
    r = api.get("/rehab/bookings/%s" % booking["id"], token=token)
    assert r.json()["status"] == "completed", r.text
