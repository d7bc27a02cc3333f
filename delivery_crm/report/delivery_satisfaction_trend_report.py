from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED

from ..models.delivery_complaint import COUNTED_RATING_DEPENDS, counted_ratings
from ..models.delivery_rates import company_time_zones, local_month, misses_at_least, percent
from ..models.delivery_survey_invitation import SATISFIED_SCORE as SURVEY_SATISFIED_SCORE
from ..models.delivery_visit import SATISFIED_SCORE as VISIT_SATISFIED_SCORE

# what :func:`satisfaction_answers` reads (flushed before a report reads it)
SATISFACTION_ANSWER_DEPENDS = {
    "rating.rating": COUNTED_RATING_DEPENDS["rating.rating"],
    "delivery.complaint": ["partner_id", "company_id", "user_id"],
    "delivery.visit": [
        "partner_id",
        "company_id",
        "user_id",
        "state",
        "visit_date",
        "satisfaction_score",
    ],
    "delivery.survey.invitation": ["partner_id", "company_id", "user_input_id"],
    "survey.user_input": ["state", "end_datetime"],
    "survey.user_input.line": [
        "user_input_id",
        "question_id",
        "answer_type",
        "skipped",
        "answer_score",
    ],
    "survey.question.answer": ["question_id", "answer_score"],
    "res.partner": ["account_manager_id", "commercial_partner_id"],
    "res.company": ["active"],
}


def satisfaction_answers(env, credited=False, partner_ids=None):
    """Every satisfaction answer, as the evaluation's satisfaction indicator counts
    them (``delivery.evaluation._get_satisfaction_data``): the ratings of requests
    (one per request, see ``delivery_complaint.counted_ratings``)
    (Odoo's "satisfied" threshold), the scores of return visits (4 of 5 or more) and
    the completed satisfaction surveys (average of the rated questions 4 of 5 or
    more).

    One row per answer: ``partner_id`` (the customer), ``company_id``, ``user_id`` (the
    staff member it is credited to: the request's owner, the visitor, the customer's
    account manager for a survey), ``answered_at`` (naive UTC) and ``satisfied``.
    A survey of a customer shared by every company counts in the first company, as
    the evaluation does.

    :param credited: only the ratings of requests someone owns (the others are credited
        to nobody)
    :param partner_ids: only the ratings of these customers' requests (see
        ``counted_ratings``); the caller filters the other answers on ``partner_id``"""
    Invitation = env["delivery.survey.invitation"]
    return SQL(
        """
        SELECT r.partner_id, r.company_id, r.user_id, r.rated_on AS answered_at,
               r.rating >= %(rating_satisfied)s AS satisfied
          FROM (%(ratings)s) r
        UNION ALL
        SELECT v.partner_id, v.company_id, v.user_id, v.visit_date,
               v.satisfaction_score::int >= %(visit_satisfied)s
          FROM delivery_visit v
         WHERE v.state = 'done' AND v.satisfaction_score IS NOT NULL
           AND v.visit_date IS NOT NULL
        UNION ALL
        SELECT i.partner_id,
               coalesce(i.company_id,
                        (SELECT min(id) FROM res_company WHERE active)),
               p.account_manager_id, ui.end_datetime,
               avg(l.answer_score) >= %(survey_satisfied)s
          FROM delivery_survey_invitation i
          JOIN res_partner p ON p.id = i.partner_id
          JOIN survey_user_input ui ON ui.id = i.user_input_id
          JOIN survey_user_input_line l ON l.user_input_id = ui.id
         WHERE ui.state = 'done' AND ui.end_datetime IS NOT NULL AND %(rated)s
         GROUP BY i.id, i.partner_id, i.company_id, p.account_manager_id, ui.id,
                  ui.end_datetime
        """,
        rating_satisfied=RATING_LIMIT_SATISFIED,
        ratings=counted_ratings(partner_ids, owned=credited),
        visit_satisfied=VISIT_SATISFIED_SCORE,
        survey_satisfied=SURVEY_SATISFIED_SCORE,
        rated=Invitation._rated_lines_condition(),
    )


class DeliverySatisfactionTrendReport(models.Model):
    """Satisfaction per month (of the company's time zone) and company — the share of
    satisfied answers among the ratings of requests, the scores of return visits and
    the completed satisfaction surveys, as in the evaluation — against the company's
    satisfaction target. A month without answers has no row: it is "no data", not
    0 % nor below the target."""

    _name = "delivery.satisfaction.trend.report"
    _description = "Satisfaction by month"
    _auto = False
    _order = "month desc, company_id"
    _rec_name = "month"
    _depends = SATISFACTION_ANSWER_DEPENDS | {
        "res.company": ["active", "partner_id", "delivery_target_satisfaction"],
        "res.partner": ["account_manager_id", "commercial_partner_id", "tz"],
    }

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
            WITH zones AS (%(zones)s),
            answers AS (%(answers)s),
            monthly AS (
                SELECT %(month)s AS month, a.company_id, count(*) AS answers,
                       count(*) FILTER (WHERE a.satisfied) AS satisfied
                  FROM answers a
                  JOIN zones z ON z.company_id = a.company_id
                 GROUP BY 1, 2
            )
            SELECT row_number() OVER (ORDER BY m.month, m.company_id) AS id,
                   m.month, m.company_id,
                   m.answers AS answer_count, m.satisfied AS satisfied_count,
                   %(satisfaction)s AS satisfaction,
                   co.delivery_target_satisfaction AS target,
                   coalesce(%(below)s, FALSE) AS below_target
              FROM monthly m
              JOIN res_company co ON co.id = m.company_id
            """,
            zones=company_time_zones(self.env.user.tz),
            answers=satisfaction_answers(self.env),
            month=local_month(SQL("a.answered_at"), SQL("z.tz")),
            satisfaction=percent(SQL("m.satisfied"), SQL("m.answers")),
            below=misses_at_least(
                SQL("m.satisfied"), SQL("m.answers"), SQL("co.delivery_target_satisfaction")
            ),
        )
