from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools.misc import format_datetime

from .delivery_constants import GROUP_MANAGER

CHANNELS = [
    ("phone", "Phone call"),
    ("meeting", "Meeting"),
    ("email", "E-mail"),
    ("wechat", "WeChat"),
    ("sms", "SMS / message"),
    ("other", "Other"),
]
# a phone's clock may run a little ahead: a contact logged up to this much in the
# future is accepted
CLOCK_TOLERANCE = timedelta(minutes=5)
# what a logged contact was (with whom, how, when, logged by whom): kept as logged,
# corrected by a manager only (task fix16); the plan fulfilled and the figures of the
# key-account plans follow them
LOGGED_FIELDS = ("partner_id", "channel", "date", "user_id")


class DeliveryCommunication(models.Model):
    """One contact with a customer (沟通记录, 001 §五.3; R5): a call, a meeting, an
    e-mail or a message, when, who took part on both sides, what was said, what the
    customer answered and what comes next. Logging one fulfils the customer's
    communication plans of its channel (``delivery.communication.plan._fulfil``)."""

    _name = "delivery.communication"
    _inherit = ["mail.thread"]
    _description = "Customer communication"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Subject", required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        tracking=True,
        domain=[("is_delivery_customer", "=", True)],
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date = fields.Datetime(
        string="When", required=True, default=fields.Datetime.now, index=True, tracking=True
    )
    channel = fields.Selection(CHANNELS, required=True, default="phone", tracking=True)
    direction = fields.Selection(
        [("out", "Outgoing"), ("in", "Incoming")],
        required=True,
        default="out",
        help="Outgoing: we contacted the customer; incoming: the customer contacted us.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Logged by",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        index=True,
    )
    user_ids = fields.Many2many(
        "res.users",
        "delivery_communication_user_rel",
        "communication_id",
        "user_id",
        string="Our participants",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    contact_ids = fields.Many2many(
        "res.partner",
        "delivery_communication_contact_rel",
        "communication_id",
        "partner_id",
        string="Customer participants",
        domain="[('parent_id', '=', partner_id)]",
    )
    content = fields.Text(required=True, help="What was discussed.")
    feedback = fields.Text(string="Customer feedback")
    next_steps = fields.Text(string="Next steps")
    follow_up_date = fields.Date(
        string="Follow up on",
        help="A follow-up activity on the customer for the person who logged the "
        "communication, due this day.",
    )
    plan_id = fields.Many2one(
        "delivery.communication.plan",
        string="Plan fulfilled",
        index=True,
        ondelete="set null",
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
        help="The communication plan whose due contact this record fulfils; found from "
        "the customer and the channel when left empty.",
    )

    @api.constrains("partner_id", "plan_id")
    def _check_plan(self):
        for record in self.filtered("plan_id"):
            if record.plan_id.partner_id != record.partner_id:
                raise ValidationError(
                    self.env._(
                        "The communication plan %(plan)s is not a plan of %(customer)s.",
                        plan=record.plan_id.name,
                        customer=record.partner_id.display_name,
                    )
                )

    @api.constrains("date")
    def _check_date(self):
        now = fields.Datetime.now()
        for record in self:
            if record.date and record.date > now + CLOCK_TOLERANCE:
                raise ValidationError(
                    self.env._(
                        "A communication is logged once it happened: %(date)s is in the future.",
                        date=format_datetime(self.env, record.date),
                    )
                )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id.company_id:
            self.company_id = self.partner_id.company_id

    def _check_logged_fields(self, vals_list, creating=False):
        """Staff log their own contacts, and what a logged contact was stays as logged:
        a manager (or the system) corrects it."""
        if self.env.su or self.env.user.has_group(GROUP_MANAGER):
            return
        for vals in vals_list:
            if creating:
                if vals.get("user_id") and vals["user_id"] != self.env.uid:
                    raise AccessError(
                        self.env._(
                            "You log your own contacts: a contact on behalf of a colleague "
                            "is logged by them or by a manager."
                        )
                    )
                continue
            changed = [
                name
                for name in LOGGED_FIELDS
                if name in vals
                and any(record[name] != record._logged_value(name, vals[name]) for record in self)
            ]
            if changed:
                raise AccessError(
                    self.env._(
                        "%(fields)s of a communication are kept as logged: ask a manager "
                        "to correct them.",
                        fields=", ".join(
                            self._fields[name]._description_string(self.env) for name in changed
                        ),
                    )
                )

    def _logged_value(self, name, value):
        """``value`` as written to the field ``name`` reads on this record."""
        field = self._fields[name]
        return field.convert_to_record(field.convert_to_cache(value, self), self)

    @api.model_create_multi
    def create(self, vals_list):
        self._check_logged_fields(vals_list, creating=True)
        records = super().create(vals_list)
        self.env["delivery.communication.plan"]._fulfil(records)
        records._schedule_follow_up()
        records._log_on_customer()
        # task pros: a contact with a prospect is a follow-up of it
        for record in records:
            record.partner_id._register_prospect_followup(record._day())
        return records

    def write(self, vals):
        self._check_logged_fields([vals])
        return super().write(vals)

    def _day(self):
        """The day of the contact, in the user's timezone."""
        self.ensure_one()
        return fields.Date.context_today(self, self.date)

    def _schedule_follow_up(self):
        """The next step with a date becomes an activity on the customer."""
        for record in self.filtered("follow_up_date"):
            # sudo: the activity is on the customer the user just logged a contact with
            # (the create passed the access checks); staff cannot write every profile
            record.partner_id.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=record.follow_up_date,
                summary=self.env._("Follow-up: %(subject)s", subject=record.name),
                note=record.next_steps or "",
                user_id=record.user_id.id,
            )

    def _log_on_customer(self):
        """The customer's history says a contact took place (not what was said: the
        record holds the content, for those who may read it)."""
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for record in self:
            # sudo: a log note on the customer the user just logged a contact with
            record.partner_id.sudo()._message_log(
                body=self.env._(
                    "Communication logged: %(channel)s, %(subject)s (%(user)s)",
                    channel=channels[record.channel],
                    subject=record.name,
                    user=record.user_id.name,
                )
            )
