"""delivery_crm installs and uninstalls cleanly on a database that already holds
contacts, portal users and other apps' partners, and leaves them working."""

import json
import os

import pytest
from conftest import drop_database, fresh_database, run_odoo

DB = f"delivery_crm_it_{os.getpid()}"

SEED = """
from odoo import Command
company = env['res.partner'].create(
    {'name': 'Existing Co', 'is_company': True, 'email': 'co@example.com'}
)
env['res.partner'].create({'name': 'Existing Contact', 'parent_id': company.id})
portal = env['res.users'].create({
    'name': 'Portal Customer', 'login': 'portal_it', 'password': 'portal_it_pw',
    'email': 'portal@example.com', 'group_ids': [Command.set([env.ref('base.group_portal').id])],
})
env.cr.commit()
"""

CHECK = """
import json
from odoo.tools import SQL
partners = env['res.partner'].search([('name', 'in', ['Existing Co', 'Existing Contact'])])
portal = env['res.users'].search([('login', '=', 'portal_it')])
own = portal.partner_id.with_user(portal).read(['name', 'email'])[0]
columns = sorted(r[0] for r in env.execute_query(SQL(
    "SELECT column_name FROM information_schema.columns"
    " WHERE table_name = %s AND column_name IN %s",
    "res_partner", ("customer_state", "tier_id"),
)))
[[tables]] = env.execute_query(SQL(
    "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE %s", "delivery_tier%",
))
module = env['ir.module.module'].search([('name', '=', 'delivery_crm')]).state
print('RESULT' + json.dumps({'partners': len(partners), 'portal_email': own['email'],
      'columns': columns, 'tables': tables, 'module': module}))
"""

MAKE_CUSTOMER = """
co = env['res.partner'].search([('name', '=', 'Existing Co')])
co.action_make_delivery_customer()
assert co.tier_id, 'existing partner got no tier'
env.cr.commit()
"""

UNINSTALL = """
env['ir.module.module'].search([('name', '=', 'delivery_crm')]).button_immediate_uninstall()
env.cr.commit()
"""


def shell(script):
    out = run_odoo("shell", "-d", DB, "--log-level=warn", "--no-http", stdin=script)
    lines = [line for line in out.splitlines() if line.startswith("RESULT")]
    return json.loads(lines[-1][len("RESULT") :]) if lines else None


@pytest.fixture(scope="module")
def database():
    fresh_database(DB, "contacts,portal,mail", "--without-demo")
    yield DB
    drop_database(DB)


def test_install_and_uninstall_keep_existing_partners(database):
    shell(SEED)
    before = shell(CHECK)
    assert before == {
        "partners": 2,
        "portal_email": "portal@example.com",
        "columns": [],
        "tables": 0,
        "module": "uninstalled",
    }

    run_odoo("-d", DB, "-i", "delivery_crm", "--stop-after-init", "--log-level=warn", "--no-http")
    installed = shell(CHECK)
    assert installed["module"] == "installed"
    assert installed["columns"] == ["customer_state", "tier_id"]
    assert installed["tables"] > 0
    assert installed["partners"] == 2
    assert installed["portal_email"] == "portal@example.com"
    shell(MAKE_CUSTOMER)

    shell(UNINSTALL)
    after = shell(CHECK)
    assert after == {
        "partners": 2,
        "portal_email": "portal@example.com",
        "columns": [],
        "tables": 0,
        "module": "uninstalled",
    }
