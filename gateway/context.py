"""What a route handler gets: the caller, the validated input and timed RPC proxies."""
import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService

from services.common.errors import ServiceError, Unavailable, UpstreamTimeout


def call_with_timeout(fn, timeout, *args, **kwargs):
    try:
        with eventlet.Timeout(timeout):
            return fn(*args, **kwargs)
    except eventlet.Timeout:
        raise UpstreamTimeout()
    except UnknownService:
        raise Unavailable("服务暂时不可用，请稍后再试", code="SERVICE_UNAVAILABLE")
    except (OSError, OperationalError):
        raise Unavailable("消息服务暂时不可用，请稍后再试", code="BROKER_UNAVAILABLE")


class TimedProxy:
    """``ctx.rpc.identity.me(actor)`` with a timeout; ``.async_("me", actor)`` to fan out."""

    def __init__(self, proxy, timeout):
        self._proxy, self._timeout = proxy, timeout

    def __getattr__(self, method):
        target = getattr(self._proxy, method)
        return lambda *a, **kw: call_with_timeout(target, self._timeout, *a, **kw)

    def within(self, timeout):
        """The same service with another limit per call."""
        return TimedProxy(self._proxy, timeout)

    def async_(self, method, *args, **kwargs):
        return call_with_timeout(getattr(self._proxy, method).call_async, self._timeout,
                                 *args, **kwargs)

    def result(self, reply):
        return call_with_timeout(reply.result, self._timeout)


class Proxies:
    def __init__(self, service, timeout):
        self._service, self._timeout = service, timeout

    def __getattr__(self, name):
        return TimedProxy(getattr(self._service, "rpc_" + name), self._timeout)


class Context:
    def __init__(self, request, route, actor, body, query, path_params, rpc, request_id):
        self.request, self.route, self.actor = request, route, actor
        self.body, self.query, self.params = body, query, path_params
        self.rpc, self.request_id = rpc, request_id

    def gather(self, calls, timeout=None):
        """Fan out {key: (service, method, *args)} in parallel; a failing part becomes
        {"unavailable": code} rather than failing the whole page. ``timeout``: seconds per
        part instead of the gateway's RPC limit."""
        pending = {}
        for key, (service, method, *args) in calls.items():
            proxy = getattr(self.rpc, service)
            if timeout is not None:
                proxy = proxy.within(timeout)
            try:
                pending[key] = (proxy, proxy.async_(method, *args))
            except ServiceError as exc:
                pending[key] = (None, exc)
        out = {}
        for key, (proxy, reply) in pending.items():
            try:
                out[key] = proxy.result(reply) if proxy else _raise(reply)
            except ServiceError as exc:
                out[key] = {"unavailable": exc.code} if exc.status >= 500 else _raise(exc)
            except RemoteError:
                out[key] = {"unavailable": "INTERNAL_ERROR"}
        return out


def _raise(exc):
    raise exc
