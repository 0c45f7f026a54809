"""Request schemas of the identity routes (shared by the gateway and the service)."""
from marshmallow import Schema, fields, validate

RELATIONSHIPS = ("parent", "spouse", "child", "sibling", "guardian", "community_officer", "other")
STAFF_ROLES = ("street_officer", "county_dpf", "civil_affairs", "assessor", "institution_staff",
               "volunteer_coordinator", "auditor", "admin")

name_field = fields.String(required=True, validate=validate.Length(min=2, max=30))
id_field = fields.String(required=True, validate=validate.Length(equal=18))
region_field = fields.String(validate=validate.Regexp(r"^\d{6}$", error="应为6位行政区划代码"))


class WechatLogin(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class Refresh(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=10, max=200))


class StaffLogin(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class BindIdentity(Schema):
    name = name_field
    id_number = id_field
    household_region = region_field
    residence_region = region_field


class BindPhone(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class AddWard(Schema):
    name = name_field
    id_number = id_field
    relationship = fields.String(required=True, validate=validate.OneOf(RELATIONSHIPS))
    household_region = region_field
    residence_region = region_field


class DeathRecord(Schema):
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    date = fields.Date(required=True)


class DeathFeed(Schema):
    records = fields.List(fields.Nested(DeathRecord), required=True,
                          validate=validate.Length(min=1, max=5000))


class StaffAccount(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(STAFF_ROLES)), required=True)
    region = region_field
    institution_id = fields.String(allow_none=True)
