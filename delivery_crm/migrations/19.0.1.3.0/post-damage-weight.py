"""19.0.1.3.0: the damage/loss rate is an indicator of the quarterly and annual reviews;
the shipped schemes give it 5 points taken from the on-time rate. The schemes are
noupdate data, so an existing database gets the same move here for each shipped scheme
whose on-time weight is still the one it was shipped with and which weighs no damage
yet; a scheme a manager re-weighted is left as the manager set it (idempotent)."""

from odoo import SUPERUSER_ID, api

SHIPPED_ON_TIME = {
    "delivery_crm.delivery_evaluation_scheme_key": 15,
    "delivery_crm.delivery_evaluation_scheme_general": 20,
    "delivery_crm.delivery_evaluation_scheme_potential": 15,
}
MOVED = 5


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, on_time in SHIPPED_ON_TIME.items():
        scheme = env.ref(xmlid, raise_if_not_found=False)
        if scheme and scheme.weight_on_time == on_time and not scheme.weight_damage:
            scheme.write({"weight_on_time": on_time - MOVED, "weight_damage": MOVED})
