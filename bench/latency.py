"""Screen latency on the benchmark database: what service staff, an account manager and
a manager wait for when they open the module's main screens.

Each screen is a window action of the module, opened as the web client opens it: the
action's domain and context, the view's own fields as the ``specification``, then

- a list or kanban: ``web_search_read`` (first page, the view's limit, the count);
- a form: ``web_read`` of the list's first record with the form's fields;
- a pivot or graph: ``formatted_read_group`` on the view's row/column groupings and
  measures.

Every call runs in a fresh transaction with an empty ORM cache, as a request of its
own; the first call warms PostgreSQL and is not counted. Server time only (no HTTP, no
browser). Prints one line per screen and role:

BENCH latency screen=<action>/<view> role=<role> median_ms=M p95_ms=P rows=N

and a summary ``BENCH latency screens=N over_300ms=K worst=<screen> <ms>``.
"""

import statistics
import time

from lxml import etree

TARGET_MS = 300

# the roles, as the module's groups name them; each gets a benchmark user once
ROLES = (
    ("service staff", "bench_service_staff", "delivery_crm.group_delivery_crm_user"),
    ("account manager", "bench_account_manager", "delivery_crm.group_delivery_crm_account_manager"),
    ("manager", "bench_manager", "delivery_crm.group_delivery_crm_manager"),
)

# (action, view types measured, roles that have the menu)
ALL_ROLES = ("service staff", "account manager", "manager")
SCREENS = (
    ("delivery_crm.res_partner_action_delivery_customer", ("list", "kanban", "form"), ALL_ROLES),
    ("delivery_crm.delivery_complaint_action_requests", ("list", "kanban", "form"), ALL_ROLES),
    ("delivery_crm.delivery_visit_action", ("list", "form"), ALL_ROLES),
    ("delivery_crm.delivery_shipment_action", ("list",), ALL_ROLES),
    ("delivery_crm.delivery_evaluation_action", ("list", "form"), ALL_ROLES[1:]),
    ("delivery_crm.delivery_customer_risk_report_action", ("list",), ALL_ROLES[1:]),
    ("delivery_crm.delivery_complaint_rate_report_action", ("graph", "pivot"), ALL_ROLES[1:]),
    ("delivery_crm.delivery_satisfaction_trend_report_action", ("graph",), ALL_ROLES[1:]),
    ("delivery_crm.delivery_staff_kpi_report_action", ("pivot",), ALL_ROLES[2:]),
    ("delivery_crm.delivery_complaint_action_analysis", ("pivot", "graph"), ALL_ROLES[1:]),
)


# the module's own read methods the web client calls: (screen, model, method, args, roles)
METHODS = (
    ("dashboard/month", "delivery.dashboard", "get_dashboard_data", ("month",), ALL_ROLES),
    ("dashboard/year", "delivery.dashboard", "get_dashboard_data", ("year",), ALL_ROLES[2:]),
)


def ensure_users(registry, api):
    """The three benchmark users (created once and committed); the account manager
    looks after one customer in 50, as a real portfolio."""
    from odoo.tools import SQL

    users = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        for role, login, group in ROLES:
            user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
            if not user:
                user = (
                    env["res.users"]
                    .with_context(no_reset_password=True)
                    .create(
                        {
                            "name": f"Bench {role}",
                            "login": login,
                            "tz": "Asia/Shanghai",
                            "group_ids": [(4, env.ref(group).id)],
                        }
                    )
                )
                if role == "account manager":
                    env.execute_query(
                        SQL(
                            "UPDATE res_partner SET account_manager_id = %s"
                            " WHERE name LIKE 'Bench customer %%' AND id %% 50 = 0",
                            user.id,
                        )
                    )
            users[role] = user.id
        cr.commit()
    return users


def _view_fields(arch, view_type):
    """The fields the view shows at its top level (not inside sub-views)."""
    root = etree.fromstring(arch)
    names = []
    for node in root.iter("field"):
        parent = node.getparent()
        nested = False
        while parent is not None and parent is not root:
            if parent.tag == "field":
                nested = True
                break
            parent = parent.getparent()
        if not nested and node.get("name") not in names:
            names.append(node.get("name"))
    return root, names


def _specification(model, names):
    spec = {}
    for name in names:
        field = model._fields.get(name)
        if field is None:
            continue
        if field.type in ("many2one", "many2many", "one2many"):
            spec[name] = {"fields": {"display_name": {}}}
        else:
            spec[name] = {}
    return spec


def _call(env, action, view_type, probe_id):
    """One opening of ``action`` in ``view_type`` as the web client does it; returns the
    number of rows or groups it answered."""
    from odoo.tools.safe_eval import safe_eval

    eval_context = {"uid": env.uid, "context_today": None, "allowed_company_ids": [env.company.id]}
    context = dict(env.context)
    if action.context:
        try:
            context.update(safe_eval(action.context, {**eval_context, "active_id": False}))
        except (ValueError, NameError, TypeError):
            pass
    domain = safe_eval(action.domain, eval_context) if action.domain else []
    model = env[action.res_model].with_context(context)
    views = model.get_views([(False, view_type)])
    arch = views["views"][view_type]["arch"]
    root, names = _view_fields(arch, view_type)
    if view_type in ("list", "kanban"):
        limit = int(root.get("limit") or (80 if view_type == "list" else 40))
        result = model.web_search_read(
            domain, _specification(model, names), limit=limit, count_limit=10001
        )
        return result["length"]
    if view_type == "form":
        if not probe_id:
            return 0
        model.browse(probe_id).web_read(_specification(model, names))
        return 1
    # pivot / graph: the rows and columns it groups by, the measures it sums
    groupby, aggregates = [], []
    for node in root.iter("field"):
        name = node.get("name")
        kind = node.get("type")
        if kind in ("row", "col") or (view_type == "graph" and kind != "measure"):
            groupby.append(name + (f":{node.get('interval')}" if node.get("interval") else ""))
        elif kind == "measure":
            aggregates.append(f"{name}:sum")
    groups = model.formatted_read_group(domain, groupby[:2], aggregates + ["__count"])
    return len(groups)


def run_latency(registry, runs=7):
    """Measures every screen for every role; prints the table and returns the rows."""
    from odoo import api
    from odoo.tools import SQL

    users = ensure_users(registry, api)
    # the customers at risk are materialised by their hourly job: refresh them first, as
    # the job would have, and time it
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        started = time.perf_counter()
        env["delivery.customer.risk.report"]._refresh()
        cr.commit()
        [[at_risk]] = env.execute_query(SQL("SELECT count(*) FROM delivery_customer_risk_report"))
    print(
        f"BENCH latency risk_refresh_seconds={time.perf_counter() - started:.1f} "
        f"customers_at_risk={at_risk}",
        flush=True,
    )
    # so are the deliveries the complaint-rate report counts (per quarter hour)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        started = time.perf_counter()
        env["delivery.shipment.rollup"]._refresh()
        cr.commit()
        [[slots]] = env.execute_query(SQL("SELECT count(*) FROM delivery_shipment_rollup"))
    print(
        f"BENCH latency rollup_refresh_seconds={time.perf_counter() - started:.1f} slots={slots}",
        flush=True,
    )
    rows = []
    for xmlid, view_types, roles in SCREENS:
        for role in roles:
            uid = users[role]
            probe_id = None
            for view_type in view_types:
                timings, answered = [], 0
                for attempt in range(runs + 1):
                    with registry.cursor() as cr:
                        env = api.Environment(cr, uid, {})
                        env = env(context=env["res.users"].context_get())
                        action = env.ref(xmlid).sudo()  # the action record, as /web/action/load
                        if view_type == "form" and probe_id is None:
                            probe_id = env[action.res_model].search([], limit=1).id
                        started = time.perf_counter()
                        answered = _call(env, action, view_type, probe_id)
                        elapsed = (time.perf_counter() - started) * 1000
                        cr.rollback()
                    if attempt:  # the first opening warms PostgreSQL's cache
                        timings.append(elapsed)
                timings.sort()
                median = statistics.median(timings)
                p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
                screen = f"{xmlid.split('.', 1)[1]}/{view_type}"
                rows.append((screen, role, median, p95, answered))
                print(
                    f"BENCH latency screen={screen} role={role.replace(' ', '_')} "
                    f"median_ms={median:.0f} p95_ms={p95:.0f} rows={answered}",
                    flush=True,
                )
    for screen, model, method, args, roles in METHODS:
        for role in roles:
            timings = []
            for attempt in range(runs + 1):
                with registry.cursor() as cr:
                    env = api.Environment(cr, users[role], {})
                    env = env(context=env["res.users"].context_get())
                    started = time.perf_counter()
                    getattr(env[model], method)(*args)
                    elapsed = (time.perf_counter() - started) * 1000
                    cr.rollback()
                if attempt:
                    timings.append(elapsed)
            timings.sort()
            median = statistics.median(timings)
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            rows.append((screen, role, median, p95, 1))
            print(
                f"BENCH latency screen={screen} role={role.replace(' ', '_')} "
                f"median_ms={median:.0f} p95_ms={p95:.0f} rows=1",
                flush=True,
            )
    over = [row for row in rows if row[3] > TARGET_MS]
    worst = max(rows, key=lambda row: row[3])
    print(
        f"BENCH latency screens={len(rows)} over_{TARGET_MS}ms={len(over)} "
        f"worst={worst[0]}/{worst[1].replace(' ', '_')} p95_ms={worst[3]:.0f}"
    )
    return rows


def main():
    """``python bench/latency.py --db DB [--config CONF] [--runs N]``: the table alone, on
    a benchmark database ``make bench`` made."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--config", default=str(Path(__file__).resolve().parent.parent / ".local" / "odoo.conf")
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    run_latency(Registry(args.db), runs=args.runs)


if __name__ == "__main__":
    main()
