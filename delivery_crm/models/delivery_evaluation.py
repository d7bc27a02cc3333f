import logging
from datetime import datetime, time

import pytz
from dateutil.relativedelta import relativedelta
from lxml.builder import E
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, date_utils

from .delivery_claim import COUNTED_STATES, SETTLED_STATES
from .delivery_constants import CUSTOMER_CLASSES
from .delivery_evaluation_indicator import (
    PERIOD_TYPES,
    PERIODS,
    Indicator,
    RawValue,
    Scale,
    indicator_problems,
    providers,
    raw_values,
    registry_problems,
)
from .delivery_rates import (
    counted_delivery,
    damaged_delivery,
    finished_delivery,
    on_time_delivery,
)

_logger = logging.getLogger(__name__)

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
# the period as odoo.tools.date_utils names it (start_of / end_of)
PERIOD_GRANULARITY = {"monthly": "month", "quarterly": "quarter", "annual": "year"}
# the monthly review of key customers looks at satisfaction and complaints only
# (001 §九.2); the quarterly and annual reviews at every indicator (PERIODS)
FULL_REVIEWS = ("quarterly", "annual")
ACTIONS = [
    ("reward", "Reward"),
    ("maintain", "Maintain"),
    ("improve", "Improvement plan"),
    ("termination_review", "Termination review"),
    ("none", "No data"),
]
# the raw values, as the indicators register them (shared ones are the same object)
_DELIVERIES = RawValue("delivery_count", "int4")
_EFFECTIVE_MONTHS = RawValue("effective_months", "int4")
_FINISHED = RawValue("finished_count", "int4")
# the shipment aggregate's values of a customer without deliveries in the window
_NO_SHIPMENTS = {
    "revenue": 0.0,
    "revenue_previous": 0.0,
    "delivery_count": 0,
    "delivery_count_previous": 0,
    "on_time_count": 0,
    "finished_count": 0,
    "damaged_count": 0,
    "active_months": 0,
    "cumulative_revenue": 0.0,
}


def period_start_of(day, period_type):
    """First day of the period of ``period_type`` that holds ``day``."""
    return date_utils.start_of(day, PERIOD_GRANULARITY[period_type])


class DeliveryEvaluation(models.Model):
    """The cooperation evaluation of one customer for one period (R4, 000 §六, 001 §九):
    every raw indicator, its score, the weight used, the total, the resulting tier and
    the recommended action, so that a result can always be explained."""

    _name = "delivery.evaluation"
    _description = "Cooperation evaluation"
    _order = "period_start desc, period_type, total_score desc, id"
    _rec_name = "partner_id"

    # looked up through the (partner_id, period_type, period_start) unique index
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    # indexed by _run_pass_partner_idx (run first)
    run_id = fields.Many2one(
        "delivery.evaluation.run", string="Evaluation run", ondelete="set null"
    )
    run_pass = fields.Integer(help="The pass of the run that computed this evaluation.")
    computation_count = fields.Integer(
        string="Computed", help="How many times this evaluation was computed (re-runs)."
    )
    period_type = fields.Selection(PERIOD_TYPES, required=True)
    period_start = fields.Date(required=True, index=True)
    period_end = fields.Date(required=True, help="Last day of the period.")
    scheme_id = fields.Many2one("delivery.evaluation.scheme", ondelete="set null")
    customer_class = fields.Selection(
        CUSTOMER_CLASSES,
        string="Classification",
    )
    account_manager_id = fields.Many2one("res.users", string="Account manager", index=True)
    # raw indicators: the raw values of _indicators(), under their names
    revenue = fields.Monetary(currency_field="currency_id")
    revenue_previous = fields.Monetary(
        string="Revenue (previous period)", currency_field="currency_id"
    )
    cumulative_revenue = fields.Monetary(
        string="Cumulative revenue",
        currency_field="currency_id",
        help="Revenue of all the customer's delivery records (cancelled ones excepted) "
        "since the cooperation began, up to the end of the period.",
    )
    growth = fields.Float(string="Revenue growth (%)", digits=(10, 2))
    delivery_count = fields.Integer(string="Deliveries")
    delivery_count_previous = fields.Integer(string="Deliveries (previous period)")
    on_time_count = fields.Integer(string="On time")
    finished_count = fields.Integer(string="Finished deliveries")
    on_time_rate = fields.Float(string="On-time rate (%)", digits=(5, 2))
    damaged_count = fields.Integer(
        string="Damaged or lost", help="Finished deliveries of the period damaged or lost."
    )
    damage_rate = fields.Float(
        string="Damage/loss rate (%)",
        digits=(5, 2),
        help="Deliveries damaged or lost, in % of the finished deliveries of the period.",
    )
    active_months = fields.Integer(help="Months of the period with at least one delivery.")
    effective_months = fields.Integer(
        string="Months cooperated", help="Months of the period the customer cooperated."
    )
    active_share = fields.Float(string="Active months (%)", digits=(5, 2))
    cooperation_months = fields.Integer(string="Cooperation length (months)")
    retention = fields.Float(
        string="Order retention (%)",
        digits=(5, 2),
        help="Deliveries of the period compared with the previous period, capped at 100 %.",
    )
    referrals = fields.Integer(help="Customers converted on this customer's referral.")
    satisfaction = fields.Float(string="Satisfaction (%)", digits=(5, 2))
    satisfaction_count = fields.Integer(string="Satisfaction answers")
    complaint_count = fields.Integer(string="Complaint count")
    complaint_rate = fields.Float(string="Complaint rate (%)", digits=(5, 2))
    # which indicators had data: has_<key> of each indicator, has_<name> of each
    # flagged raw value
    has_satisfaction = fields.Boolean()
    has_volume = fields.Boolean()
    has_stability = fields.Boolean()
    has_loyalty = fields.Boolean()
    has_complaint = fields.Boolean()
    has_on_time = fields.Boolean()
    has_damage = fields.Boolean()
    has_growth = fields.Boolean()
    has_retention = fields.Boolean()
    # scores (0-100) and effective weights (sum 100 over the indicators with data):
    # score_<key> and weight_<key> of each indicator
    score_satisfaction = fields.Float(digits=(5, 2))
    score_volume = fields.Float(digits=(5, 2))
    score_stability = fields.Float(digits=(5, 2))
    score_loyalty = fields.Float(digits=(5, 2))
    score_complaint = fields.Float(digits=(5, 2))
    score_on_time = fields.Float(digits=(5, 2))
    score_damage = fields.Float(digits=(5, 2))
    weight_satisfaction = fields.Float(digits=(5, 2))
    weight_volume = fields.Float(digits=(5, 2))
    weight_stability = fields.Float(digits=(5, 2))
    weight_loyalty = fields.Float(digits=(5, 2))
    weight_complaint = fields.Float(digits=(5, 2))
    weight_on_time = fields.Float(digits=(5, 2))
    weight_damage = fields.Float(digits=(5, 2))
    # task claim (issue 15 item 3): the claims indicator (claims filed in the period)
    claim_count = fields.Integer(
        string="Claims",
        help="Compensation claims filed in the period, neither cancelled nor refused.",
    )
    claim_amount = fields.Monetary(string="Claimed amount", currency_field="currency_id")
    claim_amount_approved = fields.Monetary(
        string="Approved claims amount", currency_field="currency_id"
    )
    claim_rate = fields.Float(
        string="Claim rate (per 100 deliveries)",
        digits=(5, 2),
        help="Claims counted per 100 deliveries of the period.",
    )
    has_claims = fields.Boolean()
    score_claims = fields.Float(digits=(5, 2))
    weight_claims = fields.Float(digits=(5, 2))
    has_score = fields.Boolean()
    total_score = fields.Float(digits=(5, 2), aggregator="avg")
    # results
    tier_before_id = fields.Many2one("delivery.tier", string="Tier before", ondelete="set null")
    tier_id = fields.Many2one(
        "delivery.tier",
        string="Resulting tier",
        ondelete="set null",
        help="The tier the rules give for this result (the customer keeps a running "
        "manual override).",
    )
    tier_graded = fields.Boolean(
        string="Graded the tier",
        readonly=True,
        help="This evaluation set the customer's tier: it is of its ladder's grading "
        "period and no later period had graded the customer. The other evaluations "
        "report the tier their result would give, and move nothing.",
    )
    recommended_action = fields.Selection(ACTIONS)
    action_done = fields.Boolean(
        help="The consequences of the recommended action (tier, activities, reward flag) "
        "were applied."
    )
    explanation = fields.Html(compute="_compute_explanation")

    _period_unique = models.Constraint(
        "UNIQUE(partner_id, period_type, period_start)",
        lambda env, diag=None: env._("A customer has one evaluation per period."),
    )
    # the run's batches find the customers it has not evaluated yet after the last
    # batch (``delivery.evaluation.run._todo_domain``): this run's rows only, from there
    _run_pass_partner_idx = models.Index("(run_id, run_pass, partner_id)")

    # ------------------------------------------------------------------ indicators
    @api.model
    def _indicators(self):
        """The evaluation's indicators (see ``delivery_evaluation_indicator``): the one
        place that lists them. Another module adds one with ``super()`` plus its own
        :class:`Indicator`, its fields, provider and score method."""
        return (
            Indicator(
                "satisfaction",
                self.env._("Satisfaction"),
                raw=(
                    RawValue("satisfaction", "float8", "percent", present="satisfaction_count"),
                    RawValue("satisfaction_count", "int4"),
                ),
                providers=("_raw_satisfaction",),
                score="_score_linear",
                scales=(Scale("satisfaction", "satisfaction_target", "satisfaction_floor"),),
                periods=PERIODS,
            ),
            Indicator(
                "volume",
                self.env._("Business volume"),
                raw=(
                    RawValue("revenue", "numeric", "money"),
                    RawValue("revenue_previous", "numeric", "money"),
                    RawValue("growth", "float8", "percent", flagged=True),
                    RawValue("cumulative_revenue", "numeric", "money"),
                    _EFFECTIVE_MONTHS,
                ),
                providers=("_raw_shipments",),
                score="_score_linear",
                scales=(
                    Scale("revenue", "revenue_target", share=70, per="effective_months"),
                    Scale("growth", "growth_target", "growth_floor", share=30),
                ),
                periods=FULL_REVIEWS,
            ),
            Indicator(
                "stability",
                self.env._("Cooperation stability"),
                raw=(
                    _EFFECTIVE_MONTHS,
                    RawValue("active_months", "int4"),
                    RawValue("active_share", "float8", "percent", present="effective_months"),
                    RawValue("cooperation_months", "int4"),
                ),
                providers=("_raw_shipments",),
                score="_score_linear",
                scales=(
                    Scale("cooperation_months", "cooperation_months_target", share=50),
                    Scale("active_share", "active_share_target", share=50),
                ),
                periods=FULL_REVIEWS,
            ),
            Indicator(
                "loyalty",
                self.env._("Loyalty"),
                raw=(
                    _DELIVERIES,
                    RawValue("delivery_count_previous", "int4"),
                    RawValue("retention", "float8", "percent", flagged=True),
                    RawValue("referrals", "int4"),
                ),
                providers=("_raw_shipments", "_raw_referrals"),
                score="_score_linear",
                scales=(
                    Scale("retention", "retention_target", "retention_floor", share=80),
                    # no referral and no retention figure: no data, not a zero score
                    Scale("referrals", "referral_target", share=20, zero_alone_is_no_data=True),
                ),
                periods=FULL_REVIEWS,
            ),
            Indicator(
                "complaint",
                self.env._("Complaint rate"),
                raw=(
                    RawValue("complaint_count", "int4"),
                    _DELIVERIES,
                    RawValue("complaint_rate", "float8", "percent", present="delivery_count"),
                ),
                providers=("_raw_shipments", "_raw_complaints"),
                score="_score_linear",
                scales=(
                    Scale(
                        "complaint_rate",
                        "complaint_rate_target",
                        "complaint_rate_floor",
                        lower_is_better=True,
                    ),
                ),
                periods=PERIODS,
            ),
            Indicator(
                "on_time",
                self.env._("On-time rate"),
                raw=(
                    RawValue("on_time_count", "int4"),
                    _FINISHED,
                    RawValue("on_time_rate", "float8", "percent", present="finished_count"),
                ),
                providers=("_raw_shipments",),
                score="_score_linear",
                scales=(Scale("on_time_rate", "on_time_target", "on_time_floor"),),
                periods=FULL_REVIEWS,
            ),
            Indicator(
                "damage",
                self.env._("Damage/loss rate"),
                raw=(
                    RawValue("damaged_count", "int4"),
                    _FINISHED,
                    RawValue("damage_rate", "float8", "percent", present="finished_count"),
                ),
                providers=("_raw_shipments",),
                score="_score_linear",
                scales=(
                    Scale(
                        "damage_rate",
                        "damage_rate_target",
                        "damage_rate_floor",
                        lower_is_better=True,
                    ),
                ),
                periods=FULL_REVIEWS,
            ),
            # task claim (issue 15 item 3): claims per 100 deliveries, lower is better
            Indicator(
                "claims",
                self.env._("Claim rate"),
                raw=(
                    RawValue("claim_count", "int4"),
                    RawValue("claim_amount", "numeric", "money"),
                    RawValue("claim_amount_approved", "numeric", "money"),
                    _DELIVERIES,
                    RawValue("claim_rate", "float8", "number", present="delivery_count"),
                ),
                providers=("_raw_shipments", "_raw_claims"),
                score="_score_linear",
                scales=(
                    Scale(
                        "claim_rate",
                        "claim_rate_target",
                        "claim_rate_floor",
                        lower_is_better=True,
                    ),
                ),
                periods=FULL_REVIEWS,
            ),
        )

    @api.model
    def _indicator_problems(self, indicators=None):
        """What the registered indicators (or ``indicators``) lack; empty when complete."""
        scheme = self.env["delivery.evaluation.scheme"]
        if indicators is None:
            return registry_problems(self._indicators(), self, scheme)
        return [p for i in indicators for p in indicator_problems(i, self, scheme)]

    def _register_hook(self):
        super()._register_hook()
        for problem in self._indicator_problems():
            _logger.error("delivery.evaluation indicator: %s", problem)

    @api.model
    def _raw_values(self, indicators=None):
        """The raw values the evaluation stores, each once."""
        return raw_values(indicators or self._indicators())

    @api.model
    def _indicators_of(self, period_type, indicators=None):
        """The indicators of the review of ``period_type`` (the others are no part of
        its score, its explanation or its report)."""
        return tuple(i for i in indicators or self._indicators() if period_type in i.periods)

    @api.model
    def _add_score_columns(self, list_node, optional="show"):
        """A ``score_<key>`` column per indicator in ``list_node`` (an evaluation list,
        the model's own or one embedded in another form), after its total score;
        ``optional``: whether a column is shown by default."""
        if (total := list_node.find(".//field[@name='total_score']")) is not None:
            for indicator in reversed(self._indicators()):
                total.addnext(E.field(name=f"score_{indicator.key}", optional=optional))

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """The indicators' fields in the views, from the registrations: the list's
        scores after the total, the form's raw values (a group per indicator), scores
        and weights in its placeholder groups."""
        arch, view = super()._get_view(view_id, view_type, **options)
        indicators = self._indicators()
        if view_type == "list":
            self._add_score_columns(arch)
        if view_type != "form":
            return arch, view
        if (values := arch.find(".//group[@name='indicator_values']")) is not None:
            home = self._raw_value_homes(indicators)
            for indicator in indicators:
                group = E.group(name=f"indicator_values_{indicator.key}", string=indicator.label)
                for value in indicator.raw:
                    if home[value.name] != indicator.key:
                        continue
                    node = E.field(name=value.name)
                    if value.data_field:
                        node.set("invisible", f"not {value.data_field}")
                    group.append(node)
                if len(group):
                    self._show_in_review(group, indicator)
                    values.append(group)
        for name, prefix in (("indicator_scores", "score_"), ("indicator_weights", "weight_")):
            if (group := arch.find(f".//group[@name='{name}']")) is not None:
                for indicator in indicators:
                    node = E.field(name=f"{prefix}{indicator.key}")
                    self._show_in_review(node, indicator)
                    group.append(node)
        return arch, view

    @api.model
    def _raw_value_homes(self, indicators):
        """{raw value: the key of the indicator whose group shows it}: the first
        indicator that has it and is reviewed in every period any of its indicators
        is (a value two indicators share shows once, and on every evaluation that
        needs it)."""
        periods = {}
        for indicator in indicators:
            for value in indicator.raw:
                periods.setdefault(value.name, set()).update(indicator.periods)
        homes = {}
        for indicator in indicators:
            for value in indicator.raw:
                if value.name not in homes and periods[value.name] <= set(indicator.periods):
                    homes[value.name] = indicator.key
        for indicator in indicators:
            for value in indicator.raw:
                homes.setdefault(value.name, indicator.key)
        return homes

    @api.model
    def _show_in_review(self, node, indicator):
        """Hide ``node`` on the evaluations of the periods ``indicator`` is not
        reviewed in (the monthly review has two indicators)."""
        if not set(PERIODS) <= set(indicator.periods):
            node.set("invisible", f"period_type not in {list(indicator.periods)!r}")

    @api.depends(
        lambda self: [
            "period_type",
            *(
                f"{prefix}_{i.key}"
                for i in self._indicators()
                for prefix in ("has", "score", "weight")
            ),
            "total_score",
        ]
    )
    def _compute_explanation(self):
        indicators = self._indicators()
        head = Markup(
            "<thead><tr><th>%s</th><th class='text-end'>%s</th><th class='text-end'>%s</th>"
            "<th class='text-end'>%s</th></tr></thead>"
        ) % (
            self.env._("Indicator"),
            self.env._("Score"),
            self.env._("Weight (%)"),
            self.env._("Points"),
        )
        no_data = self.env._("no data: its weight goes to the other indicators")
        for evaluation in self:
            rows = []
            for indicator in self._indicators_of(evaluation.period_type, indicators):
                if evaluation[f"has_{indicator.key}"]:
                    score = evaluation[f"score_{indicator.key}"]
                    weight = evaluation[f"weight_{indicator.key}"]
                    rows.append(
                        Markup(
                            "<tr><td>%s</td><td class='text-end'>%.1f</td>"
                            "<td class='text-end'>%.1f</td><td class='text-end'>%.1f</td></tr>"
                        )
                        % (indicator.label, score, weight, score * weight / 100.0)
                    )
                else:
                    rows.append(
                        Markup("<tr class='text-muted'><td>%s</td><td colspan='3'>%s</td></tr>")
                        % (indicator.label, no_data)
                    )
            total = Markup(
                "<tfoot><tr><th>%s</th><th/><th/><th class='text-end'>%.1f</th></tr></tfoot>"
            ) % (self.env._("Total"), evaluation.total_score)
            evaluation.explanation = Markup(
                "<table class='table table-sm'>%s<tbody>%s</tbody>%s</table>"
            ) % (head, Markup("").join(rows), total)

    # ------------------------------------------------------------------ extension points
    @api.model
    def _get_satisfaction_data(self, partner_ids, start, end):
        """Satisfaction per customer over [start, end) (UTC datetimes).

        :return: ``{partner_id: (satisfaction_percent, number_of_answers)}`` for the
            customers that have data; a customer absent from the dict has "no data".
            The ratings of requests, the scores of return visits and the completed
            satisfaction surveys are merged, weighted by their number of answers.
        """
        merged = {}
        for source in ("delivery.complaint", "delivery.visit", "delivery.survey.invitation"):
            figures = self.env[source]._satisfaction_by_partner(partner_ids, start, end)
            for partner_id, (percent, count) in figures.items():
                before, before_count = merged.get(partner_id, (0.0, 0))
                total = before_count + count
                merged[partner_id] = ((before * before_count + percent * count) / total, total)
        return merged

    @api.model
    def _get_complaint_counts(self, partner_ids, start, end):
        """Complaints per customer over [start, end) (UTC datetimes).

        :return: ``{partner_id: count}`` (absent means 0); ``None`` would mean that
            no complaint source exists (the complaint rate would then be "no data").
        """
        return self.env["delivery.complaint"]._complaint_counts(partner_ids, start, end)

    # ------------------------------------------------------------------ computation
    @api.model
    def _period_bounds(self, period_type, period_start, tz_name):
        """The period's last day and its [start, end) bounds in UTC, from midnight in
        the company's timezone, plus the previous period's start in UTC."""
        months = PERIOD_MONTHS[period_type]
        next_start = period_start + relativedelta(months=months)
        prev_start = period_start - relativedelta(months=months)
        tz = pytz.timezone(tz_name or "UTC")

        def utc(day):
            return (
                tz.localize(datetime.combine(day, time.min))
                .astimezone(pytz.UTC)
                .replace(tzinfo=None)
            )

        return {
            "period_end": date_utils.end_of(period_start, PERIOD_GRANULARITY[period_type]),
            "start": utc(period_start),
            "end": utc(next_start),
            "prev_start": utc(prev_start),
            "months": months,
        }

    @api.model
    def _fetch_partner_rows(self, partner_ids):
        """{id: row} with the few customer fields the evaluation needs, in one query
        (reading them through the ORM would load every partner column)."""
        self.env["res.partner"].flush_model(
            [
                "customer_class",
                "tier_ladder_id",
                "tier_id",
                "cooperation_start_date",
                "account_manager_id",
                "service_team_id",
                "credit_level",
            ]
        )
        self.env["delivery.tier.ladder"].flush_model(["grading_period_type"])
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT p.id, p.customer_class, p.tier_ladder_id, p.tier_id,
                       p.cooperation_start_date, p.account_manager_id, p.service_team_id,
                       p.credit_level, l.grading_period_type
                  FROM res_partner p
                  LEFT JOIN delivery_tier_ladder l ON l.id = p.tier_ladder_id
                 WHERE p.id IN %s
                """,
                tuple(partner_ids),
            )
        )
        return {row["id"]: row for row in rows}

    @api.model
    def _compute_raw(
        self, partners, period_type, period_start, tz_name, partner_rows=None, indicators=None
    ):
        """Raw values of ``partners`` for the period: each provider of the indicators
        runs once for the whole batch, a few aggregate queries whatever its size (no
        query per customer).

        :return: ``{partner_id: {raw value name: value}}``
        """
        indicators = indicators or self._indicators()
        ids = tuple(partners.ids)
        if partner_rows is None:
            partner_rows = self._fetch_partner_rows(ids)
        period = {
            **self._period_bounds(period_type, period_start, tz_name),
            "period_type": period_type,
            "period_start": period_start,
            "tz": tz_name or "UTC",
            "partner_rows": partner_rows,
        }
        raw = {partner_id: {} for partner_id in ids}
        for provider in providers(indicators):
            for partner_id, values in getattr(self, provider)(ids, period, raw).items():
                raw[partner_id].update(values)
        names = {value.name for value in self._raw_values(indicators)}
        for partner_id, values in raw.items():
            if missing := names - values.keys():
                raise ValueError(
                    f"delivery.evaluation: no raw value {sorted(missing)} for partner {partner_id}"
                )
        return raw

    # ------------------------------------------------------------------ providers
    # provider(partner_ids, period, raw) -> {partner_id: {name: value}}: ``period`` has
    # the period's bounds (``_period_bounds``), type, start, timezone and the customers'
    # rows (``_fetch_partner_rows``); ``raw`` the values of the providers run before.
    @api.model
    def _shipment_aggregate_query(self, partner_ids, period):
        """The shipment aggregate of the customers ``partner_ids`` (a tuple of ids, or
        an SQL sub-query selecting them, in parentheses as ``Query.subselect()`` gives
        it): one row per customer with deliveries, its columns ``partner_id, revenue,
        revenue_previous, delivery_count, delivery_count_previous, on_time_count,
        finished_count, damaged_count, active_months, cumulative_revenue`` (read by name, as
        ``_NO_SHIPMENTS`` names them). ``bench/bench.py`` runs it as the evaluation's
        lower bound."""
        return SQL(
            """
            SELECT s.partner_id,
                   COALESCE(SUM(s.revenue) FILTER (WHERE s.date >= %(start)s), 0) AS revenue,
                   COALESCE(SUM(s.revenue) FILTER (WHERE %(previous)s), 0) AS revenue_previous,
                   COUNT(*) FILTER (WHERE s.date >= %(start)s) AS delivery_count,
                   COUNT(*) FILTER (WHERE %(previous)s) AS delivery_count_previous,
                   COUNT(*) FILTER (WHERE s.date >= %(start)s AND %(on_time)s) AS on_time_count,
                   COUNT(*) FILTER (WHERE s.date >= %(start)s AND %(finished)s)
                       AS finished_count,
                   COUNT(*) FILTER (WHERE s.date >= %(start)s AND %(damaged)s)
                       AS damaged_count,
                   COUNT(DISTINCT date_trunc(
                       'month', timezone(%(tz)s, timezone('UTC', s.date))))
                       FILTER (WHERE s.date >= %(start)s) AS active_months,
                   COALESCE(SUM(s.revenue) FILTER (
                       WHERE p.cooperation_start_date IS NULL
                          OR s.date >= timezone('UTC', timezone(
                                 %(tz)s, p.cooperation_start_date::timestamp))), 0)
                       AS cumulative_revenue
              FROM delivery_shipment s
              JOIN res_partner p ON p.id = s.partner_id
             WHERE s.partner_id IN %(ids)s AND s.date < %(end)s
               -- the same customers again on their own table: PostgreSQL does not carry
               -- a list over a join, and read every customer to hash them (half the
               -- query's time for a batch of 2,000 among 100,000)
               AND p.id IN %(ids)s
               AND %(counted)s
             GROUP BY s.partner_id
            """,
            on_time=on_time_delivery("s"),
            finished=finished_delivery("s"),
            damaged=damaged_delivery("s"),
            counted=counted_delivery("s"),
            start=period["start"],
            previous=SQL("s.date >= %s AND s.date < %s", period["prev_start"], period["start"]),
            end=period["end"],
            tz=period["tz"],
            ids=partner_ids,
        )

    @api.model
    def _raw_shipments(self, partner_ids, period, raw):
        """Volume, deliveries, on-time and damage/loss rates, activity and cooperation
        length: one aggregate query over the delivery records, its columns read by name."""
        self.env["delivery.shipment"].flush_model()
        rows = self.env.execute_query_dict(self._shipment_aggregate_query(partner_ids, period))
        business = {row["partner_id"]: row for row in rows}
        period_end = period["period_end"]
        result = {}
        for partner_id in partner_ids:
            row = business.get(partner_id, _NO_SHIPMENTS)
            revenue, revenue_prev = float(row["revenue"]), float(row["revenue_previous"])
            count, count_prev = row["delivery_count"], row["delivery_count_previous"]
            on_time, finished = row["on_time_count"], row["finished_count"]
            damaged = row["damaged_count"]
            active = row["active_months"]
            coop_start = period["partner_rows"][partner_id]["cooperation_start_date"]
            effective = self._effective_months(coop_start, period["period_start"], period)
            cooperation = 0
            if coop_start and coop_start <= period_end:
                delta = relativedelta(period_end + relativedelta(days=1), coop_start)
                cooperation = delta.years * 12 + delta.months
            result[partner_id] = {
                "revenue": revenue,
                "revenue_previous": revenue_prev,
                "cumulative_revenue": float(row["cumulative_revenue"]),
                "growth": (revenue - revenue_prev) / revenue_prev * 100.0 if revenue_prev else None,
                "delivery_count": count,
                "delivery_count_previous": count_prev,
                "on_time_count": on_time,
                "finished_count": finished,
                "on_time_rate": on_time * 100.0 / finished if finished else None,
                "damaged_count": damaged,
                "damage_rate": damaged * 100.0 / finished if finished else None,
                "active_months": active,
                "effective_months": effective,
                "active_share": min(100.0, active * 100.0 / effective) if effective else None,
                "cooperation_months": cooperation,
                "retention": min(100.0, count * 100.0 / count_prev) if count_prev else None,
            }
        return result

    @api.model
    def _referral_query(self, partner_ids, period):
        """Customers converted on the referral of each of ``partner_ids`` (as for
        ``_shipment_aggregate_query``) by the end of the period: ``(referred_by_id,
        referrals)`` rows."""
        return SQL(
            """
            SELECT referred_by_id, COUNT(*) AS referrals
              FROM res_partner
             WHERE referred_by_id IN %(ids)s
               AND conversion_date IS NOT NULL AND conversion_date <= %(end)s
             GROUP BY referred_by_id
            """,
            ids=partner_ids,
            end=period["period_end"],
        )

    @api.model
    def _raw_referrals(self, partner_ids, period, raw):
        referrals = dict(self.env.execute_query(self._referral_query(partner_ids, period)))
        return {pid: {"referrals": referrals.get(pid, 0)} for pid in partner_ids}

    @api.model
    def _claim_query(self, partner_ids, period):
        """The claims of ``partner_ids`` (as for ``_shipment_aggregate_query``) filed
        in the period and counted (``delivery_claim.COUNTED_STATES``: neither cancelled
        nor refused): ``(partner_id, claim_count, claim_amount, claim_amount_approved)``
        rows, the approved amount of the settled ones."""
        return SQL(
            """
            SELECT c.partner_id,
                   COUNT(*) AS claim_count,
                   COALESCE(SUM(c.amount_claimed), 0) AS claim_amount,
                   COALESCE(SUM(c.amount_approved) FILTER (WHERE c.state IN %(settled)s), 0)
                       AS claim_amount_approved
              FROM delivery_claim c
             WHERE c.partner_id IN %(ids)s
               AND c.state IN %(counted)s
               AND c.submitted_date >= %(start)s AND c.submitted_date < %(end)s
             GROUP BY c.partner_id
            """,
            ids=partner_ids,
            counted=COUNTED_STATES,
            settled=SETTLED_STATES,
            start=period["start"],
            end=period["end"],
        )

    @api.model
    def _raw_claims(self, partner_ids, period, raw):
        """Claims, their amounts and their rate per 100 deliveries of the period
        (``_raw_shipments``): one aggregate query; no deliveries, no rate."""
        self.env["delivery.claim"].flush_model(
            ["partner_id", "state", "submitted_date", "amount_claimed", "amount_approved"]
        )
        rows = self.env.execute_query(self._claim_query(partner_ids, period))
        claims = {partner_id: values for partner_id, *values in rows}
        result = {}
        for partner_id in partner_ids:
            count, claimed, approved = claims.get(partner_id, (0, 0.0, 0.0))
            deliveries = raw[partner_id]["delivery_count"]
            result[partner_id] = {
                "claim_count": count,
                "claim_amount": float(claimed),
                "claim_amount_approved": float(approved),
                "claim_rate": count * 100.0 / deliveries if deliveries else None,
            }
        return result

    @api.model
    def _raw_satisfaction(self, partner_ids, period, raw):
        satisfaction = self._get_satisfaction_data(
            list(partner_ids), period["start"], period["end"]
        )
        result = {}
        for partner_id in partner_ids:
            sat = satisfaction.get(partner_id)
            result[partner_id] = {
                "satisfaction": sat[0] if sat else None,
                "satisfaction_count": sat[1] if sat else 0,
            }
        return result

    @api.model
    def _raw_complaints(self, partner_ids, period, raw):
        """Complaints and their rate over the period's deliveries (``_raw_shipments``)."""
        complaints = self._get_complaint_counts(list(partner_ids), period["start"], period["end"])
        result = {}
        for partner_id in partner_ids:
            count = raw[partner_id]["delivery_count"]
            complaint_count = (complaints or {}).get(partner_id, 0)
            result[partner_id] = {
                "complaint_count": complaint_count,
                "complaint_rate": (
                    complaint_count * 100.0 / count if complaints is not None and count else None
                ),
            }
        return result

    @api.model
    def _effective_months(self, start, period_start, bounds):
        """Months of the period the customer cooperated: all of them, or from the month
        its cooperation (``start``) began when that falls inside the period."""
        if not start or start <= period_start:
            return bounds["months"]
        if start > bounds["period_end"]:
            return 0
        delta = relativedelta(bounds["period_end"] + relativedelta(days=1), start.replace(day=1))
        return delta.years * 12 + delta.months

    @api.model
    def _score_raw(self, scheme, raw, period_type, indicators=None, figures=None):
        """Scores, effective weights, total and the indicators that had data (those
        of the period's kind); ``figures``: the scheme's ``_figures()``, when the caller
        has them."""
        indicators = indicators or self._indicators()
        figures = figures or scheme._figures()
        scores = scheme._score(raw, indicators, figures)
        available = [
            i.key for i in self._indicators_of(period_type, indicators) if scores[i.key] is not None
        ]
        weights = scheme._weights(available, figures)
        total = sum(scores[name] * weights[name] for name in available) / 100.0
        return scores, weights, available, (round(total, 2) if available else None)

    @api.model
    def _recommend(self, scheme, total, previous_action):
        """reward / maintain / improve / termination_review (000 §六(三)): a customer
        still poor after an improvement plan goes to a termination review."""
        if total is None:
            return "none"
        if total >= scheme.excellent_score:
            return "reward"
        if total < scheme.poor_score:
            if previous_action in ("improve", "termination_review"):
                return "termination_review"
            return "improve"
        return "maintain"
