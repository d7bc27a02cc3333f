"""The evaluation's fair lower bound (issue 18 item 4), and where the engine's time goes.

The bound is hand-written, set-based SQL over every customer of the run at once, in one
transaction, doing what the engine (``delivery.evaluation.run._cron_evaluate``) does:

1. the aggregates the providers compute: the evaluation's own shipment, referral and claim
   queries (so they cannot drift from what they bound), the complaints counted and the
   ratings of the period (``counted_complaint``, ``counted_ratings``: the same rules);
2. the same writes on the same rows: the evaluations (their values replayed from what the
   engine wrote: the bound does no scoring, a few arithmetic operations per customer), the
   customers' KPIs, the graded tiers with their log (direction, reason) and audit rows, the
   reward flags, the improvement-plan and termination-review activities (replayed) with their
   followers.

``compare`` then checks that the bound wrote what the engine wrote (same numbers of rows and
the same tiers and KPIs), so the ratio compares equal work.

``EngineTimer`` wraps the engine's steps (on the registry's model class, for one run) to
show where its time goes, per step, beside the bound's own steps.
"""

import time
from collections import defaultdict
from contextlib import contextmanager

from odoo.tools import SQL

from odoo.addons.delivery_crm.models.delivery_complaint import counted_ratings
from odoo.addons.delivery_crm.models.delivery_rates import counted_complaint
from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED

FOLLOWUP_TYPES = (
    "delivery_crm.mail_activity_type_improvement_plan",
    "delivery_crm.mail_activity_type_termination_review",
)


def followup_type_ids(env):
    return tuple(env.ref(xmlid).id for xmlid in FOLLOWUP_TYPES)


def tier_field_id(env):
    return env["ir.model.fields"]._get("res.partner", "tier_id").id


def reset(env, entry_tier_id, since, keep_run=False):
    """Back to the state before a first run: no evaluation, no tier change or audit row of
    an evaluation, no follow-up activity, every customer on the entry tier with no KPI."""
    env.execute_query(SQL("DELETE FROM delivery_tier_change WHERE evaluation_id IS NOT NULL"))
    if since:
        env.execute_query(
            SQL(
                "DELETE FROM delivery_audit_log WHERE res_model = 'res.partner'"
                " AND field_id = %s AND create_date >= %s",
                tier_field_id(env),
                since,
            )
        )
    env.execute_query(SQL("DELETE FROM delivery_evaluation"))
    if not keep_run:
        env.execute_query(SQL("DELETE FROM delivery_evaluation_run"))
    env.execute_query(
        SQL("DELETE FROM mail_activity WHERE activity_type_id IN %s", followup_type_ids(env))
    )
    # the followers the follow-up activities made (the generator's customers have none
    # of their own): a first run subscribes the assignees, and so must every timed run
    env.execute_query(
        SQL(
            "DELETE FROM mail_followers f USING res_partner p WHERE f.res_model = 'res.partner'"
            " AND f.res_id = p.id AND p.is_delivery_customer"
        )
    )
    env.execute_query(
        SQL(
            "UPDATE res_partner SET tier_id = %s, evaluated_tier_id = %s, kpi_date = NULL,"
            " kpi_score = NULL, kpi_satisfaction = NULL, kpi_complaint_rate = NULL,"
            " kpi_on_time_rate = NULL, kpi_volume = NULL, kpi_damage_rate = NULL,"
            " reward_candidate = FALSE WHERE is_delivery_customer",
            entry_tier_id,
            entry_tier_id,
        )
    )


def vacuum(
    registry,
    tables=(
        "delivery_evaluation",
        "delivery_tier_change",
        "mail_activity",
        "delivery_audit_log",
        "res_partner",
    ),
):
    """What a reset deleted must not weigh on the next timed run (production tables are not
    emptied between quarters): VACUUM runs outside a transaction."""
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        for table in tables:
            cr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))
        cr._cnx.autocommit = False


def outcome(env, run_id):
    """What a run wrote, to compare the engine's and the bound's."""
    [[evaluations, graded, score]] = env.execute_query(
        SQL(
            "SELECT count(*), count(*) FILTER (WHERE tier_graded),"
            " round(sum(total_score)::numeric, 2) FROM delivery_evaluation WHERE run_id = %s",
            run_id,
        )
    )
    [[changes, changes_md5]] = env.execute_query(
        SQL(
            """
            SELECT count(*), md5(string_agg(concat_ws(':', c.partner_id, c.old_tier_id,
                                                      c.new_tier_id, c.direction, c.origin,
                                                      c.reason, c.user_id, c.company_id),
                                            ',' ORDER BY c.partner_id))
              FROM delivery_tier_change c JOIN delivery_evaluation e ON e.id = c.evaluation_id
             WHERE e.run_id = %s
            """,
            run_id,
        )
    )
    # the audit rows of the run's tier changes (stamped with the change's date)
    [[audit, audit_md5]] = env.execute_query(
        SQL(
            """
            SELECT count(*), md5(string_agg(concat_ws(':', a.res_id, a.partner_id,
                                                      a.record_name, a.operation,
                                                      a.old_value, a.new_value, a.user_id,
                                                      a.company_id),
                                            ',' ORDER BY a.res_id))
              FROM delivery_audit_log a
              JOIN delivery_tier_change c ON c.partner_id = a.res_id AND c.date = a.create_date
              JOIN delivery_evaluation e ON e.id = c.evaluation_id
             WHERE e.run_id = %s AND a.res_model = 'res.partner' AND a.field_id = %s
            """,
            run_id,
            tier_field_id(env),
        )
    )
    [[followers_md5]] = env.execute_query(
        SQL(
            """
            SELECT md5(string_agg(f.res_id || ':' || f.partner_id || ':' || (
                       SELECT string_agg(r.mail_message_subtype_id::text, '/'
                                         ORDER BY r.mail_message_subtype_id)
                         FROM mail_followers_mail_message_subtype_rel r
                        WHERE r.mail_followers_id = f.id), ',' ORDER BY f.res_id, f.partner_id))
              FROM mail_followers f JOIN res_partner p ON p.id = f.res_id
             WHERE f.res_model = 'res.partner' AND p.is_delivery_customer
            """
        )
    )
    [[activities]] = env.execute_query(
        SQL(
            "SELECT count(*) FROM mail_activity WHERE activity_type_id IN %s",
            followup_type_ids(env),
        )
    )
    [[tiers, rewards, kpis]] = env.execute_query(
        SQL(
            """
            SELECT md5(string_agg(id || ':' || coalesce(tier_id, 0) || ':'
                                  || coalesce(evaluated_tier_id, 0), ',' ORDER BY id)),
                   count(*) FILTER (WHERE reward_candidate),
                   md5(string_agg(concat_ws(':', id, kpi_date, round(kpi_score::numeric, 2),
                                            round(kpi_satisfaction::numeric, 2),
                                            round(kpi_complaint_rate::numeric, 4),
                                            round(kpi_on_time_rate::numeric, 2),
                                            round(kpi_volume::numeric, 2),
                                            round(kpi_damage_rate::numeric, 4)),
                                  ',' ORDER BY id))
              FROM res_partner WHERE is_delivery_customer
            """
        )
    )
    return {
        "evaluations": evaluations,
        "graded": graded,
        "score_sum": score,
        "tier_changes": changes,
        "tier_changes_md5": changes_md5,
        "audit_rows": audit,
        "audit_md5": audit_md5,
        "followers_md5": followers_md5,
        "activities": activities,
        "reward_flags": rewards,
        "tiers": tiers,
        "kpis": kpis,
    }


def snapshot(env, run_id):
    """Keep the values the engine computed (evaluations, activities) for the bound to
    replay: the bound times writing them, not computing them in Python."""
    env.execute_query(SQL("DROP TABLE IF EXISTS bench_engine_evaluation, bench_engine_activity"))
    env.execute_query(
        SQL(
            "CREATE TABLE bench_engine_evaluation AS SELECT * FROM delivery_evaluation"
            " WHERE run_id = %s",
            run_id,
        )
    )
    env.execute_query(
        SQL(
            "CREATE TABLE bench_engine_activity AS SELECT * FROM mail_activity"
            " WHERE activity_type_id IN %s",
            followup_type_ids(env),
        )
    )


def _columns(env, table):
    return [
        name
        for (name,) in env.execute_query(
            SQL(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                " AND column_name != 'id' ORDER BY ordinal_position",
                table,
            )
        )
    ]


def bound_steps(env, run, scope, period, reason):
    """The bound's statements, ``[(step, SQL)]``, in the order they run."""
    evaluation = env["delivery.evaluation"]
    now = SQL("now() at time zone 'UTC'")
    evaluation_columns = SQL(", ").join(
        SQL.identifier(name) for name in _columns(env, "delivery_evaluation")
    )
    activity_columns = SQL(", ").join(
        SQL.identifier(name) for name in _columns(env, "mail_activity")
    )
    in_run = SQL("e.run_id = %s", run.id)
    return [
        (
            "aggregates: shipments",
            SQL(
                "CREATE TEMP TABLE bound_shipments AS %s",
                evaluation._shipment_aggregate_query(scope, period),
            ),
        ),
        (
            "aggregates: referrals",
            SQL(
                "CREATE TEMP TABLE bound_referrals AS %s",
                evaluation._referral_query(scope, period),
            ),
        ),
        (
            "aggregates: claims",
            SQL(
                "CREATE TEMP TABLE bound_claims AS %s",
                evaluation._claim_query(scope, period),
            ),
        ),
        (
            "aggregates: complaints",
            SQL(
                """
                CREATE TEMP TABLE bound_complaints AS
                SELECT c.partner_id, count(*) AS complaint_count
                  FROM delivery_complaint c
                 WHERE c.partner_id IN %(scope)s AND c.active AND %(counted)s
                   AND c.received_date >= %(start)s AND c.received_date < %(end)s
                 GROUP BY c.partner_id
                """,
                scope=scope,
                counted=counted_complaint("c"),
                start=period["start"],
                end=period["end"],
            ),
        ),
        (
            "aggregates: ratings",
            SQL(
                """
                CREATE TEMP TABLE bound_ratings AS
                SELECT r.partner_id, count(*) AS answers,
                       count(*) FILTER (WHERE r.rating >= %(satisfied)s) AS satisfied
                  FROM (%(ratings)s) r
                 WHERE r.partner_id IN %(scope)s
                   AND r.rated_on >= %(start)s AND r.rated_on < %(end)s
                 GROUP BY r.partner_id
                """,
                ratings=counted_ratings(),
                satisfied=RATING_LIMIT_SATISFIED,
                scope=scope,
                start=period["start"],
                end=period["end"],
            ),
        ),
        (
            "evaluations (insert)",
            SQL(
                "INSERT INTO delivery_evaluation (%(columns)s)"
                " SELECT %(columns)s FROM bench_engine_evaluation",
                columns=evaluation_columns,
            ),
        ),
        (
            "KPIs and reward flags",
            SQL(
                """
                UPDATE res_partner p SET
                       write_date = %(now)s, kpi_date = e.period_end,
                       kpi_score = CASE WHEN e.has_score THEN e.total_score END,
                       kpi_satisfaction = CASE WHEN e.has_satisfaction THEN e.satisfaction END,
                       kpi_complaint_rate = CASE WHEN e.has_complaint THEN e.complaint_rate END,
                       kpi_on_time_rate = CASE WHEN e.has_on_time THEN e.on_time_rate END,
                       kpi_volume = e.revenue,
                       kpi_damage_rate = CASE WHEN e.has_damage THEN e.damage_rate END,
                       reward_candidate = e.recommended_action = 'reward'
                  FROM delivery_evaluation e
                 WHERE %(in_run)s AND p.id = e.partner_id
                """,
                now=now,
                in_run=in_run,
            ),
        ),
        (
            "tiers and their log",
            SQL(
                """
                WITH target AS (
                    SELECT p.id AS partner_id, p.company_id, p.tier_id AS old_tier_id,
                           e.tier_id AS new_tier_id, e.id AS evaluation_id, e.total_score
                      FROM delivery_evaluation e JOIN res_partner p ON p.id = e.partner_id
                     WHERE %(in_run)s AND e.tier_graded
                ), moved AS (
                    UPDATE res_partner p
                       SET tier_id = t.new_tier_id, evaluated_tier_id = t.new_tier_id,
                           write_uid = %(uid)s, write_date = %(now)s
                      FROM target t
                     WHERE p.id = t.partner_id
                       AND (p.tier_id, p.evaluated_tier_id)
                           IS DISTINCT FROM (t.new_tier_id, t.new_tier_id)
                )
                INSERT INTO delivery_tier_change
                       (partner_id, company_id, date, user_id, old_tier_id, new_tier_id,
                        origin, reason, evaluation_id, direction,
                        create_uid, create_date, write_uid, write_date)
                SELECT t.partner_id, t.company_id, %(now)s, %(uid)s, t.old_tier_id,
                       t.new_tier_id, 'evaluation',
                       %(reason)s || ' ' || to_char(t.total_score, 'FM990.0'),
                       t.evaluation_id,
                       CASE WHEN t.old_tier_id IS NULL THEN 'new'
                            WHEN new_t.level > old_t.level THEN 'up'
                            WHEN new_t.level < old_t.level THEN 'down' ELSE 'same' END,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM target t
                  LEFT JOIN delivery_tier new_t ON new_t.id = t.new_tier_id
                  LEFT JOIN delivery_tier old_t ON old_t.id = t.old_tier_id
                 WHERE t.old_tier_id IS DISTINCT FROM t.new_tier_id
                """,
                in_run=in_run,
                uid=env.uid,
                now=now,
                reason=reason,
            ),
        ),
        (
            "audit rows",
            SQL(
                """
                INSERT INTO delivery_audit_log
                       (user_id, res_model, res_id, record_name, partner_id, field_id,
                        operation, old_value, new_value, company_id,
                        create_uid, create_date, write_uid, write_date)
                SELECT c.user_id, 'res.partner', c.partner_id, p.name, c.partner_id,
                       %(field)s, 'write', old_t.name->>'en_US', new_t.name->>'en_US',
                       p.company_id, %(uid)s, c.date, %(uid)s, c.date
                  FROM delivery_tier_change c
                  JOIN delivery_evaluation e ON e.id = c.evaluation_id
                  JOIN res_partner p ON p.id = c.partner_id
                  LEFT JOIN delivery_tier old_t ON old_t.id = c.old_tier_id
                  LEFT JOIN delivery_tier new_t ON new_t.id = c.new_tier_id
                 WHERE %(in_run)s
                """,
                field=tier_field_id(env),
                uid=env.uid,
                in_run=in_run,
            ),
        ),
        (
            "follow-up activities (insert)",
            SQL(
                "INSERT INTO mail_activity (%(columns)s)"
                " SELECT %(columns)s FROM bench_engine_activity",
                columns=activity_columns,
            ),
        ),
        (
            "their followers",
            SQL(
                """
                WITH follower AS (
                    INSERT INTO mail_followers (res_model, res_id, partner_id)
                    SELECT DISTINCT a.res_model, a.res_id, u.partner_id
                      FROM bench_engine_activity a JOIN res_users u ON u.id = a.user_id
                    ON CONFLICT DO NOTHING
                    RETURNING id
                )
                INSERT INTO mail_followers_mail_message_subtype_rel
                       (mail_followers_id, mail_message_subtype_id)
                SELECT f.id, s.id FROM follower f CROSS JOIN unnest(%s::int4[]) AS s(id)
                """,
                list(env["mail.message.subtype"]._default_subtypes("res.partner")[0]),
            ),
        ),
    ]


def aggregate_differences(env):
    """Customers whose aggregates, as the bound computed them, differ from the raw values
    the engine wrote (``bench_engine_evaluation``): 0 when both read the same rows."""
    [[differences]] = env.execute_query(
        SQL(
            """
            SELECT count(*)
              FROM bench_engine_evaluation e
              LEFT JOIN bound_shipments s ON s.partner_id = e.partner_id
              LEFT JOIN bound_referrals r ON r.referred_by_id = e.partner_id
              LEFT JOIN bound_claims c ON c.partner_id = e.partner_id
              LEFT JOIN bound_complaints k ON k.partner_id = e.partner_id
              LEFT JOIN bound_ratings g ON g.partner_id = e.partner_id
             WHERE (e.revenue, e.revenue_previous, e.delivery_count, e.delivery_count_previous,
                    e.on_time_count, e.finished_count, e.damaged_count, e.active_months,
                    e.referrals, e.claim_count, e.complaint_count, e.satisfaction_count)
                   IS DISTINCT FROM
                   (coalesce(s.revenue, 0), coalesce(s.revenue_previous, 0),
                    coalesce(s.delivery_count, 0)::int4,
                    coalesce(s.delivery_count_previous, 0)::int4,
                    coalesce(s.on_time_count, 0)::int4, coalesce(s.finished_count, 0)::int4,
                    coalesce(s.damaged_count, 0)::int4, coalesce(s.active_months, 0)::int4,
                    coalesce(r.referrals, 0)::int4, coalesce(c.claim_count, 0)::int4,
                    coalesce(k.complaint_count, 0)::int4, coalesce(g.answers, 0)::int4)
            """
        )
    )
    env.execute_query(
        SQL(
            "DROP TABLE bound_shipments, bound_referrals, bound_claims, bound_complaints,"
            " bound_ratings"
        )
    )
    return differences


def run_bound(env, steps):
    """Run ``steps`` in one transaction (committed): ``[(step, seconds)]``."""
    timings = []
    for step, query in steps:
        started = time.perf_counter()
        env.execute_query(query)
        timings.append((step, time.perf_counter() - started))
    started = time.perf_counter()
    env.cr.commit()
    timings.append(("commit", time.perf_counter() - started))
    return timings


class EngineTimer:
    """Time the engine's steps, in process, by wrapping methods of the registry's model
    classes for the duration of a ``with`` block. Nested steps are reported apart (the
    scoring is what ``_evaluate_batch`` spends outside the steps it calls)."""

    STEPS = (
        ("delivery.evaluation.run", "_evaluate_batch", "batch (all of it)"),
        ("delivery.evaluation", "_fetch_partner_rows", "customers' rows"),
        ("delivery.evaluation", "_raw_shipments", "aggregates: shipments"),
        ("delivery.evaluation", "_raw_referrals", "aggregates: referrals"),
        ("delivery.evaluation", "_raw_claims", "aggregates: claims"),
        ("delivery.evaluation", "_raw_complaints", "aggregates: complaints"),
        ("delivery.evaluation", "_raw_satisfaction", "aggregates: satisfaction"),
        ("delivery.evaluation.run", "_previous_actions", "previous actions"),
        ("delivery.evaluation.run", "_upsert_evaluations", "evaluations (upsert)"),
        ("delivery.evaluation.run", "_update_kpis", "KPIs and reward flags"),
        ("delivery.tier.change", "_move_tiers", "tiers, their log, audit, notices"),
        ("delivery.audit.log", "_log_tier_changes", "  of which audit rows"),
        ("delivery.evaluation.run", "_apply_consequences", "consequences (all of them)"),
        ("delivery.evaluation.run", "_schedule_followups", "follow-up activities"),
        ("ir.cron", "_commit_progress", "commits"),
    )

    def __init__(self, registry):
        self.registry = registry
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)

    @contextmanager
    def timing(self):
        patched = []
        for model, method, label in self.STEPS:
            cls = self.registry[model]
            original = cls.__dict__.get(method)
            inherited = getattr(cls, method)

            def wrapper(rec, *args, _inner=inherited, _label=label, **kwargs):
                started = time.perf_counter()
                try:
                    return _inner(rec, *args, **kwargs)
                finally:
                    self.seconds[_label] += time.perf_counter() - started
                    self.calls[_label] += 1

            setattr(cls, method, wrapper)
            patched.append((cls, method, original))
        try:
            yield self
        finally:
            for cls, method, original in patched:
                if original is None:
                    delattr(cls, method)
                else:
                    setattr(cls, method, original)

    def rows(self, total):
        """``[(step, seconds)]``: the steps a batch calls, the consequences split, the
        scoring (what a batch spends outside the steps it calls: the scores, the tier
        rules, the rows built in Python) and what the run spends outside its batches
        (locking the next batch, counting what remains, the commits)."""
        s = self.seconds
        direct = (
            "customers' rows",
            "aggregates: shipments",
            "aggregates: referrals",
            "aggregates: claims",
            "aggregates: complaints",
            "aggregates: satisfaction",
            "previous actions",
            "evaluations (upsert)",
            "KPIs and reward flags",
        )
        rows = [(label, s[label]) for label in direct]
        tiers = s["tiers, their log, audit, notices"]
        rows += [
            ("tiers, their log, notices", tiers - s["  of which audit rows"]),
            ("audit rows", s["  of which audit rows"]),
            ("follow-up activities", s["follow-up activities"]),
        ]
        called = sum(s[label] for label in direct) + s["consequences (all of them)"]
        rows.append(("scoring, tier rules, rows in Python", s["batch (all of it)"] - called))
        rows.append(("commits", s["commits"]))
        rows.append(("next batch: lock, count", total - s["batch (all of it)"] - s["commits"]))
        return rows


def compare(engine, bound):
    """The keys where the bound's outcome differs from the engine's."""
    return sorted(key for key in engine if engine[key] != bound[key])
