"""Every page a notification opens exists in the mini-program, and the services take the paths
from services/common/pages.py only (a path typed elsewhere would open 页面不存在 in WeChat)."""
import json
import re
from pathlib import Path

from services.common import pages

ROOT = Path(__file__).resolve().parents[3]
APP_PAGES = set(json.loads((ROOT / "miniprogram/app.json").read_text())["pages"])


def test_every_notice_page_is_a_page_of_the_app():
    opened = [pages.HOME, pages.CERTIFICATE_CARD, pages.SUBSIDY, pages.REHAB_BOOKINGS,
              pages.VOLUNTEER_DESK, pages.MESSAGES, pages.application("subsidy", "sapp_1"),
              pages.application("certificate", "capp_1"), pages.help_request("vr_1"),
              pages.booking("bk_1"), pages.offer("of_1")]
    for page in opened:
        assert page.split("?")[0] in APP_PAGES, page
    assert pages.application("certificate", "capp_1").endswith("?service=certificate&id=capp_1")


def test_no_service_types_a_page_path_of_its_own():
    for source in list((ROOT / "services").rglob("*.py")) + list((ROOT / "miniprogram_api").rglob("*.py")):
        if source.name == "pages.py":
            continue
        found = re.findall(r"""["']pages/[\w/-]+""", source.read_text())
        assert not found, "%s names %s: use services.common.pages" % (source, found)
