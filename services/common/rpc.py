"""What every service entrypoint shares: the typed ``rpc`` decorator and schema loading."""
import functools

from marshmallow import ValidationError
from nameko.rpc import rpc as nameko_rpc
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

from services.common.errors import ServiceError, Unavailable, ValidationFailed


def rpc(method):
    """nameko's @rpc with typed errors: business errors are expected outcomes (logged as
    warnings, not stack traces), and a database that cannot be reached becomes a clear 503."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (ConnectionFailure, ServerSelectionTimeoutError):
            raise Unavailable("数据库暂时不可用，请稍后再试", code="DATABASE_UNAVAILABLE")
    return nameko_rpc(expected_exceptions=(ServiceError,))(wrapper)


def load(schema, data, partial=False):
    """Validate ``data`` with a marshmallow schema instance; raise ValidationFailed (400)."""
    try:
        return schema.load(data if data is not None else {}, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed(details=_stringify(exc.messages))


def _stringify(messages):
    if isinstance(messages, dict):
        return {str(k): _stringify(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [_stringify(m) for m in messages]
    return messages
