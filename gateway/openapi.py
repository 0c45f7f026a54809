"""The OpenAPI 3 document, generated from the route table and the marshmallow schemas."""
from marshmallow import fields, validate

from gateway.routing import API_PREFIX

_TYPES = [(fields.Integer, {"type": "integer"}), (fields.Float, {"type": "number"}),
          (fields.Boolean, {"type": "boolean"}), (fields.DateTime, {"type": "string", "format": "date-time"}),
          (fields.Date, {"type": "string", "format": "date"}), (fields.Email, {"type": "string", "format": "email"}),
          (fields.String, {"type": "string"}), (fields.Dict, {"type": "object"})]

ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "request_id"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "details": {}, "request_id": {"type": "string"}}}}}


def field_schema(field):
    if isinstance(field, fields.Nested):
        return schema_of(field.schema)
    if isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    else:
        out = next((dict(t) for cls, t in _TYPES if isinstance(field, cls)), {})
    for v in field.validators:
        if isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Length):
            key = ("minItems", "maxItems") if out.get("type") == "array" else ("minLength", "maxLength")
            if v.equal is not None:
                out[key[0]] = out[key[1]] = v.equal
            if v.min is not None:
                out[key[0]] = v.min
            if v.max is not None:
                out[key[1]] = v.max
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = v.min
            if v.max is not None:
                out["maximum"] = v.max
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern
    if field.allow_none:
        out["nullable"] = True
    return out


def schema_of(schema):
    schema = schema() if isinstance(schema, type) else schema
    props, required = {}, []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        props[key] = field_schema(field)
        if field.required:
            required.append(key)
    out = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _operation(route):
    op = {"summary": route.summary or route.endpoint, "tags": [route.tag] if route.tag else [],
          "operationId": (route.method + route.path).replace("/", "_").replace("{", "").replace("}", ""),
          "x-auth": route.auth, "x-roles": list(route.roles)}
    params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
              for p in route.params]
    if route.query is not None:
        for name, prop in schema_of(route.query)["properties"].items():
            params.append({"name": name, "in": "query", "required": False, "schema": prop})
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": schema_of(route.body)}}}
    err = {"description": "错误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    op["responses"] = {str(route.status): {"description": "成功", "content": {
        "application/json": {"schema": {"type": "object"}}}}, "default": err}
    if route.auth != "public":
        op["security"] = [{"bearer": []}]
    return op


def openapi_document(routes):
    paths = {}
    for r in routes:
        paths.setdefault(API_PREFIX + r.path, {})[r.method.lower()] = _operation(r)
    return {"openapi": "3.0.3",
            "info": {"title": "残疾人服务掌上办 API", "version": "1.0.0",
                     "description": "The public HTTP contract of the suite (see shared/API.md)."},
            "paths": paths,
            "components": {"schemas": {"Error": ERROR_SCHEMA}, "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}}
