"""Request schemas of the volunteer routes (used by the gateway and re-checked by the service).

They check shapes and types; the domain (profile.py, tasks.py, geo.py) checks meaning (known
skill, location inside the region, time ahead) with plain-Chinese messages.
"""
from marshmallow import Schema, fields, validate

region_field = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="应为6位行政区划代码"))
text = fields.String


class Location(Schema):
    lat = fields.Float(required=True, allow_nan=False)
    lng = fields.Float(required=True, allow_nan=False)


class Window(Schema):
    weekday = fields.Integer(required=True, strict=True)
    start = fields.String(required=True)
    end = fields.String(required=True)


class RegisterVolunteer(Schema):
    skills = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=8))
    languages = fields.List(fields.String(), load_default=list, validate=validate.Length(max=10))
    availability = fields.List(fields.Nested(Window), required=True, validate=validate.Length(min=1, max=42))
    home_region = region_field
    location = fields.Nested(Location, required=True)
    name = fields.String(validate=validate.Length(min=1, max=30))
    phone = fields.String(validate=validate.Regexp(r"^1[3-9]\d{9}$", error="手机号格式不正确"))


class HelpRequest(Schema):
    person_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    skill = fields.String(required=True, validate=validate.Length(min=1, max=40))
    when = fields.String(required=True, validate=validate.Length(min=10, max=40))
    duration_minutes = fields.Integer(required=True, strict=True)
    region = region_field
    location = fields.Nested(Location, required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    notes = fields.String(allow_none=True, validate=validate.Length(max=500))
    language = fields.String(allow_none=True, validate=validate.Length(max=20))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=20))


class StaffRequest(HelpRequest):
    """A need recorded by staff, e.g. from a 12385 hotline call. ``urgent``: one wave to every
    qualified candidate at once (``matching.broadcast_wave_size``) instead of waves of five."""
    channel = fields.String(validate=validate.OneOf(("12385", "walk_in", "visit")))
    hotline_ticket = fields.String(allow_none=True, validate=validate.Length(max=40))
    urgent = fields.Boolean(load_default=False)


class Reason(Schema):
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class Rate(Schema):
    stars = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(allow_none=True, validate=validate.Length(max=200))


class Complain(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ComplaintDecision(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("uphold", "dismiss")))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class Pair(Schema):
    person_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    volunteer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    skills = fields.List(fields.String(), allow_none=True)


class BoardQuery(Schema):
    status = fields.String(validate=validate.OneOf(("open", "offering", "unmatched", "all")))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
