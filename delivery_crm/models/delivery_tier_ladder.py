from odoo import api, fields, models

from .delivery_evaluation import PERIOD_TYPES


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
        "(policy: customers are told their tier and its benefits).",
    )
    grading_period_type = fields.Selection(
        PERIOD_TYPES,
        string="Grading period",
        required=True,
        default="quarterly",
        help="Only the evaluation runs of this period move the tiers of the ladder's "
        "customers (policy: graded every quarter). The runs of the other periods "
        "evaluate and report; they never change a tier nor notify anyone.",
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
