"""Regions (行政区划) the suite serves, from config/regions.yml."""
import functools
import os

import yaml

from services.common.errors import ValidationFailed

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "config", "regions.yml")


@functools.lru_cache(maxsize=None)
def all_regions():
    with open(_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)["regions"]


def validate(code, field="region"):
    code = str(code or "")
    if code not in all_regions():
        raise ValidationFailed("不支持的行政区划代码：%s" % code, {field: ["未知的地区"]})
    return code


def name(code):
    return all_regions()[code]["name"]


def province(code):
    return all_regions()[code]["province"]


def same_province(a, b):
    return province(a) == province(b)
