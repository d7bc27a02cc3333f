"""19.0.1.3.0: the delivery exception notice tells each kind of exception (late, at
risk, damaged, lost, failed attempt) and is written in the recipient's language. Its
mail and SMS templates are noupdate data: they are let to reload once here, so an
existing database gets the new wording (a template changed by hand is replaced)."""

from odoo.tools import SQL

TEMPLATES = ("mail_template_delivery_exception", "sms_template_delivery_exception")


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE ir_model_data SET noupdate = false
             WHERE module = 'delivery_crm' AND name IN %s
            """,
            TEMPLATES,
        )
    )
