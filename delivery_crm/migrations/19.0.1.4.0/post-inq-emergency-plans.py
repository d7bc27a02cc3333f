"""Task inq (issue 17 item 5): an emergency plan is no longer a canned answer mailed to
the customer but an internal plan with steps (``delivery.emergency.plan``).

The canned answers of kind "emergency" of an existing database are archived, so that
they are never offered in the reply wizard again: the shipped one ("Emergency plan: lost
shipment") is replaced by the shipped plan *Lost shipment* (its xml id stays, on the
archived record); any other becomes an emergency plan of the same name whose trigger
keeps the text, without steps until a manager writes them (a plan without steps cannot
be activated). The ``kind`` column, used here, is then dropped (Odoo never drops the
column of a removed field)."""

from markupsafe import Markup

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, html2plaintext
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not column_exists(cr, "delivery_canned_response", "kind"):
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(SQL("SELECT id FROM delivery_canned_response WHERE kind = 'emergency' ORDER BY id"))
    ids = [row[0] for row in cr.fetchall()]
    canned = env["delivery.canned.response"].with_context(active_test=False).browse(ids)
    shipped = env.ref("delivery_crm.delivery_canned_response_emergency_loss", False)
    for answer in canned - shipped:
        plan = env["delivery.emergency.plan"].create(
            {
                "name": answer.name,
                "trigger": html2plaintext(answer.body or ""),
                "request_type": answer.request_type,
            }
        )
        plan.message_post(
            body=Markup("<p>%s</p>")
            % env._(
                "Made from the canned answer %(name)s: write its steps before it can be activated.",
                name=answer.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
    canned.write({"active": False})
    env.flush_all()
    cr.execute(SQL("ALTER TABLE delivery_canned_response DROP COLUMN IF EXISTS kind"))
