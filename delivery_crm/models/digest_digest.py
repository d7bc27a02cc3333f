from odoo import fields, models
from odoo.exceptions import AccessError

# the dashboard's KPIs in the digest: ``kpi_delivery_<key>`` for each dashboard KPI key
DIGEST_KPIS = (
    "satisfaction",
    "complaint_rate",
    "first_response",
    "resolution",
    "on_time_rate",
    "damage_rate",
)


class DigestDigest(models.Model):
    """The dashboard's KPIs in Odoo's periodic digest (as ``crm/models/digest.py``):
    each value is the dashboard's own (``delivery.dashboard._kpi_values``) for the
    digest's range, company and recipient; "no data" shows as 0."""

    _inherit = "digest.digest"

    kpi_delivery_satisfaction = fields.Boolean(string="Delivery: satisfaction (%)")
    kpi_delivery_satisfaction_value = fields.Float(
        compute="_compute_kpi_delivery_satisfaction_value"
    )
    kpi_delivery_complaint_rate = fields.Boolean(string="Delivery: complaint rate (%)")
    kpi_delivery_complaint_rate_value = fields.Float(
        compute="_compute_kpi_delivery_complaint_rate_value"
    )
    kpi_delivery_first_response = fields.Boolean(string="Delivery: first response (h)")
    kpi_delivery_first_response_value = fields.Float(
        compute="_compute_kpi_delivery_first_response_value"
    )
    kpi_delivery_resolution = fields.Boolean(string="Delivery: solution time (h)")
    kpi_delivery_resolution_value = fields.Float(compute="_compute_kpi_delivery_resolution_value")
    kpi_delivery_on_time_rate = fields.Boolean(string="Delivery: on-time rate (%)")
    kpi_delivery_on_time_rate_value = fields.Float(
        compute="_compute_kpi_delivery_on_time_rate_value"
    )
    kpi_delivery_damage_rate = fields.Boolean(string="Delivery: damage/loss rate (%)")
    kpi_delivery_damage_rate_value = fields.Float(compute="_compute_kpi_delivery_damage_rate_value")

    def _compute_kpi_delivery_satisfaction_value(self):
        self._compute_delivery_kpi("satisfaction")

    def _compute_kpi_delivery_complaint_rate_value(self):
        self._compute_delivery_kpi("complaint_rate")

    def _compute_kpi_delivery_first_response_value(self):
        self._compute_delivery_kpi("first_response")

    def _compute_kpi_delivery_resolution_value(self):
        self._compute_delivery_kpi("resolution")

    def _compute_kpi_delivery_on_time_rate_value(self):
        self._compute_delivery_kpi("on_time_rate")

    def _compute_kpi_delivery_damage_rate_value(self):
        self._compute_delivery_kpi("damage_rate")

    def _compute_delivery_kpi(self, suffix):
        user = self.env.user
        if not (
            user.has_group("delivery_crm.group_delivery_crm_user")
            or user.has_group("delivery_crm.group_delivery_crm_auditor")
        ):
            raise AccessError(
                self.env._("Do not have access, skip this data for user's digest email")
            )
        start, end, __ = self._get_kpi_compute_parameters()
        for digest in self:
            company = digest.company_id or self.env.company
            values = self.env["delivery.dashboard"].with_company(company)._kpi_values(start, end)
            digest[f"kpi_delivery_{suffix}_value"] = values[suffix]["value"] or 0.0

    def _delivery_subscribe_managers(self):
        """Subscribe the Delivery CRM managers (the shipped weekly digest, at install)."""
        managers = self.env.ref("delivery_crm.group_delivery_crm_manager").all_user_ids
        for digest in self:
            digest._action_subscribe_users(managers.filtered(lambda user: not user.share))

    def _compute_kpis_actions(self, company, user):
        res = super()._compute_kpis_actions(company, user)
        menu = self.env.ref("delivery_crm.delivery_crm_menu_root").id
        for suffix in DIGEST_KPIS:
            res[f"kpi_delivery_{suffix}"] = f"delivery_crm.delivery_dashboard_action?menu_id={menu}"
        return res
