from odoo import api, fields, models


class DeliveryTierLadder(models.Model):
    _name = "delivery.tier.ladder"
    _description = "Customer tier ladder"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    description = fields.Text(translate=True)
    notify_customer = fields.Boolean(
        string="Notify customers of tier changes",
        default=True,
        help="Send the tier-change mail to the customer whenever their tier changes "
        "(004 §五.4: customers are told their tier and its benefits).",
    )
    tier_ids = fields.One2many("delivery.tier", "ladder_id", string="Tiers")
    tier_count = fields.Integer(compute="_compute_tier_count")

    @api.depends("tier_ids")
    def _compute_tier_count(self):
        for ladder in self:
            ladder.tier_count = len(ladder.tier_ids)

    @api.model
    def _get_default_ladder(self):
        return self.search([("company_id", "in", [False, self.env.company.id])], limit=1)
