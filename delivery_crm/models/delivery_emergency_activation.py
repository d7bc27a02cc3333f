from odoo import fields, models


class DeliveryEmergencyActivation(models.Model):
    """The log of the emergency plans activated (002 §三.2.3): which plan, on which
    request, delivery exception or major incident, by whom and when. Written by the
    activation only."""

    _name = "delivery.emergency.activation"
    _inherit = ["delivery.system.log.mixin"]
    _description = "Emergency plan activation"
    _order = "date desc, id desc"
    _check_company_auto = True

    plan_id = fields.Many2one(
        "delivery.emergency.plan", required=True, ondelete="restrict", index=True
    )
    complaint_id = fields.Many2one(
        "delivery.complaint", string="Request", ondelete="cascade", index="btree_not_null"
    )
    exception_id = fields.Many2one(
        "delivery.shipment.exception",
        string="Delivery exception",
        ondelete="cascade",
        index="btree_not_null",
    )
    incident_id = fields.Many2one(
        "delivery.major.incident",
        string="Major incident",
        ondelete="cascade",
        index="btree_not_null",
    )
    company_id = fields.Many2one("res.company", index=True)
    user_id = fields.Many2one("res.users", string="Activated by", required=True)
    date = fields.Datetime(string="Activated on", required=True)
    note = fields.Text()
    activity_count = fields.Integer(string="Activities")
