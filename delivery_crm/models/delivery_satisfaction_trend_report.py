from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED

from .delivery_visit import SATISFIED_SCORE

# 003 §七.2 / SPEC R8: customer satisfaction of at least 90 %
SATISFACTION_TARGET = 90.0


class DeliverySatisfactionTrendReport(models.Model):
    """Satisfaction per month and company — the share of satisfied answers among the
    ratings of requests and the scores of return visits — against the 90 % target."""

    _name = "delivery.satisfaction.trend.report"
    _description = "Satisfaction by month"
    _auto = False
    _order = "month desc, company_id"
    _rec_name = "month"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    answer_count = fields.Integer(string="Answers", readonly=True)
    satisfied_count = fields.Integer(string="Satisfied", readonly=True)
    satisfaction = fields.Float(string="Satisfaction (%)", readonly=True, aggregator="avg")
    target = fields.Float(string="Target (%)", readonly=True, aggregator="max")
    below_target = fields.Boolean(readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH answers AS (
                SELECT date_trunc('month', r.rated_on)::date AS month, c.company_id,
                       (r.rating >= %(rating_satisfied)s)::int AS satisfied
                  FROM rating_rating r
                  JOIN delivery_complaint c ON c.id = r.res_id
                 WHERE r.res_model = 'delivery.complaint' AND r.consumed AND r.rating > 0
                   AND r.rated_on IS NOT NULL
                UNION ALL
                SELECT date_trunc('month', v.visit_date)::date, v.company_id,
                       (v.satisfaction_score::int >= %(visit_satisfied)s)::int
                  FROM delivery_visit v
                 WHERE v.state = 'done' AND v.satisfaction_score IS NOT NULL
            )
            SELECT row_number() OVER (ORDER BY month, company_id) AS id, month, company_id,
                   count(*) AS answer_count, sum(satisfied) AS satisfied_count,
                   round(sum(satisfied) * 100.0 / count(*), 2) AS satisfaction,
                   %(target)s::float AS target,
                   sum(satisfied) * 100.0 < %(target)s * count(*) AS below_target
              FROM answers
             GROUP BY month, company_id
            """,
            rating_satisfied=RATING_LIMIT_SATISFIED,
            visit_satisfied=SATISFIED_SCORE,
            target=SATISFACTION_TARGET,
        )
