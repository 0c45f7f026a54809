"""Rehab booking (康复预约): institutions, slots, bookings, waitlist; staff institution, schedule,
slot and booking actions. Services check the finer rules (own institution, own region)."""
from gateway.routing import RouteTable
from services.rehab_booking import schemas

routes = RouteTable(tag="rehab_booking")

PERSON_FILE_SECTIONS = [("rehab", "rehab_booking", "person_summary")]
AUDIT_OWNERS = {"bk": "rehab_booking", "inst": "rehab_booking", "wl": "rehab_booking",
                "sch": "rehab_booking"}

STAFF = ("county_dpf", "institution_staff")


@routes.get("/rehab/services", auth="public", summary="康复服务目录")
def services(ctx):
    return ctx.rpc.rehab_booking.services()


@routes.get("/rehab/institutions", auth="public", query=schemas.InstitutionsQuery,
            summary="定点康复机构（服务、无障碍设施）")
def institutions(ctx):
    return ctx.rpc.rehab_booking.institutions(ctx.actor, ctx.query)


@routes.get("/rehab/slots", auth="public", query=schemas.SlotsQuery,
            summary="可预约时段（capacity、available）")
def slots(ctx):
    return ctx.rpc.rehab_booking.slots(ctx.actor, ctx.query)


@routes.post("/rehab/bookings", auth="user", body=schemas.Book, status=201,
             summary="预约（锁定10分钟待确认）；满员 409 SLOT_FULL")
def book(ctx):
    return ctx.rpc.rehab_booking.book(ctx.actor, ctx.body)


@routes.get("/rehab/bookings/{booking_id}", auth="user", summary="预约详情")
def booking(ctx, booking_id):
    return ctx.rpc.rehab_booking.booking(ctx.actor, booking_id)


@routes.post("/rehab/bookings/{booking_id}/confirm", auth="user", summary="确认预约")
def confirm(ctx, booking_id):
    return ctx.rpc.rehab_booking.act(ctx.actor, booking_id, "confirm", ctx.body)


@routes.post("/rehab/bookings/{booking_id}/cancel", auth="user", body=schemas.Reason,
             summary="取消预约（开始前2小时截止；工作人员需说明原因）")
def cancel(ctx, booking_id):
    return ctx.rpc.rehab_booking.act(ctx.actor, booking_id, "cancel", ctx.body)


@routes.post("/rehab/bookings/{booking_id}/reschedule", auth="user", body=schemas.Reschedule,
             summary="改约到同一服务的另一时段（失效预约改选替代时段）")
def reschedule(ctx, booking_id):
    return ctx.rpc.rehab_booking.reschedule(ctx.actor, booking_id, ctx.body)


@routes.post("/rehab/bookings/{booking_id}/rate", auth="citizen", body=schemas.Rate,
             summary="服务评价")
def rate(ctx, booking_id):
    return ctx.rpc.rehab_booking.act(ctx.actor, booking_id, "rate", ctx.body)


@routes.post("/rehab/waitlist", auth="citizen", body=schemas.Waitlist, status=201,
             summary="候补登记（时段，或机构+服务+日期）")
def join_waitlist(ctx):
    return ctx.rpc.rehab_booking.join_waitlist(ctx.actor, ctx.body)


@routes.post("/rehab/waitlist/{entry_id}/withdraw", auth="citizen", summary="退出候补")
def withdraw_waitlist(ctx, entry_id):
    return ctx.rpc.rehab_booking.withdraw_waitlist(ctx.actor, entry_id)


@routes.get("/people/{person_id}/rehab/bookings", auth="user", summary="本人/被监护人的康复预约")
def person_bookings(ctx, person_id):
    return ctx.rpc.rehab_booking.person_bookings(ctx.actor, person_id)


# staff -----------------------------------------------------------------------------------------
@routes.post("/admin/rehab/institutions", auth="staff", roles=STAFF, body=schemas.Institution,
             summary="新增或修改定点机构；action: suspend / reinstate / remove")
def save_institution(ctx):
    return ctx.rpc.rehab_booking.save_institution(ctx.actor, ctx.body)


@routes.post("/admin/rehab/schedules", auth="staff", roles=STAFF, body=schemas.Schedules,
             status=201, summary="按周排班模板生成号源")
def create_schedule(ctx):
    return ctx.rpc.rehab_booking.create_schedule(ctx.actor, ctx.body)


@routes.post("/admin/rehab/slots/{slot_id}/close", auth="staff", roles=STAFF, body=schemas.Reason,
             summary="关闭时段（已有预约转为失效并通知、推荐替代时段）")
def close_slot(ctx, slot_id):
    return ctx.rpc.rehab_booking.close_slot(ctx.actor, slot_id, ctx.body)


@routes.get("/admin/rehab/bookings", auth="staff", roles=STAFF, query=schemas.DayQuery,
            summary="机构当日预约")
def day_bookings(ctx):
    return ctx.rpc.rehab_booking.day_bookings(ctx.actor, ctx.query)


def _staff_action(action, summary, body=schemas.Reason):
    path = "/admin/rehab/bookings/{booking_id}/%s" % action.replace("_", "-")

    @routes.post(path, auth="staff", roles=("institution_staff",), body=body, summary=summary)
    def handler(ctx, booking_id):
        return ctx.rpc.rehab_booking.act(ctx.actor, booking_id, _ACTIONS[action], ctx.body)
    handler.__name__ = "staff_" + action
    return handler


_ACTIONS = {"check_in": "check_in", "complete": "complete", "no_show": "mark_no_show",
            "approve": "approve", "reject": "reject"}
_staff_action("check_in", "签到")
_staff_action("complete", "完成服务（服务记录）", body=schemas.Complete)
_staff_action("no_show", "登记爽约（开始15分钟后）")
_staff_action("approve", "批准待确认的预约（爽约3次后）")
_staff_action("reject", "驳回待确认的预约")
