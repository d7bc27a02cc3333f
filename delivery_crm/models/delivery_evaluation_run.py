import logging
from functools import partial

from dateutil.relativedelta import relativedelta
from psycopg2 import errorcodes
from psycopg2.errors import OperationalError

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from .delivery_constants import PARTNER_KPI_FIELDS
from .delivery_evaluation import PERIOD_MONTHS, PERIOD_TYPES, period_start_of
from .delivery_evaluation_indicator import PG_TYPES
from .delivery_tier_change import OVERRIDE_KEEP
from .delivery_tools import copy_into_temp, set_related_counts

_logger = logging.getLogger(__name__)

# concurrent workers: a row another worker updated since our snapshot, or locked
RETRYABLE = (errorcodes.SERIALIZATION_FAILURE, errorcodes.LOCK_NOT_AVAILABLE)
KPI_FIELDS = [*PARTNER_KPI_FIELDS, "write_date"]
LOG_COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")
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
        set_related_counts(self, "evaluation_count", "delivery.evaluation", "run_id")

    # ------------------------------------------------------------------ entry points
    @api.model
    def _last_complete_period(self, period_type, today=None):
        today = today or fields.Date.context_today(self)
        return period_start_of(today, period_type) - relativedelta(
            months=PERIOD_MONTHS[period_type]
        )

    @api.model
    def _cron_evaluate(self, period_type):
        """Cron entry point: evaluate the last complete period of ``period_type`` in
        every company, and finish any run of that type left unfinished (a killed or
        interrupted one)."""
        period_start = self._last_complete_period(period_type)
        # sudo: the cron evaluates every company, whatever companies its user sees
        companies = self.env["res.company"].sudo().search([("active", "=", True)], order="id")
        for company in companies:
            self.with_company(company)._get_run(period_type, period_start)
        self.env["ir.cron"]._commit_progress(0)
        runs = self.search(
            [("state", "=", "running"), ("period_type", "=", period_type)],
            order="period_start, company_id, id",
        )
        for run in runs:
            if not run.with_company(run.company_id)._process():
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
        insert = SQL(
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
        self._retry_on_conflict(lambda: self.env.execute_query(insert))
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

    def _retry_on_conflict(self, operation, attempts=20):
        """Run ``operation`` as the first statement(s) of a transaction, starting it
        again when a concurrent worker committed the same rows after our snapshot
        (PostgreSQL's serialization failure under Odoo's REPEATABLE READ)."""
        for attempt in range(attempts):
            try:
                return operation()
            except OperationalError as error:
                if error.pgcode not in RETRYABLE or attempt == attempts - 1:
                    raise
                _logger.info("delivery evaluation: concurrent update, retrying")
                self.env.cr.rollback()
                self.env.invalidate_all()

    # ------------------------------------------------------------------ processing
    def _scope_domain(self):
        """The customers the run evaluates."""
        self.ensure_one()
        # customers shared by all companies are evaluated once, in the first company
        # (sudo: which company comes first is no secret; the user may not see them all)
        first_company = self.env["res.company"].sudo().search([], order="id", limit=1)
        companies = [self.company_id.id] + ([False] if self.company_id == first_company else [])
        domain = Domain(
            [
                ("is_delivery_customer", "=", True),
                ("customer_state", "in", EVALUATED_STATES),
                ("company_id", "in", companies),
                "|",
                ("cooperation_start_date", "=", False),
                ("cooperation_start_date", "<=", self.period_end),
            ]
        )
        if self.period_type == "monthly":
            domain &= Domain("customer_class", "=", "key")
        # only the classifications a scheme evaluates (the general scheme serves all)
        schemes = self.env["delivery.evaluation.scheme"]._get_schemes(self.company_id)
        if "general" not in schemes:
            domain &= Domain("customer_class", "in", list(schemes))
        return domain

    def _todo_domain(self, after_id=0):
        """The customers of the scope not evaluated yet by the run's current pass (those
        after ``after_id``: the bound is repeated on the evaluations, else PostgreSQL's
        anti-join reads the evaluations of every customer before it, each batch)."""
        done = Domain([("run_id", "=", self.id), ("run_pass", "=", self.pass_no)])
        if after_id:
            done &= Domain("partner_id", ">", after_id)
            return (
                self._scope_domain()
                & Domain("id", ">", after_id)
                & Domain("evaluation_ids", "not any", done)
            )
        return self._scope_domain() & Domain("evaluation_ids", "not any", done)

    def _batch_size(self):
        # sudo: a technical setting read by the run, never shown nor written
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
        batch_size = self._batch_size()

        def next_batch(after_id):
            # the first customers after ``after_id`` still to do that no concurrent
            # worker holds: one SELECT ... LIMIT n FOR NO KEY UPDATE SKIP LOCKED (a
            # search then a lock would stop at a batch the other worker holds; starting
            # after the last batch keeps each batch from re-scanning the done ones)
            query = partners_model._search(
                self._todo_domain(after_id), order="id", limit=batch_size
            )
            lock = SQL(
                "%s FOR NO KEY UPDATE OF %s SKIP LOCKED",
                query.select(),
                SQL.identifier(query.table),
            )
            partners = partners_model.browse(row[0] for row in self.env.execute_query(lock))
            if partners:
                self._evaluate_batch(partners)
            return partners

        remaining = self._remaining_estimate()
        after_id = 0
        restarted = False
        while True:
            partners = self._retry_on_conflict(partial(next_batch, after_id))
            if not partners:
                if not after_id or restarted:
                    break  # nothing left, or only customers locked by another worker
                # one more pass from the start, for customers another worker had locked
                # when we passed them and then released without evaluating them
                after_id, restarted = 0, True
                continue
            after_id = max(partners.ids)
            remaining = max(remaining - len(partners), 0)
            if not self.env["ir.cron"]._commit_progress(len(partners), remaining=remaining):
                return False
        # the statistics of a table that grew during the run mislead the planner on
        # the anti-join below: refresh them (cheap, sampled, takes no blocking lock)
        self.env.execute_query(SQL("ANALYZE delivery_evaluation"))
        if not partners_model.search(self._todo_domain(), limit=1):
            self._mark_done()
        return True

    def _remaining_estimate(self):
        """Customers in scope minus those already evaluated by this pass: two plain
        counts (for the cron's progress report; the loop itself stops when nothing is
        left to lock)."""
        scope = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_count(self._scope_domain())
        )
        done = self.env["delivery.evaluation"].search_count(
            [("run_id", "=", self.id), ("run_pass", "=", self.pass_no)]
        )
        return max(scope - done, 0)

    def _mark_done(self):
        self.ensure_one()
        now = fields.Datetime.now()
        update = SQL(
            "UPDATE delivery_evaluation_run SET state = 'done', date_done = %s, write_date = %s"
            " WHERE id = %s AND state = 'running'",
            now,
            now,
            self.id,
        )
        # both workers may finish together: one marks the run, the other retries and
        # finds it marked already
        self.env["ir.cron"]._commit_progress(0)
        self._retry_on_conflict(lambda: self.env.execute_query(update))
        self.invalidate_recordset(["state", "date_done"])
        if self.period_type == "annual":
            self.env["delivery.key.account.plan"]._prepare_next_year(self)
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

    def _new_customer_cutoff(self):
        """Customers whose cooperation began after this date are evaluated by the "new
        customers" scheme: within the company's new-customer months before the period's
        end (004 新客户管理制度 三.5); None when the company sets no such months."""
        months = self.company_id.delivery_new_customer_months
        return self.period_end - relativedelta(months=months) if months > 0 else None

    def _scheme_for(self, info, schemes, new_after=False):
        """The scheme evaluating the customer of ``info`` (a row of
        ``_fetch_partner_rows``): the "new customers" scheme while its cooperation began
        after ``new_after`` (:meth:`_new_customer_cutoff`, computed when not given),
        else its classification's, else the general one."""
        if new_after is False:
            new_after = self._new_customer_cutoff()
        start = info["cooperation_start_date"]
        if new_after and start and "new" in schemes and start > new_after:
            return schemes["new"]
        return schemes.get(info["customer_class"]) or schemes.get("general")

    def _evaluate_batch(self, partners):
        """Evaluate ``partners`` (locked by the caller) for this run, with a fixed
        number of queries per batch: the indicators in three aggregate queries, the
        evaluations in one upsert, the KPIs in one update, the consequences in a few
        set-based statements (the tier moves and their notices, the follow-up
        activities and their followers included)."""
        self.ensure_one()
        evaluation_model = self.env["delivery.evaluation"]
        indicators = evaluation_model._indicators()
        schemes = self.env["delivery.evaluation.scheme"]._get_schemes(self.company_id)
        partner_rows = evaluation_model._fetch_partner_rows(partners.ids)
        raw_by_partner = evaluation_model._compute_raw(
            partners,
            self.period_type,
            self.period_start,
            self._tz(),
            partner_rows=partner_rows,
            indicators=indicators,
        )
        previous = self._previous_actions(partners.ids)
        ladders = {}  # ladder id -> its tiers, best first, and their entry rules
        # the schemes' figures and the new-customer cut-off, read once for the batch
        figures = {scheme.id: scheme._figures() for scheme in schemes.values()}
        new_after = self._new_customer_cutoff()
        rows = []
        for partner_id in partners.ids:
            info = partner_rows[partner_id]
            scheme = self._scheme_for(info, schemes, new_after)
            if not scheme:
                continue
            raw = raw_by_partner[partner_id]
            scores, weights, available, total = evaluation_model._score_raw(
                scheme, raw, self.period_type, indicators, figures[scheme.id]
            )
            tier_id = None
            # only the runs of the ladder's grading period give a tier (004 门店§五.3)
            if (
                total is not None
                and info["tier_ladder_id"]
                and info["grading_period_type"] == self.period_type
            ):
                criteria = {
                    "cumulative_revenue": raw["cumulative_revenue"],
                    "cooperation_months": raw["cooperation_months"],
                    "credit_level": info["credit_level"],
                }
                if info["tier_ladder_id"] not in ladders:
                    ladder = self.env["delivery.tier.ladder"].browse(info["tier_ladder_id"])
                    tiers = ladder.tier_ids.sorted("level", reverse=True)
                    ladders[ladder.id] = (tiers, [tier._entry_rule() for tier in tiers])
                tiers, rules = ladders[info["tier_ladder_id"]]
                tier_id = (
                    tiers._first_met(total, raw["revenue"], rules=rules, **criteria).id or None
                )
            rows.append(
                {
                    "partner": info,
                    "scheme": scheme,
                    "raw": raw,
                    "scores": scores,
                    "weights": weights,
                    "available": available,
                    "total": total,
                    "tier_id": tier_id,
                    "action": evaluation_model._recommend(scheme, total, previous.get(partner_id)),
                }
            )
        if not rows:
            return
        evaluation_ids, pending_ids, graded = self._upsert_evaluations(rows, indicators)
        self._update_kpis(evaluation_ids, [row["partner"]["id"] for row in rows], pending_ids)
        if pending_ids:
            self._apply_consequences(pending_ids, graded)

    def _upsert_columns(self, indicators):
        """The evaluation columns the upsert writes, and a function giving a batch row's
        values in their order, both derived from the indicators' registrations (the
        values in list comprehensions: a function per column and row took a twentieth
        of the run)."""
        raw_values = self.env["delivery.evaluation"]._raw_values(indicators)
        for value in raw_values:
            if value.pg_type not in PG_TYPES:
                raise ValueError(
                    f"delivery.evaluation: raw value {value.name} has the type "
                    f"{value.pg_type!r}, not one of {sorted(PG_TYPES)}"
                )
        raw_names = [value.name for value in raw_values]
        flagged = [value.name for value in raw_values if value.flagged]
        keys = [indicator.key for indicator in indicators]
        names = [
            "partner_id",
            "company_id",
            "run_id",
            "run_pass",
            "period_type",
            "period_start",
            "period_end",
            "scheme_id",
            "customer_class",
            "account_manager_id",
            *raw_names,
            *(f"has_{name}" for name in flagged),
            *(f"has_{key}" for key in keys),
            *(f"score_{key}" for key in keys),
            *(f"weight_{key}" for key in keys),
            "has_score",
            "total_score",
            "tier_before_id",
            "tier_id",
            "recommended_action",
        ]
        run = [
            self.company_id.id,
            self.id,
            self.pass_no,
            self.period_type,
            self.period_start,
            self.period_end,
        ]

        def values(row):
            partner, raw, available = row["partner"], row["raw"], row["available"]
            scores, weights = row["scores"], row["weights"]
            return [
                partner["id"],
                *run,
                row["scheme"].id,
                partner["customer_class"],
                partner["account_manager_id"],
                *[raw[name] for name in raw_names],
                *[raw[name] is not None for name in flagged],
                *[key in available for key in keys],
                *[scores[key] if key in available else None for key in keys],
                *[weights.get(key, 0.0) for key in keys],
                row["total"] is not None,
                row["total"],
                partner["tier_id"],
                row["tier_id"],
                row["action"],
            ]

        return names, values

    def _upsert_evaluations(self, rows, indicators):
        """Insert or update the evaluations of the batch in one statement, and mark
        those that grade their customer (see ``_apply_evaluated_tiers``) in the same
        statement. The rows reach PostgreSQL through one COPY into a temporary table
        typed by the evaluation's columns (``copy_into_temp``): a few statements
        whatever the batch size, no per-value adaptation, and a fifth of the time of
        the same rows as a JSON document (built, then parsed by
        ``json_populate_recordset``).

        :return: ``(ids, pending_ids, graded)``: the ids of the evaluations written,
            those whose consequences are to apply, and the ``(partner_id, tier_id,
            reason, evaluation_id)`` moves of those that grade their customer
        """
        names, values = self._upsert_columns(indicators)
        copy_into_temp(
            self.env, "delivery_evaluation_batch", "delivery_evaluation", names, map(values, rows)
        )
        now = fields.Datetime.now()
        updates = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
            for name in names
            if name not in ("partner_id", "period_type", "period_start")
        )

        def grades(row):
            # an evaluation with a tier grades its customer unless a later period graded
            # it already (a re-run of an older period reports, never moves)
            return SQL(
                """%(row)s.tier_id IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM delivery_evaluation later
                        WHERE later.partner_id = %(row)s.partner_id AND later.tier_graded
                          AND later.period_end > %(row)s.period_end)""",
                row=SQL(row),
            )

        # The consequences (tier, reward flag, follow-ups) of an evaluation are applied
        # once: by this batch for a new evaluation, again only when a re-run changes its
        # action or tier. The sub-selects of RETURNING read the rows as they were before
        # this statement (PostgreSQL's statement snapshot), which tells which rows need
        # them; action_done is set here, in the same transaction as the consequences.
        # an evaluation the ORM wrote stores an unset boolean as NULL: not applied
        unchanged = SQL(
            """delivery_evaluation.action_done
               AND delivery_evaluation.recommended_action
                   IS NOT DISTINCT FROM EXCLUDED.recommended_action
               AND delivery_evaluation.tier_id IS NOT DISTINCT FROM EXCLUDED.tier_id"""
        )
        result = self.env.execute_query(
            SQL(
                """
                INSERT INTO delivery_evaluation (%(columns)s, tier_graded, computation_count,
                                                 action_done, create_uid, create_date,
                                                 write_uid, write_date)
                SELECT %(columns)s, %(grades_new)s, 1, TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM delivery_evaluation_batch r
                ON CONFLICT (partner_id, period_type, period_start) DO UPDATE SET
                    %(updates)s,
                    tier_graded = delivery_evaluation.tier_graded
                                  OR (EXCLUDED.tier_graded
                                      AND NOT COALESCE(%(unchanged)s, FALSE)),
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date,
                    computation_count = delivery_evaluation.computation_count + 1,
                    action_done = TRUE
                RETURNING id, partner_id, tier_id,
                          %(reason)s || ' ' || to_char(total_score, 'FM990.0'),
                          (SELECT NOT (old.action_done
                                       AND old.recommended_action IS NOT DISTINCT FROM
                                           delivery_evaluation.recommended_action
                                       AND old.tier_id IS NOT DISTINCT FROM
                                           delivery_evaluation.tier_id)
                             FROM delivery_evaluation old
                            WHERE old.id = delivery_evaluation.id),
                          %(grades_returned)s
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in names),
                grades_new=grades("r"),
                grades_returned=grades("delivery_evaluation"),
                updates=updates,
                unchanged=unchanged,
                reason=self.env._("Evaluation %(period)s: score", period=self.name),
                uid=self.env.uid,
                now=now,
            )
        )
        self.env["delivery.evaluation"].invalidate_model()
        # a row absent from the snapshot is new: it needs its consequences
        pending = [row for row in result if row[4] is not False]
        return (
            tuple(row[0] for row in result),
            tuple(row[0] for row in pending),
            [
                (partner_id, tier_id, reason, row_id)
                for row_id, partner_id, tier_id, reason, _pending, graded in pending
                if graded
            ],
        )

    def _update_kpis(self, evaluation_ids, partner_ids, pending_ids=()):
        """Copy the results into the customers' latest KPIs and flag the reward
        candidates among the evaluations whose result is new (``pending_ids``: a re-run
        with the same result flags nothing again), in one statement. Every evaluated
        customer row is written, which also keeps a concurrent worker from evaluating it
        again (see ``_process``).

        :param partner_ids: the customers of ``evaluation_ids``, all of them (named on
            their table for the planner: it does not carry the evaluations' filter over
            the join); a customer left out gets no KPI
        """
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
                                      THEN e.revenue ELSE p.kpi_volume END,
                    kpi_damage_rate = CASE WHEN %(newer)s AND e.has_damage AND %(full)s
                                           THEN e.damage_rate ELSE p.kpi_damage_rate END,
                    reward_candidate = CASE WHEN e.recommended_action = 'reward'
                                             AND e.id = ANY(%(pending)s)
                                            THEN TRUE ELSE p.reward_candidate END
                  FROM delivery_evaluation e
                 WHERE e.id IN %(ids)s AND p.id = e.partner_id
                   -- the customers named too: PostgreSQL does not carry the evaluations'
                   -- filter over the join, and hashed every customer for each batch
                   AND p.id IN %(partner_ids)s
                """,
                now=fields.Datetime.now(),
                newer=SQL("(p.kpi_date IS NULL OR p.kpi_date <= e.period_end)"),
                full=full,
                ids=evaluation_ids,
                partner_ids=tuple(partner_ids),
                pending=list(pending_ids),
            )
        )
        self.env["res.partner"].invalidate_model([*KPI_FIELDS, "reward_candidate"])

    def _apply_consequences(self, evaluation_ids, graded):
        """Tier changes and follow-up activities of the evaluations whose result is new
        (a re-run with the same result applies nothing twice), in set-based statements
        (their reward flags are set with the KPIs, ``_update_kpis``); ``graded`` are the
        tier moves of those that grade their customer (``_upsert_evaluations``)."""
        self._apply_evaluated_tiers(graded)
        self._schedule_followups(evaluation_ids)

    def _apply_evaluated_tiers(self, graded):
        """The evaluations that give a tier (runs of the ladder's grading period) grade
        the customer unless a later period graded it already (a re-run of an older
        period reports, never moves: ``tier_graded``, set by the upsert, keeps which
        evaluations graded). Each graded customer gets its tier through the tier API
        (``delivery.tier.change._move_tiers``, set-based): its evaluated tier, and its
        effective tier unless a manual override still runs; each change is logged with
        its evaluation and announced.

        :param graded: ``(partner_id, tier_id, reason, evaluation_id)`` moves
        """
        self.env["delivery.tier.change"]._move_tiers(
            graded, "evaluation", graded=True, override=OVERRIDE_KEEP
        )

    def _schedule_followups(self, evaluation_ids):
        """Improvement plans for the account manager and termination reviews for the
        manager (the service team's leader), 000 §六(三).3, created in one go without
        notification mails."""
        self.env["res.partner"].flush_model(
            ["complete_name", "account_manager_id", "service_team_id"]
        )
        self.env["delivery.service.team"].flush_model(["leader_id"])
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT e.partner_id, e.recommended_action, e.total_score,
                       p.account_manager_id, t.leader_id, p.complete_name
                  FROM delivery_evaluation e
                  JOIN res_partner p ON p.id = e.partner_id
                  LEFT JOIN delivery_service_team t ON t.id = p.service_team_id
                 WHERE e.id IN %s AND e.recommended_action IN ('improve', 'termination_review')
                """,
                evaluation_ids,
            )
        )
        if not rows:
            return
        activity_types = {
            "improve": self.env.ref("delivery_crm.mail_activity_type_improvement_plan"),
            "termination_review": self.env.ref(
                "delivery_crm.mail_activity_type_termination_review"
            ),
        }
        model_id = self.env["ir.model"]._get_id("res.partner")
        admin = self.env.ref("base.user_admin").id
        deadline = fields.Date.context_today(self) + relativedelta(days=14)
        improve_summary = self.env._(
            "Improvement plan after the %(period)s evaluation", period=self.name
        )
        review_summary = self.env._(
            "Termination review: still poor after an improvement plan (%(period)s)",
            period=self.name,
        )
        activities = []
        for row in rows:
            if row["recommended_action"] == "improve":
                user, summary = row["account_manager_id"], improve_summary
            else:
                # a decision for a manager: the team leader, else the administrator
                user = row["leader_id"]
                summary = review_summary
            activities.append(
                {
                    "res_model_id": model_id,
                    "res_model": "res.partner",
                    "res_id": row["partner_id"],
                    # the customer's name as Odoo stores it for display (what
                    # display_name gives without context); read with the rows, not
                    # partner by partner
                    "res_name": row["complete_name"],
                    "activity_type_id": activity_types[row["recommended_action"]].id,
                    "user_id": user or admin,
                    "summary": summary,
                    "date_deadline": deadline,
                    "active": True,
                }
            )
        self._insert_activities(activities)

    def _insert_activities(self, activities):
        """Create the follow-up ``activities`` (``mail.activity`` values, their stored
        related and computed columns included) in one INSERT (the rows staged by one COPY),
        and make each assignee a follower of its customers as ``mail.activity.create``
        does (``_subscribe_assignees``). A first run creates one activity for several
        customers in ten; the ORM's ``create`` took most of the batch's time for them
        (0.3 ms each). What ``create`` does besides is left out on purpose: no
        assignment mail (the run creates them quietly, as ``mail_activity_quick_update``
        did), and no activity-counter push to the browser (it is for activities due
        today; these are due in 14 days). ``test_followup_activity_as_orm`` compares a
        row written here with one the ORM writes from the same values."""
        if not activities:
            return
        now = fields.Datetime.now()
        columns = [*activities[0], "user_tz", *LOG_COLUMNS]
        user_tz = dict(
            self.env.execute_query(
                SQL(
                    "SELECT u.id, p.tz FROM res_users u JOIN res_partner p ON p.id = u.partner_id"
                    " WHERE u.id IN %s",
                    tuple({vals["user_id"] for vals in activities}),
                )
            )
        )
        logged = {"create_uid": self.env.uid, "create_date": now}
        logged |= {"write_uid": self.env.uid, "write_date": now}

        def row(vals):
            row = {**vals, **logged, "user_tz": user_tz.get(vals["user_id"])}
            return [row[name] for name in columns]

        self.env["mail.activity"].flush_model()
        copy_into_temp(
            self.env,
            "delivery_evaluation_activity",
            "mail_activity",
            columns,
            map(row, activities),
        )
        names = SQL(", ").join(SQL.identifier(name) for name in columns)
        self.env.execute_query(
            SQL(
                "INSERT INTO mail_activity (%s) SELECT %s FROM delivery_evaluation_activity",
                names,
                names,
            )
        )
        self._subscribe_assignees(activities)
        self.env["res.partner"].browse(vals["res_id"] for vals in activities).invalidate_recordset()

    def _subscribe_assignees(self, activities):
        """Make the assignee of each of ``activities`` a follower of its customer, as
        ``mail.activity.create`` does through ``message_subscribe`` (default subtypes,
        those of a portal partner for a shared one; an existing follower keeps its
        subtypes; an archived partner follows nothing), in one statement: the ORM
        created the followers one by one (1 ms each on a first run, a tenth of the
        run). ``test_followup_followers_as_orm`` compares them with what
        ``message_subscribe`` writes."""
        default, _internal, external = self.env["mail.message.subtype"]._default_subtypes(
            "res.partner"
        )
        pairs = sorted({(vals["res_id"], vals["user_id"]) for vals in activities})
        self.env["mail.followers"].flush_model()
        self.env["res.partner"].flush_model(["active", "partner_share"])
        self.env["res.users"].flush_model(["partner_id"])
        self.env.execute_query(
            SQL(
                """
                WITH follower AS (
                    INSERT INTO mail_followers (res_model, res_id, partner_id)
                    SELECT DISTINCT 'res.partner', a.res_id, u.partner_id
                      FROM unnest(%(res_ids)s::int4[], %(user_ids)s::int4[]) AS a(res_id, user_id)
                      JOIN res_users u ON u.id = a.user_id
                      JOIN res_partner p ON p.id = u.partner_id AND p.active
                    ON CONFLICT (res_model, res_id, partner_id) DO NOTHING
                    RETURNING id, partner_id
                )
                INSERT INTO mail_followers_mail_message_subtype_rel
                       (mail_followers_id, mail_message_subtype_id)
                SELECT f.id, s.id
                  FROM follower f
                  JOIN res_partner p ON p.id = f.partner_id
                 CROSS JOIN LATERAL unnest(CASE WHEN p.partner_share THEN %(external)s::int4[]
                                                ELSE %(default)s::int4[] END) AS s(id)
                """,
                res_ids=[res_id for res_id, _user_id in pairs],
                user_ids=[user_id for _res_id, user_id in pairs],
                default=list(default),
                external=list(external),
            )
        )
        self.env["mail.followers"].invalidate_model()

    # ------------------------------------------------------------------ actions
    def action_view_evaluations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "delivery_crm.delivery_evaluation_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action
