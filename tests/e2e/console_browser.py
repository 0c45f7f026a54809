"""Fixtures for the staff console tests: ``console`` drives headless Chromium through
tests/e2e/console_driver.py, run as its own process (no eventlet there; see its docstring).

    def test_x(console):
        console.login("county_dpf.500113")
        console.go("数据看板")
        console.assert_accessible("dashboard")

Every Console method of the driver is available; an assertion or Playwright error in the
browser fails the test with its message, and a stuck browser is killed after CALL_TIMEOUT.
"""
import json
import os
import subprocess
import sys
import threading

import pytest

from tests.e2e.console_driver import CHROMIUM

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "console_driver.py")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALL_TIMEOUT = 120


class BrowserError(AssertionError):
    pass


class Driver:
    def __init__(self, base_url):
        self.proc = subprocess.Popen([sys.executable, DRIVER, base_url], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")
        self._read("start")

    def _read(self, what):
        timer = threading.Timer(CALL_TIMEOUT, self.proc.kill)
        timer.start()
        try:
            line = self.proc.stdout.readline()
        finally:
            timer.cancel()
        if not line:
            raise BrowserError("the browser driver stopped during %s" % what)
        reply = json.loads(line)
        if "error" in reply:
            raise BrowserError("%s failed in the browser (%s): %s" % (what, reply["kind"],
                                                                      reply["error"]))
        return reply["ok"]

    def send(self, op, method=None, args=()):
        self.proc.stdin.write(json.dumps({"op": op, "method": method, "args": list(args)},
                                         ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        return self._read(method or op)

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except Exception:  # noqa: BLE001
            self.proc.kill()


class ConsoleProxy:
    def __init__(self, driver):
        self._driver = driver

    def __getattr__(self, method):
        return lambda *args: self._driver.send("call", method, args)


@pytest.fixture(scope="session")
def browser(stack):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: apt-get install -y chromium (make deps installs it)")
    d = Driver(stack.url)
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture
def console(browser):
    browser.send("new")
    yield ConsoleProxy(browser)
    errors = browser.send("close")
    assert not errors, "errors in the page: %s" % errors
