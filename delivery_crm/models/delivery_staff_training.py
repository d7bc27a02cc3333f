from odoo import api, fields, models
from odoo.exceptions import ValidationError


class DeliveryStaffTraining(models.Model):
    """A training attended or an exam taken by a staff member (000 §四(二): 岗前培训 and
    regular training; 003 §2.1: 培训与考核). Feeds the staff KPIs."""

    _name = "delivery.staff.training"
    _description = "Staff training or exam"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Course or exam", required=True, tracking=True)
    kind = fields.Selection(
        [("training", "Training"), ("exam", "Exam")], required=True, default="training"
    )
    topic = fields.Selection(
        [
            ("induction", "Induction (pre-job)"),
            ("service", "Service standards and etiquette"),
            ("product", "Products and delivery operations"),
            ("complaint", "Complaint handling"),
            ("security", "Information security"),
            ("other", "Other"),
        ],
        required=True,
        default="service",
    )
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

    def action_done(self):
        self.write({"state": "done"})
        return True

    def action_missed(self):
        self.write({"state": "missed"})
        return True
