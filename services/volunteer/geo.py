"""Geography for matching: haversine distance and approximate region boxes (config/volunteer.yml).

No geo queries on FerretDB v1: the store pre-filters with ``bounding_box_around`` (plain range
queries on ``location.lat``/``location.lng``) and the domain computes exact distances here.
"""
import math

from services.common import regions
from services.common.errors import ValidationFailed
from services.volunteer.settings import load_settings

EARTH_RADIUS_KM = 6371.0088


def haversine_km(a, b):
    """Great-circle distance in km between two ``{"lat", "lng"}`` points."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a["lat"], a["lng"], b["lat"], b["lng"]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def parse_location(value, field="location"):
    """``{"lat", "lng"}`` numbers in range → ``{"lat": float, "lng": float}``, else ValidationFailed."""
    if not isinstance(value, dict):
        raise ValidationFailed("请提供位置（经纬度）", {field: ["缺少位置"]})
    out = {}
    for key, limit in (("lat", 90), ("lng", 180)):
        v = value.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
            raise ValidationFailed("位置的经纬度必须是数字", {field: ["%s 不是数字" % key]})
        if not -limit <= v <= limit:
            raise ValidationFailed("位置的经纬度超出范围", {field: ["%s 超出范围" % key]})
        out[key] = float(v)
    return out


def region_bounds(settings=None):
    return (settings or load_settings())["region_bounds"]


def in_region(location, region, settings=None):
    box = region_bounds(settings).get(str(region))
    return bool(box) and (box["min_lat"] <= location["lat"] <= box["max_lat"]
                          and box["min_lng"] <= location["lng"] <= box["max_lng"])


def region_of_point(location, settings=None):
    """The served region whose (approximate) box holds the point, or None."""
    for code in sorted(region_bounds(settings)):
        if in_region(location, code, settings):
            return code
    return None


def validate_location(value, region, field="location", settings=None):
    """Parse ``value`` and check it lies inside ``region``'s approximate box."""
    region = regions.validate(region)
    loc = parse_location(value, field)
    if not in_region(loc, region, settings):
        actual = region_of_point(loc, settings)
        if actual is None:
            msg = "所选位置不在本平台服务的地区范围内"
        else:
            msg = "所选位置位于%s，不在%s范围内" % (regions.name(actual), regions.name(region))
        raise ValidationFailed(msg, {field: ["位置与所选地区不符"]})
    return loc


def bounding_box_around(location, radius_km):
    """A lat/lng box that contains every point within ``radius_km`` (for a store pre-filter)."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    coslat = max(math.cos(math.radians(location["lat"])), 1e-6)
    dlng = min(180.0, math.degrees(radius_km / (EARTH_RADIUS_KM * coslat)))
    return {"min_lat": location["lat"] - dlat, "max_lat": location["lat"] + dlat,
            "min_lng": location["lng"] - dlng, "max_lng": location["lng"] + dlng}
