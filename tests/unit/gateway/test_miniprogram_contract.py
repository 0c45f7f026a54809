"""The mini-program and the gateway agree: every endpoint the app calls is a route with that
method, the body and query keys it sends are fields of the route's schema, and every route meant
for citizens is used by the app (or named below with the reason it is not)."""
import json
import re
import subprocess
from pathlib import Path

import pytest

from gateway.routes import ALL_ROUTES

ROOT = Path(__file__).resolve().parents[3]

# Citizen-facing routes the app does not call, and why.
NOT_IN_APP = {
    "GET /verify/{}": "the verifier's scanner opens it, not the holder's app",
    "GET /verify/keys": "verifiers check credentials offline with these keys",
    "GET /verify/revocations": "verifiers check credentials offline against this list",
    "GET /me/subscriptions": "the app asks WeChat which templates are accepted at the moment it offers them",
}


def _shape(path):
    return re.sub(r"\{\w*\}", "{}", path)


def _fields(schema):
    return {f.data_key or name for name, f in schema().fields.items()} if schema else set()


@pytest.fixture(scope="module")
def calls():
    out = subprocess.run(["node", "test/helpers/endpoints.js"], cwd=ROOT / "miniprogram",
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def routes():
    return {(r.method, _shape(r.path)): r for r in ALL_ROUTES}


def test_every_call_is_a_route_and_sends_only_its_fields(calls, routes):
    assert len(calls) > 30
    for call in calls:
        key = "%s %s" % (call["method"], call["path"])
        route = routes.get((call["method"], call["path"]))
        assert route is not None, "the mini-program calls %s, which the gateway does not serve" % key
        if call["body"]:
            assert set(call["body"]) <= _fields(route.body), (key, call["body"])
        if call["query"]:
            assert set(call["query"]) <= _fields(route.query), (key, call["query"])


def test_every_citizen_route_is_used_by_the_app(calls, routes):
    used = {(c["method"], c["path"]) for c in calls}
    for (method, path), route in sorted(routes.items()):
        key = "%s %s" % (method, path)
        if path.startswith(("/admin/", "/auth/staff")) or route.auth == "staff":
            continue
        if key in NOT_IN_APP:
            assert (method, path) not in used, "%s is used now: take it off NOT_IN_APP" % key
            continue
        assert (method, path) in used, "no page of the mini-program calls %s (%s)" % (key, route.summary)
