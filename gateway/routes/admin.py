"""Staff routes shared by every service: work queues and the dashboard.

Each business service implements ``queue(actor, filters)`` (work waiting for the caller's role
in the caller's region, oldest first, overdue items flagged) and ``dashboard(actor, region)``
(its measures of DOMAIN.md §8, computed from live data).
"""
import datetime as dt
import time

from marshmallow import Schema, fields, validate

from gateway.routing import RouteTable
from services.common import regions
from services.common.errors import Forbidden

routes = RouteTable(tag="admin")

QUEUE_SERVICES = ("certificate", "subsidy", "rehab_booking", "volunteer")


class QueueQuery(Schema):
    service = fields.String(required=True, validate=validate.OneOf(QUEUE_SERVICES))
    status = fields.String(validate=validate.Length(min=1, max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=200))
    sort = fields.String(validate=validate.OneOf(("oldest", "newest")))


@routes.get("/admin/queues", auth="staff", query=QueueQuery, summary="本岗位、本辖区的待办")
def queues(ctx):
    filters = {k: v for k, v in ctx.query.items() if k != "service" and v is not None}
    return getattr(ctx.rpc, ctx.query["service"]).queue(ctx.actor, filters)


class DashboardQuery(Schema):
    region = fields.String(validate=validate.Regexp(r"^\d{6}$"))


class Recent:
    """Answers kept by key (one gateway process; eventlet, so no lock). Fresh for ``seconds``;
    after that the first caller computes the answer again while the others still get the one
    kept, so one request per key and period waits, not every one."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds, self.clock, self.kept, self.computing = seconds, clock, {}, set()

    def get(self, key, compute):
        at, value = self.kept.get(key, (None, None))
        if at is not None and (self.clock() - at < self.seconds or key in self.computing):
            return value
        self.computing.add(key)
        try:
            value, keep = compute()
        finally:
            self.computing.discard(key)
        if keep and self.seconds > 0:
            self.kept[key] = (self.clock(), value)
        return value


# The measures read whole collections (FerretDB v1 scans for any filter but _id): seconds for a
# city, more under load. A region's dashboard is computed at most once per
# DASHBOARD_CACHE_SECONDS (config; set by the gateway's Settings at start; the test stacks use
# 0) and says when it was computed (as_of). Its parts may take up to DASHBOARD_TIMEOUT seconds.
dashboards = Recent(30)
DASHBOARD_TIMEOUT = 60


@routes.get("/admin/dashboard", auth="staff", query=DashboardQuery, summary="业务监测指标（实时）")
def dashboard(ctx):
    region = ctx.query.get("region") or ctx.actor["region"]
    regions.validate(region)
    if region != ctx.actor["region"] and "admin" not in ctx.actor["roles"]:
        raise Forbidden("只能查看本辖区的指标", {"region": region})

    def compute():
        parts = ctx.gather({name: (name, "dashboard", ctx.actor, region)
                            for name in QUEUE_SERVICES}, timeout=DASHBOARD_TIMEOUT)
        complete = not any(isinstance(p, dict) and "unavailable" in p for p in parts.values())
        return {"region": region, "region_name": regions.name(region), "measures": parts,
                "as_of": dt.datetime.now(dt.timezone.utc).isoformat()}, complete
    return dashboards.get(region, compute)
