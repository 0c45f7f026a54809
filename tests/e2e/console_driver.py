"""The browser side of the console tests, in its own process.

The test process runs under eventlet's monkey-patching (tests/conftest.py), which does not mix
with Playwright's greenlet/asyncio loop (a failing step could hang instead of failing). So the
tests start this script with the venv's python (no conftest, no eventlet): it owns Chromium and
answers one JSON command per line on stdin, ``{"op": "new"|"close"|"call", "method", "args"}``,
with ``{"ok": value}`` or ``{"error": message, "kind": exception class}`` on stdout.
"""
import json
import os
import re
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(ROOT, "results", "console")
AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor", "axe.min.js")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BLOCKING = ("serious", "critical")


class Console:
    """What a test can do with the console page (each public method is one command)."""

    def __init__(self, page, base):
        self.page, self.base, self.errors = page, base.rstrip("/"), []
        page.on("pageerror", lambda e: self.errors.append("pageerror: %s" % e))
        page.on("console", self._console)
        page.on("dialog", lambda d: d.dismiss())

    def _console(self, msg):
        # a refused request shows in the page's alert; script errors and CSP refusals must not
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.errors.append("console: %s" % msg.text)

    # navigation -------------------------------------------------------------------------------
    def open(self, path, heading=None):
        self.page.goto(self.base + path)
        return self.settle(heading)

    def settle(self, heading=None):
        p = self.page
        p.wait_for_function("() => !document.querySelector('#page[aria-busy]')")
        if heading:
            p.wait_for_function("t => document.querySelector('#page-title').textContent.includes(t)",
                                arg=heading)
        return self.title()

    def login(self, username, password="demo12345"):
        p = self.page
        p.goto(self.base + "/console/")
        p.evaluate("() => sessionStorage.clear()")     # a new login replaces the previous one
        p.reload()
        p.get_by_label("账号").fill(username)
        p.get_by_label("密码").fill(password)
        p.get_by_role("button", name="登录", exact=True).click()
        p.wait_for_selector("#main-nav:not([hidden])")
        return self.settle()

    def menu(self):
        return [t.strip() for t in self.page.locator("#menu a").all_inner_texts()]

    def go(self, menu_text, heading=None):
        self.page.locator("#menu").get_by_role("link", name=menu_text, exact=True).click()
        return self.settle(heading or menu_text)

    def click_link(self, name, heading=None):
        self.page.get_by_role("link", name=name).first.click()
        return self.settle(heading)

    def click(self, name, exact=False, within=None):
        scope = self.page.locator(within) if within else self.page
        scope.get_by_role("button", name=name, exact=exact).first.click()

    def fill(self, label, value, within=None):
        scope = self.page.locator(within) if within else self.page
        loc = scope.get_by_label(label).and_(scope.locator("input, select, textarea")).first
        if loc.evaluate("e => e.tagName") == "SELECT":
            loc.select_option(value)
        else:
            loc.fill(value)

    def press(self, key):
        self.page.keyboard.press(key)

    def eval(self, js, arg=None):
        return self.page.evaluate(js, arg)

    def wait_for(self, js, arg=None, timeout=15000):
        self.page.wait_for_function(js, arg=arg, timeout=timeout)

    def wait_text(self, text, selector="#page", timeout=15000):
        self.page.wait_for_function(
            "([s, t]) => (document.querySelector(s) || {textContent: ''}).textContent.includes(t)",
            arg=[selector, text], timeout=timeout)

    def text(self, selector="#page"):
        return self.page.locator(selector).first.inner_text().strip()

    def alert(self):
        return self.text("#alert")

    def title(self):
        return self.text("#page-title")

    def focused(self):
        return self.page.evaluate("""() => { const e = document.activeElement;
            return {tag: e.tagName, id: e.id, name: e.getAttribute('name'),
                    text: (e.textContent || '').trim().slice(0, 80),
                    in_dialog: !!e.closest('dialog')}; }""")

    def download(self, button):
        with self.page.expect_download() as info:
            self.page.get_by_role("button", name=button).first.click()
        d = info.value
        os.makedirs(RESULTS, exist_ok=True)
        path = os.path.join(RESULTS, d.suggested_filename)
        d.save_as(path)
        with open(path, encoding="utf-8") as f:
            return {"name": d.suggested_filename, "content": f.read()}

    # checks -----------------------------------------------------------------------------------
    def axe(self, name):
        """axe-core run in the page; every finding is written to results/console/axe-<name>.txt,
        the serious and critical ones are returned."""
        p = self.page
        if not p.evaluate("() => typeof window.axe !== 'undefined'"):
            with open(AXE, encoding="utf-8") as f:
                p.evaluate(f.read() + "\n;undefined")   # evaluated, not a <script>: CSP stays on
        found = p.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""")
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, "axe-%s.txt" % name), "w", encoding="utf-8") as f:
            f.write("".join("%s %s: %s %s\n" % (v["impact"], v["id"], v["help"], v["nodes"])
                            for v in found) or "no violations\n")
        return [v for v in found if v["impact"] in BLOCKING]

    def assert_accessible(self, name):
        bad = self.axe(name)
        assert not bad, "axe serious/critical violations on %s: %s" % (name, bad)
        p = self.page    # 200% zoom = the same page in half the width: no sideways scrolling
        size = p.viewport_size
        p.set_viewport_size({"width": size["width"] // 2, "height": size["height"]})
        try:
            overflow = p.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            bad = self.axe(name + "-200pct")
        finally:
            p.set_viewport_size(size)
        assert overflow <= 1, "%s scrolls sideways at 200%% zoom (%spx)" % (name, overflow)
        assert not bad, "axe serious/critical violations on %s at 200%%: %s" % (name, bad)
        return True

    def shot(self, name):
        os.makedirs(RESULTS, exist_ok=True)
        path = os.path.join(RESULTS, re.sub(r"[^\w.-]", "_", name) + ".png")
        self.page.screenshot(path=path, full_page=True)
        return path


def main():
    from playwright.sync_api import sync_playwright
    base = sys.argv[1]
    out = sys.stdout
    sys.stdout = sys.stderr          # nothing else may write to the reply channel
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx, console = None, None
        out.write(json.dumps({"ok": "ready"}) + "\n")
        out.flush()
        for line in sys.stdin:
            cmd = json.loads(line)
            try:
                if cmd["op"] == "new":
                    if ctx:
                        ctx.close()
                    ctx = browser.new_context(viewport={"width": 1280, "height": 900},
                                              locale="zh-CN", timezone_id="Asia/Shanghai",
                                              accept_downloads=True)
                    ctx.set_default_timeout(15000)
                    console = Console(ctx.new_page(), base)
                    result = True
                elif cmd["op"] == "close":
                    result = console.errors if console else []
                    if ctx:
                        ctx.close()
                    ctx, console = None, None
                else:
                    result = getattr(console, cmd["method"])(*cmd.get("args", []))
                reply = {"ok": result}
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails
                if console is not None and cmd.get("op") == "call":
                    try:
                        console.shot("failure-%s" % cmd.get("method"))
                    except Exception:  # noqa: BLE001
                        pass
                reply = {"error": "%s\n%s" % (exc, traceback.format_exc(limit=3)),
                         "kind": type(exc).__name__}
            out.write(json.dumps(reply, ensure_ascii=False, default=str) + "\n")
            out.flush()
        browser.close()


if __name__ == "__main__":
    main()
