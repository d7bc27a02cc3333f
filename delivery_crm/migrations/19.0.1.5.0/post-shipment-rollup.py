"""19.0.1.5.0 (task rate, issue 18 item 2): the complaint-rate report sums the counted
deliveries per company and quarter hour from a table the hourly job rewrites (it
counted every delivery on each read). Fill it at once, so that the report does not show
months without deliveries until the job first runs (idempotent: a refresh)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["delivery.shipment.rollup"]._refresh()
