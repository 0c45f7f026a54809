"""What every service entrypoint shares: the typed ``rpc`` decorator and schema loading."""
import functools
import logging
import warnings

import amqp.exceptions
import nameko.rpc
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER,
                              LOGIN_METHOD_CONFIG_KEY, SERIALIZER_CONFIG_KEY)
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

from services.common.errors import ServiceError, Unavailable, ValidationFailed

log = logging.getLogger(__name__)


# An RPC message is a question and its answer, not a record. Both travel transient and without
# publisher confirms: a confirm is one more broker round trip per message (nameko's default,
# for requests and for replies), and whatever a broker restart loses ends in the caller's
# 503/504, as a lost reply always did. Events keep persistence and confirms (services.common
# .outbox). The bare-RPC benchmark (make bench) uses the same settings.
RPC_PUBLISH = {"use_confirms": False, "delivery_mode": 1}
# nameko warns that without confirms a request no queue takes cannot be detected: each
# service declares its durable RPC queue at start, so a request is routed whenever the service
# has ever run; if it never has, the caller's timeout answers (504) instead of UnknownService.
warnings.filterwarnings("ignore", message="Mandatory delivery was requested", category=UserWarning)


def RpcProxy(service_name):  # noqa: N802 - stands in for nameko's class of that name
    """nameko's RpcProxy dependency with RPC_PUBLISH."""
    return nameko.rpc.RpcProxy(service_name, **RPC_PUBLISH)


class _Responder(nameko.rpc.Responder):
    @staticmethod
    def publisher_cls(amqp_uri, **options):
        return Publisher(amqp_uri, **dict(options, **RPC_PUBLISH))


class _RpcConsumer(nameko.rpc.RpcConsumer):
    """nameko's, replying through _Responder (nameko names its Responder inline)."""

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = _Responder(config[AMQP_URI_CONFIG_KEY], nameko.rpc.get_rpc_exchange(config),
                               config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
                               ssl=config.get(AMQP_SSL_CONFIG_KEY),
                               login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _Rpc(nameko.rpc.Rpc):
    """nameko's RPC entrypoint, except that a reply the broker cannot take is given up.

    nameko sends the reply outside the worker's error handling: when the broker went away
    while a call was being served, the failed reply publish killed the whole service
    container (the process stayed up, serving nothing, until someone restarted it). The
    caller has timed out by then anyway (504); the unacknowledged request is the broker's to
    redeliver. Found by tests/faults/test_infra_faults.py (RabbitMQ restart under traffic)."""

    rpc_consumer = _RpcConsumer()

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
