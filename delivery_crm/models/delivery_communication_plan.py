from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

UNITS = {"weeks": "weeks", "months": "months"}


class DeliveryCommunicationPlan(models.Model):
    """How the company keeps in touch with a key customer (001 §五.1): how often, by
    which channel, about what, and who takes part. When a contact is due, its owner
    gets an activity on the customer, and the plan moves to the next date."""

    _name = "delivery.communication.plan"
    _description = "Communication plan"
    _inherit = ["mail.thread", "delivery.cron.mixin"]
    _order = "next_date, id"
    _check_company_auto = True

    name = fields.Char(string="Subject", required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        domain=[("is_delivery_customer", "=", True)],
    )
    channel = fields.Selection(
        [
            ("phone", "Phone"),
            ("email", "Email"),
            ("meeting", "Meeting"),
            ("onsite", "On-site visit"),
            ("wechat", "WeChat"),
        ],
        required=True,
        default="phone",
        tracking=True,
    )
    interval_number = fields.Integer(string="Every", required=True, default=1)
    interval_unit = fields.Selection(
        [("weeks", "Weeks"), ("months", "Months")], required=True, default="months"
    )
    content = fields.Text(help="What to talk about: business review, plans, issues...")
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        check_company=True,
    )
    participant_ids = fields.Many2many(
        "res.users",
        "delivery_communication_plan_user_rel",
        "plan_id",
        "user_id",
        string="Colleagues",
        domain=[("share", "=", False)],
    )
    contact_ids = fields.Many2many(
        "res.partner",
        "delivery_communication_plan_contact_rel",
        "plan_id",
        "partner_id",
        string="Customer contacts",
        domain="[('parent_id', '=', partner_id)]",
    )
    next_date = fields.Date(
        string="Next contact", required=True, default=fields.Date.context_today, tracking=True
    )
    last_date = fields.Date(string="Last contact planned", readonly=True, copy=False)

    @api.constrains("interval_number")
    def _check_interval(self):
        for plan in self:
            if plan.interval_number < 1:
                raise ValidationError(
                    self.env._("%(name)s: the interval is at least 1.", name=plan.name)
                )

    @api.model
    def _cron_process_due(self):
        today = fields.Date.context_today(self)
        return self._cron_process_batches(
            [("next_date", "<=", today)], lambda plans: plans._schedule_contact()
        )

    def _schedule_contact(self):
        """One activity on the customer per due contact; the plan moves past today so
        that a second run finds nothing to do."""
        today = fields.Date.context_today(self)
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for plan in self:
            plan.partner_id.activity_schedule(
                "mail.mail_activity_data_call"
                if plan.channel == "phone"
                else "mail.mail_activity_data_meeting"
                if plan.channel in ("meeting", "onsite")
                else "mail.mail_activity_data_todo",
                date_deadline=plan.next_date,
                summary=self.env._(
                    "%(channel)s: %(subject)s", channel=channels[plan.channel], subject=plan.name
                ),
                note=plan.content or "",
                user_id=plan.user_id.id,
            )
            step = relativedelta(**{UNITS[plan.interval_unit]: plan.interval_number})
            next_date = plan.next_date
            while next_date <= today:
                next_date += step
            plan.write({"last_date": plan.next_date, "next_date": next_date})
