from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

TRAINING_TOPICS = [
    ("induction", "Induction (pre-job)"),
    ("service", "Service standards and etiquette"),
    ("product", "Products and delivery operations"),
    ("complaint", "Complaint handling"),
    ("security", "Information security"),
    ("other", "Other"),
]


class DeliveryStaffTraining(models.Model):
    """A training attended or an exam taken by a staff member (000 §四(二): 岗前培训 and
    regular training; 003 §2.1: 培训与考核). Feeds the staff KPIs."""

    _name = "delivery.staff.training"
    _description = "Staff training or exam"
    _inherit = ["mail.thread", "mail.activity.mixin", "delivery.system.field.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Course or exam", required=True, tracking=True)
    kind = fields.Selection(
        [("training", "Training"), ("exam", "Exam")], required=True, default="training"
    )
    topic = fields.Selection(TRAINING_TOPICS, required=True, default="service")
    user_id = fields.Many2one(
        "res.users",
        string="Staff member",
        required=True,
        index=True,
        tracking=True,
        domain=[("share", "=", False)],
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    hours = fields.Float(string="Duration (h)", default=1.0)
    trainer = fields.Char()
    state = fields.Selection(
        [("planned", "Planned"), ("done", "Done"), ("missed", "Missed")],
        required=True,
        default="planned",
        tracking=True,
    )
    score = fields.Float(help="Exam score out of 100.", tracking=True)
    pass_mark = fields.Float(default=60.0)
    passed = fields.Boolean(compute="_compute_passed", store=True)
    notes = fields.Text()
    # task train (issue 17 item 6): the plan it fulfils and why it was proposed
    plan_id = fields.Many2one(
        "delivery.training.plan",
        string="Training plan",
        index="btree_not_null",
        check_company=True,
        help="The plan this training fulfils; without a plan, a training counts for the "
        "plans of its topic.",
    )
    origin = fields.Selection(
        [
            ("manual", "Recorded"),
            ("plan", "Due by its plan"),
            ("failed_exam", "Failed exam"),
            ("kpi", "KPI below target"),
        ],
        required=True,
        default="manual",
        readonly=True,
    )
    source_training_id = fields.Many2one(
        "delivery.staff.training",
        string="Failed exam",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The failed exam this re-training was proposed for.",
    )
    kpi_month = fields.Date(
        string="KPI month",
        readonly=True,
        help="The month whose performance proposed this training.",
    )

    _one_retraining_per_exam = models.UniqueIndex(
        "(source_training_id) WHERE source_training_id IS NOT NULL"
    )
    _one_kpi_proposal = models.UniqueIndex(
        "(user_id, plan_id, kpi_month) WHERE kpi_month IS NOT NULL"
    )
    _system_fields = frozenset({"origin", "source_training_id", "kpi_month"})

    @api.depends("kind", "state", "score", "pass_mark")
    def _compute_passed(self):
        for record in self:
            record.passed = record.state == "done" and (
                record.kind == "training" or record.score >= record.pass_mark
            )

    @api.constrains("score", "pass_mark", "hours")
    def _check_values(self):
        for record in self:
            if not (0 <= record.score <= 100 and 0 <= record.pass_mark <= 100):
                raise ValidationError(
                    self.env._("%(name)s: scores are between 0 and 100.", name=record.name)
                )
            if record.hours < 0:
                raise ValidationError(
                    self.env._("%(name)s: the duration cannot be negative.", name=record.name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        model = self._check_system_fields_create(vals_list)
        records = super(DeliveryStaffTraining, model).create(vals_list)
        records._propose_retraining()
        return records

    def write(self, vals):
        self._check_system_fields(vals)
        result = super().write(vals)
        if {"state", "score", "pass_mark", "kind"} & set(vals):
            self._propose_retraining()
        return result

    def action_done(self):
        self.write({"state": "done"})
        return True

    def action_missed(self):
        self.write({"state": "missed"})
        return True

    # ------------------------------------------------------------ task train
    def _propose_retraining(self):
        """A failed exam proposes a re-training of its topic (003 §2.1: 培训结束后进行
        考核; 002 §五.2), once per exam, within the company's delay."""
        failed = self.filtered(lambda t: t.kind == "exam" and t.state == "done" and not t.passed)
        if not failed:
            return
        # sudo: reads whether a re-training exists, whoever recorded the exam (the
        # proposal itself is the module's bookkeeping, made below in superuser mode)
        proposed = (
            self.sudo()
            .with_context(active_test=False)
            .search([("source_training_id", "in", failed.ids)])
            .source_training_id
        )
        for exam in failed - proposed:
            plan = exam.plan_id or self.env["delivery.training.plan"].search(
                [("topic", "=", exam.topic), ("company_id", "=", exam.company_id.id)], limit=1
            )
            self._propose(
                exam.user_id,
                plan,
                reason=self.env._(
                    "Failed exam %(exam)s: %(score)s out of %(pass_mark)s needed.",
                    exam=exam.name,
                    score=exam.score,
                    pass_mark=exam.pass_mark,
                ),
                extra={
                    "origin": "failed_exam",
                    "source_training_id": exam.id,
                    "topic": exam.topic,
                    "name": self.env._("Re-training: %(exam)s", exam=exam.name),
                    "date": fields.Date.context_today(self)
                    + timedelta(days=exam.company_id.delivery_retraining_days),
                    "company_id": exam.company_id.id,
                },
            )

    @api.model
    def _plan_due(self, compliance_rows):
        """A planned training for each due compliance row (person and plan), on the day
        it is due (today if overdue)."""
        today = fields.Date.context_today(self)
        for row in compliance_rows:
            self._propose(
                row.user_id,
                row.plan_id,
                reason=self.env._(
                    "Due on %(date)s by the plan %(plan)s.",
                    date=row.next_due,
                    plan=row.plan_id.name,
                ),
                extra={"origin": "plan", "date": max(row.next_due or today, today)},
            )

    @api.model
    def _propose(self, user, plan, reason, extra):
        """The one way a training is proposed: a planned training for ``user`` (of
        ``plan`` if any), a to-do for them, and their team leaders told."""
        vals = {
            "user_id": user.id,
            "state": "planned",
            "date": fields.Date.context_today(self),
            "company_id": user.company_id.id,
            "notes": reason,
        }
        if plan:
            vals.update(
                plan_id=plan.id,
                name=plan.name,
                topic=plan.topic,
                kind=plan.kind,
                hours=plan.hours,
                company_id=plan.company_id.id,
            )
        vals.update(extra)
        vals.setdefault("name", self.env._("Training"))
        # sudo: the module's own proposal (origin, exam and month are system fields);
        # called by the cron and when a manager records a failed exam
        training = self.sudo().with_context(mail_create_nolog=True).create(vals)
        training.activity_schedule(
            "delivery_crm.mail_activity_type_training_due",
            date_deadline=training.date,
            summary=training.name,
            note=reason,
            user_id=user.id,
        )
        leaders = training._team_leaders() - user
        if leaders:
            training.message_subscribe(partner_ids=leaders.partner_id.ids)
            training.message_post(
                body=self.env._(
                    "Training proposed for %(user)s: %(reason)s", user=user.name, reason=reason
                ),
                partner_ids=leaders.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
        return training

    def _team_leaders(self):
        """The leaders of the active service teams the trainee leads or belongs to."""
        teams = self.env["delivery.service.team"].search(
            [
                "|",
                ("member_ids", "in", self.user_id.ids),
                ("leader_id", "in", self.user_id.ids),
            ]
        )
        return teams.leader_id
