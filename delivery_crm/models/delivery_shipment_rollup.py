from odoo import api, fields, models
from odoo.tools import SQL

from .delivery_rates import (
    counted_delivery,
    damaged_delivery,
    finished_delivery,
    on_time_delivery,
)

# serialises the refreshes (the cron, a user's Refresh button, the upgrade): one at a
# time, so that two of them never upsert the same rows in different orders
REFRESH_LOCK = 1_816_004_202  # an arbitrary key of its own
REFRESHED_AT_PARAM = "delivery_crm.shipment_rollup_refreshed_at"
# the width of a slot: every time zone's offset (and every change of offset) since the
# 1970s is a whole number of quarter hours (Asia/Kolkata +5:30, Asia/Kathmandu +5:45),
# so a slot never straddles a local midnight: months of any time zone are exact sums
SLOT_MINUTES = 15


def shipment_slot(column):
    """The UTC quarter hour (its start, naive UTC) of the naive UTC ``column``."""
    return SQL(
        "date_trunc('hour', %s) + floor(date_part('minute', %s) / %s) * interval '1 minute' * %s",
        column,
        column,
        SLOT_MINUTES,
        SLOT_MINUTES,
    )


def upsert_rollup(model):
    """The statement rewriting the table of ``model`` (a rollup per company and slot)
    from its ``_rollup_query``: upsert the rows whose counts (``model._rollup_counts``)
    changed, leave the others untouched, delete the rows of the slots gone."""
    table = SQL.identifier(model._table)
    counts = model._rollup_counts
    return SQL(
        """
        WITH fresh AS (%(query)s),
        upserted AS (
            INSERT INTO %(table)s AS r (company_id, slot, %(columns)s)
            SELECT company_id, slot, %(columns)s FROM fresh
            ON CONFLICT (company_id, slot) DO UPDATE SET %(assign)s
             -- an unchanged row is not rewritten
             WHERE (%(old)s) IS DISTINCT FROM (%(new)s)
        )
        DELETE FROM %(table)s r
         WHERE NOT EXISTS (
               SELECT 1 FROM fresh f WHERE f.company_id = r.company_id AND f.slot = r.slot
         )
        """,
        query=model._rollup_query(),
        table=table,
        columns=SQL(", ").join(SQL.identifier(name) for name in counts),
        assign=SQL(", ").join(
            SQL("%s = excluded.%s", SQL.identifier(name), SQL.identifier(name)) for name in counts
        ),
        old=SQL(", ").join(SQL.identifier("r", name) for name in counts),
        new=SQL(", ").join(SQL.identifier("excluded", name) for name in counts),
    )


class DeliveryShipmentRollup(models.Model):
    """The deliveries that count (:func:`.delivery_rates.counted_delivery`) per company
    and UTC quarter hour, and how many of them are finished, on time, damaged or lost
    (the rates' definitions), for the screens that need only their numbers per month:
    the complaint-rate report and the manager's dashboard sum these rows by month of
    each company's time zone instead of counting every delivery on each read (2 million
    at 100,000 customers).

    Written only by ``_refresh`` (hourly by its cron, at once with the report's
    Refresh button), never through the ORM: the users read it, nobody writes it."""

    _name = "delivery.shipment.rollup"
    _description = "Deliveries per quarter hour"
    _log_access = False
    _order = "slot desc, company_id"
    _rec_name = "slot"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    slot = fields.Datetime(
        string="Quarter hour",
        required=True,
        readonly=True,
        help="The start of the quarter hour (UTC) of the deliveries counted.",
    )
    delivery_count = fields.Integer(string="Deliveries", readonly=True)
    finished_count = fields.Integer(
        string="Finished deliveries",
        readonly=True,
        help="Delivered (on time or late), damaged or lost: the on-time and damage/loss"
        " rates' denominator.",
    )
    on_time_count = fields.Integer(string="On-time deliveries", readonly=True)
    damaged_count = fields.Integer(string="Damaged or lost deliveries", readonly=True)

    _company_slot_unique = models.Constraint(
        "UNIQUE (company_id, slot)",
        lambda env, diag=None: env._("One row per company and quarter hour."),
    )
    _rollup_counts = ("delivery_count", "finished_count", "on_time_count", "damaged_count")

    def _rollup_query(self):
        """The rows as they should be: the counted deliveries per company and slot,
        with their finished, on-time and damaged ones (none of them is cancelled)."""
        return SQL(
            """
            SELECT s.company_id, %(slot)s AS slot, count(*) AS delivery_count,
                   count(*) FILTER (WHERE %(finished)s) AS finished_count,
                   count(*) FILTER (WHERE %(on_time)s) AS on_time_count,
                   count(*) FILTER (WHERE %(damaged)s) AS damaged_count
              FROM delivery_shipment s
             WHERE %(counted)s
             GROUP BY 1, 2
            """,
            slot=shipment_slot(SQL("s.date")),
            counted=counted_delivery("s"),
            finished=finished_delivery("s"),
            on_time=on_time_delivery("s"),
            damaged=damaged_delivery("s"),
        )

    def _refresh(self):
        """Rewrite the table from ``_rollup_query`` in one statement: upsert the slots
        whose counts changed, delete the slots left without counted deliveries (all or
        nothing; running it again writes nothing); then the requests and satisfaction
        answers of ``delivery.service.rollup`` the same way. Serialised by a
        transaction-level advisory lock."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", REFRESH_LOCK))
        for model in (self, self.env["delivery.service.rollup"]):
            self.env.cr.execute(upsert_rollup(model))
        # sudo: the time of the refresh is the module's own bookkeeping
        self.env["ir.config_parameter"].sudo().set_param(
            REFRESHED_AT_PARAM, fields.Datetime.to_string(fields.Datetime.now())
        )
        self.env.invalidate_all()

    @api.model
    def _refreshed_at(self):
        """When the rows were last rewritten (``False`` before the first refresh)."""
        # sudo: the time of the last refresh is no secret of the parameters
        refreshed = self.env["ir.config_parameter"].sudo().get_param(REFRESHED_AT_PARAM)
        return fields.Datetime.to_datetime(refreshed) if refreshed else False

    @api.model
    def _cron_refresh(self):
        self._refresh()
