"""Certificate routes (残疾人证): applications, the holder's certificate and electronic credential,
public verification, and the staff workflow and card actions."""
from gateway.routing import RouteTable
from services.certificate import schemas

routes = RouteTable(tag="certificate")

PERSON_FILE_SECTIONS = [("certificate", "certificate", "person_summary")]
AUDIT_OWNERS = {"capp": "certificate", "cert": "certificate"}

STAFF_WORKFLOW_ROLES = ("street_officer", "county_dpf", "assessor")


def _acting_for(ctx, person_id):
    """A citizen's token may predate a ward: confirm with identity as the gateway does for
    ``{person_id}`` paths (the body carries it here)."""
    actor = ctx.actor
    if actor["kind"] == "citizen" and person_id and person_id not in actor["person_ids"]:
        if ctx.rpc.identity.may_act_for(actor["account_id"], person_id):
            actor["person_ids"] = actor["person_ids"] + [person_id]
    return actor


# citizens (and staff filing on someone's behalf, 代办) ----------------------------------------
@routes.post("/certificate/applications", auth="user", body=schemas.NewApplication, status=201,
             summary="提交残疾人证申请（新办、换领、补办、变更、迁移、注销）")
def file_application(ctx):
    return ctx.rpc.certificate.file_application(_acting_for(ctx, ctx.body.get("person_id")),
                                                ctx.body)


@routes.get("/certificate/applications/{application_id}", auth="user",
            summary="申请状态与办理记录")
def application(ctx, application_id):
    return ctx.rpc.certificate.application(ctx.actor, application_id)


@routes.post("/certificate/applications/{application_id}/withdraw", auth="citizen",
             body=schemas.ApplicantAction, summary="撤回申请（评定前）")
def withdraw(ctx, application_id):
    return ctx.rpc.certificate.applicant_action(ctx.actor, application_id, "withdraw", ctx.body)


@routes.post("/certificate/applications/{application_id}/resubmit", auth="citizen",
             body=schemas.ApplicantAction, summary="补正后重新提交")
def resubmit(ctx, application_id):
    return ctx.rpc.certificate.applicant_action(ctx.actor, application_id, "resubmit", ctx.body)


@routes.get("/people/{person_id}/certificate", auth="user", summary="有效的残疾人证")
def certificate_for(ctx, person_id):
    return ctx.rpc.certificate.certificate_for(ctx.actor, person_id)


@routes.get("/people/{person_id}/certificate/credential", auth="citizen",
            summary="电子证照：签名凭证与二维码")
def credential(ctx, person_id):
    return ctx.rpc.certificate.credential(ctx.actor, person_id)


@routes.post("/people/{person_id}/certificate/disclosure-codes", auth="citizen", status=201,
             idempotent=False, summary="一次性授权码（出示详细信息）")
def disclosure_code(ctx, person_id):
    return ctx.rpc.certificate.disclosure_code(ctx.actor, person_id)


# public verification -------------------------------------------------------------------------
@routes.get("/verify/revocations", auth="public", rate_limit="verify",
            summary="已注销、已换发证件的签名列表（离线核验用）")
def revocations(ctx):
    return ctx.rpc.certificate.revocations()


@routes.get("/verify/keys", auth="public", summary="电子证照验签公钥（JWKS）")
def public_keys(ctx):
    return ctx.rpc.certificate.public_keys()


@routes.get("/verify/{token}", auth="public", query=schemas.VerifyQuery, rate_limit="verify",
            summary="核验电子证照（?code= 持证人授权后显示详细信息）")
def verify(ctx, token):
    return ctx.rpc.certificate.verify(token, ctx.query.get("code"))


# staff ---------------------------------------------------------------------------------------
@routes.post("/admin/certificate/applications/{application_id}/actions", auth="staff",
             body=schemas.Action, roles=STAFF_WORKFLOW_ROLES,
             summary="办理：accept, return, reject, schedule_assessment, record_assessment, "
                     "approve, issue")
def staff_action(ctx, application_id):
    return ctx.rpc.certificate.staff_action(ctx.actor, application_id, ctx.body)


@routes.get("/admin/certificate/applications/{application_id}", auth="staff",
            summary="申请详情（含审计记录）")
def staff_application(ctx, application_id):
    return ctx.rpc.certificate.staff_application(ctx.actor, application_id)


@routes.get("/admin/certificates/{certificate_id}", auth="staff", summary="残疾人证详情（含审计）")
def staff_certificate(ctx, certificate_id):
    return ctx.rpc.certificate.staff_certificate(ctx.actor, certificate_id)


@routes.post("/admin/certificates/{certificate_id}/card", auth="staff", body=schemas.CardAction,
             roles=("county_dpf", "street_officer"),
             summary="实体卡制作：print, mark_ready, collect, mail")
def card_action(ctx, certificate_id):
    return ctx.rpc.certificate.card_action(ctx.actor, certificate_id, ctx.body)
