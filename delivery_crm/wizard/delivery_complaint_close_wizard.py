from odoo import fields, models


class DeliveryComplaintCloseWizard(models.TransientModel):
    """A manager closes a request the customer has not accepted as satisfying, with
    the reason on record (003 §6.1: otherwise a request is handled until the customer
    is satisfied)."""

    _name = "delivery.complaint.close.wizard"
    _description = "Close a request without the customer's satisfaction"

    complaint_ids = fields.Many2many(
        "delivery.complaint",
        string="Requests",
        required=True,
        default=lambda self: self.env["delivery.complaint"].browse(
            self.env.context.get("active_ids") or []
        ),
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.complaint_ids._close_by_manager(self.reason)
        return {"type": "ir.actions.act_window_close"}
