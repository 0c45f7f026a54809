"""Request schemas of the certificate routes (the gateway checks shapes, the service re-checks;
ranges with plain-Chinese messages are the domain's job: domain.validate_category etc.)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

region_field = fields.String(validate=validate.Regexp(r"^\d{6}$", error="应为6位行政区划代码"))
reason_field = fields.String(allow_none=True, validate=validate.Length(max=500))


class NewApplication(Schema):
    """A citizen files for ``person_id`` (self or ward); staff (代办) may give ``id_number``."""
    person_id = fields.String(validate=validate.Length(min=1, max=64))
    id_number = fields.String(validate=validate.Length(min=1, max=32))
    type = fields.String(required=True, validate=validate.Length(min=1, max=20))
    residence_region = fields.String(required=True, validate=validate.Length(min=1, max=12))
    claimed_category = fields.Integer(allow_none=True, strict=True)
    claimed_grade = fields.Integer(allow_none=True, strict=True)
    home_visit = fields.Boolean()
    bed_bound = fields.Boolean()
    reason = reason_field
    to_region = region_field
    relationship = fields.String(validate=validate.Length(min=1, max=30))

    @validates_schema
    def one_person(self, data, **kwargs):
        if bool(data.get("person_id")) == bool(data.get("id_number")):
            raise ValidationError("请填写 person_id（或工作人员代办时填写 id_number）其中之一",
                                  "person_id")


class Component(Schema):
    category = fields.Integer(required=True, strict=True)
    grade = fields.Integer(required=True, strict=True)


class Action(Schema):
    """POST /admin/certificate/applications/{id}/actions: the step and its parameters."""
    action = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reason = reason_field
    assessor_id = fields.String(validate=validate.Length(min=1, max=64))
    scheduled_at = fields.String(validate=validate.Length(min=10, max=40))
    mode = fields.String(validate=validate.Length(min=1, max=20))
    location = fields.String(allow_none=True, validate=validate.Length(max=200))
    category = fields.Integer(strict=True)
    grade = fields.Integer(allow_none=True, strict=True)
    components = fields.List(fields.Nested(Component), validate=validate.Length(max=6))
    assessed_on = fields.String(validate=validate.Length(min=10, max=10))
    notes = fields.String(allow_none=True, validate=validate.Length(max=500))


class ApplicantAction(Schema):
    """withdraw / resubmit by the applicant."""
    reason = reason_field


class CardAction(Schema):
    action = fields.String(required=True, validate=validate.OneOf(
        ("print", "mark_ready", "collect", "mail")))
    tracking_number = fields.String(validate=validate.Length(min=1, max=40))


class VerifyQuery(Schema):
    code = fields.String(validate=validate.Length(min=1, max=20))


class QueueFilters(Schema):
    status = fields.String(validate=validate.Length(min=1, max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=200))
    sort = fields.String(validate=validate.OneOf(("oldest", "newest")))
