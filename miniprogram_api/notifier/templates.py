"""Subscribe-message templates (pure): config/notifications.yml and WeChat's data shape."""
import functools
import os

import yaml

from services.common.errors import ValidationFailed

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "config", "notifications.yml")
MAX_THING = 20  # WeChat: thing.DATA at most 20 characters


@functools.lru_cache(maxsize=None)
def templates():
    with open(_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)["templates"]


def template(key):
    try:
        return templates()[key]
    except KeyError:
        raise ValidationFailed("未知的消息模板：%s" % key, {"template": ["unknown"]})


def wechat_data(key, data):
    """{"thing1": {"value": "..."}} from the logical data of a notify event."""
    out = {}
    for wx_key, logical in template(key)["fields"].items():
        value = str(data.get(logical, "") or "-")
        if wx_key.startswith(("thing", "phrase")):
            value = value[:MAX_THING]
        out[wx_key] = {"value": value}
    return out


def backoff_seconds(attempts):
    """30 s, 60 s, 2 min, 4 min, 8 min ... capped at 30 min."""
    return min(30 * 2 ** max(attempts - 1, 0), 1800)


MAX_ATTEMPTS = 6
