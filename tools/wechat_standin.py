"""A stand-in for the WeChat server API, for development and tests (loopback only).

It implements the endpoints the suite calls, with WeChat's request and response shapes and
error codes:
  GET  /cgi-bin/token                      client_credential → access_token (7200 s)
  GET  /sns/jscode2session                 code2Session; codes are ``dev:<name>`` or
                                           ``dev:<name>#<nonce>``, single use; the openid
                                           depends on <name> only (log in again: new nonce)
  POST /wxa/business/getuserphonenumber    codes are ``dev-phone:<11 digits>``
  POST /cgi-bin/message/subscribe/send     records the message
Errors: 40013 bad appid, 40125 bad secret, 40029 invalid code, 40163 code used, 40001 invalid
token, 42001 expired token, 40003 unknown openid, 40037 unknown template, 47003 bad data.
Test controls (not WeChat): GET /__standin/messages[?touser=], POST /__standin/expire-tokens,
POST /__standin/fail-next {"errcode": n, "count": k}, POST /__standin/reset.

Run: python -m tools.wechat_standin --port 18080 --appid wx... --secret ...
"""
import argparse
import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import yaml

OLD_TOKEN_GRACE = 300  # WeChat keeps the previous token valid 5 minutes after a refresh


class State:
    def __init__(self, appid, secret, templates):
        self.appid, self.secret, self.templates = appid, secret, set(templates)
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.used_codes, self.tokens, self.messages, self.openids = set(), {}, [], set()
        self.fail_next = []
        self.token_fetches = 0

    def openid(self, name):
        digest = hashlib.sha256((self.appid + ":" + name).encode()).digest()
        oid = "o" + base64.urlsafe_b64encode(digest).decode()[:27]
        self.openids.add(oid)
        return oid


def _err(code, msg):
    return {"errcode": code, "errmsg": msg}


class Handler(BaseHTTPRequestHandler):
    state: State = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: codes may carry phone numbers
        pass

    def _send(self, body, status=200):
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return None

    def _token_error(self, q):
        token = (q.get("access_token") or [""])[0]
        expires = self.state.tokens.get(token)
        if expires is None:
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        if expires < time.time():
            return _err(42001, "access_token expired")
        return None

    def _injected_failure(self):
        if self.state.fail_next:
            return _err(self.state.fail_next.pop(0), "injected failure")
        return None

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        s = self.state
        with s.lock:
            if url.path == "/cgi-bin/token":
                if q.get("appid", [""])[0] != s.appid:
                    return self._send(_err(40013, "invalid appid"))
                if q.get("secret", [""])[0] != s.secret:
                    return self._send(_err(40125, "invalid appsecret"))
                now = time.time()
                for t, exp in list(s.tokens.items()):  # older tokens keep a short grace
                    s.tokens[t] = min(exp, now + OLD_TOKEN_GRACE)
                token = secrets.token_urlsafe(32)
                s.tokens[token] = now + 7200
                s.token_fetches += 1
                return self._send({"access_token": token, "expires_in": 7200})
            if url.path == "/sns/jscode2session":
                if q.get("appid", [""])[0] != s.appid or q.get("secret", [""])[0] != s.secret:
                    return self._send(_err(40013, "invalid appid"))
                code = q.get("js_code", [""])[0]
                if not code.startswith("dev:") or len(code) < 5:
                    return self._send(_err(40029, "invalid code"))
                if code in s.used_codes:
                    return self._send(_err(40163, "code been used"))
                s.used_codes.add(code)
                return self._send({"openid": s.openid(code[4:].split("#", 1)[0]),
                                   "session_key": base64.b64encode(secrets.token_bytes(16)).decode()})
            if url.path == "/__standin/messages":
                to = q.get("touser", [None])[0]
                return self._send({"messages": [m for m in s.messages if to in (None, m["touser"])],
                                   "token_fetches": s.token_fetches})
        self._send(_err(-1, "not found"), 404)

    def do_POST(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        s = self.state
        body = self._body()
        with s.lock:
            if url.path.startswith("/__standin/"):
                return self._control(url.path, body or {})
            if body is None:
                return self._send(_err(47001, "data format error"))
            if url.path == "/wxa/business/getuserphonenumber":
                err = self._injected_failure() or self._token_error(q)
                if err:
                    return self._send(err)
                code = str(body.get("code", ""))
                phone = code[len("dev-phone:"):]
                if not code.startswith("dev-phone:") or len(phone) != 11 or not phone.isdigit():
                    return self._send(_err(40029, "invalid code"))
                if code in s.used_codes:
                    return self._send(_err(40163, "code been used"))
                s.used_codes.add(code)
                return self._send({"errcode": 0, "errmsg": "ok", "phone_info": {
                    "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
                    "watermark": {"timestamp": int(time.time()), "appid": s.appid}}})
            if url.path == "/cgi-bin/message/subscribe/send":
                err = self._injected_failure() or self._token_error(q)
                if err:
                    return self._send(err)
                if body.get("touser") not in s.openids:
                    return self._send(_err(40003, "invalid openid"))
                if body.get("template_id") not in s.templates:
                    return self._send(_err(40037, "invalid template_id"))
                data = body.get("data")
                if not isinstance(data, dict) or not all(
                        isinstance(v, dict) and isinstance(v.get("value"), str) for v in data.values()):
                    return self._send(_err(47003, "argument invalid! data.value invalid"))
                msgid = len(s.messages) + 1
                s.messages.append(dict(body, msgid=msgid, at=time.time()))
                return self._send({"errcode": 0, "errmsg": "ok", "msgid": msgid})
        self._send(_err(-1, "not found"), 404)

    def _control(self, path, body):
        s = self.state
        if path == "/__standin/expire-tokens":
            for t in s.tokens:
                s.tokens[t] = time.time() - 1
            return self._send({"ok": True})
        if path == "/__standin/fail-next":
            s.fail_next.extend([int(body.get("errcode", -1))] * int(body.get("count", 1)))
            return self._send({"ok": True})
        if path == "/__standin/reset":
            s.reset()
            return self._send({"ok": True})
        return self._send(_err(-1, "not found"), 404)


def load_template_ids(path="config/notifications.yml"):
    with open(path, encoding="utf-8") as f:
        return [t["id"] for t in yaml.safe_load(f)["templates"].values()]


def serve(port, appid, secret, host="127.0.0.1"):
    handler = type("BoundHandler", (Handler,), {"state": State(appid, secret, load_template_ids())})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--appid", required=True)
    p.add_argument("--secret", required=True)
    a = p.parse_args()
    serve(a.port, a.appid, a.secret).serve_forever()


if __name__ == "__main__":
    main()
