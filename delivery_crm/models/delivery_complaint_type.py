from odoo import fields, models


class DeliveryComplaintType(models.Model):
    """What a complaint is about: delay, damage, loss, wrong delivery, staff attitude,
    billing, other (001 §七.1). Configurable by managers."""

    _name = "delivery.complaint.type"
    _description = "Complaint type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Short code for imports and reports, e.g. DELAY.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)

    _code_unique = models.Constraint("UNIQUE(code)", "Two complaint types cannot share a code.")
