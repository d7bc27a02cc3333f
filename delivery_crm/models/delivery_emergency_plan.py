from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context

from .delivery_constants import REQUEST_TYPES


class DeliveryEmergencyPlan(models.Model):
    """An internal emergency plan of the after-sales service manual (002 §三.2.3
    应急预案): what triggers it and its steps, each done by a role (service staff, team
    leader, service-centre head, account manager, a department) with whom to contact.
    Activated on a request or a delivery exception, it gives each step's role an
    activity; it is never sent to a customer."""

    _name = "delivery.emergency.plan"
    _inherit = ["mail.thread"]
    _description = "Emergency plan"
    # the plans of a request's type first, then the general ones (NULLS LAST)
    _order = "request_type, sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", index=True)
    trigger = fields.Text(
        string="When to activate",
        translate=True,
        help="The situation the plan answers (e.g. a shipment lost, a depot out of service).",
    )
    request_type = fields.Selection(
        REQUEST_TYPES,
        string="Offered for requests of type",
        help="Offered first on requests of this type; leave empty for every request.",
    )
    step_ids = fields.One2many("delivery.emergency.plan.step", "plan_id", string="Steps", copy=True)
    step_count = fields.Integer(string="Number of steps", compute="_compute_step_count")
    activation_ids = fields.One2many(
        "delivery.emergency.activation", "plan_id", string="Activations", readonly=True
    )

    @api.depends("step_ids")
    def _compute_step_count(self):
        for plan in self:
            plan.step_count = len(plan.step_ids)

    # ------------------------------------------------------------------ activation
    def _activate(self, record, note=None):
        """Activate the plan on ``record`` (a request, a delivery exception or a major
        incident the user may change): one activity per step for the user of the step's role, the
        activation logged on the record and in the activation log. Nothing is sent to
        the customer."""
        self.ensure_one()
        if not self.active:
            raise UserError(self.env._("The emergency plan %(plan)s is archived.", plan=self.name))
        if not self.step_ids:
            raise UserError(
                self.env._(
                    "The emergency plan %(plan)s has no steps: it cannot be activated.",
                    plan=self.name,
                )
            )
        record.check_access("write")
        if (
            record._name in ("delivery.complaint", "delivery.major.incident")
            and record.state == "closed"
        ):
            raise UserError(self.env._("%(name)s is closed.", name=record.display_name))
        today = fields.Date.context_today(self)
        activities = self.env["mail.activity"]
        lines = []
        for step in self.step_ids:
            users, missing = step._assignees(record)
            note_html = Markup("<p>%s</p>") % step.action
            if step.contact_line():
                note_html += Markup("<p>%s</p>") % self.env._(
                    "Contact: %(contact)s", contact=step.contact_line()
                )
            if missing:
                note_html += Markup("<p>%s</p>") % missing
            for user in users:
                activities |= record.activity_schedule(
                    "delivery_crm.mail_activity_type_emergency_step",
                    date_deadline=today + timedelta(days=(step.deadline_hours or 0) // 24),
                    summary=self.env._(
                        "%(plan)s, step %(step)s", plan=self.name, step=step.sequence_number
                    ),
                    note=note_html,
                    user_id=user.id,
                )
            lines.append(
                Markup("<li>%s: %s (%s)</li>")
                % (step.role_label(), step.action, ", ".join(users.mapped("name")))
            )
        # sudo: the activation log is written by this method only (a system log); who
        # and when are set here, never from the caller's context
        self.env["delivery.emergency.activation"].with_context(
            clean_context(self.env.context)
        ).sudo().create(
            {
                "plan_id": self.id,
                "complaint_id": record.id if record._name == "delivery.complaint" else False,
                "exception_id": (
                    record.id if record._name == "delivery.shipment.exception" else False
                ),
                "incident_id": record.id if record._name == "delivery.major.incident" else False,
                "company_id": record.company_id.id,
                "user_id": self.env.uid,
                "date": fields.Datetime.now(),
                "note": note,
                "activity_count": len(activities),
            }
        )
        body = Markup("<p>%s</p>") % self.env._(
            "Emergency plan %(plan)s activated by %(user)s.",
            plan=self.name,
            user=self.env.user.name,
        )
        if note:
            body += Markup("<p>%s</p>") % note
        body += Markup("<ul>%s</ul>") % Markup("").join(lines)
        # an internal note: the plan is never sent to the customer
        record.message_post(body=body, subtype_xmlid="mail.mt_note", message_type="comment")
        return activities
