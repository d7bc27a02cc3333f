from odoo import fields, models

from .delivery_constants import REQUEST_TYPES


class DeliveryCannedResponse(models.Model):
    """A ready answer (FAQ) or an emergency plan that service staff insert into their
    replies (002 §三.2.3: 标准答复与应急预案)."""

    _name = "delivery.canned.response"
    _description = "Canned answer or emergency plan"
    _order = "kind, sequence, name, id"

    name = fields.Char(string="Title", required=True, translate=True)
    kind = fields.Selection(
        [("faq", "Answer (FAQ)"), ("emergency", "Emergency plan")],
        required=True,
        default="faq",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    request_type = fields.Selection(
        REQUEST_TYPES,
        string="For requests of type",
        help="Leave empty to offer it for every request.",
    )
    type_ids = fields.Many2many(
        "delivery.complaint.type",
        string="Complaint types",
        help="Offered first for complaints of these types.",
    )
    body = fields.Html(required=True, translate=True, sanitize=True)
    use_count = fields.Integer(string="Times used", readonly=True, copy=False)
