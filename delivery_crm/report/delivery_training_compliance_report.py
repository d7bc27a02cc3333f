from odoo import fields, models
from odoo.tools import SQL

COMPLIANCE_STATUSES = [
    ("compliant", "Compliant"),
    ("due_soon", "Due soon"),
    ("overdue", "Overdue"),
]


def training_compliance_query(today):
    """The one definition of training compliance: a row per training plan and person it
    concerns (an active internal user allowed in the plan's company, whatever their
    default company, holding one of the plan's roles, directly or through a role
    implying it), with the last time the person
    completed it, when it is next due and the status on ``today``.

    A training completes a plan when it is done and passed (an exam plan takes an exam)
    and is either the plan's own or, without a plan, of the plan's topic. A periodic
    plan is next due its interval after the last completion; never completed, from the
    plan's start or the person's (their user's creation), whichever is later. A plan to
    take once (induction) is due from the person's start until completed."""
    return SQL(
        """
        WITH RECURSIVE holders(gid, uid) AS (
            SELECT r.gid, r.uid FROM res_groups_users_rel r
            UNION
            SELECT i.hid, h.uid
              FROM holders h JOIN res_groups_implied_rel i ON i.gid = h.gid
        ), concerned AS (
            SELECT DISTINCT p.id AS plan_id, u.id AS user_id, p.company_id,
                   (u.create_date AT TIME ZONE 'UTC')::date AS started
              FROM delivery_training_plan p
              JOIN delivery_training_plan_role_rel pr ON pr.plan_id = p.id
              JOIN holders h ON h.gid = pr.group_id
              JOIN res_company_users_rel cu ON cu.cid = p.company_id AND cu.user_id = h.uid
              JOIN res_users u ON u.id = h.uid AND u.active AND NOT u.share
             WHERE p.active
        ), progress AS (
            SELECT c.plan_id, c.user_id, c.company_id, c.started,
                   max(t.date) FILTER (
                       WHERE t.state = 'done' AND t.passed
                         AND (p.kind = 'training' OR t.kind = 'exam')
                   ) AS last_done,
                   min(t.date) FILTER (WHERE t.state = 'planned') AS planned_date
              FROM concerned c
              JOIN delivery_training_plan p ON p.id = c.plan_id
              LEFT JOIN delivery_staff_training t
                ON t.user_id = c.user_id
               AND (t.plan_id = c.plan_id OR (t.plan_id IS NULL AND t.topic = p.topic))
             GROUP BY c.plan_id, c.user_id, c.company_id, c.started
        ), due AS (
            SELECT g.*, p.due_soon_days,
                   CASE
                       WHEN p.recurrence = 'once' THEN
                           CASE WHEN g.last_done IS NULL THEN g.started END
                       WHEN g.last_done IS NOT NULL THEN
                           (g.last_done + make_interval(months => p.interval_months))::date
                       ELSE greatest(p.date_start, g.started)
                   END AS next_due
              FROM progress g
              JOIN delivery_training_plan p ON p.id = g.plan_id
        )
        SELECT row_number() OVER (ORDER BY d.plan_id, d.user_id) AS id,
               d.plan_id, d.user_id, d.company_id, d.last_done, d.next_due,
               d.planned_date,
               CASE
                   WHEN d.next_due IS NULL THEN 'compliant'
                   WHEN d.next_due < %(today)s THEN 'overdue'
                   WHEN d.next_due <= %(today)s + d.due_soon_days THEN 'due_soon'
                   ELSE 'compliant'
               END AS status
          FROM due d
        """,
        today=today,
    )


class DeliveryTrainingCompliance(models.Model):
    """Training compliance per person and plan (000 §四(二), 003 §2.1): read-only, from
    the plans and the trainings recorded (``training_compliance_query``)."""

    _name = "delivery.training.compliance"
    _description = "Training compliance"
    _auto = False
    _order = "next_due, user_id"
    _rec_name = "plan_id"
    _depends = {
        "delivery.training.plan": [
            "active",
            "company_id",
            "role_ids",
            "recurrence",
            "interval_months",
            "date_start",
            "due_soon_days",
            "kind",
            "topic",
        ],
        "delivery.staff.training": [
            "user_id",
            "plan_id",
            "topic",
            "kind",
            "state",
            "passed",
            "date",
        ],
        "res.users": ["active", "share", "company_ids", "create_date"],
    }

    plan_id = fields.Many2one("delivery.training.plan", string="Training plan", readonly=True)
    user_id = fields.Many2one("res.users", string="Staff member", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    last_done = fields.Date(string="Last completed", readonly=True)
    next_due = fields.Date(string="Next due", readonly=True)
    planned_date = fields.Date(string="Planned on", readonly=True)
    status = fields.Selection(COMPLIANCE_STATUSES, readonly=True)

    @property
    def _table_query(self):
        return training_compliance_query(fields.Date.context_today(self))
