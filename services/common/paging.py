"""List paging shared by every service: ``?limit=&cursor=`` → ``{"items", "next_cursor"}``.

Cursors are opaque to clients (base64url of JSON); anything a client makes up is refused with
a 400, never a 500.
"""
import base64
import datetime as dt
import json

from services.common.errors import ValidationFailed

DEFAULT_LIMIT, MAX_LIMIT = 20, 200


def limit_of(filters, default=DEFAULT_LIMIT):
    try:
        value = int((filters or {}).get("limit") or default)
    except (TypeError, ValueError):
        raise ValidationFailed("每页条数应为整数", {"limit": ["not an integer"]})
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed("每页条数应在1到%d之间" % MAX_LIMIT, {"limit": ["out of range"]})
    return value


def encode_cursor(at, last_id):
    """A keyset cursor after (time, id)."""
    raw = json.dumps([at.isoformat(), last_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor):
    """(aware datetime, id) from a cursor this module made, or None for no cursor."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None or not isinstance(last_id, str):
            raise ValueError(cursor)
        return at, last_id
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed("分页参数无效，请从第一页重新加载", {"cursor": ["invalid"]},
                               code="INVALID_CURSOR")


def page(docs, limit, time_key, view):
    """Items (``view(doc)``) and the next cursor, from ``limit + 1`` docs read in order."""
    more = len(docs) > limit
    docs = docs[:limit]
    nxt = encode_cursor(docs[-1][time_key], docs[-1]["_id"]) if more and docs else None
    return {"items": [view(d) for d in docs], "next_cursor": nxt}
