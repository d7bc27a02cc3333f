"""Ingestion benchmark (issue 15 item 6): delivery rows of the transport system through
the real API path — an Odoo server started here, ``POST /json/2/delivery.shipment/
transport_upsert`` over HTTP with the API key of an integration user, batches of 1,000 —
against ``COPY`` of the same rows into ``delivery_shipment`` as the bound. Both sets of
rows are removed afterwards (the evaluation benchmark's database stays as it was).

Run by ``bench.py`` after the evaluation (``make bench``), or alone:
``python bench/ingest.py --db DB [--rows N]``. Ends with one line:

BENCH ingest rows=N batch=B clients=K rows/s=R copy rows/s=C ratio=X

``BENCH_INGEST_CLIENTS=K`` (default 2, a worker per core of this machine class, as
production runs Odoo with ``--workers``): K clients send batches at once to a server of K
HTTP worker processes.

``BENCH_PROFILE=1`` also profiles one batch inside the server process's code path
(cProfile of ``transport_upsert`` in this process) and prints the top functions."""

import argparse
import io
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BATCH = 1000


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_rows(customers, count, run):
    """``count`` rows as the transport system sends them: 60 % delivered (1 in 50 of
    them late), the rest in transit; spread over the customers."""
    rows = []
    for i in range(count):
        day = 1 + i % 28
        row = {
            "name": f"INGEST-{run}-{i}",
            "partner_id": customers[i % len(customers)],
            "date": f"2026-10-{day:02d} 08:00:00",
            "promised_datetime": f"2026-10-{day:02d} 20:00:00",
            "revenue": float(100 + i % 900),
            "pieces": 1 + i % 9,
            "weight": 2.5 * (1 + i % 9),
            "status": "in_transit",
            "updated_at": f"2026-10-{day:02d} 09:00:00",
        }
        if i % 5 < 3:
            late = i % 50 == 0
            row["delivered_datetime"] = f"2026-10-{day:02d} {22 if late else 18}:00:00"
            row["status"] = "delivered"
        rows.append(row)
    return rows


def start_server(db, config, clients=1):
    port = free_port()
    # one client: the threaded server; several: as many HTTP worker processes
    workers = [f"--workers={clients}", f"--gevent-port={free_port()}"] if clients > 1 else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            config,
            "-d",
            db,
            f"--db-filter=^{db}$",
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            "--max-cron-threads=0",
            "--log-level=warn",
            *workers,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the Odoo server exited")
        try:
            if requests.get(f"{url}/web/health", timeout=5).status_code == 200:
                return proc, url
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("the Odoo server did not answer within 180 s")


def copy_rows(env, rows, company_id):
    """COPY the rows (their stored columns, status and outcome as the ORM sets them)."""
    from odoo.tools import SQL

    buffer = io.StringIO()
    for row in rows:
        delivered = row.get("delivered_datetime")
        outcome = ""
        if delivered:
            outcome = "late" if delivered > row["promised_datetime"] else "delivered"
        buffer.write(
            "\t".join(
                [
                    "COPY" + row["name"][len("INGEST") :],
                    str(row["partner_id"]),
                    str(company_id),
                    row["date"],
                    str(row["revenue"]),
                    str(row["pieces"]),
                    str(row["weight"]),
                    row["promised_datetime"],
                    delivered or "\\N",
                    outcome or "\\N",
                    row["status"],
                    row["updated_at"],
                    "1",
                    "1",
                ]
            )
            + "\n"
        )
    buffer.seek(0)
    statement = SQL(
        "COPY delivery_shipment (name, partner_id, company_id, date, revenue, pieces, weight,"
        " promised_datetime, delivered_datetime, outcome, status, transport_updated_at,"
        " create_uid, write_uid) FROM STDIN"
    )
    env.cr._obj.copy_expert(statement.code, buffer)


def cleanup(env, run):
    from odoo.tools import SQL

    env.execute_query(
        SQL(
            "DELETE FROM mail_message WHERE model = 'delivery.shipment' AND res_id IN "
            "(SELECT id FROM delivery_shipment WHERE name LIKE %s OR name LIKE %s)",
            f"INGEST-{run}-%",
            f"COPY-{run}-%",
        )
    )
    env.execute_query(
        SQL(
            "DELETE FROM delivery_shipment WHERE name LIKE %s OR name LIKE %s",
            f"INGEST-{run}-%",
            f"COPY-{run}-%",
        )
    )


def integration_user(env):
    """The benchmark's integration user (made once) and a fresh API key of it."""
    user = env["res.users"].search([("login", "=", "bench.transport")])
    if not user:
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Bench transport system",
                    "login": "bench.transport",
                    "group_ids": [
                        (4, env.ref("base.group_user").id),
                        (4, env.ref("delivery_crm.group_delivery_crm_transport").id),
                    ],
                }
            )
        )
    key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "bench", None)
    return user, key


def post_batches(url, headers, batches, clients):
    """Send the batches (``clients`` at a time); the rows created."""

    def send(batch):
        response = requests.post(
            f"{url}/json/2/delivery.shipment/transport_upsert",
            headers=headers,
            json={"rows": batch},
            timeout=600,
        )
        response.raise_for_status()
        result = response.json()
        assert result["errors"] == 0, result["rows"][:3]
        return result

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(send, batches))


def run_ingest(registry, db, config, count, profile=False, clients=1):
    from odoo import api
    from odoo.tools import SQL

    run = uuid.uuid4().hex[:8]
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        customers = (
            env["res.partner"]
            .search(
                [
                    ("is_delivery_customer", "=", True),
                    ("company_id", "in", [env.company.id, False]),
                ],
                order="id",
                limit=5000,
            )
            .ids
        )
        user, key = integration_user(env)
        company_id = env.company.id
        cr.commit()
    rows = make_rows(customers, count, run)
    batches = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]

    if profile:
        profile_batch(registry, user.id, make_rows(customers, BATCH, run + "p"))

    proc, url = start_server(db, config, clients)
    headers = {"Authorization": f"bearer {key}", "X-Odoo-Database": db}
    try:
        # one warm-up call per worker (registry, caches) outside the timing, with no row
        post_batches(url, headers, [[]] * clients, clients)
        started = time.perf_counter()
        created = sum(r["created"] for r in post_batches(url, headers, batches, clients))
        api_seconds = time.perf_counter() - started
        # a tenth of the same rows again: nothing to write
        again = batches[: max(1, len(batches) // 10)]
        started = time.perf_counter()
        results = post_batches(url, headers, again, clients)
        resend_seconds = time.perf_counter() - started
        assert all(r["unchanged"] == len(b) for r, b in zip(results, again, strict=True))
        resent = sum(len(b) for b in again)
    finally:
        proc.terminate()
        proc.wait(timeout=60)

    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        started = time.perf_counter()
        copy_rows(env, rows, company_id)
        cr.commit()
        copy_seconds = time.perf_counter() - started
        [[copied]] = env.execute_query(
            SQL("SELECT COUNT(*) FROM delivery_shipment WHERE name LIKE %s", f"COPY-{run}-%")
        )
        cleanup(env, run)
        env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)]).unlink()
        cr.commit()

    api_rate = created / api_seconds
    copy_rate = copied / copy_seconds
    print(
        f"ingestion           {created} rows in {len(batches)} calls of {BATCH}"
        f" ({clients} client{'s' if clients > 1 else ''})"
    )
    print(f"  /json/2 upsert    {api_seconds:.1f} s ({api_rate:.0f} rows/s)")
    print(f"  resend unchanged  {resent} rows in {resend_seconds:.1f} s")
    print(f"  COPY bound        {copy_seconds:.2f} s ({copy_rate:.0f} rows/s)")
    print(
        f"BENCH ingest rows={created} batch={BATCH} clients={clients} rows/s={api_rate:.0f} "
        f"copy rows/s={copy_rate:.0f} ratio={copy_rate / api_rate:.1f}"
    )


def profile_batch(registry, uid, rows):
    """cProfile of one batch through the method the endpoint calls, as the user."""
    import cProfile
    import pstats

    import odoo
    from odoo import api

    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        queries = odoo.sql_db.sql_counter
        profiler = cProfile.Profile()
        profiler.enable()
        env["delivery.shipment"].transport_upsert(rows)
        env.flush_all()
        profiler.disable()
        print(f"profile: one batch of {len(rows)}: {odoo.sql_db.sql_counter - queries} queries")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        cr.rollback()


def default_rows(customers=None):
    if os.environ.get("BENCH_INGEST_ROWS"):
        return int(os.environ["BENCH_INGEST_ROWS"])
    if customers:
        # small evaluation databases get a proportionally small ingestion
        return max(BATCH, min(100000, customers * 20 // BATCH * BATCH))
    return 100000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=default_rows())
    parser.add_argument("--config", default=str(ROOT / ".local" / "odoo.conf"))
    args = parser.parse_args()

    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    run_ingest(
        Registry(args.db),
        args.db,
        args.config,
        args.rows,
        profile=bool(os.environ.get("BENCH_PROFILE")),
        clients=int(os.environ.get("BENCH_INGEST_CLIENTS", "2")),
    )


if __name__ == "__main__":
    main()
