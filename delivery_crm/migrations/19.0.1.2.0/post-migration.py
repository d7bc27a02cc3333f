"""19.0.1.2.0: the SLA clocks of a request are rows of ``delivery.complaint.sla`` (one
per request and clock) instead of columns of the request. The old columns are still
there after the update (Odoo keeps the columns of fields that are gone): each request
gets its two clocks from them, so open requests keep their targets, deadlines, warning
times, statuses and escalation levels. Set-based; a second run adds nothing."""

from odoo.tools import SQL

# the clock columns of every earlier version (19.0.1.0.0 on)
OLD_COLUMNS = (
    "sla_response_hours",
    "sla_resolution_hours",
    "sla_response_warning",
    "sla_resolution_warning",
    "response_escalation",
    "resolution_escalation",
)
# added in 19.0.1.1.0 (the resolution clock restarting on a reopening); a database of
# 19.0.1.0.0 has none: its resolution clocks ran from the receipt, with no pause before
OPTIONAL_COLUMNS = {
    "sla_resolution_start": SQL("c.received_date"),
    "sla_resolution_paused_base": SQL("0.0"),
}


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            SELECT column_name FROM information_schema.columns
             WHERE table_name = 'delivery_complaint' AND column_name IN %s
            """,
            OLD_COLUMNS + tuple(OPTIONAL_COLUMNS),
        )
    )
    found = {name for (name,) in cr.fetchall()}
    if not set(OLD_COLUMNS) <= found:
        return
    old_columns = {
        name: SQL("COALESCE(%s, %s)", SQL.identifier("c", name), fallback)
        if name in found
        else fallback
        for name, fallback in OPTIONAL_COLUMNS.items()
    }
    cr.execute(
        SQL(
            """
            INSERT INTO delivery_complaint_sla
                   (complaint_id, company_id, clock, hours, start_date, paused_base,
                    deadline, warning_date, status, escalation, reached_date,
                    create_uid, create_date, write_uid, write_date)
            SELECT c.id, c.company_id, clock.name, clock.hours, clock.start_date,
                   clock.paused_base, clock.deadline, clock.warning_date,
                   COALESCE(clock.status, 'on_time'), COALESCE(clock.escalation, 'none'),
                   clock.reached_date, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
              FROM delivery_complaint c
             CROSS JOIN LATERAL (
                   VALUES ('response', c.sla_response_hours, c.received_date, 0.0,
                           c.sla_response_deadline, c.sla_response_warning,
                           c.sla_response_status, c.response_escalation,
                           c.first_response_date),
                          ('resolution', c.sla_resolution_hours,
                           %(resolution_start)s, %(paused_base)s,
                           c.sla_resolution_deadline, c.sla_resolution_warning,
                           c.sla_resolution_status, c.resolution_escalation,
                           c.resolved_date)
                   ) AS clock(name, hours, start_date, paused_base, deadline, warning_date,
                              status, escalation, reached_date)
             WHERE NOT EXISTS (
                   SELECT 1 FROM delivery_complaint_sla s
                    WHERE s.complaint_id = c.id AND s.clock = clock.name)
            """,
            resolution_start=old_columns["sla_resolution_start"],
            paused_base=old_columns["sla_resolution_paused_base"],
        )
    )
