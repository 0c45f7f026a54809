"""The gateway (nameko @http): the one HTTP edge of the suite.

Every request: request id → route match → body size and JSON checks → authentication (JWT,
checked locally) → the route's auth level and roles → a citizen's right to act for a
``{person_id}`` → marshmallow validation → Idempotency-Key replay → rate limit → the handler
(RPC calls with timeouts) → JSON. Every failure is the error envelope of ARCHITECTURE.md with
the right status; nothing escapes as a bare 500 with a stack trace.
"""
import logging

from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import Map, Rule

from gateway import http as web
from gateway.context import Context, Proxies, call_with_timeout
from gateway.limits import rate_limits
from gateway.openapi import openapi_document
from gateway.routes import ALL_ROUTES
from gateway.routes import admin as admin_routes
from gateway.store import GatewayStore
from gateway.web import http
from miniprogram_api.identity.tokens import actor_from_claims, decode_access
from services.common.errors import (Conflict, Forbidden, MethodNotAllowed, NotFound,
                                    RateLimited, ServiceError, Unauthorized, Unavailable)
from services.common.mongo import Mongo
from services.common.rpc import RpcProxy, load

log = logging.getLogger("gateway")

SERVICES = ("identity", "notifier", "certificate", "subsidy", "rehab_booking", "volunteer")
URL_MAP = Map([Rule(r.werkzeug_rule, endpoint=r, methods=[r.method]) for r in ALL_ROUTES],
              strict_slashes=False, merge_slashes=False)
# bound once: the routes depend on the path and method only, not on the host or scheme that
# bind_to_environ would read from every request's environ
ROUTES = URL_MAP.bind("gateway")


class Settings(DependencyProvider):
    def setup(self):
        cfg = self.container.config
        self.value = {"jwt_secret": cfg["JWT_SECRET"], "amqp_uri": cfg["AMQP_URI"],
                      "rate_limits": rate_limits(cfg.get("RATE_LIMITS")),
                      "rpc_timeout": float(cfg.get("RPC_TIMEOUT_SECONDS", 8)),
                      "dashboard_cache_seconds": float(cfg.get("DASHBOARD_CACHE_SECONDS", 30)),
                      "health_services": [s for s in str(cfg.get("HEALTH_SERVICES") or "").split(",")
                                          if s] or ["identity", "notifier"]}

        admin_routes.dashboards.seconds = self.value["dashboard_cache_seconds"]

    def get_dependency(self, worker_ctx):
        return dict(self.value, worker_ctx=worker_ctx)


class Gateway:
    name = "gateway"
    store = Mongo(GatewayStore)
    settings = Settings()

    @http("GET,POST,PUT,PATCH,DELETE", "/api/v1/<path:path>")
    def api(self, request, path):
        rid = web.request_id_of(request)
        self.settings["worker_ctx"].data["request_id"] = rid
        try:
            resp = self._dispatch(request, rid)
        except ServiceError as exc:
            resp = web.error_response(exc, rid, getattr(exc, "headers", None))
        except ConnectionFailure:  # the gateway's own database: rate limits, idempotency keys
            resp = web.error_response(Unavailable("数据库暂时不可用，请稍后再试",
                                                  code="DATABASE_UNAVAILABLE"), rid)
        except Exception:  # noqa: BLE001 - the last guard: never a stack trace to a client
            log.exception("unexpected error request_id=%s", rid)
            resp = web.error_response(ServiceError(), rid)
        return resp

    @http("GET", "/console/<path:path>")
    def console(self, request, path):
        """The staff console: static files from gateway/static (index.html for app routes)."""
        return web.static_file(path)

    @http("GET", "/console/")
    def console_index(self, request):
        return web.static_file("index.html")

    @http("GET", "/api/openapi.json")
    def openapi(self, request):
        return web.json_response(200, openapi_document(ALL_ROUTES), web.request_id_of(request))

    @http("GET", "/healthz")
    def healthz(self, request):
        rid = web.request_id_of(request)
        checks = {}
        proxies = Proxies(self, 2.0)
        replies = {}
        for name in self.settings["health_services"]:
            try:
                replies[name] = getattr(proxies, name).async_("health")
            except ServiceError as exc:
                checks[name] = exc.code
        for name, reply in replies.items():
            try:
                call_with_timeout(reply.result, 3.0)
                checks[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
                checks[name] = getattr(exc, "code", type(exc).__name__)
        try:
            self.store.ping()
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = type(exc).__name__
        checks["broker"] = _broker_check(self.settings["amqp_uri"])
        healthy = all(v == "ok" for v in checks.values())
        return web.json_response(200 if healthy else 503,
                                 {"status": "ok" if healthy else "degraded", "checks": checks}, rid)

    # -------------------------------------------------------------------------------------------
    def _dispatch(self, request, rid):
        try:
            route, params = ROUTES.match(request.path, method=request.method)
        except WerkzeugMethodNotAllowed:
            raise MethodNotAllowed()
        except WerkzeugNotFound:
            raise NotFound("没有这个接口", code="ROUTE_NOT_FOUND")
        body = web.read_json(request) if request.method in ("POST", "PUT", "PATCH") else {}
        actor = self._authenticate(request, route)
        self._limit(route, request, actor)
        if route.body is not None:
            load(route.body(), body)
        query = {k: request.args.get(k) for k in request.args}
        if route.query is not None:
            load(route.query(), query)
        ctx = Context(request, route, actor, body, query, params, Proxies(
            self, self.settings["rpc_timeout"]), rid)
        if "person_id" in params and actor and actor["kind"] == "citizen":
            self._check_person(ctx, params["person_id"])
        key = request.headers.get("Idempotency-Key")
        if key and route.method == "POST" and route.idempotent:
            return self._idempotent(ctx, key, rid)
        return self._run(ctx, rid)

    def _run(self, ctx, rid):
        result = ctx.route.handler(ctx, **ctx.params)
        status = ctx.route.status
        if isinstance(result, tuple):
            status, result = result
        return web.json_response(status, result, rid)

    def _idempotent(self, ctx, key, rid):
        subject = (ctx.actor or {}).get("account_id") or (ctx.actor or {}).get("staff_id") or "anon"
        full_key = "%s|%s|%s" % (subject, ctx.request.path, key[:100])
        previous = self.store.claim_idempotency(full_key)
        if previous is not None:
            if previous.get("state") != "done":
                raise Conflict("相同的请求正在处理中，请稍后再试", code="IDEMPOTENCY_IN_PROGRESS")
            resp = web.json_response(previous["status"], self.store.replay_body(previous), rid)
            resp.headers["Idempotent-Replay"] = "true"
            return resp
        try:
            resp = self._run(ctx, rid)
        except ServiceError as exc:
            if exc.status >= 500:
                self.store.release_idempotency(full_key)
                raise
            self.store.finish_idempotency(full_key, exc.status, {"error": dict(
                exc.to_dict(), request_id=rid)})
            raise
        except Exception:
            self.store.release_idempotency(full_key)
            raise
        self.store.finish_idempotency(full_key, resp.status_code, resp.get_json())
        return resp

    def _authenticate(self, request, route):
        header = request.headers.get("Authorization", "")
        actor = None
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("登录凭证格式不正确", code="TOKEN_INVALID")
            actor = actor_from_claims(decode_access(self.settings["jwt_secret"], token.strip(),
                                                    self.store.clock.now()))
        if route.auth == "public":
            return actor
        if actor is None:
            raise Unauthorized("请先登录", code="UNAUTHORIZED")
        if route.auth == "citizen" and actor["kind"] != "citizen":
            raise Forbidden("此功能仅限微信用户使用")
        if route.auth == "staff":
            if actor["kind"] != "staff":
                raise Forbidden("此功能仅限工作人员使用")
            if route.roles and not (set(actor["roles"]) & set(route.roles + ("admin",))):
                raise Forbidden("您的岗位不能使用此功能", {"required_roles": list(route.roles)})
        return actor

    def _check_person(self, ctx, person_id):
        """Citizens act for themselves and their wards; a token minted before a ward was added
        is confirmed with one call to identity."""
        if person_id in ctx.actor["person_ids"]:
            return
        if ctx.rpc.identity.may_act_for(ctx.actor["account_id"], person_id):
            ctx.actor["person_ids"] = ctx.actor["person_ids"] + [person_id]
            return
        raise Forbidden("您只能办理本人或被监护人的事项", {"person_id": person_id})

    def _limit(self, route, request, actor):
        rule = self.settings["rate_limits"].get(route.rate_limit)
        if not rule:
            return
        who = (actor or {}).get("account_id") or (actor or {}).get("staff_id") or \
            _client_address(request)
        count, retry_after = self.store.hit("%s:%s" % (route.rate_limit, who), rule["window"])
        if count > rule["limit"]:
            exc = RateLimited(details={"retry_after_seconds": retry_after})
            exc.headers = {"Retry-After": str(max(retry_after, 1))}
            raise exc

    @timer(interval=300)
    def sweep(self):
        self.store.sweep_expired()


def _client_address(request):
    """The caller's address; X-Forwarded-For only counts when the peer is a local reverse
    proxy (anyone else could set it to dodge a rate limit)."""
    peer = request.remote_addr or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return forwarded if forwarded and peer in ("127.0.0.1", "::1") else peer


def _broker_check(uri):
    try:
        with Connection(uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
        return type(exc).__name__


for _name in SERVICES:
    setattr(Gateway, "rpc_" + _name, RpcProxy(_name))
