"""19.0.1.3.0: the phone numbers of delivery customers and their contacts are stored in
E.164 (``res.partner._normalize_delivery_phones``). The numbers an existing database
holds are rewritten in that form where they are valid; an invalid one is kept as typed
(it gets no SMS: the notices text ``phone_sanitized`` only) and counted in the log, for
the staff to correct when they next edit the profile. ``phone_sanitized`` is already the
E.164 form of the same number, so nothing else changes."""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

_logger = logging.getLogger(__name__)
BATCH = 5000


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    Partner = env["res.partner"]
    env.flush_all()
    last_id, rewritten, invalid = 0, 0, 0
    while True:
        rows = env.execute_query(
            SQL(
                """
                SELECT p.id, p.phone, coalesce(p.country_id, c.country_id)
                  FROM res_partner p
                  JOIN res_partner c ON c.id = p.commercial_partner_id
                 WHERE c.is_delivery_customer AND p.phone IS NOT NULL AND p.phone != ''
                   AND p.id > %s
                 ORDER BY p.id
                 LIMIT %s
                """,
                last_id,
                BATCH,
            )
        )
        if not rows:
            break
        last_id = rows[-1][0]
        countries = env["res.country"].browse({row[2] for row in rows if row[2]})
        by_id = {country.id: country for country in countries}
        changes = []
        for partner_id, phone, country_id in rows:
            e164 = Partner._phone_format(
                number=phone,
                country=by_id.get(country_id) or env.company.country_id,
                force_format="E164",
            )
            if not e164:
                invalid += 1
            elif e164 != phone:
                changes.append(SQL("(%s, %s)", partner_id, e164))
        if changes:
            env.cr.execute(
                SQL(
                    "UPDATE res_partner p SET phone = v.phone FROM (VALUES %s) AS v(id, phone) "
                    "WHERE p.id = v.id",
                    SQL(", ").join(changes),
                )
            )
            rewritten += len(changes)
    Partner.invalidate_model(["phone"])
    _logger.info(
        "delivery_crm: %s customer phone numbers stored in E.164, %s invalid ones kept as typed",
        rewritten,
        invalid,
    )
