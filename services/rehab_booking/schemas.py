"""Request schemas of the rehab booking routes (shared by the gateway and the service).

The fine rules (catalogue codes, opening hours, capacity ranges) are the domain's; these check
shapes so bad input is a 400 before anything is read or written.
"""
from marshmallow import Schema, ValidationError, fields, validate

region_field = fields.String(validate=validate.Regexp(r"^\d{6}$", error="应为6位行政区划代码"))
id_field = fields.String(validate=validate.Length(min=1, max=160))
reason_field = fields.String(validate=validate.Length(max=200))


class Companion(fields.Field):
    """A companion: a name (the mini-program's text box), true, or {relationship, name, count}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or value is False or value == "":
            return None
        if value is True:
            return {"relationship": "caregiver"}
        if isinstance(value, str):
            if len(value) > 30:
                raise ValidationError("陪同人员姓名过长")
            return {"relationship": "caregiver", "name": value.strip()}
        if isinstance(value, dict):
            return value
        raise ValidationError("陪同人员信息格式不正确")


class InstitutionsQuery(Schema):
    region = region_field
    service = fields.String(validate=validate.Length(min=1, max=40))


class SlotsQuery(Schema):
    institution_id = id_field
    service = fields.String(validate=validate.Length(min=1, max=40))
    region = region_field
    # dates (YYYY-MM-DD, local) or ISO date-times with an offset
    from_ = fields.String(data_key="from", validate=validate.Length(min=10, max=40))
    to = fields.String(validate=validate.Length(min=10, max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=500))


class Book(Schema):
    slot_id = fields.String(required=True, validate=validate.Length(min=1, max=160))
    person_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    companion = Companion(allow_none=True)
    escort_needed = fields.Boolean()
    confirm = fields.Boolean()


class Reason(Schema):
    reason = reason_field


class Reschedule(Schema):
    slot_id = fields.String(required=True, validate=validate.Length(min=1, max=160))


class Rate(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(validate=validate.Length(max=500))


class Waitlist(Schema):
    person_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    slot_id = id_field
    service = fields.String(validate=validate.Length(min=1, max=40))
    institution_id = id_field
    date = fields.Date()


class Location(Schema):
    lat = fields.Float(required=True)
    lng = fields.Float(required=True)


class Institution(Schema):
    """Create or update (id given, existing) an institution, or a designation action."""
    id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$"))
    action = fields.String(validate=validate.OneOf(("suspend", "reinstate", "remove")))
    reason = reason_field
    name = fields.String(validate=validate.Length(min=2, max=60))
    region = region_field
    address = fields.String(validate=validate.Length(min=2, max=120))
    location = fields.Nested(Location)
    services = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                           validate=validate.Length(min=1, max=20))
    accessibility = fields.Dict(keys=fields.String(), values=fields.Boolean())
    opening_hours = fields.Dict(keys=fields.String(), values=fields.List(fields.List(
        fields.String(), validate=validate.Length(equal=2))))
    phone = fields.String(validate=validate.Length(max=30))
    agreement_no = fields.String(validate=validate.Length(max=60))


class Template(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1, max=40))
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=7))
    start = fields.String(required=True, validate=validate.Length(equal=5))
    duration_minutes = fields.Integer(required=True, strict=True)
    capacity = fields.Integer(required=True, strict=True)
    valid_from = fields.Date()
    valid_to = fields.Date()


class Schedules(Schema):
    institution_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    templates = fields.List(fields.Nested(Template), required=True,
                            validate=validate.Length(min=1, max=100))
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    holidays = fields.List(fields.Date(), validate=validate.Length(max=100))


class Complete(Schema):
    service_record = fields.Dict(required=True)


class DayQuery(Schema):
    date = fields.Date()
    institution_id = fields.String(validate=validate.Length(min=1, max=64))
