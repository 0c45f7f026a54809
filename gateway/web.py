"""nameko's @http, with an outer URL map that never answers in HTML: no redirect for empty
path segments (merge_slashes), and unknown paths or methods outside the API get the same JSON
error envelope as everything else; one access log line per request, with its request id."""
import logging
import time

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Request

from gateway.http import error_response
from services.common.errors import MethodNotAllowed, NotFound, ServiceError

log = logging.getLogger("gateway")


class _JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        started = time.monotonic()
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            rv = provider.handle_request(request)
        except HTTPException as exc:
            error = {404: NotFound("没有这个接口", code="ROUTE_NOT_FOUND"),
                     405: MethodNotAllowed()}.get(exc.code) or ServiceError(code="BAD_REQUEST")
            rv = error_response(error, "-")
        log.info("%s %s %d %.1fms request_id=%s", request.method, request.path, rv.status_code,
                 (time.monotonic() - started) * 1000, rv.headers.get("X-Request-Id", "-"))
        return rv(environ, start_response)


# nameko listens with eventlet's default backlog of 50 connections waiting to be accepted. A
# burst beyond that (the 200-way booking race: 200 clients connect at once while the gateway is
# busy) overflows it; the kernel drops the SYNs and the clients send them again after 1 s, so a
# few requests arrived a second late (TcpExtListenOverflows). The kernel caps it at somaxconn.
LISTEN_BACKLOG = 1024


class _JsonWebServer(WebServer):
    def start(self):
        super().start()
        self._sock.listen(LISTEN_BACKLOG)   # listen() again on a listening socket: new backlog

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        server = super().get_wsgi_server(sock, wsgi_app, **kwargs)
        server.log_output = False   # eventlet's own access line: the app above writes one
        return server

    def make_url_map(self):
        url_map = Map(merge_slashes=False, strict_slashes=False)
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map

    def get_wsgi_app(self):
        return _JsonWsgiApp(self)


class _HttpEntrypoint(HttpRequestHandler):
    server = _JsonWebServer()

    def check_signature(self, args, kwargs):
        """nameko checks every request's arguments against the handler with inspect (4 % of
        the gateway's time on a read); here they come from the handler's own URL rule."""


http = _HttpEntrypoint.decorator
