"""19.0.1.3.0: each planned visit owns a meeting in Odoo's calendar (issue 16). The
visits planned before get theirs here, in batches of ids read once (one query for the
ids, the ORM for the events), without invitation mails: they were planned already."""

from odoo import SUPERUSER_ID, api

BATCH = 500


def migrate(cr, version):
    env = api.Environment(
        cr, SUPERUSER_ID, {"no_mail_to_attendees": True, "tracking_disable": True}
    )
    Visit = env["delivery.visit"].with_context(active_test=False)
    ids = Visit.search(
        [("state", "=", "planned"), ("calendar_event_id", "=", False)], order="id"
    ).ids
    for start in range(0, len(ids), BATCH):
        batch = Visit.browse(ids[start : start + BATCH])
        batch._create_calendar_events()
        batch.invalidate_recordset()
        env.flush_all()
