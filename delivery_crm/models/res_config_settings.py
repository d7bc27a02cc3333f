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
    delivery_visit_alarm_id = fields.Many2one(
        related="company_id.delivery_visit_alarm_id", readonly=False
    )
    delivery_amap_api_key = fields.Char(
        string="AMap web-service key",
        config_parameter="delivery_crm.amap_api_key",
        help="The key of the AMap (Gaode) geocoder, for the geolocation provider AMap.",
    )
    delivery_complaint_reopen_days = fields.Integer(
        related="company_id.delivery_complaint_reopen_days", readonly=False
    )
    delivery_portal_request_limit = fields.Integer(
        related="company_id.delivery_portal_request_limit", readonly=False
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
    # service targets and the warning signs of customers at risk
    delivery_target_satisfaction = fields.Float(
        related="company_id.delivery_target_satisfaction", readonly=False
    )
    delivery_target_complaint_rate = fields.Float(
        related="company_id.delivery_target_complaint_rate", readonly=False
    )
    delivery_target_first_response_hours = fields.Float(
        related="company_id.delivery_target_first_response_hours", readonly=False
    )
    delivery_target_resolution_hours = fields.Float(
        related="company_id.delivery_target_resolution_hours", readonly=False
    )
    delivery_target_on_time_rate = fields.Float(
        related="company_id.delivery_target_on_time_rate", readonly=False
    )
    delivery_risk_window_days = fields.Integer(
        related="company_id.delivery_risk_window_days", readonly=False
    )
    delivery_risk_falling_percent = fields.Float(
        related="company_id.delivery_risk_falling_percent", readonly=False
    )
    delivery_risk_complaint_count = fields.Integer(
        related="company_id.delivery_risk_complaint_count", readonly=False
    )
    # key-account plans measured (helper comm)
    delivery_key_account_growth_percent = fields.Float(
        related="company_id.delivery_key_account_growth_percent", readonly=False
    )
    delivery_return_visit_delay_days = fields.Integer(
        related="company_id.delivery_return_visit_delay_days", readonly=False
    )
    delivery_return_visit_sample_gap_days = fields.Integer(
        related="company_id.delivery_return_visit_sample_gap_days", readonly=False
    )
    # task claim (issue 15 item 3)
    delivery_claim_currency_id = fields.Many2one(related="company_id.currency_id")
    delivery_claim_staff_limit = fields.Monetary(
        related="company_id.delivery_claim_staff_limit",
        currency_field="delivery_claim_currency_id",
        readonly=False,
    )
    delivery_claim_approver_id = fields.Many2one(
        related="company_id.delivery_claim_approver_id", readonly=False
    )
    # delivery exceptions (issue 15 item 1)
    delivery_exception_at_risk_hours = fields.Integer(
        related="company_id.delivery_exception_at_risk_hours", readonly=False
    )
    delivery_exception_deadline_hours = fields.Integer(
        related="company_id.delivery_exception_deadline_hours", readonly=False
    )
    delivery_exception_lookback_days = fields.Integer(
        related="company_id.delivery_exception_lookback_days", readonly=False
    )
    # task pros (issue 16 item 4)
    delivery_prospect_followup_days = fields.Integer(
        related="company_id.delivery_prospect_followup_days", readonly=False
    )
    delivery_prospect_stale_days = fields.Integer(
        related="company_id.delivery_prospect_stale_days", readonly=False
    )
    delivery_new_customer_months = fields.Integer(
        related="company_id.delivery_new_customer_months", readonly=False
    )
    delivery_conversion_credit_days = fields.Integer(
        related="company_id.delivery_conversion_credit_days", readonly=False
    )
    delivery_conversion_min_revenue = fields.Monetary(
        related="company_id.delivery_conversion_min_revenue",
        currency_field="delivery_claim_currency_id",
        readonly=False,
    )
    delivery_conversion_min_deliveries = fields.Integer(
        related="company_id.delivery_conversion_min_deliveries", readonly=False
    )
    # task pros (issue 16 item 8)
    delivery_segment_lost_days = fields.Integer(
        related="company_id.delivery_segment_lost_days", readonly=False
    )
    delivery_segment_loyal_months = fields.Integer(
        related="company_id.delivery_segment_loyal_months", readonly=False
    )
    delivery_segment_loyal_retention = fields.Float(
        related="company_id.delivery_segment_loyal_retention", readonly=False
    )
    delivery_segment_satisfaction = fields.Float(
        related="company_id.delivery_segment_satisfaction", readonly=False
    )
    delivery_segment_win_back_days = fields.Integer(
        related="company_id.delivery_segment_win_back_days", readonly=False
    )
    # task req (issue 17 item 1)
    delivery_requirement_progress_days = fields.Integer(
        related="company_id.delivery_requirement_progress_days", readonly=False
    )
    # task fix16 (issue 16 review)
    delivery_points_catch_up_days = fields.Integer(
        related="company_id.delivery_points_catch_up_days", readonly=False
    )
    # task duty (issue 17 item 3): shift hand-overs and major incidents
    delivery_handover_escalation_minutes = fields.Integer(
        related="company_id.delivery_handover_escalation_minutes", readonly=False
    )
    delivery_handover_max_items = fields.Integer(
        related="company_id.delivery_handover_max_items", readonly=False
    )
    delivery_incident_key_sla_breach = fields.Boolean(
        related="company_id.delivery_incident_key_sla_breach", readonly=False
    )
    delivery_incident_complaints_per_hour = fields.Integer(
        related="company_id.delivery_incident_complaints_per_hour", readonly=False
    )
    delivery_incident_key_exception = fields.Boolean(
        related="company_id.delivery_incident_key_exception", readonly=False
    )
    # task train (issue 17 item 6)
    delivery_retraining_days = fields.Integer(
        related="company_id.delivery_retraining_days", readonly=False
    )
