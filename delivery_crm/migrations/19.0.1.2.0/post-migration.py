"""19.0.1.2.0: the SLA clocks of a request are rows of ``delivery.complaint.sla`` (one
per request and clock) instead of columns of the request. The old columns are still
there after the update (Odoo keeps the columns of fields that are gone): each request
gets its two clocks from them, so open requests keep their targets, deadlines, warning
times, statuses and escalation levels. Set-based; a second run adds nothing."""

from odoo.tools import SQL

OLD_COLUMNS = (
    "sla_response_hours",
    "sla_resolution_hours",
    "sla_response_warning",
    "sla_resolution_warning",
    "sla_resolution_start",
    "sla_resolution_paused_base",
    "response_escalation",
    "resolution_escalation",
)


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            SELECT column_name FROM information_schema.columns
             WHERE table_name = 'delivery_complaint' AND column_name IN %s
            """,
            OLD_COLUMNS,
        )
    )
    if len(cr.fetchall()) != len(OLD_COLUMNS):
        return
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
                           COALESCE(c.sla_resolution_start, c.received_date),
                           COALESCE(c.sla_resolution_paused_base, 0.0),
                           c.sla_resolution_deadline, c.sla_resolution_warning,
                           c.sla_resolution_status, c.resolution_escalation,
                           c.resolved_date)
                   ) AS clock(name, hours, start_date, paused_base, deadline, warning_date,
                              status, escalation, reached_date)
             WHERE NOT EXISTS (
                   SELECT 1 FROM delivery_complaint_sla s
                    WHERE s.complaint_id = c.id AND s.clock = clock.name)
            """
        )
    )
