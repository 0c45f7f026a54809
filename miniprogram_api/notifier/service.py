"""Notifier (消息通知): the one way any service reaches a citizen, guardian or volunteer.

Services publish a ``notify`` event (through their outbox):
    {"person_id" | "account_id", "template": "<key in config/notifications.yml>",
     "data": {logical fields}, "page": "pages/..."}
For each WeChat account that should hear it (the person's own account and their guardians'),
the notifier uses one accepted subscription (consent + quota reported by the mini-program),
sends a subscribe message through wechatpy, and records the outcome: sent; skipped with the
reason (no account, no consent); failed and retried with back-off; dead after the last try.
Nothing is dropped silently: every outcome is a record the citizen can read in the app.
"""
import datetime as dt

from nameko.events import event_handler
from nameko.timer import timer

from miniprogram_api.notifier import templates
from miniprogram_api.settings import Settings
from miniprogram_api.notifier.store import NotifierStore
from services.common import authz
from services.common.clock import iso
from services.common.errors import Forbidden, RuleRefused, Unavailable, ValidationFailed
from services.common.mongo import Mongo
from services.common.outbox import idempotent_handler
from services.common.rpc import RpcProxy, rpc
from services.common.sweeps import SWEEP_SECONDS

CONSENT_RESULTS = ("accept", "reject", "ban")


class NotifierService:
    name = "notifier"
    store = Mongo(NotifierStore)
    settings = Settings()
    identity = RpcProxy("identity")

    # one handler per source service: nameko binds handlers to a source's exchange
    @event_handler("certificate", "notify")
    @idempotent_handler
    def on_certificate_notify(self, payload):
        self.handle(payload)

    @event_handler("subsidy", "notify")
    @idempotent_handler
    def on_subsidy_notify(self, payload):
        self.handle(payload)

    @event_handler("rehab_booking", "notify")
    @idempotent_handler
    def on_rehab_booking_notify(self, payload):
        self.handle(payload)

    @event_handler("volunteer", "notify")
    @idempotent_handler
    def on_volunteer_notify(self, payload):
        self.handle(payload)

    @event_handler("identity", "notify")
    @idempotent_handler
    def on_identity_notify(self, payload):
        self.handle(payload)

    def handle(self, payload):
        now = self.store.clock.now()
        key = payload.get("template")
        base = {"event_id": payload.get("event_id"), "template": key,
                "person_id": payload.get("person_id"), "data": payload.get("data") or {},
                "page": payload.get("page"), "created_at": now, "attempts": 0, "history": []}
        try:
            templates.template(key)
        except ValidationFailed:
            return self._record(dict(base, _id="%s:-" % base["event_id"], account_id=None),
                                "skipped", "unknown_template")
        if payload.get("account_id"):
            recipients = [{"account_id": payload["account_id"],
                           "openid": self.identity.account_openid(payload["account_id"])}]
        else:
            recipients = self.identity.recipients(payload.get("person_id"))
        if not recipients or not any(r.get("openid") for r in recipients):
            return self._record(dict(base, _id="%s:-" % base["event_id"], account_id=None),
                                "skipped", "no_account")
        for r in recipients:
            doc = dict(base, _id="%s:%s" % (base["event_id"], r["account_id"]),
                       account_id=r["account_id"], openid=r["openid"])
            if not self.store.take_quota(r["account_id"], key):
                self._record(doc, "skipped", "no_consent")
                continue
            if self.store.create(dict(doc, status="sending")):
                self._send(doc)
            else:
                self.store.give_back_quota(r["account_id"], key)

    def _record(self, doc, status, reason):
        if self.store.create(dict(doc, status=status, reason=reason,
                                  history=[{"status": status, "reason": reason,
                                            "at": doc["created_at"]}])):
            return doc
        return None

    def _send(self, doc):
        attempts = doc.get("attempts", 0) + 1
        tpl = templates.template(doc["template"])
        try:
            msgid = self.settings.wechat.send(doc["openid"], tpl["id"],
                                              templates.wechat_data(doc["template"], doc["data"]),
                                              page=doc.get("page"))
        except RuleRefused as exc:
            self.store.set_outcome(doc["_id"], "refused", exc.message, attempts)
            return
        except Unavailable as exc:
            if attempts >= templates.MAX_ATTEMPTS:
                self.store.set_outcome(doc["_id"], "dead", exc.message, attempts)
            else:
                next_at = self.store.clock.now() + dt.timedelta(
                    seconds=templates.backoff_seconds(attempts))
                self.store.set_outcome(doc["_id"], "failed", exc.message, attempts, next_at)
            return
        self.store.set_outcome(doc["_id"], "sent", None, attempts, msgid=msgid)

    @timer(interval=SWEEP_SECONDS)
    def retry_failed(self):
        for doc in self.store.claim_due_retries():
            self._send(doc)

    # consent reported by the mini-program, and the in-app inbox ----------------------------------
    @rpc
    def record_consent(self, actor, body):
        authz.require_actor(actor)
        if not authz.is_citizen(actor):
            raise Forbidden("仅限微信用户")
        results = (body or {}).get("results")
        if not isinstance(results, dict) or not results:
            raise ValidationFailed(details={"results": ["需要提供每个模板的授权结果"]})
        for key, result in results.items():
            templates.template(key)
            if result not in CONSENT_RESULTS:
                raise ValidationFailed(details={"results": {key: ["应为 accept、reject 或 ban"]}})
        for key, result in results.items():
            self.store.add_consent(actor["account_id"], key, result)
        return self.subscriptions(actor)

    @rpc
    def subscriptions(self, actor):
        authz.require_actor(actor)
        return {"items": [{"template": c["template"], "quota": c.get("quota", 0),
                           "banned": c.get("banned", False)}
                          for c in self.store.consents(actor.get("account_id"))]}

    @rpc
    def notifications_for(self, actor):
        authz.require_actor(actor)
        return {"items": [{"id": d["_id"], "template": d["template"], "status": d["status"],
                           "reason": d.get("reason"), "data": d.get("data"),
                           "page": d.get("page"), "created_at": iso(d["created_at"])}
                          for d in self.store.for_account(actor.get("account_id"))],
                "next_cursor": None}

    @rpc
    def health(self):
        return self.store.ping()


