"""19.0.1.3.0: the shipped lunar-calendar holidays compute their date for each year
(``date_mode = 'lunar'``) instead of a date entered per year, which stopped after 2028.
The occasions are noupdate data, so an existing database is switched here, unless a
manager changed the occasion's mode. The dates already entered stay: in the lunar mode
a date entered for a year takes precedence (they are the same days)."""

from odoo import SUPERUSER_ID, api

LUNAR_DAYS = {
    "delivery_crm.delivery_care_occasion_spring_festival": (1, 1),
    "delivery_crm.delivery_care_occasion_mid_autumn": (8, 15),
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, (month, day) in LUNAR_DAYS.items():
        occasion = env.ref(xmlid, raise_if_not_found=False)
        if occasion and occasion.date_mode == "yearly":
            occasion.write({"date_mode": "lunar", "month": month, "day": day})
