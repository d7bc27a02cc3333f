from odoo import fields, models
from odoo.tools import SQL

from .delivery_tools import CUSTOMER_CLASSES

# a customer is at risk when its deliveries of the last 90 days fall below this share of
# the 90 days before, when it made this many complaints in 90 days, or when its visit is
# overdue (000 §六, 001 §九: early warning before the evaluation)
FALLING_SHARE = 0.8
REPEATED_COMPLAINTS = 2
WINDOW_DAYS = 90


class DeliveryCustomerRiskReport(models.Model):
    """Active customers showing a warning sign: falling volume, repeated complaints, or
    an overdue visit (R11 dashboard)."""

    _name = "delivery.customer.risk.report"
    _description = "Customers at risk"
    _auto = False
    _order = "risk_count desc, revenue_change"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    account_manager_id = fields.Many2one("res.users", string="Account manager", readonly=True)
    tier_id = fields.Many2one("delivery.tier", readonly=True)
    customer_class = fields.Selection(
        CUSTOMER_CLASSES,
        string="Classification",
        readonly=True,
    )
    revenue_recent = fields.Float(string="Revenue, last 90 days", readonly=True)
    revenue_before = fields.Float(string="Revenue, 90 days before", readonly=True)
    revenue_change = fields.Float(string="Revenue change (%)", readonly=True, aggregator="avg")
    complaints_recent = fields.Integer(string="Complaints, last 90 days", readonly=True)
    next_visit_due = fields.Date(readonly=True)
    falling_volume = fields.Boolean(readonly=True)
    repeated_complaints = fields.Boolean(readonly=True)
    visit_overdue = fields.Boolean(readonly=True)
    risk_count = fields.Integer(string="Warning signs", readonly=True, aggregator="max")

    @property
    def _table_query(self):
        return SQL(
            """
            WITH volume AS (
                SELECT s.partner_id,
                       sum(s.revenue) FILTER (
                           WHERE s.date >= now() at time zone 'UTC' - make_interval(days => %(w)s)
                       ) AS recent,
                       sum(s.revenue) FILTER (
                           WHERE s.date < now() at time zone 'UTC' - make_interval(days => %(w)s)
                       ) AS before
                  FROM delivery_shipment s
                 WHERE s.date >= now() at time zone 'UTC' - make_interval(days => 2 * %(w)s)
                 GROUP BY s.partner_id
            ), complaints AS (
                SELECT c.partner_id, count(*) AS n
                  FROM delivery_complaint c
                 WHERE c.request_type = 'complaint' AND c.active
                   AND c.received_date >= now() at time zone 'UTC' - make_interval(days => %(w)s)
                 GROUP BY c.partner_id
            ), base AS (
                SELECT p.id AS partner_id, p.company_id, p.account_manager_id, p.tier_id,
                       p.customer_class,
                       coalesce(v.recent, 0) AS recent, coalesce(v.before, 0) AS before,
                       coalesce(c.n, 0) AS complaints,
                       CASE WHEN t.visit_interval_days > 0 THEN
                           coalesce(p.last_visit_date, p.cooperation_start_date,
                                    p.create_date::date) + t.visit_interval_days
                       END AS due
                  FROM res_partner p
                  LEFT JOIN delivery_tier t ON t.id = p.tier_id
                  LEFT JOIN volume v ON v.partner_id = p.id
                  LEFT JOIN complaints c ON c.partner_id = p.id
                 WHERE p.is_delivery_customer AND p.active AND p.customer_state = 'active'
            ), flagged AS (
                SELECT b.*,
                       b.before > 0 AND b.recent < b.before * %(share)s AS falling,
                       b.complaints >= %(repeated)s AS repeated,
                       b.due IS NOT NULL AND b.due < current_date AS overdue
                  FROM base b
            )
            SELECT f.partner_id AS id, f.partner_id, f.company_id, f.account_manager_id,
                   f.tier_id, f.customer_class,
                   f.recent AS revenue_recent, f.before AS revenue_before,
                   CASE WHEN f.before > 0
                        THEN round((f.recent - f.before) * 100.0 / f.before, 2) END
                       AS revenue_change,
                   f.complaints AS complaints_recent, f.due AS next_visit_due,
                   f.falling AS falling_volume, f.repeated AS repeated_complaints,
                   f.overdue AS visit_overdue,
                   f.falling::int + f.repeated::int + f.overdue::int AS risk_count
              FROM flagged f
             WHERE f.falling OR f.repeated OR f.overdue
            """,
            w=WINDOW_DAYS,
            share=FALLING_SHARE,
            repeated=REPEATED_COMPLAINTS,
        )
