from odoo import fields, models


class DeliveryTierOverrideWizard(models.TransientModel):
    """A manager sets a customer's tier by hand, with a reason and an end date (R2)."""

    _name = "delivery.tier.override.wizard"
    _description = "Override a customer's tier"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    ladder_id = fields.Many2one(related="partner_id.tier_ladder_id")
    current_tier_id = fields.Many2one(related="partner_id.tier_id", string="Current tier")
    tier_id = fields.Many2one(
        "delivery.tier",
        string="New tier",
        required=True,
        domain="[('ladder_id', '=', ladder_id)]",
    )
    reason = fields.Text(required=True)
    expiry = fields.Date(string="Until", required=True)

    def action_confirm(self):
        self.ensure_one()
        self.env["delivery.tier.change"]._start_override(
            self.partner_id, self.tier_id, self.reason, self.expiry
        )
        return {"type": "ir.actions.act_window_close"}
