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
from datetime import datetime, timedelta
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
    from odoo import api, fields
    from odoo.modules.registry import Registry
    from odoo.tools import SQL, config

    config.parse_config(["-c", args.config, "-d", db, "--log-level=warn"])

    registry = Registry(db)
    import bound  # it imports the module's code: once the registry is loaded

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
        # a database generated before the generator set the complaint flag and the
        # owner (the complaint rate counts flagged complaints; the staff KPIs credit
        # the owner)
        env.execute_query(
            SQL(
                "UPDATE delivery_complaint SET counts_as_complaint = TRUE, resolution_time = 20,"
                " user_id = 2 WHERE name LIKE 'BENCH/%%' AND user_id IS NULL"
            )
        )
        cr.commit()
        deliveries = env["delivery.shipment"].search_count([])
        # a clean first run every time: no evaluation, tiers back to the entry tier (the
        # benchmark's own database: every tier audit row is one of an earlier run's)
        run_model = env["delivery.evaluation.run"]
        period_start = run_model._last_complete_period("quarterly")
        entry = env.ref("delivery_crm.delivery_tier_new")
        bound.reset(env, entry.id, datetime(1970, 1, 1))
        env["ir.config_parameter"].set_param("delivery_crm.evaluation_batch_size", args.batch_size)
        cr.commit()
    bound.vacuum(registry)
    # the same warm cache for the engine as for the bound after it: read what both read
    with registry.cursor() as cr:
        for table in ("delivery_shipment", "delivery_complaint", "rating_rating", "res_partner"):
            cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queries_before = odoo.sql_db.sql_counter
    since = fields.Datetime.now() - timedelta(seconds=1)
    timer = bound.EngineTimer(registry)
    started = time.perf_counter()
    with timer.timing(), registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env["delivery.evaluation.run"]._cron_evaluate("quarterly")
    seconds = time.perf_counter() - started
    queries = odoo.sql_db.sql_counter - queries_before
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # the bound: the same writes on the same rows in hand-written set-based SQL
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        run = env["delivery.evaluation.run"].search([])
        state = run.state
        engine_outcome = bound.outcome(env, run.id)
        bound.snapshot(env, run.id)
        bound.reset(env, entry.id, since, keep_run=True)
        cr.commit()
    bound.vacuum(registry)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        run = env["delivery.evaluation.run"].search([])
        evaluation = env["delivery.evaluation"]
        # the run's customers in one sub-query, and the period as the providers get it
        scope = (
            env["res.partner"]
            .with_context(active_test=False)
            ._search(run._scope_domain())
            .subselect()
        )
        period = {
            **evaluation._period_bounds("quarterly", period_start, run._tz()),
            "period_type": "quarterly",
            "period_start": period_start,
            "tz": run._tz(),
        }
        reason = env._("Evaluation %(period)s: score", period=run.name)
        steps = bound.bound_steps(env, run, scope, period, reason)
        sql_started = time.perf_counter()
        bound_timings = bound.run_bound(env, steps)
        sql_seconds = time.perf_counter() - sql_started
        bound_outcome = bound.outcome(env, run.id)
        aggregate_differences = bound.aggregate_differences(env)
        differences = bound.compare(engine_outcome, bound_outcome)
        env.execute_query(SQL("DROP TABLE bench_engine_evaluation, bench_engine_activity"))
        cr.commit()

    evaluated = engine_outcome["evaluations"]
    batches = -(-evaluated // args.batch_size)
    print(f"database            {db}")
    print(f"period              quarterly from {period_start}")
    print(f"customers           {customers}")
    print(f"deliveries          {deliveries}")
    print(f"evaluations written {evaluated} (run {state})")
    print(f"batch size          {args.batch_size} -> {batches} batches")
    print(f"evaluation run      {seconds:.1f} s ({evaluated / seconds:.0f} customers/s)")
    print(f"SQL lower bound     {sql_seconds:.1f} s (the same writes, hand-written SQL)")
    print(f"queries             {queries} ({queries / max(batches, 1):.1f} per batch)")
    print(f"peak RSS            {peak_rss:.0f} MiB (before the run {rss_before:.0f} MiB)")
    print(
        "writes              "
        + ", ".join(
            f"{key} {engine_outcome[key]}"
            for key in ("evaluations", "tier_changes", "audit_rows", "activities", "reward_flags")
        )
    )
    print(
        "bound wrote the same: "
        + ("yes" if not differences else "NO, differs in " + ", ".join(differences))
        + f"; its aggregates differ from the engine's for {aggregate_differences} customers"
    )
    print("where the engine's time goes (s)")
    for step, step_seconds in timer.rows(seconds):
        print(f"  {step:<40}{step_seconds:>7.1f}")
    print("where the bound's time goes (s)")
    for step, step_seconds in bound_timings:
        print(f"  {step:<40}{step_seconds:>7.1f}")
    print(
        f"BENCH customers={args.customers} deliveries={deliveries} seconds={seconds:.1f} "
        f"sql_seconds={sql_seconds:.1f} ratio={seconds / sql_seconds:.2f} "
        f"peak_rss_mib={peak_rss:.0f} queries={queries}"
    )
    if differences or aggregate_differences:
        sys.exit(
            f"the bound did not write what the engine wrote: {differences}, "
            f"{aggregate_differences} customers' aggregates"
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
