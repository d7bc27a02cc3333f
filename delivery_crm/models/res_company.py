import itertools

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# the request priority (001 §七.1: urgency x importance) -> the company field holding the
# share of the base SLA times it gets; "0" (neither urgent nor important) gets them whole
SLA_PRIORITY_SHARE_FIELDS = {
    "1": "delivery_sla_priority_normal_percent",
    "2": "delivery_sla_priority_high_percent",
    "3": "delivery_sla_priority_urgent_percent",
}


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

    delivery_complaint_reopen_days = fields.Integer(
        string="Customers may reopen for (days)",
        default=14,
        help="A customer who is not satisfied may reopen a closed request from the portal "
        "for this many days after it was closed (a resolved one at any time).",
    )
    # SLA by priority (001 §七.1): the share of the base times each priority gets
    delivery_sla_priority_normal_percent = fields.Integer(
        string="Normal priority (% of the SLA time)",
        default=80,
        help="Important but not urgent requests get this share of the base SLA times.",
    )
    delivery_sla_priority_high_percent = fields.Integer(
        string="High priority (% of the SLA time)",
        default=65,
        help="Urgent but not important requests get this share of the base SLA times.",
    )
    delivery_sla_priority_urgent_percent = fields.Integer(
        string="Urgent priority (% of the SLA time)",
        default=50,
        help="Urgent and important requests get this share of the base SLA times.",
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
    _delivery_complaint_reopen_days_positive = models.Constraint(
        "CHECK (delivery_complaint_reopen_days >= 0)",
        "The reopening period cannot be negative.",
    )
    _delivery_complaint_no_answer_positive = models.Constraint(
        "CHECK (delivery_complaint_no_answer_days > 0)",
        "The no-answer period must be at least one day.",
    )

    @api.constrains(*SLA_PRIORITY_SHARE_FIELDS.values())
    def _check_delivery_sla_priority_shares(self):
        """Every priority has an effect, and a higher one is never due later:
        100 % > normal > high > urgent > 0 %."""
        for company in self:
            shares = [100] + [company[field] for field in SLA_PRIORITY_SHARE_FIELDS.values()] + [0]
            if any(higher <= lower for higher, lower in itertools.pairwise(shares)):
                raise ValidationError(
                    self.env._(
                        "The SLA shares by priority must fall as the priority rises, each "
                        "between 0 and 100 %%: low 100 %% > normal (%(normal)s %%) > high "
                        "(%(high)s %%) > urgent (%(urgent)s %%) > 0.",
                        normal=company.delivery_sla_priority_normal_percent,
                        high=company.delivery_sla_priority_high_percent,
                        urgent=company.delivery_sla_priority_urgent_percent,
                    )
                )

    def _delivery_sla_priority_share(self, priority):
        """The share (0-1] of the base SLA times a request of ``priority`` gets."""
        self.ensure_one()
        field = SLA_PRIORITY_SHARE_FIELDS.get(priority or "0")
        return self[field] / 100.0 if field else 1.0
