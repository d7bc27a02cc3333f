"""Two cron workers evaluating the same period at the same time, as Odoo's
multi-process server runs them (``--workers`` with several cron workers): each
customer is evaluated by exactly one of them, and the period ends up complete."""

import json
import os
import subprocess

import pytest
from conftest import ROOT, drop_database, fresh_database, odoo_cmd, run_odoo

DB = f"delivery_crm_conc_{os.getpid()}"
CUSTOMERS = 400

SEED = f"""
import sys
sys.path.insert(0, {str(ROOT / "bench")!r})
from datagen import generate
env["ir.config_parameter"].set_param("delivery_crm.evaluation_batch_size", 10)
generate(env, {CUSTOMERS}, 6)
from odoo.tools import SQL
env.execute_query(SQL("CREATE TABLE concurrency_barrier (pid integer)"))
env.cr.commit()
"""

# each worker runs the cron's own code; the wrapper only records what it evaluated
WORKER = """
import json, os, time
from odoo.tools import SQL
# a barrier: both workers start evaluating together, however long each took to boot
env.execute_query(SQL("INSERT INTO concurrency_barrier VALUES (%s)", os.getpid()))
env.cr.commit()
deadline = time.time() + 120
while time.time() < deadline:
    if env.execute_query(SQL("SELECT count(*) FROM concurrency_barrier"))[0][0] >= 2:
        break
    env.cr.commit()
    time.sleep(0.05)
env.cr.commit()
from odoo.addons.delivery_crm.models.delivery_evaluation_run import DeliveryEvaluationRun
done = []
original = DeliveryEvaluationRun._evaluate_batch
def recording(run, partners):
    result = original(run, partners)
    done.extend(partners.ids)
    time.sleep(0.05)  # keep both workers busy at the same time
    return result
DeliveryEvaluationRun._evaluate_batch = recording
env["delivery.evaluation.run"]._cron_evaluate("quarterly")
env.cr.commit()
print("RESULT" + json.dumps(done))
"""

CHECK = """
import json
from odoo.tools import SQL
rows = env.execute_query(SQL(
    "SELECT e.partner_id, e.computation_count, r.state FROM delivery_evaluation e "
    "JOIN delivery_evaluation_run r ON r.id = e.run_id"))
scope = env["res.partner"].search_count([("is_delivery_customer", "=", True),
                                         ("customer_state", "in", ("active", "suspended"))])
print("RESULT" + json.dumps({"rows": rows, "scope": scope}))
"""


def result_of(output):
    line = [line for line in output.splitlines() if line.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT") :])


@pytest.fixture(scope="module")
def database():
    fresh_database(DB, "delivery_crm", "--without-demo")
    run_odoo("shell", "-d", DB, "--log-level=warn", "--no-http", stdin=SEED)
    yield DB
    drop_database(DB)


def test_two_workers_never_evaluate_a_customer_twice(database):
    workers = [
        subprocess.Popen(
            odoo_cmd("shell", "-d", DB, "--log-level=warn", "--no-http"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    script = WORKER
    for worker in workers:  # hand both their script before waiting for either
        worker.stdin.write(script)
        worker.stdin.close()
    outputs = [(worker.stdout.read(), worker.stderr.read()) for worker in workers]
    for worker in workers:
        worker.wait(timeout=600)
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    first, second = (result_of(out) for out, _err in outputs)
    assert first and second, "both workers took part"
    assert not set(first) & set(second), "a customer was evaluated by both workers"

    check = result_of(run_odoo("shell", "-d", DB, "--log-level=warn", "--no-http", stdin=CHECK))
    evaluated = [row[0] for row in check["rows"]]
    assert len(evaluated) == check["scope"] == CUSTOMERS
    assert sorted(evaluated) == sorted(first + second)
    assert {row[1] for row in check["rows"]} == {1}, "each evaluation computed once"
    assert {row[2] for row in check["rows"]} == {"done"}
