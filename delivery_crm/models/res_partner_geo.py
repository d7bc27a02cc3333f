from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .delivery_constants import GROUP_ACCOUNT_MANAGER

# the fields of the position of a customer (Odoo's base_geolocalize), WGS-84
POSITION_FIELDS = ("partner_latitude", "partner_longitude")
# a change of these moves the customer: Odoo's base_geolocalize clears the position,
# and the geocoding cron tries again
ADDRESS_FIELDS = ("street", "street2", "zip", "city", "state_id", "country_id")


class ResPartner(models.Model):
    """Where a delivery customer is (R5, issue 16): the position the check-ins are
    measured against, geocoded from the address by Odoo's ``base_geolocalize`` (the
    provider is the one chosen in Settings: OpenStreetMap by default, AMap for mainland
    China), on demand ("Geolocate") and daily for the customers without one; account
    managers may set it by hand, a manager may take a check-in's position."""

    _inherit = "res.partner"

    delivery_geo_tried_date = fields.Date(
        string="Geocoding tried on",
        readonly=True,
        copy=False,
        help="The geocoding cron tried this address on that day and found nothing; it "
        "tries again when the address changes.",
    )

    @api.constrains(*POSITION_FIELDS)
    def _check_delivery_position(self):
        for partner in self:
            if not (-90.0 <= partner.partner_latitude <= 90.0) or not (
                -180.0 <= partner.partner_longitude <= 180.0
            ):
                raise ValidationError(
                    self.env._(
                        "%(lat)s, %(lon)s is not a position on Earth: the latitude is "
                        "between -90 and 90, the longitude between -180 and 180.",
                        lat=partner.partner_latitude,
                        lon=partner.partner_longitude,
                    )
                )

    def _check_delivery_position_write(self, vals):
        """A delivery customer's position is what its check-ins are measured against:
        account managers set it by hand; the others geolocate it from the address."""
        if self.env.su or not (set(vals) & set(POSITION_FIELDS)):
            return
        if self.env.user.has_group(GROUP_ACCOUNT_MANAGER):
            return
        # sudo: the customer flag decides, whatever the user may read
        customers = self.sudo().filtered("is_delivery_customer").with_env(self.env)
        if customers._changed_by(vals, POSITION_FIELDS):
            raise AccessError(
                self.env._(
                    "Only account managers set a customer's position by hand; use "
                    "'Geolocate' to find it from the address."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group(GROUP_ACCOUNT_MANAGER):
            for vals in vals_list:
                if vals.get("is_delivery_customer") and any(
                    vals.get(name) for name in POSITION_FIELDS
                ):
                    raise AccessError(
                        self.env._(
                            "Only account managers set a customer's position by hand; "
                            "use 'Geolocate' to find it from the address."
                        )
                    )
        return super().create(vals_list)

    def write(self, vals):
        self._check_delivery_position_write(vals)
        if set(vals) & set(ADDRESS_FIELDS) and not all(name in vals for name in POSITION_FIELDS):
            vals = dict(vals, delivery_geo_tried_date=False)
        return super().write(vals)

    # ------------------------------------------------------------------ geocoding
    def action_delivery_geolocate(self):
        """Find the position of these partners from their address, with the provider
        chosen in Settings (Odoo's ``geo_localize``)."""
        self.check_access("write")
        if not self:
            return True
        # sudo: the position comes from the geocoder, not from the user, who may change
        # these partners (checked above)
        partners = self.sudo().with_context(force_geo_localize=True)
        partners.geo_localize()
        missing = partners.filtered(
            lambda p: not (p.partner_latitude or p.partner_longitude)
        ).with_env(self.env)
        if missing:
            raise UserError(
                self.env._(
                    "No position found for the address of %(names)s: check the street, "
                    "city and country, or ask an account manager to set it by hand.",
                    names=", ".join(missing.mapped("display_name")),
                )
            )
        return True

    def _delivery_geocode_batch(self):
        """Geocode these partners (the cron's batch); those not found are marked tried
        so the next runs skip them until their address changes."""
        today = fields.Date.context_today(self)
        for partner in self.with_context(force_geo_localize=True):
            # a provider refusing (no key, quota) raises: the run stops with its error,
            # the batches committed are kept and the next run goes on
            partner.geo_localize()
            if not (partner.partner_latitude or partner.partner_longitude):
                partner.delivery_geo_tried_date = today

    @api.model
    def _cron_geolocate_customers(self):
        """Daily: geocode the delivery customers without a position, from their address,
        in batches committed one by one (a killed run resumes with what is left). An
        address not found is tried again once it changes.

        :return: the number of customers tried
        """
        return self._cron_process_batches(
            [
                ("is_delivery_customer", "=", True),
                ("partner_latitude", "=", 0.0),
                ("partner_longitude", "=", 0.0),
                ("delivery_geo_tried_date", "=", False),
                "|",
                ("street", "!=", False),
                ("city", "!=", False),
            ],
            lambda partners: partners._delivery_geocode_batch(),
            batch_size=self._delivery_geocode_batch_size(),
        )

    @api.model
    def _delivery_geocode_batch_size(self):
        # small batches: each partner is one request to the provider (OpenStreetMap
        # allows one a second)
        return 50
