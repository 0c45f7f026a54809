"""What every service entrypoint shares: the typed ``rpc`` decorator and schema loading."""
import functools

from marshmallow import ValidationError
from nameko.rpc import rpc as nameko_rpc

from services.common.errors import ServiceError, ValidationFailed

# Business errors are expected outcomes: nameko logs them as warnings, not stack traces.
rpc = functools.partial(nameko_rpc, expected_exceptions=(ServiceError,))


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
