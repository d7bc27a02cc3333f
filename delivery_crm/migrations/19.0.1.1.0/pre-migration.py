"""19.0.1.1.0: SLA policies no longer name a priority; the priority shortens the base
times by the company's share for it. A policy that named a priority (the shipped
"Urgent and important" one among them) would otherwise apply to every priority."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            SELECT column_name FROM information_schema.columns
             WHERE table_name = 'delivery_sla_policy' AND column_name = 'priority'
            """
        )
    )
    if not cr.fetchone():
        return
    cr.execute(
        SQL(
            """
            WITH gone AS (
                DELETE FROM delivery_sla_policy WHERE priority IS NOT NULL RETURNING id
            )
            DELETE FROM ir_model_data d USING gone
             WHERE d.model = 'delivery.sla.policy' AND d.res_id = gone.id
            """
        )
    )
