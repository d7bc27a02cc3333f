from odoo import fields, models
from odoo.exceptions import UserError


class DeliveryCustomerStateWizard(models.TransientModel):
    """Suspend or terminate customers, with the reason the policy asks for."""

    _name = "delivery.customer.state.wizard"
    _description = "Suspend or terminate delivery customers"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    new_state = fields.Selection(
        [("suspended", "Suspend"), ("terminated", "Terminate")],
        string="Action",
        required=True,
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give a reason."))
        self.partner_ids.write({"customer_state": self.new_state, "state_reason": self.reason})
        return {"type": "ir.actions.act_window_close"}
