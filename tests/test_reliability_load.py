"""Load against Odoo run as in production: LOAD_WORKERS HTTP worker processes and a
cron worker, on a PostgreSQL server of the tests' own (``PrivatePostgres`` in
conftest.py), driven over JSON-RPC on loopback by LOAD_CLIENTS concurrent staff members
for LOAD_SECONDS. Each client is logged in as a real user (half of them account
managers, half service staff), and in a loop files a complaint for one of its own
customers, acknowledges it, and records a delivery for that customer.

Measured: throughput (calls per second), latency per call (p50, p95, p99), errors
(target 0). Checked: the database holds exactly the complaints, acknowledgements and
deliveries the clients were told succeeded. The figures are printed at the end of the
pytest run and written to .local/reliability.json.

``make test`` runs a short load (defaults below); ``make reliability`` a long one.
"""

import os
import statistics
import threading
import time

import pytest
import requests
from conftest import ROOT, OdooWorkers, RpcError, env_number

CLIENTS = env_number("LOAD_CLIENTS", 20)
SECONDS = env_number("LOAD_SECONDS", 10.0)
WORKERS = env_number("LOAD_WORKERS", 4)
CUSTOMERS_PER_CLIENT = 3
DB = f"delivery_crm_load_{os.getpid()}"

PASSWORD = "load-staff-pw"

SEED = f"""
PASSWORD = {PASSWORD!r}
import sys
sys.path.insert(0, {str(ROOT / "bench")!r})
from datagen import generate
from odoo import Command
from odoo.tools import SQL
per = {CUSTOMERS_PER_CLIENT}
first = generate(env, {CLIENTS} * per, 2)
account_manager = env.ref("delivery_crm.group_delivery_crm_account_manager")
service_staff = env.ref("delivery_crm.group_delivery_crm_user")
users = env["res.users"].create([
    {{"name": f"Load {{i}}", "login": f"load{{i}}",
      "group_ids": [Command.set([(account_manager if i % 2 == 0 else service_staff).id])]}}
    for i in range({CLIENTS})
])
# one password for all, hashed once (Odoo's 600,000 rounds of PBKDF2 per user add up)
env.execute_query(SQL("UPDATE res_users SET password = %s WHERE id IN %s",
                      users._crypt_context().hash(PASSWORD), tuple(users.ids)))
for i, user in enumerate(users):
    customers = tuple(range(first + i * per, first + (i + 1) * per))
    if i % 2 == 0:  # an account manager: their customers
        env.execute_query(SQL(
            "UPDATE res_partner SET account_manager_id = %s WHERE id IN %s", user.id, customers))
    else:  # service staff: the customers of their service team
        team = env["delivery.service.team"].create(
            {{"name": f"Load team {{i}}", "member_ids": [Command.set([user.id])]}})
        env.execute_query(SQL(
            "UPDATE res_partner SET service_team_id = %s WHERE id IN %s", team.id, customers))
# the year's numbering range exists, as in a database in use (two workers filing the
# first request of a year at the same time race in Odoo's ir.sequence)
env["delivery.complaint"].create({{
    "subject": "warm-up", "partner_id": first,
    "type_id": env.ref("delivery_crm.delivery_complaint_type_delay").id,
}})
env.cr.commit()
"""


@pytest.fixture
def load_db(private_postgres):
    private_postgres.clone(DB)
    private_postgres.run_odoo("shell", "-d", DB, "--no-http", "--log-level=warn", stdin=SEED)
    return DB


def percentile(values, share):
    """The ``share`` (0-100) percentile of ``values``, by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[share - 1]


class LoadClient(threading.Thread):
    """One staff member working as fast as the server answers."""

    def __init__(self, odoo, number, complaint_type, barrier, window):
        super().__init__(daemon=True)
        self.odoo, self.number, self.complaint_type = odoo, number, complaint_type
        self.barrier, self.window = barrier, window
        self.customers = []
        self.session = None
        self.measuring = False
        self.latencies = {}  # operation -> seconds of each successful call
        self.errors = []  # (message, whether in the measured window)
        self.complaints, self.acknowledged, self.shipments = set(), set(), set()

    def login(self):
        self.session = self.odoo.session(f"load{self.number}", PASSWORD)
        # the customers assigned to them (account manager, or their service team)
        self.customers = self.session.call(
            "res.partner",
            "search",
            [("is_delivery_customer", "=", True), ("delivery_assigned", "=", True)],
        )

    def timed(self, operation, model, method, *args, **kwargs):
        began = time.perf_counter()
        try:
            result = self.session.call(model, method, *args, **kwargs)
        except (RpcError, requests.RequestException, ValueError) as error:
            message = f"{operation}: {type(error).__name__}: {str(error)[:200]}"
            self.errors.append((message, self.measuring))
            return None
        if self.measuring:
            self.latencies.setdefault(operation, []).append(time.perf_counter() - began)
        return result

    def run(self):
        # a warm-up round (each worker's caches and mail templates), not measured; then
        # all the clients start the measured window together
        self.work(0)
        self.barrier.wait()
        self.measuring = True
        serial = 0
        while time.monotonic() < self.window["end"]:
            serial += 1
            self.work(serial)

    def work(self, serial):
        """File a complaint, acknowledge it, record a delivery."""
        customer = self.customers[serial % len(self.customers)]
        complaint = self.timed(
            "complaint create",
            "delivery.complaint",
            "create",
            {
                "subject": f"LOAD {self.number}-{serial}",
                "partner_id": customer,
                "type_id": self.complaint_type,
                "channel": "hotline",
                "urgency": "urgent" if serial % 3 == 0 else "normal",
            },
        )
        if complaint:
            self.complaints.add(complaint)
            done = self.timed(
                "complaint acknowledge", "delivery.complaint", "action_acknowledge", [complaint]
            )
            if done is not None:
                self.acknowledged.add(complaint)
        shipment = self.timed(
            "delivery create",
            "delivery.shipment",
            "create",
            {
                "name": f"LOAD-{self.number}-{serial}",
                "partner_id": customer,
                "date": "2026-11-20 08:00:00",
                "promised_datetime": "2026-11-21 08:00:00",
                "delivered_datetime": "2026-11-21 07:40:00",
                "revenue": 1280.0,
                "pieces": 12,
                "weight": 86.5,
            },
        )
        if shipment:
            self.shipments.add(shipment)


def test_concurrent_staff_load(private_postgres, load_db, reliability_report):
    pg, db = private_postgres, load_db
    [(complaint_type,)] = pg.query(
        db,
        "SELECT res_id FROM ir_model_data WHERE module = 'delivery_crm'"
        " AND name = 'delivery_complaint_type_delay'",
    )
    # the machine's load before the server starts: other processes slow the figures
    load_before = os.getloadavg()[0]
    odoo = OdooWorkers(pg, db, WORKERS, 1)
    window = {}

    def open_window():
        window["start"] = time.monotonic()
        window["end"] = window["start"] + SECONDS

    barrier = threading.Barrier(CLIENTS, action=open_window, timeout=600)
    try:
        clients = [LoadClient(odoo, i, complaint_type, barrier, window) for i in range(CLIENTS)]
        logins = [threading.Thread(target=client.login) for client in clients]
        for thread in logins:
            thread.start()
        for thread in logins:
            thread.join()
        assert all(len(c.customers) == CUSTOMERS_PER_CLIENT for c in clients), "assigned"
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=SECONDS + 600)
        assert not any(client.is_alive() for client in clients)
        elapsed = time.monotonic() - window["start"]
    finally:
        odoo.stop()

    complaints = set().union(*(client.complaints for client in clients))
    acknowledged = set().union(*(client.acknowledged for client in clients))
    shipments = set().union(*(client.shipments for client in clients))
    errors = [error for client in clients for error in client.errors]
    stored_complaints = dict(
        pg.query(db, "SELECT id, state FROM delivery_complaint WHERE subject LIKE 'LOAD %%'")
    )
    stored_shipments = {
        row[0] for row in pg.query(db, "SELECT id FROM delivery_shipment WHERE name LIKE 'LOAD-%%'")
    }
    latencies = {}
    for client in clients:
        for operation, values in client.latencies.items():
            latencies.setdefault(operation, []).extend(values)
    every_call = [value for values in latencies.values() for value in values]
    measured_errors = [error for error, measured in errors if measured]
    calls = len(every_call) + len(measured_errors)

    def milliseconds(values):
        shares = " / ".join(f"p{n} {percentile(values, n) * 1000:.0f}" for n in (50, 95, 99))
        return f"{shares} / max {max(values) * 1000:.0f} ms ({len(values)} calls)"

    figures = {
        "clients": CLIENTS,
        "http workers": WORKERS,
        "cpus": os.cpu_count(),
        "machine load average before (1 min)": round(load_before, 1),
        "seconds": round(elapsed, 1),
        "calls": calls,
        "throughput (calls/s)": round(calls / elapsed, 1),
        "complaints filed (acknowledged)": f"{len(complaints)} ({len(acknowledged)})",
        "deliveries recorded": len(shipments),
        "latency, all calls": milliseconds(every_call),
        **{f"latency, {op}": milliseconds(values) for op, values in sorted(latencies.items())},
        "errors": len(errors),
        "rows in the database == successes": (
            set(stored_complaints) == complaints and stored_shipments == shipments
        ),
    }
    reliability_report["load: concurrent staff over JSON-RPC"] = figures
    print(figures)
    assert not errors, f"{len(errors)} errors (warm-up included), e.g. {errors[:3]}"
    assert complaints and shipments
    assert set(stored_complaints) == complaints, "complaints stored == complaints acknowledged"
    assert {i for i, state in stored_complaints.items() if state == "acknowledged"} == acknowledged
    assert stored_shipments == shipments, "deliveries stored == deliveries acknowledged"
