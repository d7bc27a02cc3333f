from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED

from .delivery_visit import SATISFIED_SCORE


class DeliveryStaffKpiReport(models.Model):
    """Staff performance per person and month (R10; 000 §七, 001 §十, 003 §2.2): customers
    developed, satisfaction of their customers, complaints attributed to them, SLA
    compliance and times of the requests they own, visits planned and done, training.

    Each figure is counted in the month of its event: a conversion, a request's
    resolution, a rating, a visit, a training. ``customers_count`` is the customers the
    person manages today, repeated on each of their rows."""

    _name = "delivery.staff.kpi.report"
    _description = "Staff performance"
    _auto = False
    _order = "month desc, user_id"
    _rec_name = "user_id"

    month = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", string="Staff member", readonly=True)
    team_id = fields.Many2one("delivery.service.team", string="Service team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customers_count = fields.Integer(string="Customers managed", readonly=True, aggregator="max")
    customers_developed = fields.Integer(string="Customers developed", readonly=True)
    satisfaction = fields.Float(string="Satisfaction (%)", readonly=True, aggregator="avg")
    satisfaction_count = fields.Integer(string="Satisfaction answers", readonly=True)
    satisfied_count = fields.Integer(string="Satisfied answers", readonly=True)
    complaints_attributed = fields.Integer(string="Complaints attributed", readonly=True)
    sla_met = fields.Integer(string="Requests within SLA", readonly=True)
    sla_total = fields.Integer(string="Requests resolved", readonly=True)
    sla_compliance = fields.Float(string="SLA compliance (%)", readonly=True, aggregator="avg")
    first_response_hours = fields.Float(
        string="Mean first response (h)", readonly=True, aggregator="avg"
    )
    resolution_hours = fields.Float(string="Mean resolution (h)", readonly=True, aggregator="avg")
    visits_planned = fields.Integer(string="Visits planned", readonly=True)
    visits_done = fields.Integer(string="Visits done", readonly=True)
    trainings_done = fields.Integer(string="Trainings done", readonly=True)
    training_hours = fields.Float(string="Training hours", readonly=True)
    exam_score = fields.Float(string="Mean exam score", readonly=True, aggregator="avg")

    @property
    def _table_query(self):
        return SQL(
            """
            WITH events AS (
                -- customers developed: conversions credited to the developer
                SELECT p.converted_by_id AS user_id, p.conversion_date AS day,
                       1 AS developed, 0 AS attributed, 0 AS resolved, 0 AS met,
                       NULL::float AS first_response, NULL::float AS resolution,
                       0 AS answers, 0 AS satisfied, 0 AS planned, 0 AS visited,
                       0 AS trainings, 0::float AS training_hours, NULL::float AS exam
                  FROM res_partner p
                 WHERE p.converted_by_id IS NOT NULL AND p.conversion_date IS NOT NULL
                UNION ALL
                -- complaints attributed to their responsible person
                SELECT c.responsible_id, c.received_date::date,
                       0, 1, 0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL
                  FROM delivery_complaint c
                 WHERE c.responsible_id IS NOT NULL AND c.request_type = 'complaint'
                   AND c.active
                UNION ALL
                -- requests owned and resolved: SLA compliance and times
                SELECT c.user_id, c.resolved_date::date, 0, 0, 1,
                       (c.sla_response_status = 'met'
                        AND c.sla_resolution_status = 'met')::int,
                       c.first_response_time, c.resolution_time,
                       0, 0, 0, 0, 0, 0, NULL
                  FROM delivery_complaint c
                 WHERE c.user_id IS NOT NULL AND c.resolved_date IS NOT NULL AND c.active
                UNION ALL
                -- ratings of the requests they own
                SELECT c.user_id, r.rated_on::date, 0, 0, 0, 0, NULL, NULL,
                       1, (r.rating >= %(rating_satisfied)s)::int, 0, 0, 0, 0, NULL
                  FROM rating_rating r
                  JOIN delivery_complaint c ON c.id = r.res_id
                 WHERE r.res_model = 'delivery.complaint' AND r.consumed AND r.rating > 0
                   AND c.user_id IS NOT NULL AND r.rated_on IS NOT NULL
                UNION ALL
                -- return-visit scores of the visits they made
                SELECT v.user_id, v.visit_date::date, 0, 0, 0, 0, NULL, NULL,
                       1, (v.satisfaction_score::int >= %(visit_satisfied)s)::int,
                       0, 0, 0, 0, NULL
                  FROM delivery_visit v
                 WHERE v.state = 'done' AND v.satisfaction_score IS NOT NULL
                UNION ALL
                -- visits planned (not cancelled) in the month of their plan
                SELECT v.user_id, v.planned_date::date, 0, 0, 0, 0, NULL, NULL, 0, 0,
                       1, 0, 0, 0, NULL
                  FROM delivery_visit v
                 WHERE v.state != 'cancelled'
                UNION ALL
                -- visits done in the month of the visit
                SELECT v.user_id, v.visit_date::date, 0, 0, 0, 0, NULL, NULL, 0, 0,
                       0, 1, 0, 0, NULL
                  FROM delivery_visit v
                 WHERE v.state = 'done'
                UNION ALL
                -- trainings and exams done
                SELECT t.user_id, t.date, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0,
                       1, t.hours, CASE WHEN t.kind = 'exam' THEN t.score END
                  FROM delivery_staff_training t
                 WHERE t.state = 'done'
            ), monthly AS (
                SELECT e.user_id, date_trunc('month', e.day)::date AS month,
                       sum(e.developed) AS developed, sum(e.attributed) AS attributed,
                       sum(e.resolved) AS resolved, sum(e.met) AS met,
                       avg(e.first_response) AS first_response,
                       avg(e.resolution) AS resolution,
                       sum(e.answers) AS answers, sum(e.satisfied) AS satisfied,
                       sum(e.planned) AS planned, sum(e.visited) AS visited,
                       sum(e.trainings) AS trainings, sum(e.training_hours) AS hours,
                       avg(e.exam) AS exam
                  FROM events e
                 WHERE e.user_id IS NOT NULL AND e.day IS NOT NULL
                 GROUP BY 1, 2
            ), managed AS (
                SELECT account_manager_id AS user_id, count(*) AS customers
                  FROM res_partner
                 WHERE is_delivery_customer AND active AND account_manager_id IS NOT NULL
                 GROUP BY 1
            ), team AS (
                SELECT user_id, min(team_id) AS team_id FROM (
                    SELECT leader_id AS user_id, id AS team_id
                      FROM delivery_service_team WHERE leader_id IS NOT NULL AND active
                    UNION ALL
                    SELECT r.user_id, r.team_id
                      FROM delivery_service_team_member_rel r
                      JOIN delivery_service_team t ON t.id = r.team_id AND t.active
                ) memberships
                 GROUP BY 1
            )
            SELECT row_number() OVER (ORDER BY m.month, m.user_id) AS id,
                   m.month, m.user_id, team.team_id, u.company_id,
                   coalesce(managed.customers, 0) AS customers_count,
                   m.developed AS customers_developed,
                   CASE WHEN m.answers > 0
                        THEN round(m.satisfied * 100.0 / m.answers, 2) ELSE 0 END
                       AS satisfaction,
                   m.answers AS satisfaction_count,
                   m.satisfied AS satisfied_count,
                   m.attributed AS complaints_attributed,
                   m.met AS sla_met,
                   m.resolved AS sla_total,
                   CASE WHEN m.resolved > 0
                        THEN round(m.met * 100.0 / m.resolved, 2) ELSE 0 END
                       AS sla_compliance,
                   coalesce(m.first_response, 0) AS first_response_hours,
                   coalesce(m.resolution, 0) AS resolution_hours,
                   m.planned AS visits_planned,
                   m.visited AS visits_done,
                   m.trainings AS trainings_done,
                   m.hours AS training_hours,
                   coalesce(m.exam, 0) AS exam_score
              FROM monthly m
              JOIN res_users u ON u.id = m.user_id
              LEFT JOIN managed ON managed.user_id = m.user_id
              LEFT JOIN team ON team.user_id = m.user_id
            """,
            rating_satisfied=RATING_LIMIT_SATISFIED,
            visit_satisfied=SATISFIED_SCORE,
        )
