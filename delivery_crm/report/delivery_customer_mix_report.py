from odoo import fields, models
from odoo.tools import SQL

from ..models.delivery_rates import company_time_zones, counted_delivery, local_month, percent


class DeliveryCustomerMixReport(models.Model):
    """New and returning customers per month (of the company's time zone) and company
    (task pros, issue 16 item 8): the customers with deliveries (not cancelled) in the
    month, split into new ones, whose first delivery ever is in that month, and
    returning ones, who had deliveries before."""

    _name = "delivery.customer.mix.report"
    _description = "New and returning customers by month"
    _auto = False
    _order = "month desc, company_id"
    _rec_name = "month"
    _depends = {
        "delivery.shipment": ["date", "company_id", "partner_id", "outcome"],
        "res.company": ["partner_id"],
        "res.partner": ["tz"],
    }

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customer_count = fields.Integer(string="Customers with deliveries", readonly=True)
    new_count = fields.Integer(string="New customers", readonly=True)
    returning_count = fields.Integer(string="Returning customers", readonly=True)
    new_share = fields.Float(
        string="New customers (%)",
        readonly=True,
        aggregator="avg",
        help="New customers over the customers with deliveries; for several months, the "
        "new ones over all of them (not the mean of the months' shares).",
    )

    def _read_group_select(self, aggregate_spec, query):
        """The share of new customers of a group of months (a quarter, a year, a
        company) is its new customers over its customers, whatever the aggregate asked
        (task fix16): the mean of the months' percentages would weigh a month of one
        customer like a month of a hundred."""
        if aggregate_spec.split(":")[0] == "new_share":
            return percent(
                SQL("SUM(%s)", self._field_to_sql(self._table, "new_count", query)),
                SQL("SUM(%s)", self._field_to_sql(self._table, "customer_count", query)),
            )
        return super()._read_group_select(aggregate_spec, query)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH zones AS (%(zones)s),
            active AS (
                SELECT DISTINCT s.company_id, s.partner_id, %(month)s AS month
                  FROM delivery_shipment s
                  JOIN zones z ON z.company_id = s.company_id
                 WHERE %(counted)s
            ), firsts AS (
                SELECT company_id, partner_id, min(month) AS first_month
                  FROM active GROUP BY company_id, partner_id
            ), months AS (
                SELECT a.company_id, a.month, count(*) AS customers,
                       count(*) FILTER (WHERE f.first_month = a.month) AS new
                  FROM active a
                  JOIN firsts f ON f.company_id = a.company_id AND f.partner_id = a.partner_id
                 GROUP BY a.company_id, a.month
            )
            SELECT row_number() OVER (ORDER BY m.month, m.company_id) AS id,
                   m.month, m.company_id,
                   m.customers AS customer_count,
                   m.new AS new_count,
                   m.customers - m.new AS returning_count,
                   %(share)s AS new_share
              FROM months m
            """,
            zones=company_time_zones(self.env.user.tz),
            month=local_month(SQL("s.date"), SQL("z.tz")),
            counted=counted_delivery("s"),
            share=percent(SQL("m.new"), SQL("m.customers")),
        )
