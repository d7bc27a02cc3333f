"""19.0.1.1.0: the shipped National Day (1 October) greets mainland China only; the
occasions are noupdate data, so an existing database gets the limit here (a fresh one
from data/delivery_care_data.xml), unless a manager already chose countries."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    occasion = env.ref("delivery_crm.delivery_care_occasion_national_day", raise_if_not_found=False)
    china = env.ref("base.cn", raise_if_not_found=False)
    if occasion and china and not occasion.country_ids:
        occasion.country_ids = china
