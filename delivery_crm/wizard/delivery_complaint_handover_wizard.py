from odoo import api, fields, models


class DeliveryComplaintHandoverWizard(models.TransientModel):
    """Hand a request over to a colleague, with the reason (首问责任制: the owner stays
    responsible unless they hand over explicitly)."""

    _name = "delivery.complaint.handover.wizard"
    _description = "Hand a request over"

    complaint_ids = fields.Many2many("delivery.complaint", string="Requests", required=True)
    user_id = fields.Many2one(
        "res.users", string="Hand over to", required=True, domain=[("share", "=", False)]
    )
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        complaints = self.env["delivery.complaint"].browse(self.env.context.get("active_ids") or [])
        if complaints and "complaint_ids" in fields_list:
            values["complaint_ids"] = [fields.Command.set(complaints.ids)]
        # propose the customer's account manager (or team leader)
        proposed = complaints[:1].account_manager_id or complaints[:1].team_id.leader_id
        if proposed and proposed != complaints[:1].user_id and "user_id" in fields_list:
            values["user_id"] = proposed.id
        return values

    def action_confirm(self):
        self.ensure_one()
        self.complaint_ids._handover(self.user_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
