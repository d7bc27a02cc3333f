from odoo import api, fields, models


class DeliveryComplaintCloseWizard(models.TransientModel):
    """A manager closes a request the customer has not accepted as satisfying, with
    the reason on record (003 §6.1: otherwise a request is handled until the customer
    is satisfied)."""

    _name = "delivery.complaint.close.wizard"
    _description = "Close a request without the customer's satisfaction"

    complaint_ids = fields.Many2many("delivery.complaint", string="Requests", required=True)
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        complaints = self.env["delivery.complaint"].browse(self.env.context.get("active_ids") or [])
        if complaints and "complaint_ids" in fields_list:
            values["complaint_ids"] = [fields.Command.set(complaints.ids)]
        return values

    def action_confirm(self):
        self.ensure_one()
        self.complaint_ids._close_by_manager(self.reason)
        return {"type": "ir.actions.act_window_close"}
