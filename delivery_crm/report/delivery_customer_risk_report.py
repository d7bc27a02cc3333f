from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..models.delivery_constants import CUSTOMER_CLASSES, GROUP_STAFF
from ..models.delivery_rates import counted_complaint, counted_delivery

# serialises the refreshes (the cron, a manager's button, a settings change): one at a
# time, so two cron workers never upsert the same rows in different orders
REFRESH_LOCK = 1_816_004_201  # an arbitrary key of its own
REFRESHED_AT_PARAM = "delivery_crm.customer_risk_refreshed_at"


class DeliveryCustomerRiskReport(models.Model):
    """Active customers showing a warning sign (R11 dashboard; 000 §六, 001 §九: early
    warning before the evaluation): revenue of the last window (of deliveries not
    cancelled) below a share of the window before, repeated complaints in the last
    window, or an overdue visit. The window, the share and the number of complaints
    are settings of the customer's company (of the first company for a customer shared
    by every company).

    The figures are materialised: the list reads a table (one row per customer at risk,
    its id the customer's), which ``_refresh`` rewrites from ``_risk_query`` in one
    set-based statement — hourly by its cron, at once when a manager saves the risk
    settings or presses "Refresh". Computing them live meant aggregating two windows of
    deliveries of every customer for each page, count and read: 2 s at 100,000
    customers, against a few milliseconds to read the table."""

    _name = "delivery.customer.risk.report"
    _description = "Customers at risk"
    _log_access = False
    _order = "risk_count desc, revenue_change, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    account_manager_id = fields.Many2one(
        "res.users", string="Account manager", readonly=True, index=True
    )
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
    refreshed_at = fields.Datetime(
        string="Figures of", compute="_compute_refreshed_at", help="When the list was refreshed."
    )

    _list_order_index = models.Index("(risk_count DESC, revenue_change, id)")

    def _risk_query(self):
        """The customers at risk and their figures, one row per customer: the one rule
        of the warning signs (the columns are this model's fields, ``id`` the
        customer's)."""
        return SQL(
            """
            WITH customers AS (
                SELECT p.id, p.company_id
                  FROM res_partner p
                 WHERE p.is_delivery_customer AND p.active AND p.customer_state = 'active'
            ), settings AS (
                -- the settings of the customer's company (the first company's for a
                -- customer shared by all), joined on plain columns so that the planner
                -- counts the customers right: a join on coalesce() made it guess 1 in
                -- 200 and loop over the deliveries
                SELECT cu.id AS partner_id, co.w, co.share, co.repeated
                  FROM customers cu
                  JOIN (
                       SELECT c.id, make_interval(days => c.delivery_risk_window_days) AS w,
                              c.delivery_risk_falling_percent AS share,
                              c.delivery_risk_complaint_count AS repeated
                         FROM res_company c
                       ) co
                    ON co.id = cu.company_id
                    OR (cu.company_id IS NULL
                        AND co.id = (SELECT min(id) FROM res_company WHERE active))
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
            ), base AS MATERIALIZED (
                SELECT p.id AS partner_id, p.company_id, p.account_manager_id, p.tier_id,
                       p.customer_class, st.share, st.repeated,
                       coalesce(v.recent, 0) AS recent, coalesce(v.before, 0) AS before,
                       coalesce(c.n, 0) AS complaints,
                       -- no cadence (0): no visit due; the cadence written once, so
                       -- that its sub-query runs once a customer
                       coalesce(p.last_visit_date, p.cooperation_start_date,
                                p.create_date::date)
                           + nullif(greatest(%(interval)s, 0), 0) AS due
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

    # ------------------------------------------------------------------ refresh
    def _refresh(self):
        """Rewrite the table from ``_risk_query``: upsert the customers at risk, delete
        those no longer at risk, in one statement (all or nothing: a killed refresh
        leaves the previous figures; running it again is the same). Serialised by a
        transaction-level advisory lock."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", REFRESH_LOCK))
        columns = [
            name
            for name, field in self._fields.items()
            if field.store and field.column_type and name != "id"
        ]
        table = SQL.identifier(self._table)
        self.env.cr.execute(
            SQL(
                """
                WITH fresh AS (%(query)s),
                upserted AS (
                    INSERT INTO %(table)s AS r (id, %(columns)s)
                    SELECT id, %(columns)s FROM fresh
                    ON CONFLICT (id) DO UPDATE SET (%(columns)s) = (%(excluded)s)
                     WHERE (%(current)s) IS DISTINCT FROM (%(excluded)s)
                )
                DELETE FROM %(table)s r
                 WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.id = r.id)
                """,
                query=self._risk_query(),
                table=table,
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                # an unchanged row is not rewritten (nor its foreign keys checked again)
                current=SQL(", ").join(SQL.identifier("r", name) for name in columns),
                excluded=SQL(", ").join(SQL.identifier("excluded", name) for name in columns),
            )
        )
        # fresh statistics for the lists that read the table next: after a refresh that
        # wrote most of it (the first one, a new year's cadences), PostgreSQL planned an
        # account manager's list from the old ones until autovacuum analysed it, 3.7 s
        # instead of 0.2 (sampled: a tenth of a second at 100,000 customers)
        self.env.cr.execute(SQL("ANALYZE %s", table))
        # sudo: the time of the refresh is the module's own bookkeeping
        self.env["ir.config_parameter"].sudo().set_param(
            REFRESHED_AT_PARAM, fields.Datetime.to_string(fields.Datetime.now())
        )
        self.env.invalidate_all()

    def _compute_refreshed_at(self):
        # sudo: the time of the last refresh is no secret of the parameters
        refreshed = self.env["ir.config_parameter"].sudo().get_param(REFRESHED_AT_PARAM)
        self.refreshed_at = fields.Datetime.to_datetime(refreshed) if refreshed else False

    @api.model
    def _cron_refresh(self):
        self._refresh()

    def action_refresh(self):
        """The list's "Refresh" button, for the module's staff: the figures are the same
        for everyone, the record rules choose the rows each one reads."""
        if not self.env.user.has_group(GROUP_STAFF):
            raise AccessError(self.env._("Only Delivery CRM staff refresh the customers at risk."))
        # sudo: the refresh rewrites the whole table from the data, whoever presses it;
        # it reads and writes nothing the caller chooses
        self.sudo()._refresh()
        return {"type": "ir.actions.client", "tag": "soft_reload"}
