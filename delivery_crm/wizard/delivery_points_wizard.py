from odoo import fields, models


class DeliveryPointsWizard(models.TransientModel):
    """CRM staff redeem a customer's points (a manager may also adjust them): the
    ledger row is written by ``delivery.points.move._record``, which checks the right,
    the amount and the balance."""

    _name = "delivery.points.wizard"
    _description = "Redeem or adjust a customer's points"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        domain="[('is_delivery_customer', '=', True)]",
    )
    points_balance = fields.Float(related="partner_id.points_balance", string="Balance")
    origin = fields.Selection(
        [("redemption", "Redemption"), ("adjustment", "Adjustment")],
        required=True,
        default="redemption",
    )
    points = fields.Float(
        required=True,
        digits=(16, 2),
        help="Redemption: the points taken from the balance. Adjustment: points added "
        "(or taken, when negative).",
    )
    reference = fields.Char(string="For", required=True)

    def action_confirm(self):
        self.ensure_one()
        self.env["delivery.points.move"]._record(
            self.partner_id, self.points, self.origin, self.reference
        )
        return {"type": "ir.actions.act_window_close"}
