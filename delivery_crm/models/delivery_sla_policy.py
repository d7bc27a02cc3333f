from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .delivery_tools import PRIORITIES, REQUEST_TYPES


class DeliverySlaPolicy(models.Model):
    """Response and resolution times for a kind of request, a customer tier and a
    priority. The most specific active policy wins; without one, the customer's tier
    gives the times, and without a tier the defaults of 003 §1.2 apply (2 h / 24 h)."""

    _name = "delivery.sla.policy"
    _description = "Service level policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    request_type = fields.Selection(REQUEST_TYPES, help="Empty: every kind of request.")
    tier_id = fields.Many2one(
        "delivery.tier", string="Customer tier", ondelete="cascade", help="Empty: every tier."
    )
    priority = fields.Selection(PRIORITIES, help="Empty: every priority.")
    first_response_hours = fields.Float(string="First response (hours)", required=True, default=2.0)
    resolution_hours = fields.Float(string="Resolution (hours)", required=True, default=24.0)

    @api.constrains("first_response_hours", "resolution_hours")
    def _check_hours(self):
        for policy in self:
            if policy.first_response_hours <= 0 or (
                policy.resolution_hours < policy.first_response_hours
            ):
                raise ValidationError(
                    self.env._(
                        "%(name)s: response times must be positive, and the resolution time "
                        "cannot be shorter than the first-response time.",
                        name=policy.name,
                    )
                )

    @api.model
    def _sla_hours(self, request_type, tier, priority, company):
        """(first response hours, resolution hours) for a request."""
        policies = self.search(
            [
                ("company_id", "in", [company.id, False]),
                ("request_type", "in", [request_type, False]),
                ("tier_id", "in", [tier.id, False]),
                ("priority", "in", [priority, False]),
            ],
            order="sequence, id",
        )
        if policies:
            best = max(
                policies,
                key=lambda p: (
                    bool(p.tier_id) + bool(p.priority) + bool(p.request_type) + bool(p.company_id),
                    -p.sequence,
                    -p.id,
                ),
            )
            return best.first_response_hours, best.resolution_hours
        if tier:
            return tier.first_response_hours, tier.resolution_hours
        company = company or self.env.company
        return (
            company.delivery_target_first_response_hours,
            company.delivery_target_resolution_hours,
        )
