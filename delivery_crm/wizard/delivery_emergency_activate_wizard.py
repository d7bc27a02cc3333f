from odoo import api, fields, models
from odoo.exceptions import UserError


class DeliveryEmergencyActivateWizard(models.TransientModel):
    """Activate an emergency plan on a request, a delivery exception or a major incident
    (002 §三.2.3; Deliver 5):
    the plans of the request's type are offered first."""

    _name = "delivery.emergency.activate.wizard"
    _description = "Activate an emergency plan"

    complaint_id = fields.Many2one("delivery.complaint", ondelete="cascade")
    exception_id = fields.Many2one("delivery.shipment.exception", ondelete="cascade")
    incident_id = fields.Many2one(
        "delivery.major.incident", string="Major incident", ondelete="cascade"
    )
    request_type = fields.Selection(related="complaint_id.request_type")
    plan_id = fields.Many2one(
        "delivery.emergency.plan",
        string="Emergency plan",
        required=True,
        # on a request: the plans of its type and the general ones (of its type first,
        # see the plan's _order); on a delivery exception or an incident: every plan
        domain="[('request_type', 'in', [request_type, False])] if complaint_id else []",
    )
    trigger = fields.Text(related="plan_id.trigger")
    step_ids = fields.One2many(related="plan_id.step_ids")
    note = fields.Text(string="Situation", help="What happened: logged with the activation.")

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            records = (wizard.complaint_id, wizard.exception_id, wizard.incident_id)
            if sum(bool(record) for record in records) != 1:
                raise UserError(
                    self.env._(
                        "Activate a plan on one request or one delivery exception, or on one "
                        "major incident."
                    )
                )
            # the related fields read as the superuser: only a record the user may change
            wizard._record().check_access("write")
        return wizards

    def _record(self):
        self.ensure_one()
        return self.complaint_id or self.exception_id or self.incident_id

    def action_activate(self):
        self.ensure_one()
        self.plan_id._activate(self._record(), note=self.note)
        return {"type": "ir.actions.act_window_close"}
