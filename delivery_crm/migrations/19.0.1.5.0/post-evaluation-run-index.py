"""19.0.1.5.0 (issue 18 item 4): the evaluations' (run_id, run_pass, partner_id) index
serves what the run_id index served, and the batches' search for the customers left;
the run_id index only cost a write per evaluation. Odoo does not drop an index a field
no longer asks for: drop it here."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier("delivery_evaluation__run_id_index")))
