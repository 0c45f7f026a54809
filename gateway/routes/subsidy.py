"""Subsidy routes (补贴): catalogue, eligibility, applications, suggestions, entitlements,
payments; staff review actions, payout batches, bank file, reconciliation, household feed."""
from gateway.routing import RouteTable
from services.subsidy import schemas

routes = RouteTable(tag="subsidy")

PERSON_FILE_SECTIONS = [("subsidy", "subsidy", "person_summary")]
# sapp_ applications · sent_ entitlements (and their payment lines sent_…:YYYY-MM) ·
# ssug_ suggestions · pb_ payout batches · hh_<person_id> household status records
AUDIT_OWNERS = {"sapp": "subsidy", "sent": "subsidy", "ssug": "subsidy", "pb": "subsidy",
                "hh": "subsidy"}
PAYERS = ("civil_affairs",)
REVIEWERS = ("street_officer", "county_dpf", "civil_affairs")


@routes.get("/subsidy/policies", auth="public", query=schemas.PolicyQuery,
            summary="本地区现行补贴目录")
def policies(ctx):
    return ctx.rpc.subsidy.policies(ctx.query["region"])


@routes.get("/people/{person_id}/subsidy/eligibility", auth="user",
            query=schemas.EligibilityQuery, summary="补贴资格判定（含原因）")
def eligibility(ctx, person_id):
    return ctx.rpc.subsidy.eligibility(ctx.actor, person_id, ctx.query.get("region"))


@routes.post("/subsidy/applications", auth="user", body=schemas.Apply, status=201,
             summary="申请补贴（本人、监护人或窗口代办）")
def apply(ctx):
    return ctx.rpc.subsidy.apply(ctx.actor, ctx.body)


@routes.get("/subsidy/applications/{app_id}", auth="user", summary="补贴申请状态与历史")
def application(ctx, app_id):
    return ctx.rpc.subsidy.application(ctx.actor, app_id)


@routes.post("/subsidy/applications/{app_id}/actions", auth="citizen", body=schemas.CitizenAction,
             summary="申请人操作：补正后重新提交（resubmit）或撤回（withdraw）")
def citizen_action(ctx, app_id):
    return ctx.rpc.subsidy.citizen_action(ctx.actor, app_id, ctx.body)


@routes.get("/people/{person_id}/subsidy/entitlements", auth="user", summary="享受中的补贴")
def entitlements(ctx, person_id):
    return ctx.rpc.subsidy.entitlements(ctx.actor, person_id)


@routes.get("/people/{person_id}/subsidy/payments", auth="user", summary="补贴发放记录")
def payments(ctx, person_id):
    return ctx.rpc.subsidy.payments(ctx.actor, person_id)


@routes.get("/people/{person_id}/subsidy/suggestions", auth="user", summary="主动发现：可申领的补贴")
def suggestions(ctx, person_id):
    return ctx.rpc.subsidy.suggestions(ctx.actor, person_id)


@routes.post("/people/{person_id}/subsidy/suggestions/{suggestion_id}/confirm", auth="citizen",
             body=schemas.Confirm, status=201, summary="一键确认申请")
def confirm(ctx, person_id, suggestion_id):
    return ctx.rpc.subsidy.confirm_suggestion(ctx.actor, person_id, suggestion_id, ctx.body)


@routes.post("/people/{person_id}/subsidy/suggestions/{suggestion_id}/dismiss", auth="citizen",
             body=schemas.Dismiss, summary="不需要此补贴")
def dismiss(ctx, person_id, suggestion_id):
    return ctx.rpc.subsidy.dismiss_suggestion(ctx.actor, person_id, suggestion_id, ctx.body)


# staff ------------------------------------------------------------------------------------------
@routes.post("/admin/subsidy/applications/{app_id}/actions", auth="staff", roles=REVIEWERS,
             body=schemas.StaffAction, summary="审核：approve / reject / return")
def staff_action(ctx, app_id):
    return ctx.rpc.subsidy.staff_action(ctx.actor, app_id, ctx.body)


PAYOUT_SECONDS = 120


@routes.post("/admin/subsidy/payout-batches", auth="staff", roles=PAYERS,
             body=schemas.BatchRequest, status=201,
             summary="生成月度发放批次（每地区每月一次；重复调用返回同一批次）")
def create_batch(ctx):
    # a city's batch (24,400 lines) takes ~9 s, more than the gateway's limit per call: the
    # staff member waits for the batch instead of getting a 504 for a batch that goes on
    out = ctx.rpc.subsidy.within(PAYOUT_SECONDS).create_payout_batch(ctx.actor, ctx.body)
    return (201 if out["created"] else 200), out["batch"]


@routes.get("/admin/subsidy/payout-batches/{batch_id}", auth="staff", summary="发放批次与合计")
def batch(ctx, batch_id):
    return ctx.rpc.subsidy.payout_batch(ctx.actor, batch_id)


@routes.get("/admin/subsidy/payout-batches/{batch_id}/export", auth="staff",
            roles=PAYERS + ("county_dpf", "auditor"), query=schemas.ExportQuery,
            summary="银行代发文件（JSON: filename, content_type, content=CSV）")
def export(ctx, batch_id):
    full = str(ctx.query.get("full", "")).lower() in ("1", "true", "yes")
    return ctx.rpc.subsidy.export_payout_batch(ctx.actor, batch_id, full)


@routes.post("/admin/subsidy/payout-batches/{batch_id}/reconcile", auth="staff", roles=PAYERS,
             body=schemas.Reconcile, summary="银行回执对账（paid / failed / returned）")
def reconcile(ctx, batch_id):
    return ctx.rpc.subsidy.reconcile_payout_batch(ctx.actor, batch_id, ctx.body)


@routes.get("/admin/subsidy/recoveries", auth="staff", query=schemas.RegionQuery,
            summary="死亡或注销后发放、待追回的款项")
def recoveries(ctx):
    return ctx.rpc.subsidy.recoveries(ctx.actor, ctx.query.get("region"))


@routes.post("/admin/subsidy/household-status", auth="staff", roles=PAYERS,
             body=schemas.HouseholdFeed, summary="民政家庭经济状况推送（逐条受理或拒绝）")
def household_status(ctx):
    return ctx.rpc.subsidy.household_status_feed(ctx.actor, ctx.body)
