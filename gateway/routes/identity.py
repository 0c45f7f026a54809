"""Identity, accounts, the person file, notifications consent, and the identity staff feeds."""
from marshmallow import Schema, fields, validate

from gateway.routing import RouteTable
from miniprogram_api.identity import schemas
from services.common.errors import NotFound, ValidationFailed
from services.common.ids import prefix_of

routes = RouteTable(tag="identity")

AUDIT_OWNERS = {"p": "identity"}


@routes.post("/auth/wechat-login", auth="public", body=schemas.WechatLogin, rate_limit="login",
             summary="微信登录：wx.login 的 code 换取令牌", idempotent=False)
def wechat_login(ctx):
    return ctx.rpc.identity.wechat_login(ctx.body)


@routes.post("/auth/refresh", auth="public", body=schemas.Refresh, rate_limit="login",
             summary="刷新令牌", idempotent=False)
def refresh(ctx):
    return ctx.rpc.identity.refresh(ctx.body)


@routes.post("/auth/staff-login", auth="public", body=schemas.StaffLogin, rate_limit="login",
             summary="工作人员登录", idempotent=False)
def staff_login(ctx):
    return ctx.rpc.identity.staff_login(ctx.body)


@routes.get("/me", auth="user", summary="当前账号、本人、被监护人")
def me(ctx):
    return ctx.rpc.identity.me(ctx.actor)


@routes.post("/me/identity", auth="citizen", body=schemas.BindIdentity, rate_limit="identity",
             summary="实名绑定本人身份")
def bind_identity(ctx):
    return ctx.rpc.identity.bind_identity(ctx.actor, ctx.body)


@routes.post("/me/phone", auth="citizen", body=schemas.BindPhone, rate_limit="identity",
             summary="通过 getPhoneNumber 绑定手机号")
def bind_phone(ctx):
    return ctx.rpc.identity.bind_phone(ctx.actor, ctx.body)


@routes.post("/me/wards", auth="citizen", body=schemas.AddWard, rate_limit="identity", status=201,
             summary="添加被监护人（代办）")
def add_ward(ctx):
    return ctx.rpc.identity.add_ward(ctx.actor, ctx.body)


class ConsentResults(Schema):
    results = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                          values=fields.String(validate=validate.OneOf(("accept", "reject", "ban"))),
                          required=True)


@routes.post("/me/subscriptions", auth="citizen", body=ConsentResults,
             summary="上报订阅消息授权结果（wx.requestSubscribeMessage）")
def record_consent(ctx):
    return ctx.rpc.notifier.record_consent(ctx.actor, ctx.body)


@routes.get("/me/subscriptions", auth="citizen", summary="订阅消息授权与剩余次数")
def subscriptions(ctx):
    return ctx.rpc.notifier.subscriptions(ctx.actor)


@routes.get("/me/notifications", auth="citizen", summary="消息记录（含未能推送的）")
def notifications(ctx):
    return ctx.rpc.notifier.notifications_for(ctx.actor)


@routes.get("/people/{person_id}/file", auth="user", summary="一人一档")
def person_file(ctx, person_id):
    from gateway.routes import PERSON_FILE_SECTIONS
    person = ctx.rpc.identity.person(ctx.actor, person_id)
    sections = ctx.gather({key: (service, method, ctx.actor, person_id)
                           for key, service, method in PERSON_FILE_SECTIONS})
    return dict({"person": person}, **sections)


@routes.post("/admin/people/deaths", auth="staff", body=schemas.DeathFeed,
             roles=("civil_affairs", "county_dpf"), summary="公安死亡信息推送")
def record_deaths(ctx):
    return ctx.rpc.identity.record_deaths(ctx.actor, ctx.body)


class AuditQuery(Schema):
    entity = fields.String(required=True, validate=validate.Length(min=3, max=64))


@routes.get("/admin/audit", auth="staff", query=AuditQuery, summary="审计记录")
def audit(ctx):
    from gateway.routes import AUDIT_OWNERS as owners
    entity = ctx.query["entity"]
    owner = owners.get(prefix_of(entity))
    if owner is None:
        raise ValidationFailed("无法识别的记录编号", {"entity": ["unknown kind"]})
    trail = getattr(ctx.rpc, owner).audit_trail(ctx.actor, entity)
    if not trail:
        raise NotFound("没有这条记录的审计信息")
    return {"items": trail, "next_cursor": None}
