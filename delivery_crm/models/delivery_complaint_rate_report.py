from odoo import fields, models
from odoo.tools import SQL

# 003 §七.2 / SPEC R8: the complaint rate must stay below 5 %
COMPLAINT_RATE_TARGET = 5.0


class DeliveryComplaintRateReport(models.Model):
    """Complaints per delivery, per month and company, against the 5 % target
    (complaint rate = complaints ÷ deliveries of the month, SPEC design choices)."""

    _name = "delivery.complaint.rate.report"
    _description = "Complaint rate by month"
    _auto = False
    _order = "month desc, company_id"
    _rec_name = "month"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    complaint_count = fields.Integer(string="Complaints", readonly=True)
    delivery_count = fields.Integer(string="Deliveries", readonly=True)
    complaint_rate = fields.Float(string="Complaint rate (%)", readonly=True, aggregator="avg")
    target_rate = fields.Float(string="Target (%)", readonly=True, aggregator="max")
    above_target = fields.Boolean(string="Above target", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH complaints AS (
                SELECT date_trunc('month', received_date)::date AS month, company_id,
                       count(*) AS n
                  FROM delivery_complaint
                 WHERE request_type = 'complaint' AND active
                 GROUP BY 1, 2
            ), deliveries AS (
                SELECT date_trunc('month', date)::date AS month, company_id, count(*) AS n
                  FROM delivery_shipment
                 GROUP BY 1, 2
            )
            SELECT row_number() OVER (ORDER BY m.month, m.company_id) AS id,
                   m.month, m.company_id,
                   coalesce(c.n, 0) AS complaint_count,
                   coalesce(d.n, 0) AS delivery_count,
                   CASE WHEN coalesce(d.n, 0) > 0
                        THEN round(coalesce(c.n, 0) * 100.0 / d.n, 2) END AS complaint_rate,
                   %(target)s::float AS target_rate,
                   coalesce(c.n, 0) * 100.0 > %(target)s * coalesce(d.n, 0) AS above_target
              FROM (SELECT month, company_id FROM complaints
                    UNION SELECT month, company_id FROM deliveries) m
              LEFT JOIN complaints c ON c.month = m.month AND c.company_id = m.company_id
              LEFT JOIN deliveries d ON d.month = m.month AND d.company_id = m.company_id
            """,
            target=COMPLAINT_RATE_TARGET,
        )
