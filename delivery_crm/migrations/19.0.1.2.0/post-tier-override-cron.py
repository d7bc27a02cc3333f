"""19.0.1.2.0: the daily expiry of manual tier overrides belongs to the tier changes
(``delivery.tier.change._cron_expire_overrides``), no longer to ``res.partner``. The
scheduled action is noupdate data, so an existing database is pointed at its new
method here (idempotent)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("delivery_crm.ir_cron_tier_override_expiry", raise_if_not_found=False)
    if cron:
        cron.write(
            {
                "model_id": env["ir.model"]._get_id("delivery.tier.change"),
                "code": "model._cron_expire_overrides()",
            }
        )
