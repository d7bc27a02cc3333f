from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

UNITS = {"weeks": "weeks", "months": "months"}


class DeliveryCommunicationPlan(models.Model):
    """How the company keeps in touch with a key customer (001 §五.1): how often, by
    which channel, about what, and who takes part.

    When a contact is due, the daily cron gives its owner one activity on the customer;
    the contact stays due (and is flagged overdue the day after) until a communication
    record of the plan's channel is logged for the customer (``_fulfil``): that closes
    the activity and moves the next date by the frequency, from the day of the contact.
    Plans stop for terminated customers: the cron skips them and terminating a customer
    archives its plans. A suspended customer keeps its plans: keeping in touch is how
    the cooperation resumes."""

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
        default="phone",
        tracking=True,
        help="The channel a contact must use to fulfil the plan; empty: any channel.",
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
    last_date = fields.Date(
        string="Last contact",
        readonly=True,
        copy=False,
        help="The day of the last communication that fulfilled the plan.",
    )
    activity_id = fields.Many2one(
        "mail.activity",
        string="Due activity",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The activity the due contact gave its owner; closed by the communication "
        "that fulfils it.",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        readonly=True,
        copy=False,
        index=True,
        help="The due contact's date has passed without a communication (set by the daily cron).",
    )
    communication_ids = fields.One2many(
        "delivery.communication", "plan_id", string="Communications", readonly=True
    )
    key_account_plan_id = fields.Many2one(
        "delivery.key.account.plan",
        string="Key-account plan",
        readonly=True,
        copy=False,
        ondelete="set null",
        index=True,
        help="The yearly key-account plan whose communication frequency this plan follows.",
    )

    @api.constrains("interval_number")
    def _check_interval(self):
        for plan in self:
            if plan.interval_number < 1:
                raise ValidationError(
                    self.env._("%(name)s: the interval is at least 1.", name=plan.name)
                )

    @api.model
    def _running_domain(self):
        """The plans that run: those of customers not terminated (archived plans are
        out by ``active``)."""
        return [("partner_id.customer_state", "!=", "terminated")]

    def _step(self):
        self.ensure_one()
        return relativedelta(**{UNITS[self.interval_unit]: self.interval_number})

    @api.model
    def _cron_process_due(self):
        """Daily: an activity for each contact falling due, and the overdue flag on the
        plans whose due day has passed. Each step's domain excludes what it has done."""
        today = fields.Date.context_today(self)
        running = self._running_domain()
        done = self._cron_process_batches(
            [*running, ("next_date", "<=", today), ("activity_id", "=", False)],
            lambda plans: plans._schedule_contact(),
        )
        done += self._cron_process_batches(
            [*running, ("next_date", "<", today), ("is_overdue", "=", False)],
            lambda plans: plans.write({"is_overdue": True}),
        )
        return done

    def _schedule_contact(self):
        """One activity on the customer per due contact (the plan keeps it until a
        communication fulfils the contact, so that a second run finds nothing to do)."""
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for plan in self:
            activity = plan.partner_id.activity_schedule(
                "mail.mail_activity_data_call"
                if plan.channel == "phone"
                else "mail.mail_activity_data_meeting"
                if plan.channel in ("meeting", "onsite")
                else "mail.mail_activity_data_todo",
                date_deadline=plan.next_date,
                summary=self.env._(
                    "%(channel)s: %(subject)s",
                    channel=channels.get(plan.channel) or self.env._("Contact"),
                    subject=plan.name,
                ),
                note=plan.content or "",
                user_id=plan.user_id.id,
            )
            plan.activity_id = activity

    def _fulfils(self, communication):
        """Whether ``communication`` fulfils this plan's due contact: same customer,
        the plan's channel (a meeting stands for an on-site contact; a plan without a
        channel takes any), and on or after the day the current period starts (the
        next date less the frequency)."""
        self.ensure_one()
        channel_ok = (
            not self.channel
            or self.channel == communication.channel
            or (self.channel == "onsite" and communication.channel == "meeting")
        )
        day = communication._day()
        return (
            self.partner_id == communication.partner_id
            and channel_ok
            and day >= self.next_date - self._step()
        )

    @api.model
    def _fulfil(self, communications):
        """The one place a communication fulfils plans: each running plan of the
        communication's customer it fulfils (``_fulfils``; the one it names, if it
        names one) moves to the day of the contact plus its frequency, loses its
        overdue flag, and its due activity is closed."""
        # sudo: the communications were created by a user with access to their
        # customers; only the plans' scheduling fields of those customers are written,
        # and staff may log a contact on a plan they may not edit
        Plan = self.sudo()
        for communication in communications:
            if communication.plan_id:
                plans = Plan.browse(communication.plan_id.id)
            else:
                plans = Plan.search(
                    [*self._running_domain(), ("partner_id", "=", communication.partner_id.id)]
                )
            plans = plans.filtered(lambda p, c=communication: p.active and p._fulfils(c))
            if not plans:
                continue
            day = communication._day()
            for plan in plans:
                activity = plan.activity_id
                plan.write(
                    {
                        "last_date": day,
                        "next_date": day + plan._step(),
                        "is_overdue": False,
                        "activity_id": False,
                    }
                )
                if activity.active:
                    activity.action_feedback(
                        feedback=self.env._(
                            "Done: communication %(subject)s", subject=communication.name
                        )
                    )
            if not communication.plan_id:
                # sudo: as above, the link is the plan the record fulfilled
                communication.sudo().plan_id = plans[0]

    @api.model
    def _stop_for_customers(self, partners):
        """Terminated customers: their plans are archived and their due activities
        cancelled."""
        # sudo: called when a customer is terminated, by whoever may terminate it
        plans = self.sudo().search([("partner_id", "in", partners.ids)])
        plans.activity_id.filtered("active").unlink()
        plans.write({"activity_id": False, "is_overdue": False})
        plans.action_archive()

    def action_log_communication(self):
        """The quick form to log a contact that fulfils this plan."""
        self.ensure_one()
        return self.partner_id._log_communication_action(
            plan=self, channel=self.channel if self.channel != "onsite" else "meeting"
        )
