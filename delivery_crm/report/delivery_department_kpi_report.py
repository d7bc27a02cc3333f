from odoo import fields, models
from odoo.tools import SQL

from ..models.delivery_rates import company_time_zones, counted_complaint, local_date, percent


class DeliveryDepartmentKpiReport(models.Model):
    """Department KPIs per department and month (issue 17 item 2, 002 §四.3.2, 001
    §七.2): the requests given to the department (month of receipt), their SLA kept
    (both clocks met, month of the resolution), the complaints attributed to it
    (month of receipt), and the tasks of requirements' action plans it carries out
    (month of their deadline): done, and overdue today. Months are in the company's
    time zone. A compliance without a request resolved is "no data" (empty)."""

    _name = "delivery.department.kpi.report"
    _description = "Department KPIs"
    _auto = False
    _order = "month desc, department_id"
    _rec_name = "department_id"
    _depends = {
        "delivery.complaint": [
            "department_id",
            "company_id",
            "active",
            "received_date",
            "resolved_date",
            "sla_response_status",
            "sla_resolution_status",
            "counts_as_complaint",
        ],
        "delivery.requirement.task": ["department_id", "company_id", "deadline", "state"],
        "res.company": ["partner_id"],
    }

    month = fields.Date(readonly=True)
    department_id = fields.Many2one("delivery.department", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    request_count = fields.Integer(string="Requests", readonly=True)
    sla_total = fields.Integer(string="Requests resolved", readonly=True)
    sla_met = fields.Integer(string="Resolved within SLA", readonly=True)
    sla_compliance = fields.Float(string="SLA kept (%)", readonly=True, aggregator="avg")
    complaints_attributed = fields.Integer(string="Complaints attributed", readonly=True)
    task_count = fields.Integer(string="Tasks due", readonly=True)
    tasks_done = fields.Integer(string="Tasks done", readonly=True)
    tasks_overdue = fields.Integer(string="Tasks overdue", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH zones AS (%(zones)s),
            events AS (
                -- requests given to the department, in the month of their receipt
                SELECT c.department_id, c.company_id, c.received_date AS at,
                       NULL::date AS day, 1 AS requests, 0 AS resolved, 0 AS met,
                       (%(counted_complaint)s)::int AS attributed,
                       0 AS tasks, 0 AS done, 0 AS overdue
                  FROM delivery_complaint c
                 WHERE c.department_id IS NOT NULL AND c.active
                UNION ALL
                -- their SLA, in the month of the resolution
                SELECT c.department_id, c.company_id, c.resolved_date, NULL, 0, 1,
                       (c.sla_response_status = 'met'
                        AND c.sla_resolution_status = 'met')::int,
                       0, 0, 0, 0
                  FROM delivery_complaint c
                 WHERE c.department_id IS NOT NULL AND c.active
                   AND c.resolved_date IS NOT NULL
                UNION ALL
                -- requirement tasks, in the month of their deadline
                SELECT t.department_id, t.company_id, NULL, t.deadline, 0, 0, 0, 0, 1,
                       (t.state = 'done')::int,
                       (t.state = 'open' AND t.deadline < %(today)s)::int
                  FROM delivery_requirement_task t
                 WHERE t.department_id IS NOT NULL
            ), monthly AS (
                SELECT e.department_id, e.company_id,
                       date_trunc('month', coalesce(e.day, %(local_day)s))::date AS month,
                       sum(e.requests) AS requests, sum(e.resolved) AS resolved,
                       sum(e.met) AS met, sum(e.attributed) AS attributed,
                       sum(e.tasks) AS tasks, sum(e.done) AS done,
                       sum(e.overdue) AS overdue
                  FROM events e
                  JOIN zones z ON z.company_id = e.company_id
                 GROUP BY 1, 2, 3
            )
            SELECT row_number() OVER (ORDER BY m.month, m.department_id, m.company_id) AS id,
                   m.month, m.department_id, m.company_id,
                   m.requests AS request_count,
                   m.resolved AS sla_total,
                   m.met AS sla_met,
                   %(compliance)s AS sla_compliance,
                   m.attributed AS complaints_attributed,
                   m.tasks AS task_count,
                   m.done AS tasks_done,
                   m.overdue AS tasks_overdue
              FROM monthly m
            """,
            zones=company_time_zones(self.env.user.tz),
            counted_complaint=counted_complaint("c"),
            today=fields.Date.context_today(self),
            local_day=local_date(SQL("e.at"), SQL("z.tz")),
            compliance=percent(SQL("m.met"), SQL("m.resolved")),
        )
