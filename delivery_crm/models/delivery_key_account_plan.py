from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .delivery_constants import GROUP_MANAGER
from .delivery_key_account_measure_mixin import MEASURES
from .delivery_rates import counted_delivery, local_month

FREQUENCIES = [
    ("weekly", "Weekly"),
    ("biweekly", "Every two weeks"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("half_yearly", "Twice a year"),
    ("yearly", "Once a year"),
]
# each frequency: (contacts a year, days between visits, communication plan interval)
FREQUENCY_RULES = {
    "weekly": (52, 7, (1, "weeks")),
    "biweekly": (26, 14, (2, "weeks")),
    "monthly": (12, 30, (1, "months")),
    "quarterly": (4, 91, (3, "months")),
    "half_yearly": (2, 182, (6, "months")),
    "yearly": (1, 365, (12, "months")),
}
# what an approved plan locks: a manager resets it to draft to change it
LOCKED_FIELDS = {
    "partner_id",
    "year",
    "company_id",
    "user_id",
    "evaluation_id",
    "objectives",
    "volume_target",
    "revenue_target",
    "service_measures",
    "visit_frequency",
    "communication_frequency",
}
APPROVAL_FIELDS = {"state", "approved_by_id", "approved_date"}


class DeliveryKeyAccountPlan(models.Model):
    """The yearly plan of a key customer (大客户年度维护工作计划, 001 §九.2; R11),
    drawn up after the annual review: objectives, planned volume and revenue, service
    measures, how often the customer is visited and contacted, and who is responsible.
    Staff draft it; a Delivery CRM manager approves it, which locks it."""

    _name = "delivery.key.account.plan"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "delivery.key.account.measure.mixin",
    ]
    _description = "Key-account plan"
    _order = "year desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Key customer",
        required=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
        domain="[('is_delivery_customer', '=', True), ('customer_class', '=', 'key')]",
    )
    year = fields.Integer(
        required=True,
        default=lambda self: fields.Date.context_today(self).year,
        tracking=True,
        help="The year the plan is for; it follows the annual review of the year before.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        tracking=True,
        index=True,
        domain=[("share", "=", False)],
        help="Who carries the plan out; the customer's account manager by default.",
    )
    evaluation_id = fields.Many2one(
        "delivery.evaluation",
        string="Annual review",
        compute="_compute_evaluation_id",
        store=True,
        readonly=False,
        ondelete="set null",
        check_company=True,
        domain="[('partner_id', '=', partner_id), ('period_type', '=', 'annual')]",
        help="The annual evaluation the plan follows: the customer's evaluation of the "
        "year before the plan's year, when there is one.",
    )
    evaluation_score = fields.Float(
        related="evaluation_id.total_score", string="Review score", digits=(5, 2)
    )
    evaluation_action = fields.Selection(
        related="evaluation_id.recommended_action", string="Recommended action"
    )
    objectives = fields.Html(help="What the cooperation should achieve this year.")
    volume_target = fields.Integer(string="Planned deliveries", tracking=True)
    revenue_target = fields.Monetary(
        string="Revenue target", currency_field="currency_id", tracking=True
    )
    service_measures = fields.Html(
        string="Service measures",
        help="Differentiated service for the customer: dedicated staff, priority "
        "handling, custom services, training...",
    )
    visit_frequency = fields.Selection(FREQUENCIES, string="Visits", tracking=True)
    communication_frequency = fields.Selection(FREQUENCIES, string="Communication", tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("approved", "Approved")],
        required=True,
        default="draft",
        readonly=True,
        tracking=True,
        index=True,
        copy=False,
    )
    approved_by_id = fields.Many2one("res.users", string="Approved by", readonly=True, copy=False)
    approved_date = fields.Date(string="Approved on", readonly=True, copy=False)
    # measured (001 §九.2): the year's targets against what happened, month by month
    visit_target = fields.Integer(
        string="Planned visits",
        compute="_compute_frequency_targets",
        store=True,
        help="Visits a year at the plan's visit frequency.",
    )
    communication_target = fields.Integer(
        string="Planned communications",
        compute="_compute_frequency_targets",
        store=True,
        help="Communications a year at the plan's communication frequency.",
    )
    visit_interval_days = fields.Integer(
        string="Days between visits",
        compute="_compute_frequency_targets",
        store=True,
        help="While the approved plan runs, the customer's visits are due this many days "
        "apart instead of the tier's cadence.",
    )
    month_ids = fields.One2many(
        "delivery.key.account.plan.month", "plan_id", string="Months", readonly=True
    )
    deliveries_actual = fields.Integer(string="Deliveries to date", readonly=True, copy=False)
    revenue_actual = fields.Monetary(
        string="Revenue to date", currency_field="currency_id", readonly=True, copy=False
    )
    visits_actual = fields.Integer(string="Visits to date", readonly=True, copy=False)
    communications_actual = fields.Integer(
        string="Communications to date", readonly=True, copy=False
    )
    measured_date = fields.Datetime(string="Measured on", readonly=True, copy=False)
    communication_plan_ids = fields.One2many(
        "delivery.communication.plan",
        "key_account_plan_id",
        string="Communication plans",
        readonly=True,
        context={"active_test": False},
    )

    _partner_year_unique = models.Constraint(
        "UNIQUE (partner_id, year)",
        "A key customer has one plan per year.",
    )
    _year_check = models.Constraint(
        "CHECK (year BETWEEN 2000 AND 2999)",
        "The year of a key-account plan must be a four-digit year.",
    )
    _targets_positive = models.Constraint(
        "CHECK (volume_target >= 0 AND revenue_target >= 0)",
        "The targets of a key-account plan cannot be negative.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("partner_id", "year")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._(
                "%(year)s plan of %(customer)s",
                year=plan.year or "",
                customer=plan.partner_id.display_name or "",
            )

    @api.depends("partner_id")
    def _compute_user_id(self):
        for plan in self:
            plan.user_id = plan.partner_id.account_manager_id or plan.user_id or self.env.user

    @api.depends("partner_id", "year")
    def _compute_evaluation_id(self):
        plans = self.filtered(lambda p: p.partner_id and p.year)
        (self - plans).evaluation_id = False
        if not plans:
            return
        evaluations = self.env["delivery.evaluation"].search(
            [
                ("partner_id", "in", plans.partner_id.ids),
                ("period_type", "=", "annual"),
                ("period_start", "in", list({date(p.year - 1, 1, 1) for p in plans})),
            ]
        )
        by_key = {(e.partner_id, e.period_start.year): e for e in evaluations}
        for plan in plans:
            plan.evaluation_id = by_key.get((plan.partner_id, plan.year - 1), False)

    @api.depends("visit_frequency", "communication_frequency")
    def _compute_frequency_targets(self):
        for plan in self:
            visits = FREQUENCY_RULES.get(plan.visit_frequency)
            contacts = FREQUENCY_RULES.get(plan.communication_frequency)
            plan.visit_target = visits[0] if visits else 0
            plan.visit_interval_days = visits[1] if visits else 0
            plan.communication_target = contacts[0] if contacts else 0

    def _measure_sources(self):
        return [(measure, f"{measure}_actual", target) for measure, _cumul, target in MEASURES]

    # ------------------------------------------------------------------ constraints
    @api.constrains("partner_id")
    def _check_key_customer(self):
        for plan in self:
            if plan.partner_id.customer_class != "key":
                raise ValidationError(
                    self.env._(
                        "%(customer)s is not a key customer: key-account plans are for "
                        "key customers only.",
                        customer=plan.partner_id.display_name,
                    )
                )

    @api.constrains("partner_id", "evaluation_id")
    def _check_evaluation(self):
        for plan in self.filtered("evaluation_id"):
            evaluation = plan.evaluation_id
            if evaluation.partner_id != plan.partner_id or evaluation.period_type != "annual":
                raise ValidationError(
                    self.env._(
                        "The review of a key-account plan must be an annual evaluation of "
                        "%(customer)s.",
                        customer=plan.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if any(APPROVAL_FIELDS & vals.keys() for vals in vals_list):
            self._check_manager()
        return super().create(vals_list)

    def write(self, vals):
        if APPROVAL_FIELDS & vals.keys():
            self._check_manager()
        if (
            LOCKED_FIELDS & vals.keys()
            and vals.get("state") != "draft"
            and any(plan.state == "approved" for plan in self)
        ):
            raise UserError(
                self.env._(
                    "An approved key-account plan cannot be changed: a manager resets it "
                    "to draft first."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------ actions
    def action_approve(self):
        """Approve the plans (managers only, 001 §九.2): they are locked from now on."""
        self._check_manager()
        if any(plan.state != "draft" for plan in self):
            raise UserError(self.env._("Only a draft key-account plan can be approved."))
        self.write(
            {
                "state": "approved",
                "approved_by_id": self.env.user.id,
                "approved_date": fields.Date.context_today(self),
            }
        )
        self._sync_communication_plans()
        self.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_todo")
        ).action_feedback(feedback=self.env._("Plan approved"))
        return True

    def action_reset_to_draft(self):
        """Unlock approved plans to change them (managers only)."""
        self._check_manager()
        if any(plan.state != "approved" for plan in self):
            raise UserError(self.env._("Only an approved key-account plan can be reset."))
        self.write({"state": "draft", "approved_by_id": False, "approved_date": False})
        return True

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(
                self.env._("Only Delivery CRM managers can approve key-account plans.")
            )

    # ------------------------------------------------------------------ the plan runs
    def _runs(self, today=None):
        """Whether the plan runs: approved, and for the current year."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        return self.state == "approved" and self.year == today.year

    @api.model
    def _visit_interval_sql(self, partner_alias, tier_alias, year=None):
        """The visit cadence of a customer, in days, as an SQL expression: the visit
        frequency of its approved key-account plan of ``year`` (an SQL expression; the
        current year by default) while there is one, else its tier's cadence, else 0
        (no cadence). The one rule of the cadence: the customer's next visit due (and
        its search), the planning cron and the customers-at-risk report use it."""
        if year is None:
            year = SQL("%s", fields.Date.context_today(self).year)
        return SQL(
            """COALESCE(
                (SELECT kp.visit_interval_days FROM delivery_key_account_plan kp
                  WHERE kp.partner_id = %(partner)s.id AND kp.state = 'approved'
                    AND kp.year = %(year)s AND kp.visit_interval_days > 0),
                %(tier)s.visit_interval_days, 0)""",
            partner=SQL.identifier(partner_alias),
            tier=SQL.identifier(tier_alias),
            year=year,
        )

    @api.model
    def _visit_intervals(self, partners):
        """{partner id: visit cadence in days} of ``partners`` (``_visit_interval_sql``);
        a customer not saved yet has no plan: its tier's cadence."""
        saved = partners.filtered("id")
        intervals = {
            partner.id: partner.tier_id.visit_interval_days for partner in partners - saved
        }
        real_ids = tuple(pid for pid in saved.ids if isinstance(pid, int))
        if real_ids:
            self.env["res.partner"].flush_model(["tier_id"])
            self.env["delivery.tier"].flush_model(["visit_interval_days"])
            self.flush_model(["partner_id", "state", "year", "visit_interval_days"])
            rows = self.env.execute_query(
                SQL(
                    """SELECT p.id, %s FROM res_partner p
                       LEFT JOIN delivery_tier t ON t.id = p.tier_id
                      WHERE p.id IN %s""",
                    self._visit_interval_sql("p", "t"),
                    real_ids,
                )
            )
            intervals.update(dict(rows))
        for partner in saved:
            intervals.setdefault(partner.id, partner.tier_id.visit_interval_days)
        return intervals

    def _sync_communication_plans(self):
        """While an approved plan runs, its communication frequency is the customer's
        communication plan: one plan linked to it (created, or its interval updated),
        for the responsible. A plan of the current year (or a past one) stops the plans
        of the customer's earlier key-account plans; next year's plan, approved before
        its year, only prepares its own (starting on 1 January): this year's contact
        rhythm runs to the year end, the yearly cron stops it (``_cron_refresh_measures``)."""
        CommunicationPlan = self.env["delivery.communication.plan"]
        this_year = fields.Date.context_today(self).year
        for plan in self.filtered(lambda p: p.state == "approved"):
            # sudo: the plan was approved by a manager; the communication plan follows it
            linked = CommunicationPlan.sudo().with_context(active_test=False)
            if plan.year <= this_year:
                older = linked.search(
                    [
                        ("partner_id", "=", plan.partner_id.id),
                        ("key_account_plan_id", "!=", False),
                        ("key_account_plan_id", "!=", plan.id),
                        ("key_account_plan_id.year", "<", plan.year),
                        ("active", "=", True),
                    ]
                )
                older.action_archive()
            rule = FREQUENCY_RULES.get(plan.communication_frequency)
            mine = linked.search([("key_account_plan_id", "=", plan.id)], limit=1)
            if not rule:
                mine.filtered("active").action_archive()
                continue
            number, unit = rule[2]
            values = {
                "interval_number": number,
                "interval_unit": unit,
                "user_id": plan.user_id.id,
                "active": True,
            }
            if mine:
                mine.write(values)
                continue
            today = fields.Date.context_today(self)
            linked.create(
                {
                    **values,
                    "name": self.env._(
                        "Key-account plan %(year)s: regular contact", year=plan.year
                    ),
                    "partner_id": plan.partner_id.id,
                    "company_id": plan.company_id.id,
                    "channel": False,
                    "key_account_plan_id": plan.id,
                    "next_date": max(today, date(plan.year, 1, 1)),
                }
            )

    # ------------------------------------------------------------------ measured
    def action_refresh_measures(self):
        self._refresh_measures()
        return True

    @api.model
    def _cron_refresh_measures(self):
        """Daily: measure the plans of the current year (and of the last one until
        the end of January, so that December is complete) and stop the communication
        plans of the key-account plans of past years."""
        today = fields.Date.context_today(self)
        years = [today.year, today.year - 1] if today.month == 1 else [today.year]
        # sudo: the cron measures every company's plans
        plans = self.sudo().search([("year", "in", years)], order="id")
        for index in range(0, len(plans), 200):
            plans[index : index + 200]._refresh_measures()
            self.env["ir.cron"]._commit_progress(len(plans[index : index + 200]))
        # sudo: as above
        ended = (
            self.env["delivery.communication.plan"]
            .sudo()
            .search([("key_account_plan_id.year", "<", today.year)])
        )
        ended.action_archive()
        return len(plans)

    def _measure_rows(self):
        """{(partner id, first day of the month): {measure: value}} over the years of
        the plans: three grouped queries (deliveries counted as the evaluation counts
        them, and revenue; visits done; communications logged), months in each plan's
        company time zone."""
        if not self:
            return {}
        start = date(min(self.mapped("year")), 1, 1) - timedelta(days=1)
        end = date(max(self.mapped("year")) + 1, 1, 1) + timedelta(days=1)
        partner_ids = tuple(self.partner_id.ids)
        tz = self.company_id[:1]._delivery_tz()
        for model in ("delivery.shipment", "delivery.visit", "delivery.communication"):
            self.env[model].flush_model()
        values = {}
        queries = (
            (
                SQL(
                    """SELECT s.partner_id, %(month)s, COUNT(*), COALESCE(SUM(s.revenue), 0)
                         FROM delivery_shipment s
                        WHERE s.partner_id IN %(ids)s AND s.date >= %(start)s
                          AND s.date < %(end)s AND %(counted)s
                        GROUP BY 1, 2""",
                    month=local_month(SQL("s.date"), tz),
                    ids=partner_ids,
                    start=start,
                    end=end,
                    counted=counted_delivery("s"),
                ),
                ("deliveries", "revenue"),
            ),
            (
                SQL(
                    """SELECT v.partner_id, %(month)s, COUNT(*) FROM delivery_visit v
                        WHERE v.partner_id IN %(ids)s AND v.state = 'done'
                          AND v.visit_date >= %(start)s AND v.visit_date < %(end)s
                        GROUP BY 1, 2""",
                    month=local_month(SQL("v.visit_date"), tz),
                    ids=partner_ids,
                    start=start,
                    end=end,
                ),
                ("visits",),
            ),
            (
                SQL(
                    """SELECT c.partner_id, %(month)s, COUNT(*) FROM delivery_communication c
                        WHERE c.partner_id IN %(ids)s
                          AND c.date >= %(start)s AND c.date < %(end)s
                        GROUP BY 1, 2""",
                    month=local_month(SQL("c.date"), tz),
                    ids=partner_ids,
                    start=start,
                    end=end,
                ),
                ("communications",),
            ),
        )
        for query, names in queries:
            for partner_id, month, *figures in self.env.execute_query(query):
                row = values.setdefault((partner_id, month), {})
                row.update(zip(names, figures, strict=True))
        return values

    def _refresh_measures(self):
        """Write each plan's twelve months and its figures to date (to today's month
        for the current year, the whole year for a past one)."""
        # sudo: the measures are figures the module keeps; whoever may read the plan
        # may refresh them (lines and actuals are read-only for everyone)
        plans = self.sudo()
        rows = {}
        for company in plans.company_id:
            rows.update(plans.filtered(lambda p, c=company: p.company_id == c)._measure_rows())
        Month = self.env["delivery.key.account.plan.month"].sudo()
        existing = {
            (line.plan_id.id, line.month): line
            for line in Month.search([("plan_id", "in", plans.ids)])
        }
        now = fields.Datetime.now()
        for plan in plans:
            cumul = dict.fromkeys(("deliveries", "revenue", "visits", "communications"), 0)
            for number in range(12):
                month = date(plan.year, 1, 1) + relativedelta(months=number)
                figures = rows.get((plan.partner_id.id, month), {})
                line_values = {}
                for name in cumul:
                    value = figures.get(name) or 0
                    cumul[name] += value
                    line_values[name] = value
                    line_values[f"{name}_cumul"] = cumul[name]
                line = existing.get((plan.id, month))
                if line:
                    line.write(line_values)
                else:
                    Month.create({"plan_id": plan.id, "month": month, **line_values})
            plan.write(
                {
                    "deliveries_actual": cumul["deliveries"],
                    "revenue_actual": cumul["revenue"],
                    "visits_actual": cumul["visits"],
                    "communications_actual": cumul["communications"],
                    "measured_date": now,
                }
            )

    # ------------------------------------------------------------------ next year
    @api.model
    def _prepare_next_year(self, run):
        """After the annual review of ``run`` (an annual evaluation run, done): a draft
        plan for the next year for each key customer of the run's company with an
        approved plan of the reviewed year, its targets proposed from the year's
        actuals (plus the company's growth setting) and its frequencies kept, and an
        activity for the responsible to complete it (the manager approves it)."""
        year = run.period_start.year
        # sudo: the evaluation cron prepares the plans of every customer of the run
        plans = self.sudo().search(
            [
                ("company_id", "=", run.company_id.id),
                ("year", "=", year),
                ("state", "=", "approved"),
                ("partner_id.customer_class", "=", "key"),
                ("partner_id.customer_state", "!=", "terminated"),
            ]
        )
        taken = set(
            # sudo: as above
            self.sudo()
            .search([("partner_id", "in", plans.partner_id.ids), ("year", "=", year + 1)])
            .partner_id.ids
        )
        plans = plans.filtered(lambda p: p.partner_id.id not in taken)
        if not plans:
            return self.browse()
        plans._refresh_measures()
        growth = 1 + run.company_id.delivery_key_account_growth_percent / 100.0
        drafts = self.browse()
        for plan in plans:
            draft = plan.copy(
                {
                    "year": year + 1,
                    "volume_target": round(plan.deliveries_actual * growth),
                    "revenue_target": plan.currency_id.round(plan.revenue_actual * growth),
                    "user_id": plan.user_id.id,
                }
            )
            # the draft follows the review just made, not the one of the copied plan
            draft._compute_evaluation_id()
            draft.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(self) + timedelta(days=14),
                summary=self.env._("Complete the key-account plan %(year)s", year=year + 1),
                note=self.env._(
                    "Proposed from %(year)s: %(deliveries)s deliveries and %(revenue)s of "
                    "revenue, plus %(growth)s%%. Complete the objectives and measures, "
                    "then ask a manager to approve it.",
                    year=year,
                    deliveries=plan.deliveries_actual,
                    revenue=plan.currency_id.format(plan.revenue_actual),
                    growth=f"{run.company_id.delivery_key_account_growth_percent:g}",
                ),
                user_id=draft.user_id.id,
            )
            drafts |= draft
        return drafts
