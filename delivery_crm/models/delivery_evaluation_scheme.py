from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .delivery_constants import CUSTOMER_CLASSES

INDICATORS = ("satisfaction", "volume", "stability", "loyalty", "complaint", "on_time")


def linear_score(value, floor, target):
    """Map a raw value to 0-100: ``floor`` scores 0, ``target`` scores 100, linear in
    between and clamped outside. Works both ways (a target below the floor means
    "lower is better", as for the complaint rate)."""
    if value is None:
        return None
    if target == floor:
        return 100.0 if value >= target else 0.0
    return max(0.0, min(100.0, (value - floor) / (target - floor) * 100.0))


class DeliveryEvaluationScheme(models.Model):
    """How customers of one classification are evaluated (R4, 000 §六(一).2): the
    weight of each indicator and how its raw value maps to a 0-100 score."""

    _name = "delivery.evaluation.scheme"
    _description = "Cooperation evaluation scheme"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    customer_class = fields.Selection(
        CUSTOMER_CLASSES,
        string="Classification",
        required=True,
    )
    # weights (sum 100)
    weight_satisfaction = fields.Float(string="Satisfaction weight", default=25.0)
    weight_volume = fields.Float(string="Business volume weight", default=25.0)
    weight_stability = fields.Float(string="Stability weight", default=10.0)
    weight_loyalty = fields.Float(string="Loyalty weight", default=10.0)
    weight_complaint = fields.Float(string="Complaint rate weight", default=15.0)
    weight_on_time = fields.Float(string="On-time rate weight", default=15.0)
    weight_total = fields.Float(compute="_compute_weight_total", string="Total weight")
    # score mapping: the value scoring 0 (floor) and the value scoring 100 (target)
    satisfaction_floor = fields.Float(string="Satisfaction floor (%)", default=60.0)
    # the targets default to the company's service targets (003 §1.2)
    satisfaction_target = fields.Float(
        string="Satisfaction target (%)",
        default=lambda self: self.env.company.delivery_target_satisfaction,
    )
    revenue_target = fields.Monetary(
        string="Monthly revenue target",
        currency_field="currency_id",
        default=50000.0,
        help="Revenue per month that scores 100; multiplied by the months the customer "
        "cooperated in the period.",
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    growth_floor = fields.Float(string="Growth floor (%)", default=-20.0)
    growth_target = fields.Float(string="Growth target (%)", default=20.0)
    cooperation_months_target = fields.Integer(
        string="Cooperation length target (months)", default=36
    )
    active_share_target = fields.Float(string="Active months target (%)", default=100.0)
    retention_floor = fields.Float(string="Order retention floor (%)", default=50.0)
    retention_target = fields.Float(string="Order retention target (%)", default=100.0)
    referral_target = fields.Integer(string="Referrals target", default=3)
    complaint_rate_floor = fields.Float(string="Complaint rate floor (%)", default=10.0)
    complaint_rate_target = fields.Float(
        string="Complaint rate target (%)",
        default=lambda self: self.env.company.delivery_target_complaint_rate,
    )
    on_time_floor = fields.Float(string="On-time rate floor (%)", default=80.0)
    on_time_target = fields.Float(
        string="On-time rate target (%)",
        default=lambda self: self.env.company.delivery_target_on_time_rate,
    )
    # results
    excellent_score = fields.Float(
        default=85.0, help="From this total score the customer is flagged for rewards."
    )
    poor_score = fields.Float(
        default=60.0,
        help="Below this total score the account manager gets an improvement plan; "
        "still below at the next evaluation, the manager gets a termination review.",
    )

    _class_company_unique = models.UniqueIndex(
        "(customer_class, COALESCE(company_id, 0)) WHERE active",
        lambda env, diag=None: env._("There is already an active scheme for this classification."),
    )

    @api.depends(*(f"weight_{name}" for name in INDICATORS))
    def _compute_weight_total(self):
        for scheme in self:
            scheme.weight_total = sum(scheme[f"weight_{name}"] for name in INDICATORS)

    @api.depends("company_id")
    def _compute_currency_id(self):
        for scheme in self:
            scheme.currency_id = (scheme.company_id or self.env.company).currency_id

    @api.constrains(*(f"weight_{name}" for name in INDICATORS))
    def _check_weights(self):
        for scheme in self:
            weights = [scheme[f"weight_{name}"] for name in INDICATORS]
            if any(w < 0 for w in weights):
                raise ValidationError(
                    self.env._("Scheme %(scheme)s: weights cannot be negative.", scheme=scheme.name)
                )
            if round(sum(weights), 2) != 100.0:
                raise ValidationError(
                    self.env._(
                        "Scheme %(scheme)s: the weights must sum to 100 (they sum to %(total)s).",
                        scheme=scheme.name,
                        total=round(sum(weights), 2),
                    )
                )

    @api.constrains(
        "satisfaction_floor",
        "satisfaction_target",
        "growth_floor",
        "growth_target",
        "retention_floor",
        "retention_target",
        "complaint_rate_floor",
        "complaint_rate_target",
        "on_time_floor",
        "on_time_target",
        "revenue_target",
        "cooperation_months_target",
        "referral_target",
        "excellent_score",
        "poor_score",
    )
    def _check_mapping(self):
        for scheme in self:
            pairs = [
                (scheme.satisfaction_floor, scheme.satisfaction_target),
                (scheme.growth_floor, scheme.growth_target),
                (scheme.retention_floor, scheme.retention_target),
                (scheme.on_time_floor, scheme.on_time_target),
            ]
            if any(target <= floor for floor, target in pairs):
                raise ValidationError(
                    self.env._(
                        "Scheme %(scheme)s: each target must be above its floor.",
                        scheme=scheme.name,
                    )
                )
            if scheme.complaint_rate_target >= scheme.complaint_rate_floor:
                raise ValidationError(
                    self.env._(
                        "Scheme %(scheme)s: the complaint rate target must be below its "
                        "floor (a lower rate is better).",
                        scheme=scheme.name,
                    )
                )
            if (
                scheme.revenue_target <= 0
                or scheme.cooperation_months_target <= 0
                or scheme.referral_target <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "Scheme %(scheme)s: revenue, cooperation and referral targets must "
                        "be positive.",
                        scheme=scheme.name,
                    )
                )
            if not 0 <= scheme.poor_score < scheme.excellent_score <= 100:
                raise ValidationError(
                    self.env._(
                        "Scheme %(scheme)s: scores must satisfy 0 ≤ poor < excellent ≤ 100.",
                        scheme=scheme.name,
                    )
                )

    @api.model
    def _get_schemes(self, company):
        """{classification: scheme} for ``company`` (its own schemes first)."""
        schemes = self.search(
            [("company_id", "in", [company.id, False])], order="company_id desc nulls last, id"
        )
        result = {}
        for scheme in schemes:
            result.setdefault(scheme.customer_class, scheme)
        return result

    def _score(self, raw):
        """Indicator scores (0-100, None when there is no data) from raw values.

        Sub-indicators are combined with fixed shares, documented in the README:
        volume = 70 % revenue + 30 % growth, stability = 50 % cooperation length +
        50 % active months, loyalty = 80 % order retention + 20 % referrals; a
        sub-indicator without data leaves its share to the other one.
        """
        self.ensure_one()
        months = raw["effective_months"] or 1

        def combine(*parts):
            parts = [(score, share) for score, share in parts if score is not None]
            if not parts:
                return None
            return sum(score * share for score, share in parts) / sum(share for _s, share in parts)

        revenue_score = linear_score(raw["revenue"], 0.0, self.revenue_target * months)
        growth_score = linear_score(raw["growth"], self.growth_floor, self.growth_target)
        length_score = linear_score(
            raw["cooperation_months"], 0.0, float(self.cooperation_months_target)
        )
        active_score = linear_score(raw["active_share"], 0.0, self.active_share_target)
        retention_score = linear_score(
            raw["retention"], self.retention_floor, self.retention_target
        )
        referral_score = (
            linear_score(raw["referrals"], 0.0, float(self.referral_target))
            if raw["referrals"] or raw["retention"] is not None
            else None
        )
        return {
            "satisfaction": linear_score(
                raw["satisfaction"], self.satisfaction_floor, self.satisfaction_target
            ),
            "volume": combine((revenue_score, 70), (growth_score, 30)),
            "stability": combine((length_score, 50), (active_score, 50)),
            "loyalty": combine((retention_score, 80), (referral_score, 20)),
            "complaint": linear_score(
                raw["complaint_rate"], self.complaint_rate_floor, self.complaint_rate_target
            ),
            "on_time": linear_score(raw["on_time_rate"], self.on_time_floor, self.on_time_target),
        }

    def _weights(self, indicators):
        """The weights of ``indicators`` (those with data), scaled to sum to 100."""
        self.ensure_one()
        weights = {name: self[f"weight_{name}"] for name in indicators}
        total = sum(weights.values())
        if not total:
            return {name: 0.0 for name in indicators}
        return {name: w * 100.0 / total for name, w in weights.items()}
