from odoo import fields, models

HANDOVER_ITEM_KINDS = [
    ("request", "Open request"),
    ("callback", "Callback due"),
    ("exception", "Delivery exception"),
]


class DeliveryDutyHandoverLine(models.Model):
    """One matter a shift hands over (交接班 四: 工作未尽事宜): an open request, a
    callback (return visit) due, an open delivery exception. What the line says is
    copied when the list is made (the request's number, customer, state, owner and
    deadline, never its content: the line is read by the whole desk) and stays as it
    was handed over; who took it over is set by the acknowledgement. Written by the
    module only (read-only access for everyone)."""

    _name = "delivery.duty.handover.line"
    _description = "Shift hand-over item"
    _order = "handover_id, kind, deadline, id"

    handover_id = fields.Many2one(
        "delivery.duty.handover",
        string="Hand-over",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(related="handover_id.company_id", store=True)
    kind = fields.Selection(HANDOVER_ITEM_KINDS, required=True, readonly=True)
    name = fields.Char(string="Item", readonly=True)
    complaint_id = fields.Many2one(
        "delivery.complaint", string="Request", readonly=True, ondelete="set null"
    )
    visit_id = fields.Many2one(
        "delivery.visit", string="Callback", readonly=True, ondelete="set null"
    )
    exception_id = fields.Many2one(
        "delivery.shipment.exception",
        string="Delivery exception",
        readonly=True,
        ondelete="set null",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    status = fields.Char(readonly=True)
    user_id = fields.Many2one("res.users", string="Owner", readonly=True)
    deadline = fields.Datetime(readonly=True, help="The SLA deadline, the planned callback.")
    taken_over_by_id = fields.Many2one("res.users", string="Taken over by", readonly=True)
    taken_over_date = fields.Datetime(string="Taken over on", readonly=True)
