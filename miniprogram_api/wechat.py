"""The one place that imports wechatpy: WeChat login, phone numbers and subscribe messages.

wechatpy hard-codes https://api.weixin.qq.com; with ``WECHAT_API_BASE`` set (development and
tests) one requests adapter rewrites that prefix to the stand-in server (tools/wechat_standin.py).
With a real AppID/secret and no ``WECHAT_API_BASE`` the same code talks to WeChat itself.
The access token is kept in MongoDB (database ``<prefix>wechat``) so every process shares one;
expiry is checked on read because FerretDB has no TTL index.
"""
import time

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from services.common.errors import RuleRefused, Unavailable, ValidationFailed
from services.common.mongo import database_name, upsert

WECHAT_ORIGIN = "https://api.weixin.qq.com"
INVALID_CODE, CODE_USED = 40029, 40163


class _Redirect(requests.adapters.HTTPAdapter):
    def __init__(self, base, **kw):
        super().__init__(**kw)
        self.base = base.rstrip("/")

    def send(self, request, **kw):
        request.url = self.base + request.url[len(WECHAT_ORIGIN):]
        return super().send(request, **kw)


class MongoSessionStorage(SessionStorage):
    def __init__(self, collection):
        self.coll = collection

    def get(self, key, default=None):
        doc = self.coll.find_one({"_id": key})
        if not doc or (doc.get("expires_at") and doc["expires_at"] < time.time()):
            return default
        return doc["value"]

    def set(self, key, value, ttl=None):
        expires = time.time() + ttl if ttl else None
        upsert(self.coll, {"_id": key}, {"$set": {"value": value, "expires_at": expires}})

    def delete(self, key):
        self.coll.delete_one({"_id": key})


class WeChat:
    def __init__(self, config, mongo_client):
        storage = MongoSessionStorage(mongo_client[database_name(config, "wechat")]["session"])
        self.client = WeChatClient(config["WECHAT_APPID"], config["WECHAT_SECRET"],
                                   session=storage, timeout=5)
        base = config.get("WECHAT_API_BASE")
        if base:
            self.client._http.mount(WECHAT_ORIGIN + "/", _Redirect(base))

    def login(self, code):
        """wx.login code → openid (code2Session)."""
        try:
            return self.client.wxa.code_to_session(code)["openid"]
        except WeChatClientException as exc:
            if exc.errcode in (INVALID_CODE, CODE_USED):
                raise ValidationFailed("微信登录凭证无效或已使用，请重新进入小程序",
                                       {"code": ["invalid"]}, code="WECHAT_CODE_INVALID")
            raise Unavailable("微信服务暂时不可用", {"errcode": exc.errcode})
        except requests.RequestException:
            raise Unavailable("微信服务暂时不可用")

    def phone(self, code):
        """getPhoneNumber button code → the pure phone number."""
        try:
            return self.client.wxa.get_phone_number(code)["phone_info"]["purePhoneNumber"]
        except WeChatClientException as exc:
            if exc.errcode in (INVALID_CODE, CODE_USED):
                raise ValidationFailed("手机号授权凭证无效或已使用，请重新授权",
                                       {"code": ["invalid"]}, code="WECHAT_CODE_INVALID")
            raise Unavailable("微信服务暂时不可用", {"errcode": exc.errcode})
        except requests.RequestException:
            raise Unavailable("微信服务暂时不可用")

    def send(self, openid, template_id, data, page=None):
        """Send a subscribe message. Returns msgid; raises RuleRefused for a refusal by WeChat
        that retrying will not fix (no consent left, bad template) and Unavailable otherwise."""
        try:
            res = self.client.wxa.send_subscribe_message(openid, template_id, data, page=page)
            return res.get("msgid")
        except WeChatClientException as exc:
            if exc.errcode in (43101, 40003, 40037, 47003):
                raise RuleRefused("微信拒绝发送：%s" % exc.errmsg, {"errcode": exc.errcode})
            raise Unavailable("微信服务暂时不可用", {"errcode": exc.errcode})
        except requests.RequestException:
            raise Unavailable("微信服务暂时不可用")
