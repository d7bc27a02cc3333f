from odoo import fields, models
from odoo.tools import SQL

from ..report.delivery_satisfaction_trend_report import satisfaction_answers
from .delivery_rates import counted_complaint
from .delivery_shipment_rollup import shipment_slot


class DeliveryServiceRollup(models.Model):
    """The requests counted as complaints (:func:`.delivery_rates.counted_complaint`,
    by date received) and the satisfaction answers (``satisfaction_answers``: ratings,
    return-visit scores, surveys; satisfied or not), per company and UTC quarter hour,
    for the manager's dashboard: its twelve months of complaint rate and satisfaction
    are sums of these rows (reading every answer took 0.2 s at 100,000 customers).

    Rewritten with the deliveries' rollup (``delivery.shipment.rollup._refresh``: the
    hourly job, the complaint-rate report's Refresh button), never through the ORM:
    the figures are up to an hour old."""

    _name = "delivery.service.rollup"
    _description = "Complaints and satisfaction answers per quarter hour"
    _log_access = False
    _order = "slot desc, company_id"
    _rec_name = "slot"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    slot = fields.Datetime(
        string="Quarter hour",
        required=True,
        readonly=True,
        help="The start of the quarter hour (UTC) of the complaints and answers counted.",
    )
    complaint_count = fields.Integer(string="Complaints", readonly=True)
    answer_count = fields.Integer(string="Satisfaction answers", readonly=True)
    satisfied_count = fields.Integer(string="Satisfied answers", readonly=True)

    _company_slot_unique = models.Constraint(
        "UNIQUE (company_id, slot)",
        lambda env, diag=None: env._("One row per company and quarter hour."),
    )
    _rollup_counts = ("complaint_count", "answer_count", "satisfied_count")

    def _rollup_query(self):
        """The rows as they should be: per company and slot, the complaints received
        and the satisfaction answers given (a slot without either has no row)."""
        return SQL(
            """
            SELECT company_id, slot, sum(complaints) AS complaint_count,
                   sum(answers) AS answer_count, sum(satisfied) AS satisfied_count
              FROM (
                    SELECT c.company_id, %(complaint_slot)s AS slot, count(*) AS complaints,
                           0 AS answers, 0 AS satisfied
                      FROM delivery_complaint c
                     WHERE %(counted)s AND c.received_date IS NOT NULL
                     GROUP BY 1, 2
                    UNION ALL
                    SELECT a.company_id, %(answer_slot)s, 0, count(*),
                           count(*) FILTER (WHERE a.satisfied)
                      FROM (%(answers)s) a
                     WHERE a.company_id IS NOT NULL
                     GROUP BY 1, 2
                   ) u
             GROUP BY 1, 2
            """,
            complaint_slot=shipment_slot(SQL("c.received_date")),
            counted=counted_complaint("c"),
            answer_slot=shipment_slot(SQL("a.answered_at")),
            answers=satisfaction_answers(self.env),
        )
