from odoo import api, fields, models

from .delivery_system_field_mixin import code_defaults


class DeliveryComplaintHandover(models.Model):
    """An explicit hand-over of a request from its owner to a colleague. First-contact
    ownership (首问责任制) keeps the person who took a request responsible for it until
    it is closed; only a hand-over changes that, and each one is kept here. The log
    is append-only: nobody but the superuser may change or delete it (access rights)."""

    _name = "delivery.complaint.handover"
    _description = "Request hand-over"
    _order = "date desc, id desc"

    complaint_id = fields.Many2one(
        "delivery.complaint", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="complaint_id.company_id", store=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    from_user_id = fields.Many2one("res.users", string="Previous owner", readonly=True)
    to_user_id = fields.Many2one("res.users", string="New owner", required=True, readonly=True)
    reason = fields.Text(required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Done by", default=lambda self: self.env.user, readonly=True
    )

    @api.model
    def default_get(self, fields):  # pylint: disable=method-required-super
        """What a row says comes from the hand-over that writes it: not from the
        caller's ``default_*`` context keys nor from their saved defaults."""
        # no super(): it is what reads the context keys and the saved defaults
        return code_defaults(self, [name for name in fields if name in self._fields])
