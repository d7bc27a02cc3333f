from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .delivery_tools import set_related_counts


def entry_rule_met(
    rule, score, revenue, cumulative_revenue=None, cooperation_months=None, credit_rank=0
):
    """Whether a customer meets a tier's entry ``rule`` (``delivery.tier._entry_rule``:
    minimum score, revenue, cumulative revenue, cooperation months and credit rank, then
    the rule logic): with ``score`` (0-100, or None without an evaluation), ``revenue``
    (of the graded period), ``cumulative_revenue``, ``cooperation_months`` and the rank
    of its credit level (``delivery.tier._credit_rank``). A minimum is not met by a value
    left at None (unknown); "and" asks the score (when the tier asks one) and the
    revenue, "or" either of those the tier asks."""
    min_score, min_revenue, min_cumulative, min_months, min_credit_rank, logic = rule
    if min_cumulative and (cumulative_revenue is None or cumulative_revenue < min_cumulative):
        return False
    if min_months and (cooperation_months is None or cooperation_months < min_months):
        return False
    if min_credit_rank and credit_rank < min_credit_rank:
        return False
    score_ok = score is not None and score >= min_score
    revenue_ok = (revenue or 0.0) >= min_revenue
    if logic == "and":
        return (score_ok or not min_score) and revenue_ok
    checks = []
    if min_score:
        checks.append(score_ok)
    if min_revenue:
        checks.append(revenue_ok)
    return any(checks) if checks else True


class DeliveryTier(models.Model):
    """One rung of a tier ladder (R2): entry rule, benefits, visit cadence, complaint SLA."""

    _name = "delivery.tier"
    _description = "Customer tier"
    _order = "ladder_id, level desc, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Short code used in imports and reports, e.g. DIAMOND.")
    ladder_id = fields.Many2one(
        "delivery.tier.ladder",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="ladder_id.company_id", store=True, index=True)
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    level = fields.Integer(
        required=True,
        default=1,
        help="Rank of the tier in its ladder: the higher, the better. A customer gets "
        "the highest tier whose entry rule it meets.",
    )
    color = fields.Integer()
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    # entry rule
    min_score = fields.Float(
        string="Minimum evaluation score",
        digits=(5, 2),
        help="Minimum total score (0-100) of the customer's latest evaluation.",
    )
    min_revenue = fields.Monetary(
        string="Minimum revenue",
        currency_field="currency_id",
        help="Minimum business volume (revenue) over the evaluation period.",
    )
    rule_logic = fields.Selection(
        [("and", "Score and revenue"), ("or", "Score or revenue")],
        string="Entry rule",
        required=True,
        default="and",
        help="With 'and' the customer needs both minimums; with 'or' either one is "
        "enough (a minimum left at 0 is then ignored). The cumulative revenue, "
        "cooperation and credit minimums, when set, are required in both cases.",
    )
    min_cumulative_revenue = fields.Monetary(
        string="Minimum cumulative revenue",
        currency_field="currency_id",
        help="Minimum revenue of all the customer's delivery records (cancelled ones "
        "excepted) since the cooperation began, up to the end of the graded period. "
        "0: not required.",
    )
    min_cooperation_months = fields.Integer(
        string="Minimum cooperation (months)",
        help="Minimum length of the cooperation at the end of the graded period, in "
        "months. 0: not required.",
    )
    min_credit_level = fields.Selection(
        selection="_selection_credit_level",
        string="Minimum credit level",
        help="The customer's credit level must be this one or a better one; a customer "
        "without a credit level does not qualify. "
        "Empty: not required.",
    )
    # benefits
    benefit_ids = fields.Many2many(
        "delivery.tier.benefit",
        string="Own benefits",
        help="Benefits this tier adds to those of the tiers below it.",
    )
    all_benefit_ids = fields.Many2many(
        "delivery.tier.benefit",
        compute="_compute_all_benefit_ids",
        string="Benefits",
        help="This tier's benefits and those of every lower tier of the ladder.",
    )
    # service levels
    visit_interval_days = fields.Integer(
        string="Visit every (days)",
        default=90,
        help="Visit cadence: a visit is due this many days after the last one "
        "(0: no planned visits).",
    )
    return_visit_sample_rate = fields.Float(
        string="Return visits after deliveries (%)",
        digits=(5, 2),
        default=0.0,
        help="Share of the customers' delivered jobs followed by a return visit of the "
        "account manager, some days after the delivery (003 §7.1; the delay is a "
        "company setting). 0: none.",
    )
    first_response_hours = fields.Float(
        string="First response (hours)",
        default=2.0,
        help="Complaint SLA: first response within this many hours.",
    )
    resolution_hours = fields.Float(
        string="Resolution (hours)",
        default=24.0,
        help="Complaint SLA: solution within this many hours.",
    )
    partner_count = fields.Integer(compute="_compute_partner_count", string="Customers")

    _level_unique = models.Constraint(
        "UNIQUE(ladder_id, level)",
        "Two tiers of the same ladder cannot have the same level.",
    )

    @api.model
    def _selection_credit_level(self):
        """The customer's credit levels (res.partner ``credit_level``), best first."""
        return self.env["res.partner"]._fields["credit_level"]._description_selection(self.env)

    @api.model
    def _credit_rank(self, level):
        """0 for no credit level, then 1 for the worst level up to the best one's rank."""
        levels = self.env["res.partner"]._fields["credit_level"].get_values(self.env)
        return len(levels) - levels.index(level) if level in levels else 0

    def _requirements(self):
        """What the entry rule of this tier asks, criterion by criterion (a higher
        value asks more)."""
        self.ensure_one()
        return (
            self.min_score,
            self.min_revenue,
            self.min_cumulative_revenue,
            self.min_cooperation_months,
            self._credit_rank(self.min_credit_level),
        )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for tier in self:
            tier.currency_id = (tier.company_id or self.env.company).currency_id

    @api.depends("level", "benefit_ids", "ladder_id.tier_ids.benefit_ids")
    def _compute_all_benefit_ids(self):
        for tier in self:
            lower = tier.ladder_id.tier_ids.filtered(lambda t, tier=tier: t.level <= tier.level)
            tier.all_benefit_ids = (lower | tier).benefit_ids

    @api.model
    def _tiers_with_benefit(self, kind):
        """``{tier: benefits}``: every tier whose benefits (its own and those of the
        tiers below it) include active benefits of ``kind`` (a key of BENEFIT_KINDS).
        The one place saying which customers a kind of benefit concerns: their tier is a
        key of this. Tiers are few, so this is read in Python."""
        # sudo: tiers and benefits are configuration every CRM cron and flag reads
        benefits_of_kind = self.env["delivery.tier.benefit"].sudo().search([("kind", "=", kind)])
        # the tiers of the ladders holding such a benefit (a lower tier's counts)
        tiers = self.sudo().search([("ladder_id.tier_ids.benefit_ids", "in", benefits_of_kind.ids)])
        result = {}
        for tier in tiers:
            benefits = tier.all_benefit_ids.filtered(lambda b: b.kind == kind)
            if benefits:
                result[tier.with_env(self.env)] = benefits.with_env(self.env)
        return result

    def _compute_partner_count(self):
        set_related_counts(self, "partner_count", "res.partner", "tier_id")

    @api.constrains(
        "min_score",
        "min_revenue",
        "min_cumulative_revenue",
        "min_cooperation_months",
        "visit_interval_days",
        "return_visit_sample_rate",
        "first_response_hours",
        "resolution_hours",
    )
    def _check_values(self):
        for tier in self:
            if not 0 <= tier.min_score <= 100:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the minimum score must be between 0 and 100.",
                        tier=tier.name,
                    )
                )
            if tier.min_revenue < 0:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the minimum revenue cannot be negative.",
                        tier=tier.name,
                    )
                )
            if tier.min_cumulative_revenue < 0 or tier.min_cooperation_months < 0:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the minimum cumulative revenue and cooperation "
                        "length cannot be negative.",
                        tier=tier.name,
                    )
                )
            if tier.visit_interval_days < 0:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the visit interval cannot be negative.",
                        tier=tier.name,
                    )
                )
            if not 0 <= tier.return_visit_sample_rate <= 100:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the share of deliveries followed by a return visit "
                        "must be between 0 and 100 %%.",
                        tier=tier.name,
                    )
                )
            if tier.first_response_hours <= 0 or tier.resolution_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the complaint response and resolution times "
                        "must be positive.",
                        tier=tier.name,
                    )
                )
            if tier.resolution_hours < tier.first_response_hours:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the resolution time cannot be shorter than the "
                        "first-response time.",
                        tier=tier.name,
                    )
                )

    @api.constrains(
        "level",
        "min_score",
        "min_revenue",
        "min_cumulative_revenue",
        "min_cooperation_months",
        "min_credit_level",
        "rule_logic",
        "ladder_id",
        "active",
    )
    def _check_ladder_rules(self):
        """The entry rules of a ladder must not overlap: a higher tier asks at least as
        much as every lower tier in every criterion, and strictly more in one."""
        for ladder in self.ladder_id:
            tiers = ladder.tier_ids.sorted("level")
            for lower, higher in pairwise(tiers):
                asked = list(zip(higher._requirements(), lower._requirements(), strict=True))
                if any(high < low for high, low in asked) or all(
                    high == low for high, low in asked
                ):
                    raise ValidationError(
                        self.env._(
                            "The entry rules of tiers %(higher)s and %(lower)s overlap: "
                            "in ladder %(ladder)s a higher tier must require more than the "
                            "tier below it (score, revenue, cumulative revenue, cooperation "
                            "or credit level), and never less.",
                            higher=higher.name,
                            lower=lower.name,
                            ladder=ladder.name,
                        )
                    )

    def _rule_met(
        self, score, revenue, cumulative_revenue=None, cooperation_months=None, credit_level=None
    ):
        """Whether the entry rule of this tier is met by ``score`` (0-100, or None when
        the customer has no evaluation yet), ``revenue`` (of the graded period),
        ``cumulative_revenue`` (since the cooperation began), ``cooperation_months`` and
        ``credit_level`` (a ``res.partner`` credit level). A minimum asked by the tier
        is not met by a value left at None (unknown). The rule itself is
        :func:`entry_rule_met`."""
        self.ensure_one()
        return entry_rule_met(
            self._entry_rule(),
            score,
            revenue,
            cumulative_revenue,
            cooperation_months,
            self._credit_rank(credit_level),
        )

    def _entry_rule(self):
        """This tier's entry rule as plain values, for :func:`entry_rule_met`: what it
        asks (``_requirements``) and how score and revenue combine."""
        self.ensure_one()
        return (*self._requirements(), self.rule_logic)

    @api.model
    def _match_tier(self, ladder, score, revenue, **criteria):
        """The tier of ``ladder`` that ``score``/``revenue`` and the other ``criteria``
        of :meth:`_rule_met` earn (see :meth:`_first_met`; an empty recordset for a
        ladder without tiers)."""
        return ladder.tier_ids.sorted("level", reverse=True)._first_met(score, revenue, **criteria)

    def _first_met(self, score, revenue, *, rules=None, **criteria):
        """The tier matching of the module (a new ladder, the evaluation runs): of these
        tiers of one ladder, best first, the first whose entry rule ``score``,
        ``revenue`` and the other ``criteria`` of :meth:`_rule_met` meet, else the
        ladder's entry (lowest) tier. The runs sort a ladder's tiers once per batch and
        pass their ``rules`` (``[tier._entry_rule() for tier in tiers]``), read once:
        the fields read customer by customer took a twentieth of the run."""
        if rules is None:
            rules = [tier._entry_rule() for tier in self]
        credit_rank = self._credit_rank(criteria.pop("credit_level", None))
        for tier, rule in zip(self, rules, strict=True):
            if entry_rule_met(rule, score, revenue, credit_rank=credit_rank, **criteria):
                return tier
        return self[-1:]
