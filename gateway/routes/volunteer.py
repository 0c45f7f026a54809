"""Volunteer matching (助残志愿服务): volunteers, help requests, offers, tasks, coordinators."""
from marshmallow import Schema, fields, validate

from gateway.routing import RouteTable
from services.volunteer import schemas

routes = RouteTable(tag="volunteer")

PERSON_FILE_SECTIONS = [("volunteer", "volunteer", "person_summary")]
AUDIT_OWNERS = {"vol": "volunteer", "vt": "volunteer", "vc": "volunteer", "vp": "volunteer"}
COORD = ("volunteer_coordinator",)
STAFF_CREATORS = ("volunteer_coordinator", "street_officer", "county_dpf")


class OffersQuery(Schema):
    status = fields.String(validate=validate.OneOf(("pending", "accepted", "declined", "expired", "taken",
                                                    "withdrawn", "all")))


# volunteers (mini-program) ------------------------------------------------------------------------
@routes.post("/volunteers", auth="citizen", body=schemas.RegisterVolunteer, status=201,
             summary="注册成为志愿者（技能、语言/方言、可服务时段、常住区域与位置）")
def register(ctx):
    return ctx.rpc.volunteer.register(ctx.actor, ctx.body)


@routes.get("/volunteers/me", auth="citizen", summary="我的志愿者档案：状态、服务时长、星级、评分")
def my_profile(ctx):
    return ctx.rpc.volunteer.my_profile(ctx.actor)


@routes.get("/volunteers/me/offers", auth="citizen", query=OffersQuery,
            summary="我收到的服务邀请（接单前只显示类型、时间、区域）")
def my_offers(ctx):
    return ctx.rpc.volunteer.my_offers(ctx.actor, ctx.query)


@routes.get("/volunteers/me/tasks", auth="citizen", summary="我接的任务")
def my_tasks(ctx):
    return ctx.rpc.volunteer.my_tasks(ctx.actor)


@routes.post("/volunteer/offers/{offer_id}/accept", auth="citizen",
             summary="接单（先接先得；已被他人接走时 409 TASK_TAKEN）")
def accept_offer(ctx, offer_id):
    return ctx.rpc.volunteer.accept_offer(ctx.actor, offer_id)


@routes.post("/volunteer/offers/{offer_id}/decline", auth="citizen", body=schemas.Reason,
             summary="婉拒邀请（不影响评分）")
def decline_offer(ctx, offer_id):
    return ctx.rpc.volunteer.decline_offer(ctx.actor, offer_id, ctx.body)


def _step(step, summary):
    path = "/volunteer/tasks/{task_id}/" + step.replace("_", "-")

    def handler(ctx, task_id):
        return ctx.rpc.volunteer.task_step(ctx.actor, task_id, step)
    handler.__name__ = "task_" + step
    routes.post(path, auth="citizen", summary=summary)(handler)


_step("set_out", "志愿者出发（通知服务对象：志愿者正在前往）")
_step("check_in", "签到（服务开始前60分钟起）")
_step("check_out", "签退（未签到时 409 NOT_CHECKED_IN）")


@routes.post("/volunteer/tasks/{task_id}/rate", auth="citizen", body=schemas.Rate,
             summary="双向评价（1–5星，完成后14天内，每方一次）")
def rate(ctx, task_id):
    return ctx.rpc.volunteer.rate_task(ctx.actor, task_id, ctx.body)


@routes.post("/volunteer/tasks/{task_id}/complain", auth="citizen", body=schemas.Complain, status=201,
             summary="投诉（服务双方）")
def complain(ctx, task_id):
    return ctx.rpc.volunteer.complain(ctx.actor, task_id, ctx.body)


# help requests (citizens and guardians) ------------------------------------------------------------
@routes.post("/volunteer/requests", auth="citizen", body=schemas.HelpRequest, status=201,
             summary="为本人或被监护人申请志愿服务")
def create_request(ctx):
    return ctx.rpc.volunteer.create_request(ctx.actor, ctx.body)


@routes.get("/volunteer/requests/{request_id}", auth="user",
            summary="服务需求详情（志愿者联系方式仅在接单后显示）")
def get_request(ctx, request_id):
    return ctx.rpc.volunteer.get_request(ctx.actor, request_id)


@routes.post("/volunteer/requests/{request_id}/cancel", auth="citizen", body=schemas.Reason,
             summary="取消服务需求")
def cancel_request(ctx, request_id):
    return ctx.rpc.volunteer.cancel_request(ctx.actor, request_id, ctx.body)


# coordinators (staff console) -----------------------------------------------------------------------
def _volunteer_action(action, summary):
    def handler(ctx, volunteer_id):
        return ctx.rpc.volunteer.volunteer_action(ctx.actor, volunteer_id, action, ctx.body)
    handler.__name__ = "volunteer_" + action
    routes.post("/admin/volunteers/{volunteer_id}/" + action, auth="staff", roles=COORD,
                body=schemas.Reason, summary=summary)(handler)


_volunteer_action("verify", "审核通过志愿者注册")
_volunteer_action("reject", "不通过志愿者注册（需填写原因）")
_volunteer_action("suspend", "暂停志愿者服务（需填写原因）")
_volunteer_action("reinstate", "恢复志愿者服务（复核后，投诉计数清零）")


@routes.post("/admin/volunteer/requests", auth="staff", roles=STAFF_CREATORS, body=schemas.StaffRequest,
             status=201, summary="登记服务需求（12385 热线、窗口、走访）")
def staff_request(ctx):
    return ctx.rpc.volunteer.create_staff_request(ctx.actor, ctx.body)


@routes.post("/admin/volunteer/requests/{request_id}/reopen", auth="staff", roles=COORD, body=schemas.Reason,
             summary="未匹配需求重新派单（不再邀请已问过的志愿者）")
def reopen_request(ctx, request_id):
    return ctx.rpc.volunteer.staff_request_action(ctx.actor, request_id, "reopen", ctx.body)


@routes.post("/admin/volunteer/requests/{request_id}/cancel", auth="staff", roles=COORD, body=schemas.Reason,
             summary="取消服务需求（需填写原因）")
def staff_cancel_request(ctx, request_id):
    return ctx.rpc.volunteer.staff_request_action(ctx.actor, request_id, "cancel", ctx.body)


@routes.post("/admin/volunteer/complaints/{complaint_id}/decide", auth="staff", roles=COORD,
             body=schemas.ComplaintDecision, summary="处理投诉（成立/不成立；三次成立暂停服务待复核）")
def decide_complaint(ctx, complaint_id):
    return ctx.rpc.volunteer.decide_complaint(ctx.actor, complaint_id, ctx.body)


@routes.post("/admin/volunteer/pairs", auth="staff", roles=COORD, body=schemas.Pair, status=201,
             summary="建立结对（该对象的需求优先派给结对志愿者）")
def create_pair(ctx):
    return ctx.rpc.volunteer.create_pair(ctx.actor, ctx.body)


@routes.get("/admin/volunteer/board", auth="staff", query=schemas.BoardQuery,
            roles=("volunteer_coordinator", "street_officer", "county_dpf", "auditor"),
            summary="需求看板：本辖区待匹配、派单中、未匹配（告警）的需求")
def board(ctx):
    return ctx.rpc.volunteer.board(ctx.actor, ctx.query)
