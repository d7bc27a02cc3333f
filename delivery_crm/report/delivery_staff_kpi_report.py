from odoo import fields, models
from odoo.tools import SQL

from ..models.delivery_rates import (
    company_time_zones,
    counted_complaint,
    local_month,
    misses_at_least,
    percent,
    sla_met,
)
from ..models.res_partner import CONVERSION_CREDIT_DEPENDS
from .delivery_satisfaction_trend_report import (
    SATISFACTION_ANSWER_DEPENDS,
    satisfaction_answers,
)
from .delivery_training_compliance_report import training_compliance_query


def merged_depends(*depends):
    """The union of ``_depends`` dictionaries, model by model."""
    merged = {}
    for depend in depends:
        for model, names in depend.items():
            merged[model] = sorted({*merged.get(model, []), *names})
    return merged


class DeliveryStaffKpiReport(models.Model):
    """Staff performance per person and month (R10; 000 §七, 001 §十, 003 §2.2): customers
    developed, satisfaction of their customers, complaints attributed to them, SLA
    compliance and times of the requests they own, visits planned and done, training.

    Each figure is counted in the month (of the person's company time zone) of its
    event: a conversion, a request's resolution, a satisfaction answer, a visit, a
    training. Satisfaction counts the answers the evaluation counts, credited to the
    owner of the rated request, to the visitor of a return visit and to the account
    manager of a customer answering a survey. A rate, a mean time or a satisfaction
    without anything to measure is "no data" (empty), never 0, and stays out of the
    averages; the company's targets flag the figures that miss them.
    ``customers_count`` is the customers the person manages today, repeated on each of
    their rows."""

    _name = "delivery.staff.kpi.report"
    _description = "Staff performance"
    _auto = False
    _order = "month desc, user_id"
    _rec_name = "user_id"
    _depends = SATISFACTION_ANSWER_DEPENDS | {
        "res.partner": [
            "commercial_partner_id",
            "account_manager_id",
            "converted_by_id",
            "conversion_date",
            "is_delivery_customer",
            "active",
            "tz",
        ],
        "delivery.complaint": [
            "partner_id",
            "company_id",
            "user_id",
            "responsible_id",
            "counts_as_complaint",
            "active",
            "received_date",
            "resolved_date",
            "sla_response_status",
            "sla_resolution_status",
            "first_response_time",
            "resolution_time",
            "reopened_date",
        ],
        "delivery.visit": [
            "partner_id",
            "company_id",
            "user_id",
            "state",
            "visit_date",
            "planned_date",
            "satisfaction_score",
            "check_in_date",
            "location_status",
        ],
        "delivery.staff.training": ["user_id", "date", "state", "kind", "hours", "score"],
        "delivery.service.team": ["leader_id", "member_ids", "active"],
        "res.users": ["company_id"],
        # task train: awards and sanctions, training compliance
        "delivery.staff.recognition": ["user_id", "date", "positive"],
        "delivery.training.plan": ["active", "role_ids", "interval_months", "due_soon_days"],
        "res.company": [
            "active",
            "partner_id",
            "delivery_target_satisfaction",
            "delivery_target_first_response_hours",
            "delivery_target_resolution_hours",
        ],
    }
    # task pros: and the conversion credit rule's columns
    _depends = merged_depends(_depends, CONVERSION_CREDIT_DEPENDS)

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
    requests_reopened = fields.Integer(
        string="Reopened: not satisfied",
        readonly=True,
        help="Requests they own that the customer sent back, not satisfied with the "
        "resolution, counted in the month of the last reopening.",
    )
    sla_met = fields.Integer(string="Requests within SLA", readonly=True)
    sla_total = fields.Integer(string="Requests resolved", readonly=True)
    sla_compliance = fields.Float(string="SLA compliance (%)", readonly=True, aggregator="avg")
    first_response_hours = fields.Float(
        string="Mean first response (h)", readonly=True, aggregator="avg"
    )
    resolution_hours = fields.Float(string="Mean resolution (h)", readonly=True, aggregator="avg")
    visits_planned = fields.Integer(string="Visits planned", readonly=True)
    visits_done = fields.Integer(string="Visits done", readonly=True)
    checkins_far = fields.Integer(
        string="Check-ins far",
        readonly=True,
        help="Check-ins farther from the customer than the company's radius, in the month "
        "of the check-in.",
    )
    checkins_uncertain = fields.Integer(
        string="Check-ins uncertain",
        readonly=True,
        help="Check-ins whose position the phone gave less accurately than the company's "
        "radius, in the month of the check-in.",
    )
    trainings_done = fields.Integer(string="Trainings done", readonly=True)
    training_hours = fields.Float(string="Training hours", readonly=True)
    exam_score = fields.Float(string="Mean exam score", readonly=True, aggregator="avg")
    satisfaction_target = fields.Float(
        string="Satisfaction target (%)", readonly=True, aggregator="max"
    )
    first_response_target = fields.Float(
        string="First response target (h)", readonly=True, aggregator="max"
    )
    resolution_target = fields.Float(string="Solution target (h)", readonly=True, aggregator="max")
    satisfaction_below_target = fields.Boolean(string="Satisfaction below target", readonly=True)
    response_over_target = fields.Boolean(string="First response over target", readonly=True)
    resolution_over_target = fields.Boolean(string="Solution over target", readonly=True)
    # task train (issue 17 item 6): recognition and training compliance
    awards_count = fields.Integer(
        string="Awards and commendations",
        readonly=True,
        help="Awards, commendations and customer praise granted in the month.",
    )
    sanctions_count = fields.Integer(
        string="Criticisms and penalties", readonly=True, help="Given in the month."
    )
    trainings_overdue = fields.Integer(
        string="Trainings overdue",
        readonly=True,
        aggregator="max",
        help="The training plans the person is overdue on today, repeated on each of their rows.",
    )
    award_candidate = fields.Boolean(
        string="Award candidate",
        readonly=True,
        help="The month's satisfaction reached the target, and no complaint was attributed "
        "to the person nor any request reopened (000 §七(一)2).",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH zones AS (%(zones)s),
            staff AS (
                -- each staff member's months are those of their company's time zone
                SELECT u.id AS user_id, z.tz
                  FROM res_users u
                  JOIN zones z ON z.company_id = u.company_id
            ),
            answers AS (%(answers)s),
            sources AS (
                -- each source summed per staff member and month before the union (one
                -- row per source, staff member and month: the averages below are their
                -- source's); the events one row each (150k at 100k customers) were
                -- materialised, then read again to be summed
                -- customers developed: conversions credited to the developer
                SELECT p.converted_by_id AS user_id,
                       date_trunc('month', p.conversion_date)::date AS month,
                       count(*) AS developed, 0 AS attributed, 0 AS resolved, 0 AS met,
                       NULL::float AS first_response, NULL::float AS resolution,
                       0 AS reopened, 0 AS answers, 0 AS satisfied, 0 AS planned,
                       0 AS visited, 0 AS far, 0 AS uncertain, 0 AS trainings,
                       0::float AS hours, NULL::float AS exam, 0 AS awards, 0 AS sanctions
                  FROM res_partner p
                  JOIN staff s ON s.user_id = p.converted_by_id
                 WHERE p.converted_by_id IS NOT NULL AND p.conversion_date IS NOT NULL
                   AND %(conversion_credited)s
                 GROUP BY 1, 2
                UNION ALL
                -- complaints attributed to their responsible person
                SELECT c.responsible_id, %(received_month)s, 0, count(*), 0, 0, NULL, NULL,
                       0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0
                  FROM delivery_complaint c
                  JOIN staff s ON s.user_id = c.responsible_id
                 WHERE c.responsible_id IS NOT NULL AND %(counted_complaint)s
                 GROUP BY 1, 2
                UNION ALL
                -- requests owned and resolved: SLA compliance and times
                SELECT c.user_id, %(resolved_month)s, 0, 0, count(*), sum(%(sla_met)s::int),
                       avg(c.first_response_time), avg(c.resolution_time),
                       0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0
                  FROM delivery_complaint c
                  JOIN staff s ON s.user_id = c.user_id
                 WHERE c.user_id IS NOT NULL AND c.resolved_date IS NOT NULL AND c.active
                 GROUP BY 1, 2
                UNION ALL
                -- requests the customer sent back, not satisfied (003 §6.1), in the month
                -- of their last reopening, against their owner
                SELECT c.user_id, %(reopened_month)s, 0, 0, 0, 0, NULL, NULL, count(*),
                       0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0
                  FROM delivery_complaint c
                  JOIN staff s ON s.user_id = c.user_id
                 WHERE c.user_id IS NOT NULL AND c.reopened_date IS NOT NULL AND c.active
                 GROUP BY 1, 2
                UNION ALL
                -- satisfaction answers credited to them: ratings of the requests they
                -- own, scores of the visits they made, surveys of their customers
                SELECT a.user_id, %(answer_month)s, 0, 0, 0, 0, NULL, NULL, 0,
                       count(*), sum(a.satisfied::int), 0, 0, 0, 0, 0, 0, NULL, 0, 0
                  FROM answers a
                  JOIN staff s ON s.user_id = a.user_id
                 WHERE a.answered_at IS NOT NULL
                 GROUP BY 1, 2
                UNION ALL
                -- visits planned (not cancelled) in the month of their plan
                SELECT v.user_id, %(planned_month)s, 0, 0, 0, 0, NULL, NULL, 0, 0, 0,
                       count(*), 0, 0, 0, 0, 0, NULL, 0, 0
                  FROM delivery_visit v
                  JOIN staff s ON s.user_id = v.user_id
                 WHERE v.state != 'cancelled' AND v.planned_date IS NOT NULL
                 GROUP BY 1, 2
                UNION ALL
                -- visits done in the month of the visit
                SELECT v.user_id, %(visited_month)s, 0, 0, 0, 0, NULL, NULL, 0, 0, 0,
                       0, count(*), 0, 0, 0, 0, NULL, 0, 0
                  FROM delivery_visit v
                  JOIN staff s ON s.user_id = v.user_id
                 WHERE v.state = 'done' AND v.visit_date IS NOT NULL
                 GROUP BY 1, 2
                UNION ALL
                -- check-ins (issue 16) far from the customer or with an uncertain
                -- position, in the month of the check-in
                SELECT v.user_id, %(check_in_month)s, 0, 0, 0, 0, NULL, NULL, 0, 0, 0,
                       0, 0, count(*) FILTER (WHERE v.location_status = 'far'),
                       count(*) FILTER (WHERE v.location_status = 'uncertain'),
                       0, 0, NULL, 0, 0
                  FROM delivery_visit v
                  JOIN staff s ON s.user_id = v.user_id
                 WHERE v.check_in_date IS NOT NULL AND v.state != 'cancelled'
                 GROUP BY 1, 2
                UNION ALL
                -- trainings and exams done
                SELECT t.user_id, date_trunc('month', t.date)::date, 0, 0, 0, 0, NULL,
                       NULL, 0, 0, 0, 0, 0, 0, 0, count(*), sum(t.hours),
                       avg(CASE WHEN t.kind = 'exam' THEN t.score END), 0, 0
                  FROM delivery_staff_training t
                  JOIN staff s ON s.user_id = t.user_id
                 WHERE t.state = 'done' AND t.date IS NOT NULL
                 GROUP BY 1, 2
                UNION ALL
                -- task train: awards and sanctions
                SELECT r.user_id, date_trunc('month', r.date)::date, 0, 0, 0, 0, NULL,
                       NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL,
                       count(*) FILTER (WHERE r.positive),
                       count(*) FILTER (WHERE NOT r.positive)
                  FROM delivery_staff_recognition r
                  JOIN staff s ON s.user_id = r.user_id
                 WHERE r.date IS NOT NULL
                 GROUP BY 1, 2
            ), overdue AS (
                SELECT user_id, count(*) AS plans
                  FROM (%(training_compliance)s) compliance
                 WHERE status = 'overdue'
                 GROUP BY 1
            ), monthly AS (
                -- bigint: the counts' type when they were summed event by event
                SELECT user_id, month,
                       sum(developed)::bigint AS developed,
                       sum(attributed)::bigint AS attributed,
                       sum(resolved)::bigint AS resolved, sum(met)::bigint AS met,
                       max(first_response) AS first_response,
                       max(resolution) AS resolution,
                       sum(answers)::bigint AS answers, sum(satisfied)::bigint AS satisfied,
                       sum(planned)::bigint AS planned, sum(visited)::bigint AS visited,
                       sum(far)::bigint AS far, sum(uncertain)::bigint AS uncertain,
                       sum(trainings)::bigint AS trainings, sum(hours) AS hours,
                       max(exam) AS exam, sum(reopened)::bigint AS reopened,
                       sum(awards)::bigint AS awards, sum(sanctions)::bigint AS sanctions
                  FROM sources
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
                   %(satisfaction)s AS satisfaction,
                   m.answers AS satisfaction_count,
                   m.satisfied AS satisfied_count,
                   m.attributed AS complaints_attributed,
                   m.reopened AS requests_reopened,
                   m.met AS sla_met,
                   m.resolved AS sla_total,
                   %(compliance)s AS sla_compliance,
                   m.first_response AS first_response_hours,
                   m.resolution AS resolution_hours,
                   m.planned AS visits_planned,
                   m.visited AS visits_done,
                   m.far AS checkins_far,
                   m.uncertain AS checkins_uncertain,
                   m.trainings AS trainings_done,
                   m.hours AS training_hours,
                   coalesce(m.exam, 0) AS exam_score,
                   co.delivery_target_satisfaction AS satisfaction_target,
                   co.delivery_target_first_response_hours AS first_response_target,
                   co.delivery_target_resolution_hours AS resolution_target,
                   coalesce(%(below_satisfaction)s, FALSE) AS satisfaction_below_target,
                   coalesce(m.first_response > co.delivery_target_first_response_hours,
                            FALSE) AS response_over_target,
                   coalesce(m.resolution > co.delivery_target_resolution_hours,
                            FALSE) AS resolution_over_target,
                   m.awards AS awards_count,
                   m.sanctions AS sanctions_count,
                   coalesce(overdue.plans, 0) AS trainings_overdue,
                   coalesce(NOT %(below_satisfaction)s AND m.attributed = 0
                            AND m.reopened = 0, FALSE) AS award_candidate
              FROM monthly m
              JOIN res_users u ON u.id = m.user_id
              JOIN res_company co ON co.id = u.company_id
              LEFT JOIN managed ON managed.user_id = m.user_id
              LEFT JOIN team ON team.user_id = m.user_id
              LEFT JOIN overdue ON overdue.user_id = m.user_id
            """,
            zones=company_time_zones(self.env.user.tz),
            training_compliance=training_compliance_query(fields.Date.context_today(self)),
            answers=satisfaction_answers(self.env, credited=True),
            counted_complaint=counted_complaint("c"),
            sla_met=sla_met("c"),
            conversion_credited=self.env["res.partner"]._conversion_credited_sql("p"),
            received_month=local_month(SQL("c.received_date"), SQL("s.tz")),
            resolved_month=local_month(SQL("c.resolved_date"), SQL("s.tz")),
            reopened_month=local_month(SQL("c.reopened_date"), SQL("s.tz")),
            planned_month=local_month(SQL("v.planned_date"), SQL("s.tz")),
            visited_month=local_month(SQL("v.visit_date"), SQL("s.tz")),
            check_in_month=local_month(SQL("v.check_in_date"), SQL("s.tz")),
            answer_month=local_month(SQL("a.answered_at"), SQL("s.tz")),
            satisfaction=percent(SQL("m.satisfied"), SQL("m.answers")),
            compliance=percent(SQL("m.met"), SQL("m.resolved")),
            below_satisfaction=misses_at_least(
                SQL("m.satisfied"), SQL("m.answers"), SQL("co.delivery_target_satisfaction")
            ),
        )

    def action_grant_recognition(self):
        """A manager grants an award to the person of a performance row (the
        recognition's own checks refuse anyone else)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "delivery.staff.recognition",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_user_id": self.user_id.id,
                "default_kind": "award",
                "default_reason": "satisfaction",
                "default_date": self.month,
            },
        }
