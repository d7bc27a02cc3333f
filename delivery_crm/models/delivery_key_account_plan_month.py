from odoo import api, fields, models

# what a key-account plan measures: (actual field, cumulated field, target field of the plan)
MEASURES = (
    ("deliveries", "deliveries_cumul", "volume_target"),
    ("revenue", "revenue_cumul", "revenue_target"),
    ("visits", "visits_cumul", "visit_target"),
    ("communications", "communications_cumul", "communication_target"),
)


def percent_of(actual, target):
    """``actual`` in percent of ``target`` (0 without a target)."""
    return round(actual * 100.0 / target, 1) if target else 0.0


class DeliveryKeyAccountPlanMonth(models.Model):
    """One month of a key-account plan's year (001 §九.2): what happened (deliveries
    counted as the evaluation counts them, revenue, visits done, communications
    logged), cumulated since January, and the cumulated share of the year's targets.
    Written only by ``delivery.key.account.plan._refresh_measures`` (daily cron and the
    plan's "Refresh" button), from grouped queries."""

    _name = "delivery.key.account.plan.month"
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
    deliveries_percent = fields.Float(
        string="Deliveries (% of target)", compute="_compute_percents", digits=(5, 1)
    )
    revenue_percent = fields.Float(
        string="Revenue (% of target)", compute="_compute_percents", digits=(5, 1)
    )
    visits_percent = fields.Float(
        string="Visits (% of target)", compute="_compute_percents", digits=(5, 1)
    )
    communications_percent = fields.Float(
        string="Communications (% of target)", compute="_compute_percents", digits=(5, 1)
    )

    _plan_month_unique = models.Constraint(
        "UNIQUE (plan_id, month)",
        "A key-account plan has one line per month.",
    )

    @api.depends(
        "deliveries_cumul",
        "revenue_cumul",
        "visits_cumul",
        "communications_cumul",
        "plan_id.volume_target",
        "plan_id.revenue_target",
        "plan_id.visit_target",
        "plan_id.communication_target",
    )
    def _compute_percents(self):
        for line in self:
            for actual, cumul, target in MEASURES:
                line[f"{actual}_percent"] = percent_of(line[cumul], line.plan_id[target])
