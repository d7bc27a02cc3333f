from odoo import fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..models.delivery_constants import GROUP_STAFF
from ..models.delivery_rates import (
    company_time_zones,
    local_month,
    misses_below,
    percent,
)


class DeliveryComplaintRateReport(models.Model):
    """Complaints per delivery, per month (of the company's time zone) and company,
    against the company's complaint-rate target. The rate is the evaluation's:
    complaints ÷ deliveries not cancelled (:mod:`.delivery_rates`); a month without
    deliveries has no rate ("no data"), neither 0 % nor above the target.

    The deliveries are read from their rollup per company and UTC quarter hour
    (``delivery.shipment.rollup``, refreshed hourly and by the list's "Refresh"
    button), summed by month of the company's time zone: counting every delivery on
    each read took 0.7 s at 100,000 customers. The complaints are read the same way
    from ``delivery.service.rollup`` (refreshed with it): counting them live took 0.8 s
    at a million customers."""

    _name = "delivery.complaint.rate.report"
    _description = "Complaint rate by month"
    _auto = False
    _order = "month desc, company_id"
    _rec_name = "month"
    _depends = {
        "delivery.service.rollup": ["slot", "company_id", "complaint_count"],
        "delivery.shipment.rollup": ["slot", "company_id", "delivery_count"],
        "res.company": ["partner_id", "delivery_target_complaint_rate"],
        "res.partner": ["tz"],
    }

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    complaint_count = fields.Integer(string="Complaints", readonly=True)
    delivery_count = fields.Integer(string="Deliveries", readonly=True)
    complaint_rate = fields.Float(string="Complaint rate (%)", readonly=True, aggregator="avg")
    target_rate = fields.Float(string="Target (%)", readonly=True, aggregator="max")
    above_target = fields.Boolean(string="Above target", readonly=True)
    refreshed_at = fields.Datetime(
        string="Figures of",
        compute="_compute_refreshed_at",
        help="When the deliveries were last counted (every hour, or with Refresh).",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH zones AS (%(zones)s),
            complaints AS (
                SELECT %(complaint_month)s AS month, c.company_id, sum(c.complaint_count) AS n
                  FROM delivery_service_rollup c
                  JOIN zones z ON z.company_id = c.company_id
                 WHERE c.complaint_count > 0
                 GROUP BY 1, 2
            ), deliveries AS (
                SELECT %(delivery_month)s AS month, r.company_id, sum(r.delivery_count) AS n
                  FROM delivery_shipment_rollup r
                  JOIN zones z ON z.company_id = r.company_id
                 GROUP BY 1, 2
            ), months AS (
                SELECT m.month, m.company_id,
                       coalesce(c.n, 0) AS complaints, coalesce(d.n, 0) AS deliveries
                  FROM (SELECT month, company_id FROM complaints
                        UNION SELECT month, company_id FROM deliveries) m
                  LEFT JOIN complaints c ON c.month = m.month AND c.company_id = m.company_id
                  LEFT JOIN deliveries d ON d.month = m.month AND d.company_id = m.company_id
            )
            SELECT row_number() OVER (ORDER BY m.month, m.company_id) AS id,
                   m.month, m.company_id,
                   m.complaints AS complaint_count,
                   m.deliveries AS delivery_count,
                   %(rate)s AS complaint_rate,
                   co.delivery_target_complaint_rate AS target_rate,
                   coalesce(%(above)s, FALSE) AS above_target
              FROM months m
              JOIN res_company co ON co.id = m.company_id
            """,
            zones=company_time_zones(self.env.user.tz),
            complaint_month=local_month(SQL("c.slot"), SQL("z.tz")),
            delivery_month=local_month(SQL("r.slot"), SQL("z.tz")),
            rate=percent(SQL("m.complaints"), SQL("m.deliveries")),
            above=misses_below(
                SQL("m.complaints"), SQL("m.deliveries"), SQL("co.delivery_target_complaint_rate")
            ),
        )

    def _compute_refreshed_at(self):
        self.refreshed_at = self.env["delivery.shipment.rollup"]._refreshed_at()

    def action_refresh(self):
        """The list's "Refresh" button, for the module's staff: count the deliveries
        now rather than at the next hourly refresh (the figures are the same for
        everyone, the record rules choose the rows each one reads)."""
        if not self.env.user.has_group(GROUP_STAFF):
            raise AccessError(self.env._("Only Delivery CRM staff refresh the complaint rate."))
        # sudo: the refresh rewrites the whole rollup from the deliveries, whoever
        # presses it; it reads and writes nothing the caller chooses
        self.env["delivery.shipment.rollup"].sudo()._refresh()
        return {"type": "ir.actions.client", "tag": "soft_reload"}
