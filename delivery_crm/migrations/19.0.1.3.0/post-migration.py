"""19.0.1.3.0: a delivery's exceptions are rows of ``delivery.shipment.exception`` (one
per delivery and kind) instead of one ``exception_notified`` flag. Each delivery whose
customer was told (the flag set) gets the exception of its outcome's kind (late,
damaged or lost), marked as announced and resolved — announced so the job and later
writes do not tell the customer again, resolved so the desk's queue starts with the new
exceptions only. Set-based; a second run adds nothing (the unique index). The two
templates are noupdate again after their reload (see pre-migration)."""

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

KINDS = ("late", "damaged", "lost")
TEMPLATES = ("mail_template_delivery_exception", "sms_template_delivery_exception")


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE ir_model_data SET noupdate = true
             WHERE module = 'delivery_crm' AND name IN %s
            """,
            TEMPLATES,
        )
    )
    cr.execute(
        SQL(
            """
            SELECT column_name FROM information_schema.columns
             WHERE table_name = 'delivery_shipment' AND column_name = 'exception_notified'
            """
        )
    )
    if not cr.fetchone():
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Exception_ = env["delivery.shipment.exception"]
    for kind in KINDS:
        cr.execute(
            SQL(
                """
                SELECT s.id FROM delivery_shipment s
                 WHERE s.exception_notified AND s.outcome = %s
                   AND NOT EXISTS (SELECT 1 FROM delivery_shipment_exception e
                                    WHERE e.shipment_id = s.id AND e.kind = %s)
                """,
                kind,
                kind,
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        if not ids:
            continue
        created = Exception_._insert_rows(kind, ids, fields.Datetime.now())
        # when and how the customer was told is not known exactly: the delivery's last
        # change, by the channels its customer had an address for (as the old notice did)
        cr.execute(
            SQL(
                """
                UPDATE delivery_shipment_exception e
                   SET state = 'resolved', resolved_date = s.write_date,
                       detected_date = s.write_date, deadline = s.write_date,
                       announced_date = s.write_date,
                       announced_by_mail = COALESCE(p.email, '') != '',
                       announced_by_sms = COALESCE(p.phone, '') != '',
                       resolution_note = 'Announced before 19.0.1.3.0'
                  FROM delivery_shipment s JOIN res_partner p ON p.id = s.partner_id
                 WHERE e.id IN %s AND s.id = e.shipment_id
                """,
                tuple(created.ids),
            )
        )
    env.invalidate_all()
