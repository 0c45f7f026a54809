"""Staff console in headless Chromium: login, menus per role and region, each main page
without serious/critical axe-core violations and usable at 200% zoom, keyboard basics."""
import pytest

from tests.e2e.console_browser import browser, console  # noqa: F401 - fixtures

REGION = "500113"

MENUS = {
    "street_officer": {"残疾人证办理", "补贴审核", "数据看板"},
    "county_dpf": {"残疾人证办理", "补贴审核", "今日预约", "机构与排班", "数据看板"},
    "civil_affairs": {"补贴审核", "发放批次", "数据看板"},
    "assessor": {"残疾人证办理", "数据看板"},
    "institution_staff": {"预约待办", "今日预约", "机构与排班", "数据看板"},
    "volunteer_coordinator": {"志愿者审核", "数据看板"},
}


def test_login_page_is_accessible_and_refuses_a_wrong_password(console):
    c = console
    c.open("/console/", "登录")
    c.assert_accessible("login")
    c.shot("01-login")
    c.fill("账号", "county_dpf.%s" % REGION)
    c.fill("密码", "wrong-password")
    c.click("登录", True)
    c.wait_text("用户名或密码不正确", "#alert")
    assert c.eval("() => document.querySelector('#main-nav').hidden")
    assert c.focused()["name"] == "password"


@pytest.mark.parametrize("role", sorted(MENUS))
def test_menu_follows_the_role(console, role):
    c = console
    c.login("%s.%s" % (role, REGION))
    got = set(c.menu())
    assert MENUS[role] <= got, got
    assert ("发放批次" in got) == (role == "civil_affairs")
    assert ("志愿者审核" in got) == (role == "volunteer_coordinator")
    assert REGION in c.text("#user-label")


def test_keyboard_skip_link_and_logout(console):
    c = console
    c.login("county_dpf.%s" % REGION)
    c.open("/console/dashboard", "数据看板")     # a fresh load: the first Tab stop
    c.press("Tab")
    assert c.focused()["text"] == "跳到主要内容"
    c.press("Enter")
    assert c.focused()["id"] == "main"
    c.click("退出登录")
    c.settle("登录")
    assert c.eval("() => sessionStorage.getItem('console.session')") is None


PAGES = [
    ("county_dpf", "残疾人证办理", "02-certificate-queue"),
    ("street_officer", "补贴审核", "03-subsidy-queue"),
    ("civil_affairs", "发放批次", "04-payouts"),
    ("county_dpf", "机构与排班", "05-institutions"),
    ("county_dpf", "今日预约", "06-bookings-today"),
    ("volunteer_coordinator", "志愿者审核", "07-volunteer-queue"),
    ("county_dpf", "数据看板", "08-dashboard"),
]


@pytest.mark.parametrize("role,menu,name", PAGES, ids=[p[2] for p in PAGES])
def test_main_pages_are_accessible(console, role, menu, name):
    c = console
    c.login("%s.%s" % (role, REGION))
    c.go(menu)
    assert not c.alert(), c.alert()
    c.assert_accessible(name)
    c.shot(name)
