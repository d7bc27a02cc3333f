from odoo import fields, models


class DeliveryComplaintRootCause(models.Model):
    """Root-cause category found by the investigation (001 §七.2), used by the
    complaint analysis (000 §四(六).5)."""

    _name = "delivery.complaint.root.cause"
    _description = "Complaint root cause"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
