from odoo import fields, models

from .delivery_key_account_measure_mixin import MEASURES


class DeliveryKeyAccountPlanMonth(models.Model):
    """One month of a key-account plan's year (001 §九.2): what happened (deliveries
    counted as the evaluation counts them, revenue, visits done, communications
    logged), cumulated since January, and the cumulated share of the year's targets.
    Written only by ``delivery.key.account.plan._refresh_measures`` (daily cron and the
    plan's "Refresh" button), from grouped queries."""

    _name = "delivery.key.account.plan.month"
    _inherit = ["delivery.key.account.measure.mixin"]
    _description = "Key-account plan: month"
    _order = "plan_id, month"

    plan_id = fields.Many2one(
        "delivery.key.account.plan", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    month = fields.Date(required=True, readonly=True, help="First day of the month.")
    deliveries = fields.Integer(readonly=True)
    revenue = fields.Monetary(currency_field="currency_id", readonly=True)
    visits = fields.Integer(string="Visits done", readonly=True)
    communications = fields.Integer(readonly=True)
    deliveries_cumul = fields.Integer(string="Deliveries to date", readonly=True)
    revenue_cumul = fields.Monetary(
        string="Revenue to date", currency_field="currency_id", readonly=True
    )
    visits_cumul = fields.Integer(string="Visits to date", readonly=True)
    communications_cumul = fields.Integer(string="Communications to date", readonly=True)

    _plan_month_unique = models.Constraint(
        "UNIQUE (plan_id, month)",
        "A key-account plan has one line per month.",
    )

    def _measure_sources(self):
        return [(measure, cumul, f"plan_id.{target}") for measure, cumul, target in MEASURES]
