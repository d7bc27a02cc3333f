"""The one definition of each service rate (R8; 003 §1.2, §八), as SQL fragments shared
by the cooperation evaluation, the dashboard reports and the key-customer report.

- A delivery counts unless it was cancelled; it is *finished* when delivered (on time
  or late), damaged or lost, and *on time* when delivered on time.
- A complaint is an active request of type complaint.
- A delivery is *damaged* when its outcome is damaged or lost.
- Complaint rate = complaints ÷ counted deliveries, on-time rate = on-time ÷ finished
  deliveries, damage/loss rate = damaged ÷ finished deliveries; a rate without a
  denominator is "no data" (NULL), never 0 %.
- Months and periods are those of the company's time zone.
- The targets are company settings (``res.company.delivery_target_*``): satisfaction
  and on-time rate are *at least* their target, the complaint rate *below* its target,
  first response and solution *within* their hours.

The satisfaction answers (ratings, return-visit scores, survey answers) are listed in
:func:`odoo.addons.delivery_crm.report.delivery_satisfaction_trend_report.satisfaction_answers`.
"""

from odoo.tools import SQL

FINISHED_OUTCOMES = ("delivered", "late", "damaged", "lost")
ON_TIME_OUTCOMES = ("delivered",)
DAMAGED_OUTCOMES = ("damaged", "lost")


def counted_delivery(alias):
    """The deliveries of ``alias`` (a ``delivery_shipment`` row) that count."""
    return SQL("%s.outcome IS DISTINCT FROM 'cancelled'", SQL.identifier(alias))


def finished_delivery(alias):
    return SQL("%s.outcome IN %s", SQL.identifier(alias), FINISHED_OUTCOMES)


def on_time_delivery(alias):
    return SQL("%s.outcome IN %s", SQL.identifier(alias), ON_TIME_OUTCOMES)


def damaged_delivery(alias):
    """The deliveries of ``alias`` damaged or lost (the damage/loss rate's numerator)."""
    return SQL("%s.outcome IN %s", SQL.identifier(alias), DAMAGED_OUTCOMES)


def counted_complaint(alias):
    """The requests of ``alias`` (a ``delivery_complaint`` row) counted as complaints
    (``delivery.complaint.counts_as_complaint``: e-mail ones once acknowledged)."""
    return SQL(
        "%s.counts_as_complaint AND %s.active",
        SQL.identifier(alias),
        SQL.identifier(alias),
    )


def sla_met(alias):
    """A request of ``alias`` (a ``delivery_complaint`` row) that met both SLA clocks,
    first response and resolution (SLA compliance = met ÷ requests resolved)."""
    return SQL(
        "(%s.sla_response_status = 'met' AND %s.sla_resolution_status = 'met')",
        SQL.identifier(alias),
        SQL.identifier(alias),
    )


def company_time_zones(fallback):
    """A ``(company_id, tz)`` table: each company's time zone (its address's), else
    ``fallback`` (the user's, as the evaluation does), else UTC."""
    return SQL(
        """
        SELECT c.id AS company_id, coalesce(p.tz, %(fallback)s, 'UTC') AS tz
          FROM res_company c
          JOIN res_partner p ON p.id = c.partner_id
        """,
        fallback=fallback or None,
    )


def local_month(column, tz):
    """First day of the month, in time zone ``tz``, of the naive UTC ``column``."""
    return SQL("date_trunc('month', timezone(%s, timezone('UTC', %s)))::date", tz, column)


def local_date(column, tz):
    """The day, in time zone ``tz``, of the naive UTC ``column``."""
    return SQL("timezone(%s, timezone('UTC', %s))::date", tz, column)


def percent(part, whole):
    """``part`` in percent of ``whole``, NULL ("no data") without a ``whole``."""
    return SQL("CASE WHEN %s > 0 THEN round(%s * 100.0 / %s, 2) END", whole, part, whole)


def percent_value(part, whole):
    """:func:`percent` in Python, for counts summed from SQL rows (the dashboard's
    periods are sums of its months): ``None`` ("no data") without a ``whole``."""
    return round(part * 100.0 / whole, 2) if whole else None


def misses_at_least(part, whole, target):
    """A share that must reach ``target`` % falls short; NULL without data."""
    return SQL("CASE WHEN %s > 0 THEN %s * 100.0 < %s * %s END", whole, part, target, whole)


def misses_below(part, whole, target):
    """A share that must stay below ``target`` % does not; NULL without data."""
    return SQL("CASE WHEN %s > 0 THEN %s * 100.0 >= %s * %s END", whole, part, target, whole)


def below_target(value, target):
    """A rate that must reach ``target`` (satisfaction, on-time) falls short of it;
    never for "no data" (``None``)."""
    return value is not None and value < target


def above_target(value, target):
    """A rate that must stay below ``target`` (complaint rate) does not; never for
    "no data" (``None``)."""
    return value is not None and value >= target
