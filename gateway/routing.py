"""The route table: every HTTP route of the suite is declared once, here, as data.

    routes = RouteTable()

    @routes.post("/me/wards", auth="citizen", body=schemas.AddWard, status=201,
                 summary="添加被监护人")
    def add_ward(ctx):
        return ctx.rpc.identity.add_ward(ctx.actor, ctx.body)

The gateway dispatches from it, ``GET /api/openapi.json`` is generated from it, and the
authorization-matrix tests enumerate it, so a route cannot exist without an auth rule.

auth: "public" (anyone), "user" (any logged-in citizen or staff), "citizen", "staff".
roles: for staff routes, the roles that may call it at all (services check region and the
finer rules). A path parameter named ``person_id`` is checked for citizens before the call:
they may act only for themselves and their wards.
"""
import re
from dataclasses import dataclass, field

AUTH_LEVELS = ("public", "user", "citizen", "staff")
API_PREFIX = "/api/v1"


@dataclass(eq=False)
class Route:
    method: str
    path: str
    handler: object
    auth: str
    body: object = None
    query: object = None
    roles: tuple = ()
    status: int = 200
    summary: str = ""
    tag: str = ""
    idempotent: bool = True
    rate_limit: str = None
    params: list = field(default_factory=list)

    @property
    def werkzeug_rule(self):
        return API_PREFIX + re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    @property
    def endpoint(self):
        return "%s %s" % (self.method, self.path)


class RouteTable:
    def __init__(self, tag=""):
        self.tag, self.routes = tag, []

    def add(self, method, path, auth, **options):
        if auth not in AUTH_LEVELS:
            raise ValueError("unknown auth level %r for %s %s" % (auth, method, path))

        def decorate(fn):
            route = Route(method, path, fn, auth, tag=options.pop("tag", self.tag),
                          params=re.findall(r"\{(\w+)\}", path), **options)
            self.routes.append(route)
            return fn
        return decorate

    def get(self, path, auth, **options):
        return self.add("GET", path, auth, **options)

    def post(self, path, auth, **options):
        return self.add("POST", path, auth, **options)

    def put(self, path, auth, **options):
        return self.add("PUT", path, auth, **options)

    def delete(self, path, auth, **options):
        return self.add("DELETE", path, auth, **options)
