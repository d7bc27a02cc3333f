"""19.0.1.3.0 (task pros): the acquisition channel is Odoo's marketing source
(``utm.source``) instead of a selection. Each former selection key becomes the shipped
source ``delivery_crm.utm_source_<key>`` (a value outside the former list becomes
"Other"); the old column is dropped once copied. Idempotent: a database without the old
column is left alone."""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.sql import column_exists

CHANNELS = (
    "website",
    "social_media",
    "forum",
    "exhibition",
    "association",
    "customer_referral",
    "visit",
    "cold_visit",
    "other",
)


def migrate(cr, version):
    if not column_exists(cr, "res_partner", "acquisition_channel"):
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    sources = {
        key: env.ref(f"delivery_crm.utm_source_{key}", raise_if_not_found=False) for key in CHANNELS
    }
    for key, source in sources.items():
        if source:
            cr.execute(
                SQL(
                    """
                    UPDATE res_partner SET acquisition_channel_id = %s
                     WHERE acquisition_channel = %s AND acquisition_channel_id IS NULL
                    """,
                    source.id,
                    key,
                )
            )
    if sources["other"]:
        cr.execute(
            SQL(
                """
                UPDATE res_partner SET acquisition_channel_id = %s
                 WHERE acquisition_channel IS NOT NULL AND acquisition_channel_id IS NULL
                """,
                sources["other"].id,
            )
        )
    cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN acquisition_channel"))
    env["res.partner"].invalidate_model(["acquisition_channel_id"])
