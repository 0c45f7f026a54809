"""Volunteer settings from config/volunteer.yml, with per-region overrides.

Loading a config file at import-free call time is the same pattern as services/common/regions.py;
every domain function takes an optional ``settings`` dict so tests can pass their own.
"""
import copy
import functools
import os

import yaml

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "config", "volunteer.yml")


@functools.lru_cache(maxsize=None)
def _load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_settings(path=None):
    """The whole config as a fresh dict (callers may mutate their copy)."""
    return copy.deepcopy(_load(os.path.abspath(path or _PATH)))


def section(name, region=None, settings=None):
    """One section (``matching``, ``requests``, ``execution``) with the region's overrides merged."""
    settings = settings or load_settings()
    merged = dict(settings.get(name) or {})
    override = ((settings.get("region_overrides") or {}).get(str(region or "")) or {}).get(name)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
