"""Coordinate systems of mainland China, without Odoo (tested without a database).

Browsers and phones' GPS give WGS-84 (the system of OpenStreetMap, Google's geocoder
and ``partner_latitude/longitude``). Maps published in mainland China (AMap/高德,
Tencent) use GCJ-02, WGS-84 shifted by a published obfuscation of up to ~700 m; a
position read from them must be converted back before a distance to a WGS-84 point
means anything. Outside mainland China both systems are the same.

- :func:`wgs84_to_gcj02`: the published forward formula (Krasovsky 1940 ellipsoid).
- :func:`gcj02_to_wgs84`: its inverse, by fixed-point iteration of the forward
  formula (exact to ~1e-9 degrees, i.e. below a millimetre, after a few steps).
"""

import math

# Krasovsky 1940, the ellipsoid of the GCJ-02 formula
_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(latitude, longitude):
    """True when the point lies outside the rectangle where GCJ-02 applies."""
    return not (72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271)


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(latitude, longitude):
    d_lat = _transform_lat(longitude - 105.0, latitude - 35.0)
    d_lon = _transform_lon(longitude - 105.0, latitude - 35.0)
    rad_lat = latitude / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(latitude, longitude):
    """The GCJ-02 position of a WGS-84 one: ``(latitude, longitude)``."""
    if out_of_china(latitude, longitude):
        return latitude, longitude
    d_lat, d_lon = _offset(latitude, longitude)
    return latitude + d_lat, longitude + d_lon


def gcj02_to_wgs84(latitude, longitude, precision=1e-9, max_steps=30):
    """The WGS-84 position of a GCJ-02 one (what AMap's geocoder returns):
    ``(latitude, longitude)``."""
    if out_of_china(latitude, longitude):
        return latitude, longitude
    wgs_lat, wgs_lon = latitude, longitude
    for _step in range(max_steps):
        gcj_lat, gcj_lon = wgs84_to_gcj02(wgs_lat, wgs_lon)
        d_lat, d_lon = gcj_lat - latitude, gcj_lon - longitude
        wgs_lat, wgs_lon = wgs_lat - d_lat, wgs_lon - d_lon
        if abs(d_lat) < precision and abs(d_lon) < precision:
            break
    return wgs_lat, wgs_lon
