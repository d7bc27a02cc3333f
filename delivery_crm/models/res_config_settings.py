from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    delivery_complaint_calendar_id = fields.Many2one(
        related="company_id.delivery_complaint_calendar_id", readonly=False
    )
    delivery_complaint_warning_percent = fields.Integer(
        related="company_id.delivery_complaint_warning_percent", readonly=False
    )
    delivery_complaint_no_answer_days = fields.Integer(
        related="company_id.delivery_complaint_no_answer_days", readonly=False
    )
    delivery_complaint_manager_id = fields.Many2one(
        related="company_id.delivery_complaint_manager_id", readonly=False
    )
    delivery_visit_radius_km = fields.Float(
        related="company_id.delivery_visit_radius_km", readonly=False
    )
    delivery_complaint_reopen_days = fields.Integer(
        related="company_id.delivery_complaint_reopen_days", readonly=False
    )
    delivery_sla_priority_normal_percent = fields.Integer(
        related="company_id.delivery_sla_priority_normal_percent", readonly=False
    )
    delivery_sla_priority_high_percent = fields.Integer(
        related="company_id.delivery_sla_priority_high_percent", readonly=False
    )
    delivery_sla_priority_urgent_percent = fields.Integer(
        related="company_id.delivery_sla_priority_urgent_percent", readonly=False
    )
