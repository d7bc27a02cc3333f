"""19.0.1.4.0 (task fix16, issue 16 review): a points row of a delivery records the
revenue it credited, so that the points job can take back a delivery cancelled later or
adjust one whose revenue changed. The rows credited before get the delivery's revenue
of today (the best known)."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE delivery_points_move m
               SET revenue = s.revenue
              FROM delivery_shipment s
             WHERE s.id = m.shipment_id
               AND m.origin = 'delivery'
               AND m.revenue IS NULL
            """
        )
    )
