from odoo import api, fields, models
from odoo.fields import Domain

from .delivery_constants import REQUEST_TYPES


class DeliveryCannedResponse(models.Model):
    """A ready answer (FAQ) that service staff insert into their replies (002 §三.2.3:
    常见问题解决方法). Emergency plans are internal: ``delivery.emergency.plan``."""

    _name = "delivery.canned.response"
    _description = "Canned answer"
    # the answers of a request type first, then the general ones (NULLS LAST)
    _order = "request_type, sequence, name, id"

    name = fields.Char(string="Title", required=True, translate=True)
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

    @api.model
    def name_search(self, name="", domain=None, operator="ilike", limit=100):
        """In the reply wizard (context ``delivery_complaint_type_id``), the answers
        for the complaint's type come first."""
        type_id = self.env.context.get("delivery_complaint_type_id")
        if not type_id:
            return super().name_search(name, domain, operator, limit)
        domain = Domain(domain or Domain.TRUE)
        first = super().name_search(
            name, domain & Domain("type_ids", "in", [type_id]), operator, limit
        )
        if limit and len(first) >= limit:
            return first
        rest = super().name_search(
            name,
            domain & Domain("type_ids", "not in", [type_id]),
            operator,
            limit and limit - len(first),
        )
        return first + rest
