from odoo import fields, models
from odoo.tools import SQL

from ..models.delivery_constants import CUSTOMER_CLASSES
from ..models.delivery_rates import counted_complaint, counted_delivery


class DeliveryCustomerRiskReport(models.Model):
    """Active customers showing a warning sign (R11 dashboard; 000 §六, 001 §九: early
    warning before the evaluation): revenue of the last window (of deliveries not
    cancelled) below a share of the window before, repeated complaints in the last
    window, or an overdue visit. The window, the share and the number of complaints
    are settings of the customer's company (of the first company for a customer shared
    by every company)."""

    _name = "delivery.customer.risk.report"
    _description = "Customers at risk"
    _auto = False
    _order = "risk_count desc, revenue_change"
    _rec_name = "partner_id"
    _depends = {
        "res.partner": [
            "is_delivery_customer",
            "active",
            "customer_state",
            "company_id",
            "account_manager_id",
            "tier_id",
            "customer_class",
            "last_visit_date",
            "cooperation_start_date",
        ],
        "delivery.tier": ["visit_interval_days"],
        "delivery.shipment": ["partner_id", "date", "revenue", "outcome"],
        "delivery.complaint": ["partner_id", "counts_as_complaint", "active", "received_date"],
        "res.company": [
            "active",
            "delivery_risk_window_days",
            "delivery_risk_falling_percent",
            "delivery_risk_complaint_count",
        ],
    }

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    account_manager_id = fields.Many2one("res.users", string="Account manager", readonly=True)
    tier_id = fields.Many2one("delivery.tier", readonly=True)
    customer_class = fields.Selection(
        CUSTOMER_CLASSES,
        string="Classification",
        readonly=True,
    )
    revenue_recent = fields.Float(string="Revenue, last window", readonly=True)
    revenue_before = fields.Float(string="Revenue, window before", readonly=True)
    revenue_change = fields.Float(string="Revenue change (%)", readonly=True, aggregator="avg")
    complaints_recent = fields.Integer(string="Complaints, last window", readonly=True)
    next_visit_due = fields.Date(readonly=True)
    falling_volume = fields.Boolean(readonly=True)
    repeated_complaints = fields.Boolean(readonly=True)
    visit_overdue = fields.Boolean(readonly=True)
    risk_count = fields.Integer(string="Warning signs", readonly=True, aggregator="max")

    @property
    def _table_query(self):
        return SQL(
            """
            WITH settings AS (
                SELECT p.id AS partner_id,
                       make_interval(days => co.delivery_risk_window_days) AS w,
                       co.delivery_risk_falling_percent AS share,
                       co.delivery_risk_complaint_count AS repeated
                  FROM res_partner p
                  JOIN res_company co ON co.id = coalesce(
                      p.company_id, (SELECT min(id) FROM res_company WHERE active))
                 WHERE p.is_delivery_customer AND p.active AND p.customer_state = 'active'
            ), volume AS (
                SELECT s.partner_id,
                       sum(s.revenue) FILTER (
                           WHERE s.date >= now() at time zone 'UTC' - st.w
                       ) AS recent,
                       sum(s.revenue) FILTER (
                           WHERE s.date < now() at time zone 'UTC' - st.w
                       ) AS before
                  FROM delivery_shipment s
                  JOIN settings st ON st.partner_id = s.partner_id
                 WHERE s.date >= now() at time zone 'UTC' - 2 * st.w AND %(counted_delivery)s
                 GROUP BY s.partner_id
            ), complaints AS (
                SELECT c.partner_id, count(*) AS n
                  FROM delivery_complaint c
                  JOIN settings st ON st.partner_id = c.partner_id
                 WHERE %(counted_complaint)s
                   AND c.received_date >= now() at time zone 'UTC' - st.w
                 GROUP BY c.partner_id
            ), base AS (
                SELECT p.id AS partner_id, p.company_id, p.account_manager_id, p.tier_id,
                       p.customer_class, st.share, st.repeated,
                       coalesce(v.recent, 0) AS recent, coalesce(v.before, 0) AS before,
                       coalesce(c.n, 0) AS complaints,
                       CASE WHEN %(interval)s > 0 THEN
                           coalesce(p.last_visit_date, p.cooperation_start_date,
                                    p.create_date::date) + %(interval)s
                       END AS due
                  FROM res_partner p
                  JOIN settings st ON st.partner_id = p.id
                  LEFT JOIN delivery_tier t ON t.id = p.tier_id
                  LEFT JOIN volume v ON v.partner_id = p.id
                  LEFT JOIN complaints c ON c.partner_id = p.id
            ), flagged AS (
                SELECT b.*,
                       b.before > 0 AND b.recent * 100.0 < b.before * b.share AS falling,
                       b.complaints >= b.repeated AS repeated_signal,
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
                   f.falling AS falling_volume, f.repeated_signal AS repeated_complaints,
                   f.overdue AS visit_overdue,
                   f.falling::int + f.repeated_signal::int + f.overdue::int AS risk_count
              FROM flagged f
             WHERE f.falling OR f.repeated_signal OR f.overdue
            """,
            counted_delivery=counted_delivery("s"),
            counted_complaint=counted_complaint("c"),
            # the visit cadence's one rule (the key-account plan's, else the tier's)
            interval=self.env["delivery.key.account.plan"]._visit_interval_sql(
                "p", "t", year=SQL("EXTRACT(YEAR FROM current_date)::int")
            ),
        )
