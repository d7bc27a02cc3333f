import logging

import requests

from odoo import api, models
from odoo.exceptions import UserError

from .delivery_geo import gcj02_to_wgs84

_logger = logging.getLogger(__name__)

# the AMap (高德) web-service geocoder; a database can point elsewhere (a proxy, a test
# server) with the system parameter below
AMAP_GEOCODE_URL = "https://restapi.amap.com/v3/geocode/geo"
AMAP_URL_PARAM = "delivery_crm.amap_geocode_url"
AMAP_KEY_PARAM = "delivery_crm.amap_api_key"
AMAP_TIMEOUT = 10
# the levels of an AMap answer that place an address no closer than its district (AMap
# answers them for a street it does not know): no customer position (task fix16)
AMAP_COARSE_LEVELS = frozenset({"国家", "省", "市", "区县", "开发区", "乡镇"})


class BaseGeocoder(models.AbstractModel):
    """A geocoding provider for mainland China next to Odoo's OpenStreetMap and Google
    ones: ``_call_amap``, chosen in Settings as the provider "AMap" (``base.geo_provider``
    of technical name ``amap``), with its web-service key as a setting. AMap gives GCJ-02
    positions; they are converted to WGS-84, the system of the phones' check-ins and of
    every other provider, before they are stored."""

    _inherit = "base.geocoder"

    @api.model
    def _call_amap(self, addr, **kw):
        """``(latitude, longitude)`` in WGS-84 of ``addr``, or None when AMap finds
        nothing, or places it only in its city or district (``level``)."""
        if not addr:
            return None
        # sudo: the system parameters are for administrators; the key is sent to AMap
        # only, never shown to the caller
        params = self.env["ir.config_parameter"].sudo()
        key = params.get_param(AMAP_KEY_PARAM)
        if not key:
            raise UserError(
                self.env._(
                    "The AMap geocoder needs its web-service key: set it in Settings, "
                    "Delivery CRM, Visits."
                )
            )
        url = params.get_param(AMAP_URL_PARAM) or AMAP_GEOCODE_URL
        try:
            response = requests.get(
                url,
                params={"key": key, "address": addr, "output": "JSON"},
                timeout=AMAP_TIMEOUT,
            )
            response.raise_for_status()
            result = response.json()
        except (requests.RequestException, ValueError) as error:
            self._raise_query_error(error)
        if str(result.get("status")) != "1":
            raise UserError(
                self.env._("AMap refused the request: %(info)s", info=result.get("info") or "-")
            )
        geocodes = [
            geocode
            for geocode in result.get("geocodes") or []
            if isinstance(geocode, dict) and geocode.get("level") not in AMAP_COARSE_LEVELS
        ]
        if not geocodes or not geocodes[0].get("location"):
            _logger.info("AMap found no position for an address")
            return None
        try:
            longitude, latitude = (float(v) for v in geocodes[0]["location"].split(","))
        except ValueError:
            _logger.info("AMap answered an unreadable position")
            return None
        return gcj02_to_wgs84(latitude, longitude)
