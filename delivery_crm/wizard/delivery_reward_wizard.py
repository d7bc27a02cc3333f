from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.delivery_constants import GROUP_MANAGER


class DeliveryRewardWizard(models.TransientModel):
    """A manager rewards an excellent customer (客户嘉奖, 002 §四.4; 000 §六(三).2): the
    reward is recorded as a done care event (so it is in the customer's history) and
    the customer is no longer a reward candidate."""

    _name = "delivery.reward.wizard"
    _description = "Give a reward to a customer"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        domain="[('is_delivery_customer', '=', True)]",
    )
    description = fields.Char(string="Reward", required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    value = fields.Monetary(currency_field="currency_id")
    note = fields.Html(string="Details")
    # task train (issue 17 item 6): an excellent customer commends its account manager
    # (000 §七(一)3: 优秀客户维护奖)
    commend_user_id = fields.Many2one(
        "res.users",
        string="Commend the account manager",
        compute="_compute_commend_user_id",
        store=True,
        readonly=False,
        domain=[("share", "=", False)],
        help="Recorded as a commendation for customer relationship maintenance on the "
        "staff member's performance. Leave empty to reward the customer only.",
    )

    @api.depends("partner_id")
    def _compute_commend_user_id(self):
        # nobody commends themselves: a manager who is the customer's own account manager
        # rewards the customer only (another manager may record the commendation)
        for wizard in self:
            manager = wizard.partner_id.account_manager_id
            wizard.commend_user_id = manager if manager != self.env.user else False

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(self.env._("Only Delivery CRM managers can give rewards."))
        description = (self.description or "").strip()
        if not description:
            raise UserError(self.env._("Describe the reward."))
        if self.value < 0:
            raise UserError(self.env._("The value of a reward cannot be negative."))
        self.env["delivery.care.event"].create(
            {
                "name": description,
                "kind": "reward",
                "partner_id": self.partner_id.id,
                "date": self.date,
                "cost": self.value,
                "description": self.note,
                "company_id": self.company_id.id,
                "state": "done",
            }
        )
        if self.commend_user_id:
            self.env["delivery.staff.recognition"].create(
                {
                    "user_id": self.commend_user_id.id,
                    "kind": "commendation",
                    "reason": "maintenance",
                    "partner_id": self.partner_id.id,
                    "date": self.date,
                    "company_id": self.company_id.id,
                    "name": self.env._(
                        "Excellent customer: %(customer)s (%(reward)s)",
                        customer=self.partner_id.display_name,
                        reward=description,
                    ),
                }
            )
        self.partner_id._clear_reward_candidate()
        return {"type": "ir.actions.act_window_close"}
