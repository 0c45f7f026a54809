"""Request schemas of the subsidy routes (used by the gateway and re-checked in the service)."""
from marshmallow import Schema, fields, validate

region_field = fields.String(validate=validate.Regexp(r"^\d{6}$", error="应为6位行政区划代码"))
account_field = fields.String(validate=validate.Regexp(r"^\d{10,30}$",
                                                       error="银行账号应为10-30位数字"))
bank_name_field = fields.String(validate=validate.Length(min=2, max=40))
month_field = fields.String(required=True, validate=validate.Regexp(
    r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM"))


class PolicyQuery(Schema):
    region = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


class EligibilityQuery(Schema):
    region = region_field   # optional: evaluate against another region's policies


class Apply(Schema):
    person_id = fields.String(required=True, validate=validate.Length(min=3, max=64))
    policy_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    residence_region = fields.String(required=True, validate=validate.Regexp(
        r"^\d{6}$", error="应为6位行政区划代码"))
    bank_account = account_field
    bank_name = bank_name_field


class Confirm(Schema):
    residence_region = region_field
    bank_account = account_field
    bank_name = bank_name_field


class Dismiss(Schema):
    reason = fields.String(validate=validate.Length(max=200))


class StaffAction(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("approve", "reject", "return")))
    reason = fields.String(validate=validate.Length(max=200))


class CitizenAction(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("resubmit", "withdraw")))
    reason = fields.String(validate=validate.Length(max=200))


class BatchRequest(Schema):
    region = fields.String(required=True, validate=validate.Regexp(
        r"^\d{6}$", error="应为6位行政区划代码"))
    month = month_field


class BankResult(Schema):
    line_id = fields.String(required=True, validate=validate.Length(min=3, max=80))
    status = fields.String(required=True, validate=validate.OneOf(("paid", "failed", "returned")))
    amount_fen = fields.Integer(allow_none=True, strict=True)
    reason = fields.String(validate=validate.Length(max=200))


class Reconcile(Schema):
    results = fields.List(fields.Nested(BankResult), required=True,
                          validate=validate.Length(min=1, max=10000))


class HouseholdFeed(Schema):
    # records are checked one by one in the service: a bad record is refused with its reason
    # and never stops the good ones
    records = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=5000))


class ExportQuery(Schema):
    full = fields.Boolean()


class RegionQuery(Schema):
    region = region_field
