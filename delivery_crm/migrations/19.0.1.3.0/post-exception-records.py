"""19.0.1.3.0: a delivery's exceptions are rows of ``delivery.shipment.exception`` (one
per delivery and kind) instead of one ``exception_notified`` flag. Each delivery whose
customer was told (the flag set) gets the exception of its outcome's kind (late,
damaged or lost), marked as announced and resolved — announced so the job and later
writes do not tell the customer again, resolved so the desk's queue starts with the new
exceptions only. Set-based; a second run adds nothing (the unique index).

The exception notice now tells each kind (late, at risk, damaged, lost, failed attempt)
in the recipient's language: its mail and SMS templates, noupdate data, are reloaded
once from the data file (a template changed by hand is replaced) and stay noupdate."""

from io import BytesIO

from lxml import etree

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL, file_path
from odoo.tools.convert import convert_xml_import

KINDS = ("late", "damaged", "lost")
TEMPLATES = ("mail_template_delivery_exception", "sms_template_delivery_exception")


def _set_noupdate(cr, noupdate):
    cr.execute(
        SQL(
            """
            UPDATE ir_model_data SET noupdate = %s
             WHERE module = 'delivery_crm' AND name IN %s
            """,
            noupdate,
            TEMPLATES,
        )
    )


def _reload_templates(env):
    """Load the two templates' records of the data file, and only them."""
    path = file_path("delivery_crm/data/mail_template_data.xml")
    records = etree.parse(path).getroot()
    root = etree.Element("odoo")
    for name in TEMPLATES:
        root.append(records.find(f"record[@id='{name}']"))
    data = BytesIO(etree.tostring(root))
    data.name = path
    _set_noupdate(env.cr, False)
    convert_xml_import(env, "delivery_crm", data, mode="update", noupdate=False)
    _set_noupdate(env.cr, True)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    _reload_templates(env)
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
