"""The authorization matrix: tests/authz/matrix.yml says, for every route, who may call it at
all; this checks the data against the route table (a new route without a rule fails) and then
asks the running gateway, for every route, as an anonymous caller, a citizen (naming a
stranger's person where the route takes one) and each of the eight staff roles."""
import os

import pytest
import yaml

from gateway.routes import ALL_ROUTES
from miniprogram_api.identity.schemas import STAFF_ROLES

MATRIX = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "matrix.yml")))["routes"]
GATEWAY_DENIALS = ("此功能仅限微信用户使用", "此功能仅限工作人员使用", "您的岗位不能使用此功能",
                   "您只能办理本人或被监护人的事项")


def test_every_route_has_a_rule_and_every_rule_a_route():
    table = {r.endpoint for r in ALL_ROUTES}
    assert sorted(table - set(MATRIX)) == [], "routes without a rule in matrix.yml"
    assert sorted(set(MATRIX) - table) == [], "rules for routes that no longer exist"


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda r: r.endpoint)
def test_the_route_table_declares_what_the_matrix_says(route):
    rule = MATRIX[route.endpoint]
    declared = {"public": ("allow", "allow", "allow"), "user": ("deny", "allow", "allow"),
                "citizen": ("deny", "allow", "deny"), "staff": ("deny", "deny", "allow")}[route.auth]
    assert (rule["anonymous"], rule["citizen"], rule["staff"]) == declared
    if route.auth == "staff":
        assert sorted(rule["roles"]) == sorted(route.roles)
    assert bool(rule.get("person")) == ("person_id" in route.params and route.auth != "public")


def call(api, route, token, person_id):
    path = route.path
    for p in route.params:
        path = path.replace("{%s}" % p, person_id if p == "person_id" else "x_matrix_probe")
    return api.request(route.method, path, token=token,
                       json={} if route.method in ("POST", "PUT") else None)


def denied_by_gateway(r):
    if r.status_code == 401:
        return True
    return r.status_code == 403 and r.json()["error"]["message"] in GATEWAY_DENIALS


@pytest.fixture(scope="module")
def callers(api):
    citizen, me = api.bound_citizen("矩阵甲")
    _, stranger = api.bound_citizen("矩阵乙")
    staff = {role: api.staff(role, "500113") for role in STAFF_ROLES}
    return {"citizen": (citizen, me["person"]["id"], stranger["person"]["id"]), "staff": staff}


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda r: r.endpoint)
def test_the_gateway_enforces_the_matrix(api, callers, route):
    rule = MATRIX[route.endpoint]
    citizen, own, stranger = callers["citizen"]
    problems = []

    r = call(api, route, None, own)
    if (rule["anonymous"] == "deny") != (r.status_code == 401):
        problems.append("anonymous got %s" % r.status_code)

    r = call(api, route, citizen, own)
    if (rule["citizen"] == "deny") != denied_by_gateway(r):
        problems.append("citizen got %s %s" % (r.status_code, r.text[:120]))
    if rule["citizen"] == "allow" and rule.get("person"):
        r = call(api, route, citizen, stranger)
        if r.status_code != 403:
            problems.append("citizen naming a stranger got %s" % r.status_code)

    for role, token in callers["staff"].items():
        allowed = rule["staff"] == "allow" and (not rule.get("roles") or role in rule["roles"]
                                                or role == "admin")
        r = call(api, route, token, stranger)
        if allowed == denied_by_gateway(r):
            problems.append("%s got %s %s" % (role, r.status_code, r.text[:120]))
        if r.status_code >= 500:
            problems.append("%s got a %s" % (role, r.status_code))
    assert not problems, problems
