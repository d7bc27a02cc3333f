from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from .delivery_staff_training import TRAINING_TOPICS

# the staff KPI flags a plan can be proposed by (delivery.staff.kpi.report's booleans)
KPI_TRIGGERS = [
    ("satisfaction_below_target", "Satisfaction below target"),
    ("response_over_target", "First response over target"),
    ("resolution_over_target", "Solution over target"),
]


class DeliveryTrainingPlan(models.Model):
    """A training the staff of some roles must take, once before starting (induction,
    岗前培训, 003 §2.1) or again every so many months (定期培训, 000 §四(二)); and,
    optionally, the training a missed KPI target proposes (002 §五.2: 针对表现较差的人员
    进行培训). Who is compliant is ``delivery.training.compliance``; the daily cron
    ``_cron_plan_trainings`` plans what is due."""

    _name = "delivery.training.plan"
    _description = "Training plan"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(string="Course", required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    topic = fields.Selection(TRAINING_TOPICS, required=True, default="service")
    kind = fields.Selection(
        [("training", "Training"), ("exam", "Exam")],
        required=True,
        default="training",
        help="An exam plan is met by a passed exam only.",
    )
    role_ids = fields.Many2many(
        "res.groups",
        "delivery_training_plan_role_rel",
        "plan_id",
        "group_id",
        string="Roles",
        required=True,
        domain=lambda self: [
            ("privilege_id", "=", self.env.ref("delivery_crm.res_groups_privilege_delivery_crm").id)
        ],
        help="The staff holding one of these roles (a role includes the roles it implies: "
        "a manager is also service staff) must take the training.",
    )
    recurrence = fields.Selection(
        [("once", "Once, before starting"), ("periodic", "Periodically")],
        required=True,
        default="periodic",
    )
    interval_months = fields.Integer(string="Every (months)", default=12)
    date_start = fields.Date(
        string="Effective from",
        required=True,
        default=fields.Date.context_today,
        help="A periodic training never taken is due from this day (or from the day "
        "the person started, if later).",
    )
    due_soon_days = fields.Integer(
        string="Due soon (days before)",
        default=30,
        help="The training is planned, and shown as due soon, this many days before it is due.",
    )
    hours = fields.Float(string="Duration (h)", default=2.0)
    kpi_trigger = fields.Selection(
        KPI_TRIGGERS,
        string="Proposed when the KPI shows",
        help="When a staff member's monthly performance shows this, the training is "
        "proposed to them, once per month.",
    )
    description = fields.Text(string="Content")

    @api.constrains("recurrence", "interval_months", "due_soon_days", "hours")
    def _check_frequency(self):
        for plan in self:
            if plan.recurrence == "periodic" and plan.interval_months < 1:
                raise ValidationError(
                    self.env._(
                        "%(plan)s: a periodic training is repeated every month at least.",
                        plan=plan.name,
                    )
                )
            if plan.due_soon_days < 0 or plan.hours < 0:
                raise ValidationError(
                    self.env._(
                        "%(plan)s: the days before the due date and the duration cannot "
                        "be negative.",
                        plan=plan.name,
                    )
                )

    @api.constrains("role_ids")
    def _check_roles(self):
        privilege = self.env.ref("delivery_crm.res_groups_privilege_delivery_crm")
        for plan in self:
            if not plan.role_ids or plan.role_ids.filtered(lambda g: g.privilege_id != privilege):
                raise ValidationError(
                    self.env._(
                        "%(plan)s: choose the Delivery CRM roles the training is for.",
                        plan=plan.name,
                    )
                )

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_plan_trainings(self):
        """Daily: a planned training (and an activity) for each person whose plan is due
        soon or overdue and has no planned session yet; then the trainings the last
        month's missed KPI targets propose. Both are idempotent: what is planned is no
        longer due, a proposal exists once per person, plan and month."""
        Compliance = self.env["delivery.training.compliance"]
        due = Domain("status", "in", ("due_soon", "overdue")) & Domain("planned_date", "=", False)
        while True:
            rows = Compliance.search(due, limit=self.env["delivery.cron.mixin"]._cron_batch_size)
            if not rows:
                break
            self.env["delivery.staff.training"]._plan_due(rows)
            remaining = Compliance.search_count(due)
            if not self.env["ir.cron"]._commit_progress(len(rows), remaining=remaining):
                break
            if not remaining:
                break
        self._propose_for_kpis()

    @api.model
    def _propose_for_kpis(self, month=None):
        """The trainings proposed by the staff KPI of ``month`` (the last complete month
        by default): a plan with a KPI trigger, for each person it concerns whose month
        shows that flag, once per person, plan and month."""
        month = month or fields.Date.context_today(self).replace(day=1) - relativedelta(months=1)
        plans = self.search([("kpi_trigger", "!=", False)])
        if not plans:
            return
        Training = self.env["delivery.staff.training"]
        kpis = self.env["delivery.staff.kpi.report"].search([("month", "=", month)])
        concerned = self.env["delivery.training.compliance"].search(
            [("plan_id", "in", plans.ids), ("user_id", "in", kpis.user_id.ids)]
        )
        done = {
            (t.user_id.id, t.plan_id.id)
            for t in Training.with_context(active_test=False).search(
                [("kpi_month", "=", month), ("plan_id", "in", plans.ids)]
            )
        }
        for kpi in kpis:
            for row in concerned.filtered(lambda r, kpi=kpi: r.user_id == kpi.user_id):
                plan = row.plan_id
                if not kpi[plan.kpi_trigger] or (kpi.user_id.id, plan.id) in done:
                    continue
                done.add((kpi.user_id.id, plan.id))
                reason = self.env._(
                    "%(flag)s in %(month)s.",
                    flag=dict(self._fields["kpi_trigger"]._description_selection(self.env))[
                        plan.kpi_trigger
                    ],
                    month=month.strftime("%Y-%m"),
                )
                planned = Training.search(
                    [
                        ("user_id", "=", kpi.user_id.id),
                        ("plan_id", "=", plan.id),
                        ("state", "=", "planned"),
                    ],
                    limit=1,
                )
                if planned:
                    # the session already planned is the one the KPI calls for
                    planned._write_system({"kpi_month": month})
                    planned.message_post(body=reason)
                else:
                    Training._propose(
                        kpi.user_id,
                        plan,
                        reason=reason,
                        extra={"origin": "kpi", "kpi_month": month},
                    )
