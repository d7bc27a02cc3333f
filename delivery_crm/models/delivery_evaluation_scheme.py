from lxml.builder import E

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .delivery_constants import CUSTOMER_CLASSES


def linear_score(value, floor, target):
    """Map a raw value to 0-100: ``floor`` scores 0, ``target`` scores 100, linear in
    between and clamped outside. Works both ways (a target below the floor means
    "lower is better", as for the complaint rate)."""
    if value is None:
        return None
    if target == floor:
        return 100.0 if value >= target else 0.0
    return max(0.0, min(100.0, (value - floor) / (target - floor) * 100.0))


def combine(*parts):
    """The share-weighted mean of the ``(score, share)`` parts that have a score (None
    when none has); a lone part is its own score."""
    if len(parts) == 1:
        return parts[0][0]
    parts = [(score, share) for score, share in parts if score is not None]
    if not parts:
        return None
    return sum(score * share for score, share in parts) / sum(share for _s, share in parts)


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
        # "new": customers in their first months, whatever their class (task pros)
        [*CUSTOMER_CLASSES, ("new", "New customers")],
        string="Classification",
        required=True,
    )
    # weights (sum 100): weight_<key> of each indicator of delivery.evaluation._indicators()
    weight_satisfaction = fields.Float(string="Satisfaction weight", default=25.0)
    weight_volume = fields.Float(string="Business volume weight", default=25.0)
    weight_stability = fields.Float(string="Stability weight", default=10.0)
    weight_loyalty = fields.Float(string="Loyalty weight", default=10.0)
    weight_complaint = fields.Float(string="Complaint rate weight", default=15.0)
    weight_on_time = fields.Float(string="On-time rate weight", default=15.0)
    # 0 by default: the schemes of a database installed before the damage/loss rate keep
    # summing to 100 (the shipped schemes give it 5 points taken from the on-time rate)
    weight_damage = fields.Float(string="Damage/loss rate weight", default=0.0)
    # task claim (issue 15 item 3): 0 in the shipped schemes (claims mostly count the
    # delays and damage other indicators score already); a manager may weight it
    weight_claims = fields.Float(string="Claim rate weight", default=0.0)
    weight_total = fields.Float(compute="_compute_weight_total", string="Total weight")
    # score mapping: the value scoring 0 (floor) and the value scoring 100 (target),
    # the fields of the indicators' scales
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
    # lower is better: at most 0.5 % damaged or lost scores 100, 3 % or more scores 0
    damage_rate_floor = fields.Float(string="Damage/loss rate floor (%)", default=3.0)
    damage_rate_target = fields.Float(string="Damage/loss rate target (%)", default=0.5)
    # task claim (issue 15 item 3): claims per 100 deliveries, lower is better
    claim_rate_floor = fields.Float(
        string="Claim rate floor (per 100 deliveries)",
        default=5.0,
        help="Claims per 100 deliveries that score 0.",
    )
    claim_rate_target = fields.Float(
        string="Claim rate target (per 100 deliveries)",
        default=0.5,
        help="Claims per 100 deliveries that score 100 (or fewer).",
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

    def _indicators(self):
        return self.env["delivery.evaluation"]._indicators()

    def _weight_fields(self):
        return [f"weight_{indicator.key}" for indicator in self._indicators()]

    def _scale_fields(self):
        return [name for indicator in self._indicators() for name in indicator.parameters]

    @api.depends(lambda self: self._weight_fields())
    def _compute_weight_total(self):
        names = self._weight_fields()
        for scheme in self:
            scheme.weight_total = sum(scheme[name] for name in names)

    @api.depends("company_id")
    def _compute_currency_id(self):
        for scheme in self:
            scheme.currency_id = (scheme.company_id or self.env.company).currency_id

    @api.constrains(lambda self: self._weight_fields())
    def _check_weights(self):
        names = self._weight_fields()
        for scheme in self:
            weights = [scheme[name] for name in names]
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

    @api.constrains(lambda self: [*self._scale_fields(), "excellent_score", "poor_score"])
    def _check_mapping(self):
        scales = [scale for indicator in self._indicators() for scale in indicator.scales]
        labels = self.env["delivery.evaluation"]._fields
        for scheme in self:
            for scale in scales:
                target = scheme[scale.target]
                if not scale.floor:
                    if target <= 0:
                        raise ValidationError(
                            self.env._(
                                "Scheme %(scheme)s: %(target)s must be positive.",
                                scheme=scheme.name,
                                target=self._fields[scale.target]._description_string(self.env),
                            )
                        )
                elif scale.lower_is_better and target >= scheme[scale.floor]:
                    raise ValidationError(
                        self.env._(
                            "Scheme %(scheme)s: the target of %(value)s must be below its "
                            "floor (a lower value is better).",
                            scheme=scheme.name,
                            value=labels[scale.value]._description_string(self.env),
                        )
                    )
                elif not scale.lower_is_better and target <= scheme[scale.floor]:
                    raise ValidationError(
                        self.env._(
                            "Scheme %(scheme)s: the target of %(value)s must be above its floor.",
                            scheme=scheme.name,
                            value=labels[scale.value]._description_string(self.env),
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
    def _get_view(self, view_id=None, view_type="form", **options):
        """The indicators' weights and scales in the views, from the registrations:
        the list's weights after the classification, the form's weights and scales
        in its placeholder groups (a scale with a floor as "floor → target", under
        the label of the value it scores)."""
        arch, view = super()._get_view(view_id, view_type, **options)
        indicators = self._indicators()
        weights = [E.field(name=f"weight_{indicator.key}") for indicator in indicators]
        if (
            view_type == "list"
            and (anchor := arch.find(".//field[@name='customer_class']")) is not None
        ):
            for node in reversed(weights):
                anchor.addnext(node)
        if view_type != "form":
            return arch, view
        if (group := arch.find(".//group[@name='indicator_weights']")) is not None:
            for index, node in enumerate(weights):
                group.insert(index, node)
        if (group := arch.find(".//group[@name='indicator_scales']")) is not None:
            labels = self.env["delivery.evaluation"]._fields
            for indicator in indicators:
                for scale in indicator.scales:
                    if not scale.floor:
                        group.append(E.field(name=scale.target))
                        continue
                    group.append(
                        E.label(
                            **{
                                "for": scale.floor,
                                "string": labels[scale.value]._description_string(self.env),
                            }
                        )
                    )
                    row = E.div(
                        E.field(name=scale.floor, nolabel="1"),
                        E.field(name=scale.target, nolabel="1"),
                        {"class": "o_row"},
                    )
                    row[0].tail = " → "
                    group.append(row)
        return arch, view

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

    def _figures(self):
        """The scheme's figures (weights, floors, targets, thresholds) as a plain dict:
        a run scores thousands of customers with one scheme, and a field read of the
        ORM costs many times a dict lookup (the runs read them once per batch)."""
        self.ensure_one()
        return {
            name: self[name]
            for name, field in self._fields.items()
            if field.type in ("float", "integer", "monetary")
        }

    def _score(self, raw, indicators=None, figures=None):
        """``{key: score}`` of every indicator (0-100, None when there is no data);
        ``figures``: the scheme's :meth:`_figures`, when the caller has them."""
        self.ensure_one()
        indicators = indicators or self._indicators()
        figures = figures or self._figures()
        return {i.key: getattr(self, i.score)(raw, i, figures) for i in indicators}

    # ------------------------------------------------------------------ indicator scores
    # score(raw, indicator, figures): 0-100, or None when there is no data.
    def _score_linear(self, raw, indicator, figures):
        """The indicator's scales, each linear from its floor (0) to its target (100),
        combined by their shares (``Scale.share``, documented in the README): a scale
        without data leaves its share to the others."""
        scored = [(self._scale_score(raw, scale, figures), scale) for scale in indicator.scales]
        if not any(
            score is not None and not scale.zero_alone_is_no_data for score, scale in scored
        ):
            # no other scale has a score: those whose zero is no data alone count only
            # with a value
            scored = [
                (score if raw[scale.value] or not scale.zero_alone_is_no_data else None, scale)
                for score, scale in scored
            ]
        return combine(*((score, scale.share) for score, scale in scored))

    def _scale_score(self, raw, scale, figures):
        """The raw value of ``scale`` on the scheme's floor → target (a target ``per``
        a raw value multiplied by it, or by 1 when it is 0)."""
        floor = figures[scale.floor] if scale.floor else 0.0
        target = figures[scale.target]
        if scale.per:
            target *= raw[scale.per] or 1
        return linear_score(raw[scale.value], floor, target)

    def _weights(self, indicators, figures=None):
        """The weights of ``indicators`` (those with data), scaled to sum to 100."""
        self.ensure_one()
        figures = figures or self._figures()
        weights = {name: figures[f"weight_{name}"] for name in indicators}
        total = sum(weights.values())
        if not total:
            return {name: 0.0 for name in indicators}
        return {name: w * 100.0 / total for name, w in weights.items()}
