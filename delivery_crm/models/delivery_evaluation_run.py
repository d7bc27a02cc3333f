import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from psycopg2 import errorcodes
from psycopg2.errors import OperationalError

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from .delivery_evaluation import (
    PERIOD_MONTHS,
    PERIOD_TYPES,
    RAW_FIELDS,
    period_start_of,
)
from .delivery_evaluation_scheme import INDICATORS

_logger = logging.getLogger(__name__)

# concurrent workers: a row another worker updated since our snapshot, or locked
RETRYABLE = (errorcodes.SERIALIZATION_FAILURE, errorcodes.LOCK_NOT_AVAILABLE)
EVALUATED_STATES = ("active", "suspended")


class DeliveryEvaluationRun(models.Model):
    """One evaluation of all the customers in scope for a period (R4).

    The run is resumable and safe with several cron workers: the customers still to
    evaluate are those without an evaluation of the run's current pass; each batch
    locks its customers (``FOR NO KEY UPDATE SKIP LOCKED``), writes their evaluations
    with one upsert and their KPIs with one update, applies the consequences and
    commits. A killed run leaves the uncommitted batch to do again; a second worker
    takes other customers; a second run of a finished period changes nothing.
    """

    _name = "delivery.evaluation.run"
    _description = "Cooperation evaluation run"
    _order = "period_start desc, period_type, id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    period_type = fields.Selection(PERIOD_TYPES, required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")], required=True, default="running", index=True
    )
    pass_no = fields.Integer(string="Pass", default=1, required=True)
    date_start = fields.Datetime(string="Started", default=fields.Datetime.now)
    date_done = fields.Datetime(string="Finished")
    user_id = fields.Many2one("res.users", string="Started by", default=lambda self: self.env.user)
    evaluation_ids = fields.One2many("delivery.evaluation", "run_id", string="Evaluations")
    evaluation_count = fields.Integer(
        compute="_compute_evaluation_count", string="Evaluation count"
    )

    _period_unique = models.Constraint(
        "UNIQUE(company_id, period_type, period_start)",
        lambda env, diag=None: env._("There is already a run for this period."),
    )

    @api.depends("period_type", "period_start")
    def _compute_name(self):
        labels = dict(self._fields["period_type"]._description_selection(self.env))
        for run in self:
            run.name = f"{labels.get(run.period_type, '')} {run.period_start or ''}"

    def _compute_evaluation_count(self):
        counts = dict(
            self.env["delivery.evaluation"]._read_group(
                [("run_id", "in", self.ids)], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.evaluation_count = counts.get(run, 0)

    # ------------------------------------------------------------------ entry points
    @api.model
    def _last_complete_period(self, period_type, today=None):
        today = today or fields.Date.context_today(self)
        return period_start_of(today, period_type) - relativedelta(
            months=PERIOD_MONTHS[period_type]
        )

    @api.model
    def _cron_evaluate(self, period_type):
        """Cron entry point: evaluate the last complete period of ``period_type``, and
        finish any run of that type left unfinished (a killed or interrupted one)."""
        self._get_run(period_type, self._last_complete_period(period_type))
        runs = self.search(
            [
                ("state", "=", "running"),
                ("period_type", "=", period_type),
                ("company_id", "=", self.env.company.id),
            ],
            order="period_start, id",
        )
        for run in runs:
            if not run._process():
                break  # out of time: the scheduler calls again for what remains

    @api.model
    def _get_run(self, period_type, period_start, rerun=False):
        """The run of the period, created if needed (safe when two workers race).
        ``rerun`` starts a new pass on a finished run: every customer is evaluated
        again and its evaluation updated in place."""
        period_start = period_start_of(period_start, period_type)
        bounds = self.env["delivery.evaluation"]._period_bounds(period_type, period_start, "UTC")
        company = self.env.company
        now = fields.Datetime.now()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO delivery_evaluation_run
                       (company_id, period_type, period_start, period_end, state, pass_no,
                        date_start, user_id, create_uid, create_date, write_uid, write_date)
                VALUES (%(company)s, %(type)s, %(start)s, %(end)s, 'running', 1,
                        %(now)s, %(uid)s, %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT (company_id, period_type, period_start) DO NOTHING
                """,
                company=company.id,
                type=period_type,
                start=period_start,
                end=bounds["period_end"],
                now=now,
                uid=self.env.uid,
            )
        )
        run = self.search(
            [
                ("company_id", "=", company.id),
                ("period_type", "=", period_type),
                ("period_start", "=", period_start),
            ]
        )
        if rerun and run.state == "done":
            run.write(
                {
                    "state": "running",
                    "pass_no": run.pass_no + 1,
                    "date_start": now,
                    "date_done": False,
                    "user_id": self.env.uid,
                }
            )
        return run

    # ------------------------------------------------------------------ processing
    def _todo_domain(self):
        self.ensure_one()
        domain = Domain(
            [
                ("is_delivery_customer", "=", True),
                ("customer_state", "in", EVALUATED_STATES),
                ("company_id", "in", [self.company_id.id, False]),
                "|",
                ("cooperation_start_date", "=", False),
                ("cooperation_start_date", "<=", self.period_end),
                (
                    "evaluation_ids",
                    "not any",
                    [("run_id", "=", self.id), ("run_pass", "=", self.pass_no)],
                ),
            ]
        )
        if self.period_type == "monthly":
            domain &= Domain("customer_class", "=", "key")
        return domain

    def _batch_size(self):
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("delivery_crm.evaluation_batch_size", "1000")
        )
        return max(1, int(param))

    def _process(self):
        """Evaluate what remains of the run in committed batches.

        :return: False when the cron's time ran out before the end
        """
        self.ensure_one()
        partners_model = self.env["res.partner"].with_context(active_test=False)
        domain = self._todo_domain()
        batch_size = self._batch_size()
        retries = 0
        while True:
            try:
                partners = partners_model.search(domain, limit=batch_size, order="id")
                partners = partners.try_lock_for_update(allow_referencing=True)
                if partners:
                    self._evaluate_batch(partners)
            except OperationalError as error:
                if error.pgcode not in RETRYABLE or retries >= 20:
                    raise
                # another worker committed these customers after our snapshot began:
                # drop this batch and look again with a fresh snapshot
                _logger.info("evaluation run %s: concurrent batch, retrying", self.id)
                self.env.cr.rollback()
                self.env.invalidate_all()
                retries += 1
                continue
            if not partners:
                break  # nothing left, or only customers locked by another worker
            remaining = partners_model.search_count(domain)
            if not self.env["ir.cron"]._commit_progress(len(partners), remaining=remaining):
                return False
            if not remaining:
                break
        if not partners_model.search_count(domain):
            self._mark_done()
        return True

    def _mark_done(self):
        self.ensure_one()
        self.env.execute_query(
            SQL(
                "UPDATE delivery_evaluation_run SET state = 'done', date_done = %s, "
                "write_date = %s WHERE id = %s AND state = 'running'",
                fields.Datetime.now(),
                fields.Datetime.now(),
                self.id,
            )
        )
        self.invalidate_recordset(["state", "date_done"])
        self.env["ir.cron"]._commit_progress(0)

    def _tz(self):
        return self.company_id.partner_id.tz or self.env.user.tz or "UTC"

    def _previous_actions(self, partner_ids):
        """{partner_id: recommended action} of the previous evaluation of the same type."""
        previous_start = self.period_start - relativedelta(months=PERIOD_MONTHS[self.period_type])
        return dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT partner_id, recommended_action FROM delivery_evaluation
                     WHERE partner_id IN %s AND period_type = %s AND period_start = %s
                    """,
                    tuple(partner_ids),
                    self.period_type,
                    previous_start,
                )
            )
        )

    def _evaluate_batch(self, partners):
        """Evaluate ``partners`` (locked by the caller) for this run: a fixed number of
        queries per batch, not per customer."""
        self.ensure_one()
        evaluation_model = self.env["delivery.evaluation"]
        tier_model = self.env["delivery.tier"]
        schemes = self.env["delivery.evaluation.scheme"]._get_schemes(self.company_id)
        raw_by_partner = evaluation_model._compute_raw(
            partners, self.period_type, self.period_start, self._tz()
        )
        previous = self._previous_actions(partners.ids)
        assign_tier = self.period_type != "monthly"
        rows = []
        for partner in partners:
            scheme = schemes.get(partner.customer_class) or schemes.get("general")
            if not scheme:
                continue
            raw = raw_by_partner[partner.id]
            scores, weights, available, total = evaluation_model._score_raw(
                scheme, raw, self.period_type
            )
            tier = tier_model
            if assign_tier and total is not None:
                ladder = partner.tier_ladder_id
                tier = tier_model._match_tier(ladder, total, raw["revenue"])
                tier = tier or ladder.tier_ids.sorted("level")[:1]
            rows.append(
                {
                    "partner": partner,
                    "scheme": scheme,
                    "raw": raw,
                    "scores": scores,
                    "weights": weights,
                    "available": available,
                    "total": total,
                    "tier": tier,
                    "action": evaluation_model._recommend(scheme, total, previous.get(partner.id)),
                }
            )
        if not rows:
            return
        evaluations = self._upsert_evaluations(rows)
        self._update_kpis(evaluations)
        self._apply_consequences(evaluations)

    def _upsert_evaluations(self, rows):
        """Insert or update the evaluations of the batch in one statement."""
        columns = [
            "partner_id",
            "company_id",
            "run_id",
            "run_pass",
            "computation_count",
            "period_type",
            "period_start",
            "period_end",
            "scheme_id",
            "customer_class",
            "account_manager_id",
            *RAW_FIELDS,
            *(f"has_{name}" for name in INDICATORS),
            "has_growth",
            "has_retention",
            *(f"score_{name}" for name in INDICATORS),
            *(f"weight_{name}" for name in INDICATORS),
            "has_score",
            "total_score",
            "tier_before_id",
            "tier_id",
            "recommended_action",
            "action_done",
            "create_uid",
            "create_date",
            "write_uid",
            "write_date",
        ]
        now = fields.Datetime.now()
        values = []
        for row in rows:
            partner, raw, scores, weights = (
                row["partner"],
                row["raw"],
                row["scores"],
                row["weights"],
            )
            available = row["available"]
            values.append(
                [
                    partner.id,
                    self.company_id.id,
                    self.id,
                    self.pass_no,
                    1,
                    self.period_type,
                    self.period_start,
                    self.period_end,
                    row["scheme"].id,
                    partner.customer_class,
                    partner.account_manager_id.id or None,
                    *(raw[name] for name in RAW_FIELDS),
                    *(name in available for name in INDICATORS),
                    raw["growth"] is not None,
                    raw["retention"] is not None,
                    *(scores[name] if name in available else None for name in INDICATORS),
                    *(weights.get(name, 0.0) for name in INDICATORS),
                    row["total"] is not None,
                    row["total"],
                    partner.tier_id.id or None,
                    row["tier"].id or None,
                    row["action"],
                    False,
                    self.env.uid,
                    now,
                    self.env.uid,
                    now,
                ]
            )
        keep = {"partner_id", "period_type", "period_start", "create_uid", "create_date"}
        updates = [
            SQL("%s = EXCLUDED.%s", SQL.identifier(col), SQL.identifier(col))
            for col in columns
            if col not in keep | {"computation_count", "action_done"}
        ]
        result = self.env.execute_query(
            SQL(
                """
                INSERT INTO delivery_evaluation (%(columns)s) VALUES %(values)s
                ON CONFLICT (partner_id, period_type, period_start) DO UPDATE SET
                    %(updates)s,
                    computation_count = delivery_evaluation.computation_count + 1,
                    action_done = (
                        delivery_evaluation.action_done
                        AND delivery_evaluation.recommended_action
                            IS NOT DISTINCT FROM EXCLUDED.recommended_action
                        AND delivery_evaluation.tier_id IS NOT DISTINCT FROM EXCLUDED.tier_id
                    )
                RETURNING id
                """,
                columns=SQL(", ").join(SQL.identifier(col) for col in columns),
                values=SQL(", ").join(SQL("(%s)", SQL(", ").join(value)) for value in values),
                updates=SQL(", ").join(updates),
            )
        )
        evaluation_model = self.env["delivery.evaluation"]
        evaluation_model.invalidate_model()
        return evaluation_model.browse(row_id for (row_id,) in result)

    def _update_kpis(self, evaluations):
        """Copy the results into the customers' latest KPIs (one statement). Every
        evaluated customer row is written, which also keeps a concurrent worker from
        evaluating it again (see ``_process``)."""
        full = self.period_type != "monthly"
        self.env.execute_query(
            SQL(
                """
                UPDATE res_partner p SET
                    write_date = %(now)s,
                    kpi_date = GREATEST(p.kpi_date, e.period_end),
                    kpi_score = CASE WHEN %(newer)s AND e.has_score AND %(full)s
                                     THEN e.total_score ELSE p.kpi_score END,
                    kpi_satisfaction = CASE WHEN %(newer)s AND e.has_satisfaction
                                            THEN e.satisfaction ELSE p.kpi_satisfaction END,
                    kpi_complaint_rate = CASE WHEN %(newer)s AND e.has_complaint
                                              THEN e.complaint_rate ELSE p.kpi_complaint_rate END,
                    kpi_on_time_rate = CASE WHEN %(newer)s AND e.has_on_time AND %(full)s
                                            THEN e.on_time_rate ELSE p.kpi_on_time_rate END,
                    kpi_volume = CASE WHEN %(newer)s AND %(full)s
                                      THEN e.revenue ELSE p.kpi_volume END
                  FROM delivery_evaluation e
                 WHERE e.id IN %(ids)s AND p.id = e.partner_id
                """,
                now=fields.Datetime.now(),
                newer=SQL("(p.kpi_date IS NULL OR p.kpi_date <= e.period_end)"),
                full=full,
                ids=tuple(evaluations.ids),
            )
        )
        self.env["res.partner"].invalidate_model(
            [
                "kpi_date",
                "kpi_score",
                "kpi_satisfaction",
                "kpi_complaint_rate",
                "kpi_on_time_rate",
                "kpi_volume",
                "write_date",
            ]
        )

    def _apply_consequences(self, evaluations):
        """Tier changes, reward flags and activities of the evaluations whose action was
        not applied yet (a re-run with the same result applies nothing twice)."""
        todo = evaluations.filtered(lambda e: not e.action_done)
        if not todo:
            return
        period = self.name
        # tiers: one write per target tier, the change log in one create
        by_tier = defaultdict(lambda: self.env["delivery.evaluation"])
        for evaluation in todo.filtered("tier_id"):
            by_tier[evaluation.tier_id] |= evaluation
        for tier, group in by_tier.items():
            # the tier-change log (with its evaluation) is the tier's history here:
            # no chatter tracking message per customer in a bulk run
            group.partner_id.with_context(mail_notrack=True)._apply_evaluated_tier(
                tier,
                extra_by_partner={
                    e.partner_id.id: {
                        "evaluation_id": e.id,
                        "reason": self.env._(
                            "Evaluation %(period)s: score %(score).1f",
                            period=period,
                            score=e.total_score,
                        ),
                    }
                    for e in group
                },
            )
        rewarded = todo.filtered(lambda e: e.recommended_action == "reward").partner_id
        if rewarded:
            rewarded.write({"reward_candidate": True})
        self._schedule_followups(todo)
        todo.write({"action_done": True})

    def _schedule_followups(self, evaluations):
        """Improvement plans for the account manager and termination reviews for the
        manager (000 §六(三).3), created in one go without notification mails."""
        improve_type = self.env.ref("delivery_crm.mail_activity_type_improvement_plan")
        review_type = self.env.ref("delivery_crm.mail_activity_type_termination_review")
        model_id = self.env["ir.model"]._get_id("res.partner")
        admin = self.env.ref("base.user_admin")
        deadline = fields.Date.context_today(self) + relativedelta(days=14)
        vals_list = []
        for evaluation in evaluations:
            partner = evaluation.partner_id
            if evaluation.recommended_action == "improve":
                activity_type, user = improve_type, partner.account_manager_id
                summary = self.env._(
                    "Improvement plan: score %(score).1f in %(period)s",
                    score=evaluation.total_score,
                    period=self.name,
                )
            elif evaluation.recommended_action == "termination_review":
                activity_type = review_type
                user = partner.service_team_id.leader_id or partner.account_manager_id
                summary = self.env._(
                    "Termination review: still poor after an improvement plan (%(period)s)",
                    period=self.name,
                )
            else:
                continue
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "user_id": (user or admin).id,
                    "summary": summary,
                    "date_deadline": deadline,
                }
            )
        if vals_list:
            self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
                vals_list
            )

    # ------------------------------------------------------------------ actions
    def action_view_evaluations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "delivery_crm.delivery_evaluation_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action
