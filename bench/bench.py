"""`make bench`: time a full quarterly cooperation evaluation over a large database.

Generates (once per database) N customers, 20 delivery records each and N complaints
(half of them rated), then runs the quarterly evaluation through the cron's own code
(`delivery.evaluation.run._cron_evaluate('quarterly')`, batches committed as in
production) and, on the same rows, the raw-SQL lower bound: the evaluation's own
aggregate queries (``delivery.evaluation._shipment_aggregate_query`` and
``_referral_query``, the SQL its providers run, so the two cannot drift) over every
customer of the run's scope at once, into scratch tables. Ends with one line:

BENCH customers=N deliveries=N seconds=S sql_seconds=S ratio=R peak_rss_mib=M queries=Q

then the transport system's ingestion (``ingest.py``: BENCH_INGEST_ROWS rows through
``/json/2`` in batches of 1,000 against ``COPY``):

BENCH ingest rows=N batch=B clients=K rows/s=R copy rows/s=C ratio=X

and the latency of the main screens for each role (``latency.py``):

BENCH latency screen=<action>/<view> role=<role> median_ms=M p95_ms=P rows=N
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers", type=int, default=int(os.environ.get("BENCH_CUSTOMERS", "100000"))
    )
    parser.add_argument("--per-customer", type=int, default=20)
    parser.add_argument(
        "--batch-size", type=int, default=int(os.environ.get("BENCH_BATCH", "2000"))
    )
    parser.add_argument("--db", default=None)
    parser.add_argument("--config", default=str(ROOT / ".local" / "odoo.conf"))
    return parser.parse_args()


def main():
    args = parse_args()
    db = args.db or f"delivery_crm_bench_{args.customers}"

    from datagen import generate, generate_complaints

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL, config

    config.parse_config(["-c", args.config, "-d", db, "--log-level=warn"])
    registry = Registry(db)
    period_start = None

    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        customers = env["res.partner"].search_count([("name", "=like", "Bench customer %")])
        if customers != args.customers:
            print(f"generating {args.customers} customers x {args.per_customer} deliveries ...")
            started = time.perf_counter()
            generate(env, args.customers, args.per_customer, complaints=args.customers)
            cr.commit()
            print(f"  generated in {time.perf_counter() - started:.1f} s")
            customers = args.customers
        if not env["delivery.complaint"].search_count([("name", "=like", "BENCH/%")]):
            # a database generated before the complaints existed gets them now
            first = env["res.partner"].search(
                [("name", "=like", "Bench customer %")], order="id", limit=1
            )
            generate_complaints(env, first.id, args.customers, args.customers)
            env.execute_query(SQL("DROP TABLE IF EXISTS bench_complaint"))
            cr.commit()
        deliveries = env["delivery.shipment"].search_count([])
        # a clean first run every time: no evaluation, tiers back to the entry tier
        run_model = env["delivery.evaluation.run"]
        period_start = run_model._last_complete_period("quarterly")
        entry = env.ref("delivery_crm.delivery_tier_new")
        env.execute_query(SQL("DELETE FROM delivery_tier_change WHERE evaluation_id IS NOT NULL"))
        env.execute_query(SQL("DELETE FROM delivery_evaluation"))
        env.execute_query(SQL("DELETE FROM delivery_evaluation_run"))
        env.execute_query(
            SQL(
                "DELETE FROM mail_activity WHERE activity_type_id IN %s",
                tuple(
                    env.ref(x).id
                    for x in (
                        "delivery_crm.mail_activity_type_improvement_plan",
                        "delivery_crm.mail_activity_type_termination_review",
                    )
                ),
            )
        )
        env.execute_query(
            SQL(
                "UPDATE res_partner SET tier_id = %s, evaluated_tier_id = %s, kpi_date = NULL,"
                " reward_candidate = FALSE WHERE is_delivery_customer",
                entry.id,
                entry.id,
            )
        )
        env["ir.config_parameter"].set_param("delivery_crm.evaluation_batch_size", args.batch_size)
        cr.commit()
    # what the reset deleted must not weigh on the timed run (production tables are
    # not emptied between quarters): VACUUM runs outside a transaction
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        for table in (
            "delivery_evaluation",
            "delivery_tier_change",
            "mail_activity",
            "res_partner",
        ):
            cr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))
        cr._cnx.autocommit = False

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queries_before = odoo.sql_db.sql_counter
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env["delivery.evaluation.run"]._cron_evaluate("quarterly")
    seconds = time.perf_counter() - started
    queries = odoo.sql_db.sql_counter - queries_before
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        [[evaluated]] = env.execute_query(SQL("SELECT COUNT(*) FROM delivery_evaluation"))
        [[state]] = env.execute_query(SQL("SELECT state FROM delivery_evaluation_run"))
        evaluation = env["delivery.evaluation"]
        run = env["delivery.evaluation.run"].search([])
        # the run's customers in one sub-query, and the period as the providers get it
        scope = (
            env["res.partner"]
            .with_context(active_test=False)
            ._search(run._scope_domain())
            .subselect()
        )
        period = {
            **evaluation._period_bounds("quarterly", period_start, "UTC"),
            "period_type": "quarterly",
            "period_start": period_start,
            "tz": "UTC",
        }
        lower_bound = [
            ("bench_scratch", evaluation._shipment_aggregate_query(scope, period)),
            ("bench_scratch_referrals", evaluation._referral_query(scope, period)),
        ]
        for table, _query in lower_bound:
            env.execute_query(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
        cr.commit()
        sql_started = time.perf_counter()
        for table, query in lower_bound:
            env.execute_query(SQL("CREATE TABLE %s AS %s", SQL.identifier(table), query))
        cr.commit()
        sql_seconds = time.perf_counter() - sql_started
        [[scratch_rows]] = env.execute_query(SQL("SELECT COUNT(*) FROM bench_scratch"))

    batches = -(-evaluated // args.batch_size)
    print(f"database            {db}")
    print(f"period              quarterly from {period_start}")
    print(f"customers           {customers}")
    print(f"deliveries          {deliveries}")
    print(f"evaluations written {evaluated} (run {state}); lower bound rows {scratch_rows}")
    print(f"batch size          {args.batch_size} -> {batches} batches")
    print(f"evaluation run      {seconds:.1f} s ({evaluated / seconds:.0f} customers/s)")
    print(f"SQL lower bound     {sql_seconds:.1f} s")
    print(f"queries             {queries} ({queries / max(batches, 1):.1f} per batch)")
    print(f"peak RSS            {peak_rss:.0f} MiB (before the run {rss_before:.0f} MiB)")
    print(
        f"BENCH customers={args.customers} deliveries={deliveries} seconds={seconds:.1f} "
        f"sql_seconds={sql_seconds:.1f} ratio={seconds / sql_seconds:.2f} "
        f"peak_rss_mib={peak_rss:.0f} queries={queries}"
    )

    # issue 15 item 6: the transport system's ingestion through /json/2, on the same
    # database (BENCH_INGEST_ROWS=0 skips it)
    from ingest import default_rows, run_ingest

    ingest_rows = default_rows(args.customers)
    if ingest_rows:
        run_ingest(
            registry,
            db,
            args.config,
            ingest_rows,
            profile=bool(os.environ.get("BENCH_PROFILE")),
            clients=int(os.environ.get("BENCH_INGEST_CLIENTS", "2")),
        )

    # issue 18 item 2: the screens' latency for each role (BENCH_LATENCY_RUNS=0 skips it)
    from latency import run_latency

    latency_runs = int(os.environ.get("BENCH_LATENCY_RUNS", "7"))
    if latency_runs:
        run_latency(registry, runs=latency_runs)


if __name__ == "__main__":
    main()
