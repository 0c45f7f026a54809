"""Staff routes shared by every service: work queues and the dashboard.

Each business service implements ``queue(actor, filters)`` (work waiting for the caller's role
in the caller's region, oldest first, overdue items flagged) and ``dashboard(actor, region)``
(its measures of DOMAIN.md §8, computed from live data).
"""
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


@routes.get("/admin/dashboard", auth="staff", query=DashboardQuery, summary="业务监测指标（实时）")
def dashboard(ctx):
    region = ctx.query.get("region") or ctx.actor["region"]
    regions.validate(region)
    if region != ctx.actor["region"] and "admin" not in ctx.actor["roles"]:
        raise Forbidden("只能查看本辖区的指标", {"region": region})
    parts = ctx.gather({name: (name, "dashboard", ctx.actor, region) for name in QUEUE_SERVICES})
    return {"region": region, "region_name": regions.name(region), "measures": parts}
