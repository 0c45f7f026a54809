"""The one error hierarchy of the suite, mapped once to HTTP by the gateway.

Every error carries a stable UPPER_SNAKE ``code`` the clients switch on, a plain-Chinese
``message`` for people and a ``details`` dict. They travel across nameko RPC typed: the args
are (message, details, code) so ``nameko.exceptions.deserialize`` can rebuild them, and
``register_remote_errors`` (called on import) puts every class in nameko's registry.
"""
from nameko.exceptions import registry


class ServiceError(Exception):
    status = 500
    code = "INTERNAL_ERROR"
    message = "服务内部错误，请稍后再试"

    def __init__(self, message=None, details=None, code=None):
        message = message or self.message
        details = details or {}
        code = code or self.code
        super().__init__(message, details, code)
        self.message, self.details, self.code = message, details, code

    def __str__(self):
        return "%s: %s" % (self.code, self.message)

    def to_dict(self):
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(ServiceError):
    """Input is malformed: a wrong type, a missing or unknown field, a bad check digit."""
    status, code, message = 400, "VALIDATION_ERROR", "提交的信息有误，请检查后重试"


class Unauthorized(ServiceError):
    status, code, message = 401, "UNAUTHORIZED", "请先登录"


class Forbidden(ServiceError):
    status, code, message = 403, "FORBIDDEN", "您无权进行此操作"


class NotFound(ServiceError):
    status, code, message = 404, "NOT_FOUND", "没有找到相关记录"


class Conflict(ServiceError):
    """The request clashes with the current state (illegal transition, duplicate, taken)."""
    status, code, message = 409, "CONFLICT", "当前状态不允许此操作"


class MethodNotAllowed(ServiceError):
    status, code, message = 405, "METHOD_NOT_ALLOWED", "不支持此请求方法"


class PayloadTooLarge(ServiceError):
    status, code, message = 413, "PAYLOAD_TOO_LARGE", "提交的内容过大"


class RuleRefused(ServiceError):
    """Well-formed, but a business rule says no (not eligible, outside the region's policy)."""
    status, code, message = 422, "RULE_REFUSED", "不符合办理条件"


class RateLimited(ServiceError):
    status, code, message = 429, "RATE_LIMITED", "操作过于频繁，请稍后再试"


class Unavailable(ServiceError):
    status, code, message = 503, "SERVICE_UNAVAILABLE", "服务暂时不可用，请稍后再试"


class UpstreamTimeout(ServiceError):
    status, code, message = 504, "UPSTREAM_TIMEOUT", "服务响应超时，请稍后再试"


ALL_ERRORS = (ServiceError, ValidationFailed, Unauthorized, Forbidden, NotFound, Conflict,
              MethodNotAllowed, PayloadTooLarge, RuleRefused, RateLimited, Unavailable, UpstreamTimeout)


def register_remote_errors():
    for cls in ALL_ERRORS:
        registry["%s.%s" % (cls.__module__, cls.__name__)] = cls


register_remote_errors()
