from odoo import api, fields, models


class DeliveryComplaintReplyWizard(models.TransientModel):
    """Answer the customer, starting from a canned answer of the library (002 §三.2.3):
    the answers of the request's type first (for a complaint, of its complaint type
    first), then the general ones. Emergency plans are internal and never offered here."""

    _name = "delivery.complaint.reply.wizard"
    _description = "Answer a customer request"

    complaint_id = fields.Many2one("delivery.complaint", required=True, ondelete="cascade")
    request_type = fields.Selection(related="complaint_id.request_type")
    type_id = fields.Many2one(related="complaint_id.type_id")
    canned_response_id = fields.Many2one(
        "delivery.canned.response",
        string="Insert",
        domain="[('request_type', 'in', [request_type, False])]",
    )
    body = fields.Html(string="Answer", sanitize=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # the related fields read the request as the superuser: answer only a request
        # the user may change
        wizards.complaint_id.check_access("write")
        return wizards

    @api.onchange("canned_response_id")
    def _onchange_canned_response_id(self):
        if self.canned_response_id:
            self.body = (self.body or "") + (self.canned_response_id.body or "")

    def action_send(self):
        self.ensure_one()
        self.complaint_id._reply(self.body, canned=self.canned_response_id)
        return {"type": "ir.actions.act_window_close"}
