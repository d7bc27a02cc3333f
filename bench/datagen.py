"""Fast synthetic data for the benchmark and the concurrency test: customers and
delivery records written with set-based SQL (the ORM would take hours at 2M rows)."""

from odoo.tools import SQL


def generate(env, customers, deliveries_per_customer, complaints=0):
    """Add ``customers`` active delivery customers with ``deliveries_per_customer``
    delivery records each, spread over April-September 2026 (Q2 and Q3), and
    ``complaints`` complaints (see :func:`generate_complaints`)."""
    ladder = env.ref("delivery_crm.delivery_tier_ladder_standard")
    entry = env.ref("delivery_crm.delivery_tier_new")
    company = env.company
    first_id = env.execute_query(SQL("SELECT COALESCE(MAX(id), 0) + 1 FROM res_partner"))[0][0]
    env.execute_query(
        SQL(
            """
            INSERT INTO res_partner
                   (name, complete_name, is_company, active, type, lang, company_id,
                    is_delivery_customer, customer_state, customer_class, tier_ladder_id,
                    tier_id, evaluated_tier_id, cooperation_start_date, account_manager_id,
                    create_date, write_date, create_uid, write_uid)
            SELECT 'Bench customer ' || g, 'Bench customer ' || g, TRUE, TRUE, 'contact',
                   'en_US', %(company)s, TRUE, 'active',
                   (ARRAY['key', 'general', 'general', 'general', 'potential'])[1 + g %% 5],
                   %(ladder)s, %(entry)s, %(entry)s,
                   DATE '2019-01-01' + (g::bigint * 7919 %% 2700)::int, 2,
                   now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM generate_series(1, %(n)s) AS g
            """,
            company=company.id,
            ladder=ladder.id,
            entry=entry.id,
            n=customers,
        )
    )
    env.execute_query(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id "
            "WHERE id >= %s AND commercial_partner_id IS NULL",
            first_id,
        )
    )
    env.execute_query(
        SQL(
            """
            INSERT INTO delivery_shipment
                   (name, partner_id, company_id, date, revenue, pieces, weight,
                    promised_datetime, delivered_datetime, outcome, status, on_time,
                    exception_notified, create_date, write_date, create_uid, write_uid)
            SELECT 'B' || p.id || '-' || k, p.id, %(company)s, d.at,
                   1000 + (p.id * 31 + k * 17) %% 16000, 1 + k %% 9, 2.5 * (1 + k %% 9),
                   d.at + interval '24 hours',
                   d.at + make_interval(hours => 20 + 10 * ((p.id * 3 + k) %% 25 = 0)::int),
                   CASE WHEN (p.id + k) %% 97 = 0 THEN 'damaged'
                        WHEN (p.id * 3 + k) %% 25 = 0 THEN 'late' ELSE 'delivered' END,
                   CASE WHEN (p.id + k) %% 97 = 0 THEN 'exception' ELSE 'delivered' END,
                   (p.id + k) %% 97 <> 0 AND (p.id * 3 + k) %% 25 <> 0,
                   TRUE, now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM res_partner p
             CROSS JOIN generate_series(1, %(per)s) AS k
             CROSS JOIN LATERAL (
                   SELECT TIMESTAMP '2026-04-01 00:00' + make_interval(
                          mins => ((p.id * 7 + k * 104729) %% 262080)) AS at) d
             WHERE p.id >= %(first)s
            """,
            company=company.id,
            per=deliveries_per_customer,
            first=first_id,
        )
    )
    if complaints:
        generate_complaints(env, first_id, customers, complaints)
    env.execute_query(SQL("ANALYZE res_partner"))
    env.execute_query(SQL("ANALYZE delivery_shipment"))
    env.invalidate_all()
    return first_id


def generate_complaints(env, first_id, customers, complaints):
    """``complaints`` closed complaints spread over the customers from ``first_id`` and
    over April-September 2026, every other one rated by the customer (1 in 4 of the
    ratings unhappy): the evaluation counts them and averages the ratings. Each is owned
    by the administrator (a request is handled by someone: the staff KPIs credit its
    owner)."""
    company = env.company
    complaint_type = env.ref("delivery_crm.delivery_complaint_type_delay")
    first_complaint = env.execute_query(
        SQL("SELECT COALESCE(MAX(id), 0) + 1 FROM delivery_complaint")
    )[0][0]
    env.execute_query(
        SQL(
            """
            INSERT INTO delivery_complaint
                   (name, subject, request_type, active, company_id, partner_id, contact_id,
                    channel, received_date, type_id, urgency, importance, priority, state,
                    first_response_date, resolved_date, closed_date, close_reason,
                    sla_response_deadline, sla_resolution_deadline,
                    sla_response_status, sla_resolution_status, sla_status, reopen_count,
                    sla_paused_hours, counts_as_complaint, resolution_time, user_id,
                    create_date, write_date, create_uid, write_uid)
            SELECT 'BENCH/' || g, 'Bench complaint ' || g, 'complaint', TRUE, %(company)s,
                   c.partner_id, c.partner_id, 'hotline', c.at, %(type)s, 'normal', 'normal',
                   '0', 'closed', c.at + interval '1 hour', c.at + interval '20 hours',
                   c.at + interval '2 days', 'rated', c.at + interval '2 hours',
                   c.at + interval '24 hours', 'met', 'met', 'met', 0,
                   0, TRUE, 20, 2, now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM generate_series(1, %(c)s) AS g
             CROSS JOIN LATERAL (
                   SELECT %(first)s + (g * 7 %% %(n)s) AS partner_id,
                          TIMESTAMP '2026-04-01' + make_interval(mins => g * 13 %% 262080) AS at
                   ) c
            """,
            company=company.id,
            type=complaint_type.id,
            c=complaints,
            first=first_id,
            n=customers,
        )
    )
    # their two SLA clocks (delivery.complaint.sla), met: 2 h / 24 h targets
    env.execute_query(
        SQL(
            """
            INSERT INTO delivery_complaint_sla
                   (complaint_id, company_id, clock, hours, start_date, paused_base,
                    deadline, warning_date, status, escalation, reached_date,
                    create_date, write_date, create_uid, write_uid)
            SELECT d.id, d.company_id, clock.name, clock.hours, d.received_date, 0,
                   d.received_date + make_interval(hours => clock.hours),
                   d.received_date + make_interval(secs => clock.hours * 0.8 * 3600),
                   'met', 'none', clock.reached, now() at time zone 'UTC',
                   now() at time zone 'UTC', 1, 1
              FROM delivery_complaint d
             CROSS JOIN LATERAL (
                   VALUES ('response', 2, d.first_response_date),
                          ('resolution', 24, d.resolved_date)
                   ) AS clock(name, hours, reached)
             WHERE d.id >= %(first)s
            """,
            first=first_complaint,
        )
    )
    env.execute_query(
        SQL(
            """
            INSERT INTO rating_rating
                   (res_model_id, res_model, res_id, res_name, partner_id, rating,
                    rating_text, consumed, rated_on, access_token, is_internal,
                    create_date, write_date, create_uid, write_uid)
            SELECT %(model)s, 'delivery.complaint', d.id, d.name, d.partner_id,
                   CASE WHEN d.id %% 8 = 0 THEN 1 ELSE 5 END,
                   CASE WHEN d.id %% 8 = 0 THEN 'ko' ELSE 'top' END,
                   TRUE, d.received_date + interval '2 days', md5(random()::text), FALSE,
                   now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM delivery_complaint d
             WHERE d.id >= %(first)s AND d.id %% 2 = 0
            """,
            model=env["ir.model"]._get_id("delivery.complaint"),
            first=first_complaint,
        )
    )
    env.execute_query(SQL("ANALYZE delivery_complaint"))
    env.execute_query(SQL("ANALYZE delivery_complaint_sla"))
    env.execute_query(SQL("ANALYZE rating_rating"))
