from odoo import fields, models


class DeliveryTierBenefit(models.Model):
    _name = "delivery.tier.benefit"
    _description = "Customer tier benefit"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
