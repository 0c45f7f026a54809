"""What every service entrypoint shares: the typed ``rpc`` decorator and schema loading."""
import functools
import logging

import amqp.exceptions
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.rpc import Rpc
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

from services.common.errors import ServiceError, Unavailable, ValidationFailed

log = logging.getLogger(__name__)


class _Rpc(Rpc):
    """nameko's RPC entrypoint, except that a reply the broker cannot take is given up.

    nameko sends the reply outside the worker's error handling: when the broker went away
    while a call was being served, the failed reply publish killed the whole service
    container (the process stayed up, serving nothing, until someone restarted it). The
    caller has timed out by then anyway (504); the unacknowledged request is the broker's to
    redeliver. Found by tests/faults/test_infra_faults.py (RabbitMQ restart under traffic)."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (OperationalError, amqp.exceptions.ConnectionError, OSError) as exc:
            log.warning("reply to %s not sent, the broker is unreachable: %s",
                        worker_ctx.call_id if worker_ctx else "?", type(exc).__name__)
            return result, exc_info


nameko_rpc = _Rpc.decorator


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
