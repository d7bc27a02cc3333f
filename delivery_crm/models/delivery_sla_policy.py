from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .delivery_constants import REQUEST_TYPES


class DeliverySlaPolicy(models.Model):
    """Base response and resolution times for a kind of request and a customer tier.
    The most specific active policy wins; without one, the customer's tier gives the
    times, and without a tier the company's targets (003 §1.2: 2 h / 24 h). The
    request's priority then shortens them by the company's share for that priority
    (``res.company._delivery_sla_priority_share``), so a higher priority is never due
    later than a lower one (001 §七.1)."""

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
    def _base_hours(self, request_type, tier, company):
        """(first response hours, resolution hours) of a request of ``request_type``
        for a customer of ``tier``, before its priority is applied."""
        policies = self.search(
            [
                ("company_id", "in", [company.id, False]),
                ("request_type", "in", [request_type, False]),
                ("tier_id", "in", [tier.id, False]),
            ],
            order="sequence, id",
        )
        if policies:
            best = max(
                policies,
                key=lambda p: (
                    bool(p.tier_id) + bool(p.request_type) + bool(p.company_id),
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

    @api.model
    def _sla_hours(self, request_type, tier, priority, company):
        """(first response hours, resolution hours) for a request: the base times
        shortened by the company's share for ``priority``."""
        response, resolution = self._base_hours(request_type, tier, company)
        share = company._delivery_sla_priority_share(priority)
        return response * share, resolution * share
