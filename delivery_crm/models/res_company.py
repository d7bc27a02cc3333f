from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    delivery_complaint_calendar_id = fields.Many2one(
        "resource.calendar",
        string="SLA working hours",
        help="Count complaint SLA deadlines in these working hours. Empty: around the "
        "clock (003 §3.1: 24-hour hotline).",
    )
    delivery_complaint_warning_percent = fields.Integer(
        string="SLA warning (%)",
        default=20,
        help="Warn the owner when this share of an SLA's time is left.",
    )
    delivery_complaint_no_answer_days = fields.Integer(
        string="Close without rating after (days)",
        default=7,
        help="A resolved request the customer does not rate within this many days is "
        "closed as 'no answer'.",
    )
    delivery_complaint_manager_id = fields.Many2one(
        "res.users",
        string="Complaint manager",
        domain=[("share", "=", False)],
        help="Receives SLA breaches and poor ratings of requests whose service team has no leader.",
    )

    delivery_visit_radius_km = fields.Float(
        string="Check-in radius (km)",
        default=1.0,
        help="A visit checked in farther than this from the customer's address is flagged.",
    )

    _delivery_complaint_warning_range = models.Constraint(
        "CHECK (delivery_complaint_warning_percent BETWEEN 0 AND 100)",
        "The SLA warning share must be between 0 and 100%.",
    )
    _delivery_visit_radius_positive = models.Constraint(
        "CHECK (delivery_visit_radius_km > 0)",
        "The check-in radius must be positive.",
    )
    _delivery_complaint_no_answer_positive = models.Constraint(
        "CHECK (delivery_complaint_no_answer_days > 0)",
        "The no-answer period must be at least one day.",
    )
