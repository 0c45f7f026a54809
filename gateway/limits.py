"""Rate limits per route group: a fixed window per caller (account, staff or address).

Override per deployment with the ``RATE_LIMITS`` setting (JSON), e.g. the test stack raises
the login limit because every test logs in from the same address.
"""
import json

DEFAULT_RATE_LIMITS = {
    "login": {"limit": 30, "window": 60},         # WeChat and staff login, token refresh
    "identity": {"limit": 10, "window": 60},      # real-name, phone and ward binding
    "verify": {"limit": 60, "window": 60},        # public certificate verification
}


def rate_limits(override_json=None):
    limits = {k: dict(v) for k, v in DEFAULT_RATE_LIMITS.items()}
    if override_json:
        overrides = json.loads(override_json) if isinstance(override_json, str) else override_json
        for name, rule in overrides.items():
            limits.setdefault(name, {}).update(rule)
    return limits
