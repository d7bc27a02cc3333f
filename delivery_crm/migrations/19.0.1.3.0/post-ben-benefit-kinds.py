"""19.0.1.3.0 (task ben, issue 16 item 5): tier benefits have a kind that acts. The
shipped benefits are noupdate data, so an existing database gets their kinds here; a
benefit a manager already gave a kind (not "other") is left alone."""

from odoo import SUPERUSER_ID, api

SHIPPED_KINDS = {
    "delivery_crm.delivery_tier_benefit_member_price": {"kind": "points", "points_rate": 1.0},
    "delivery_crm.delivery_tier_benefit_birthday_gift": {
        "kind": "gift",
        "gift_occasion": "birthday",
        "lead_days": 7,
    },
    "delivery_crm.delivery_tier_benefit_free_delivery": {"kind": "free_delivery"},
    "delivery_crm.delivery_tier_benefit_annual_gift": {
        "kind": "gift",
        "gift_occasion": "year_end",
        "lead_days": 20,
    },
    "delivery_crm.delivery_tier_benefit_executive_review": {
        "kind": "review",
        "review_interval_months": 3,
    },
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, values in SHIPPED_KINDS.items():
        benefit = env.ref(xmlid, raise_if_not_found=False)
        if benefit and benefit.kind == "other":
            benefit.write(values)
