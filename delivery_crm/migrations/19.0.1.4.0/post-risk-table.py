"""19.0.1.4.0: the customers at risk are a table the hourly job rewrites (they were a
view computed on every read). Fill it at once, so that the list and the dashboard are
not empty until the job first runs (idempotent: a refresh)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["delivery.customer.risk.report"]._refresh()
