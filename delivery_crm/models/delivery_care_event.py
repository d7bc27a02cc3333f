from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date

from .delivery_constants import GROUP_MANAGER

CARE_EVENT_KINDS = [
    ("appreciation", "Appreciation event"),
    ("training", "Training invitation"),
    ("invitation", "Activity invitation"),
    ("gift", "Gift"),
    ("custom_service", "Personalised service"),
    ("reward", "Reward"),
    ("other", "Other"),
]


class DeliveryCareEvent(models.Model):
    """A care action for a customer (客户关怀, 000 §三(五), 001 §八): an appreciation
    event (答谢会), a training invitation (培训), an invitation to an activity (health
    check, cultural event), a gift, a personalised service, a reward for an excellent
    customer (002 §四.4 嘉奖). Planning, completing or cancelling one is noted in the
    event's own chatter: the customer's care history is its care events, which their
    record rules show to those who may see them. Not in the customer's chatter, which
    every employee reads (security review M7)."""

    _name = "delivery.care.event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Customer care event"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Title", required=True, tracking=True)
    kind = fields.Selection(
        CARE_EVENT_KINDS, string="Type", required=True, default="appreciation", tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
        domain="[('is_delivery_customer', '=', True)]",
    )
    contact_ids = fields.Many2many(
        "res.partner",
        string="Contacts",
        domain="[('parent_id', '=', partner_id), ('is_company', '=', False)]",
        help="The customer's people invited or concerned.",
    )
    date = fields.Date(required=True, index=True, default=fields.Date.context_today, tracking=True)
    description = fields.Html()
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    cost = fields.Monetary(currency_field="currency_id", tracking=True)
    state = fields.Selection(
        [("planned", "Planned"), ("done", "Done"), ("cancelled", "Cancelled")],
        required=True,
        default="planned",
        tracking=True,
        index=True,
    )

    @api.constrains("cost")
    def _check_cost(self):
        if any(event.cost < 0 for event in self):
            raise ValidationError(self.env._("The cost of a care event cannot be negative."))

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("kind") == "reward" for vals in vals_list):
            self._check_can_reward()
        events = super().create(vals_list)
        for event in events:
            event._log_step("done" if event.state == "done" else "planned")
        return events

    def write(self, vals):
        if vals.get("kind") == "reward" or (
            "kind" in vals and any(event.kind == "reward" for event in self)
        ):
            self._check_can_reward()
        return super().write(vals)

    # ------------------------------------------------------------------ actions
    def action_done(self):
        if any(event.state != "planned" for event in self):
            raise UserError(self.env._("Only a planned care event can be marked done."))
        self.write({"state": "done"})
        for event in self:
            event._log_step("done")
        return True

    def action_cancel(self):
        if any(event.state != "planned" for event in self):
            raise UserError(self.env._("Only a planned care event can be cancelled."))
        self.write({"state": "cancelled"})
        for event in self:
            event._log_step("cancelled")
        return True

    def action_plan(self):
        if any(event.state != "cancelled" for event in self):
            raise UserError(self.env._("Only a cancelled care event can be planned again."))
        self.write({"state": "planned"})
        for event in self:
            event._log_step("planned")
        return True

    def _check_can_reward(self):
        """Rewarding a customer is a manager's decision (002 §四.4)."""
        if not self.env.su and not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(self.env._("Only Delivery CRM managers can give rewards."))

    # ------------------------------------------------------------------ history
    def _log_step(self, status):
        """Note the event, in its new ``status`` and with its value, in its own chatter."""
        self.ensure_one()
        values = {
            "event": self.name,
            "kind": dict(self._fields["kind"]._description_selection(self.env))[self.kind],
            "date": format_date(self.env, self.date),
        }
        if status == "done":
            body = self.env._("Care action done: %(event)s (%(kind)s, %(date)s)", **values)
        elif status == "cancelled":
            body = self.env._("Care action cancelled: %(event)s (%(kind)s, %(date)s)", **values)
        else:
            body = self.env._("Care action planned: %(event)s (%(kind)s, %(date)s)", **values)
        if self.cost:
            body = self.env._(
                "%(body)s, value %(cost)s", body=body, cost=self.currency_id.format(self.cost)
            )
        self._message_log(body=body)
