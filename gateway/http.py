"""HTTP plumbing: JSON in and out, the error envelope, request ids."""
import json
import mimetypes
import os
import re
import uuid

from werkzeug.wrappers import Response

from services.common.errors import PayloadTooLarge, ValidationFailed

MAX_BODY_BYTES = 256 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def request_id_of(request):
    given = request.headers.get("X-Request-Id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def json_response(status, body, request_id, headers=None):
    raw = json.dumps(body, ensure_ascii=False, default=str)
    resp = Response(raw, status=status, content_type="application/json; charset=utf-8")
    resp.headers["X-Request-Id"] = request_id
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def error_response(exc, request_id, headers=None):
    body = {"error": {"code": exc.code, "message": exc.message, "details": exc.details,
                      "request_id": request_id}}
    return json_response(exc.status, body, request_id, headers)


def read_json(request):
    """The JSON body as a dict, or a 400/413 saying what is wrong with it."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise PayloadTooLarge(details={"max_bytes": MAX_BODY_BYTES})
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(details={"max_bytes": MAX_BODY_BYTES})
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValidationFailed("请求内容不是有效的 JSON", code="MALFORMED_JSON")
    if not isinstance(data, dict):
        raise ValidationFailed("请求内容应为 JSON 对象", code="MALFORMED_JSON")
    if _depth(data) > 20:
        raise ValidationFailed("请求内容嵌套过深", code="MALFORMED_JSON")
    return data


def _depth(value, level=0):
    if level > 20:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


STATIC_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")


def static_file(path):
    """A file under gateway/static, never outside it; unknown paths get index.html so the
    console's own routes work on reload."""
    full = os.path.realpath(os.path.join(STATIC_ROOT, path))
    if not full.startswith(STATIC_ROOT + os.sep) or not os.path.isfile(full):
        full = os.path.join(STATIC_ROOT, "index.html")
    if not os.path.isfile(full):
        return Response("console not built", status=404, content_type="text/plain; charset=utf-8")
    kind = mimetypes.guess_type(full)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
        kind += "; charset=utf-8"
    with open(full, "rb") as f:
        resp = Response(f.read(), content_type=kind)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:"
    return resp
