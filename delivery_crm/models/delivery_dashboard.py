"""The manager's dashboard (issue 18; 003 §1.2, §八; R8, R11): the company's service
targets against the actuals of a period, their monthly trends, the tier distribution,
SLA compliance by team, customers at risk, overdue visits and corrective actions.

Set-based: a fixed handful of queries, whatever the number of customers; read-only
(``@api.readonly``: it may run on a replica) and writes nothing. The actuals are
counted with the rates' one definition (:mod:`.delivery_rates`) and the satisfaction
answers of the reports (``satisfaction_answers``); the digest's KPIs
(``digest.digest``, ``models/digest_digest.py``) call the same :meth:`_kpi_values`.

Scope: managers and auditors see every customer of the current company; account
managers and service staff the customers assigned to them (account manager,
developer, their service team: ``res.partner.delivery_assigned``), as their record
rules give them. Each figure carries the action opening the records it counts.

Speed (100,000 customers, 2 million deliveries): the company-wide deliveries,
complaints and satisfaction answers are summed from their hourly rollups per company
and quarter hour (``delivery.shipment.rollup``, ``delivery.service.rollup``: up to an
hour behind, as the complaint-rate report); the requests resolved are counted live,
for the period only. A scoped user's figures are counted live on their own customers,
whose ids are read once and given to the aggregates as an array (a subquery on the
assignment, an ``OR`` of three columns, is estimated at half the customers, and
PostgreSQL then read every delivery rather than the customers' through their index)."""

from datetime import datetime, time

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, date_utils

from ..report.delivery_satisfaction_trend_report import satisfaction_answers
from .delivery_rates import (
    DAMAGED_OUTCOMES,
    FINISHED_OUTCOMES,
    above_target,
    below_target,
    counted_complaint,
    counted_delivery,
    damaged_delivery,
    finished_delivery,
    local_month,
    on_time_delivery,
    percent_value,
    sla_met,
)
from .delivery_shipment_rollup import SLOT_MINUTES

PERIODS = ("month", "quarter", "year")
TREND_MONTHS = 12
RISK_LIST_SIZE = 5


class DeliveryDashboard(models.AbstractModel):
    _name = "delivery.dashboard"
    _description = "Delivery CRM dashboard"

    # ------------------------------------------------------------------ entry point
    @api.readonly
    @api.model
    def get_dashboard_data(self, period="month"):
        """Everything the dashboard shows for ``period`` (``month``, ``quarter`` or
        ``year``: the current one, in the company's time zone)."""
        self._check_dashboard_access()
        if period not in PERIODS:
            raise UserError(self.env._("Unknown dashboard period: %(period)s", period=period))
        company = self.env.company
        tz = self._dashboard_tz()
        today = pytz.utc.localize(fields.Datetime.now()).astimezone(pytz.timezone(tz)).date()
        start_day = date_utils.start_of(today, period)
        end_day = (
            start_day
            + {
                "month": relativedelta(months=1),
                "quarter": relativedelta(months=3),
                "year": relativedelta(years=1),
            }[period]
        )
        trend_start_day = date_utils.start_of(today, "month") - relativedelta(
            months=TREND_MONTHS - 1
        )
        trend_end_day = date_utils.start_of(today, "month") + relativedelta(months=1)
        start, end = self._utc(start_day, tz), self._utc(end_day, tz)
        partner_ids = self._scope_partner_ids()
        # the trend's months always cover the period: one set of queries gives both
        # (the requests resolved, of the period only, are under None)
        by_month = self._kpi_counts(
            self._utc(trend_start_day, tz),
            self._utc(max(end_day, trend_end_day), tz),
            tz,
            partner_ids=partner_ids,
            resolved=(start, end),
        )
        months = [trend_start_day + relativedelta(months=i) for i in range(TREND_MONTHS)]
        in_period = [None, *(m for m in by_month if m and start_day <= m < end_day)]
        period_counts = self._sum_counts(by_month, in_period)
        kpis = self._kpis_from_counts(period_counts["totals"], company)
        actions = self._kpi_actions(start, end, start_day, end_day)
        for kpi in kpis:
            kpi["action"] = actions.get(kpi["key"])
        return {
            "period": period,
            "periods": [
                {"key": "month", "label": self.env._("This month")},
                {"key": "quarter", "label": self.env._("This quarter")},
                {"key": "year", "label": self.env._("This year")},
            ],
            "company": company.name,
            "scope": "all" if partner_ids is None else "assigned",
            "start": fields.Date.to_string(start_day),
            "end": fields.Date.to_string(end_day - relativedelta(days=1)),
            "kpis": kpis,
            "trends": self._trends(by_month, months, company),
            "tiers": self._tier_distribution(partner_ids),
            "sla_teams": self._sla_by_team(period_counts["teams"], start, end),
            "risk": self._customers_at_risk(),
            "overdue_visits": self._overdue_visits(partner_ids),
            "overdue_actions": self._overdue_actions(partner_ids),
        }

    @api.model
    def _kpi_values(self, start, end):
        """The KPIs of the current company between the naive UTC datetimes ``start``
        and ``end``, keyed by KPI (the digest's values): what the dashboard shows for
        the same range."""
        self._check_dashboard_access()
        start, end = fields.Datetime.to_datetime(start), fields.Datetime.to_datetime(end)
        counts = self._sum_counts(
            self._kpi_counts(
                start, end, self._dashboard_tz(), False, partner_ids=self._scope_partner_ids()
            )
        )
        return {kpi["key"]: kpi for kpi in self._kpis_from_counts(counts["totals"])}

    # ------------------------------------------------------------------ access, scope
    def _check_dashboard_access(self):
        user = self.env.user
        if not (
            user.has_group("delivery_crm.group_delivery_crm_user")
            or user.has_group("delivery_crm.group_delivery_crm_auditor")
        ):
            raise AccessError(self.env._("Only Delivery CRM users may open the dashboard."))

    def _scoped(self):
        """Whether the user sees only the customers assigned to them."""
        user = self.env.user
        return not (
            user.has_group("delivery_crm.group_delivery_crm_manager")
            or user.has_group("delivery_crm.group_delivery_crm_auditor")
        )

    def _scope_domain(self, path="partner_id"):
        """The drill-down domain's part that keeps the records of the user's scope."""
        return [(f"{path}.delivery_assigned", "=", True)] if self._scoped() else []

    def _scope_partner_ids(self):
        """The ids of the customers of the user's scope (their record rules apply), or
        ``None`` for a user who sees every customer of the company. One query."""
        if not self._scoped():
            return None
        assigned = (
            self.env["res.partner"]
            .with_context(active_test=False)
            ._search([("delivery_assigned", "=", True)], order="id")
        )
        return list(assigned)

    @staticmethod
    def _scope_sql(column, partner_ids):
        """``column`` (a customer id) is one of ``partner_ids`` (all for ``None``), as
        SQL: an array, whose size PostgreSQL knows when it plans the query."""
        if partner_ids is None:
            return SQL("TRUE")
        return SQL("%s = ANY(%s)", column, partner_ids)

    @staticmethod
    def _scope_ids_domain(partner_ids, path="partner_id"):
        """The counting domain's part that keeps the records of ``partner_ids``."""
        return [] if partner_ids is None else [(path, "in", partner_ids)]

    # ------------------------------------------------------------------ periods
    def _dashboard_tz(self):
        """The company's time zone (its address's), else the user's, else UTC: the
        months of the reports (``delivery_rates.company_time_zones``)."""
        return self.env.company.partner_id.tz or self.env.user.tz or "UTC"

    @staticmethod
    def _utc(day, tz):
        """Midnight of ``day`` in ``tz``, as a naive UTC datetime."""
        local = pytz.timezone(tz).localize(datetime.combine(day, time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    # ------------------------------------------------------------------ counting
    def _kpi_counts(self, start, end, tz, by_month=True, partner_ids=None, resolved=None):
        """The counts behind the KPIs between ``start`` and ``end`` (naive UTC), by
        month of ``tz`` (else under ``None``), of the customers ``partner_ids`` (every
        customer of the company for ``None``): ``{month: {name: count}}``; the
        requests resolved between the bounds ``resolved`` (``(start, end)`` by
        default) under ``None``, with SLA compliance by team ``{team_id: (met,
        resolved)}`` under ``"teams"``. Three or four queries, whatever the data.

        The company's deliveries, complaints and satisfaction answers are summed from
        their rollups per quarter hour when both bounds are quarter hours (a local
        midnight always is): as of the last hourly refresh. A user's customers' are
        counted one by one, as the requests resolved."""
        company_id = self.env.company.id
        self.env.flush_all()

        def bucket(column):
            return local_month(column, tz) if by_month else SQL("NULL::date")

        result = {}

        def add(month, **values):
            row = result.setdefault(month, {"teams": {}})
            for name, value in values.items():
                row[name] = row.get(name, 0) + (value or 0)

        if partner_ids is None and self._on_slots(start) and self._on_slots(end):
            for month, counted, finished, on_time, damaged in self.env.execute_query(
                self._rollup_query("delivery.shipment.rollup", start, end, bucket(SQL("r.slot")))
            ):
                add(month, deliveries=counted, finished=finished, on_time=on_time, damaged=damaged)
            for month, complaints, answers, satisfied in self.env.execute_query(
                self._rollup_query("delivery.service.rollup", start, end, bucket(SQL("r.slot")))
            ):
                add(month, complaints=complaints, answers=answers, satisfied=satisfied)
        else:
            self._live_counts(start, end, bucket, add, partner_ids)
        # requests resolved: times and SLA compliance (as in Staff performance)
        resolved_start, resolved_end = resolved or (start, end)
        for (
            team_id,
            count,
            met,
            responses,
            response_sum,
            solutions,
            solution_sum,
        ) in self.env.execute_query(
            SQL(
                """
                    SELECT c.team_id, count(*),
                           count(*) FILTER (WHERE %(met)s),
                           count(c.first_response_time), sum(c.first_response_time),
                           count(c.resolution_time), sum(c.resolution_time)
                      FROM delivery_complaint c
                     WHERE c.company_id = %(company)s AND c.resolved_date >= %(start)s
                       AND c.resolved_date < %(end)s AND c.active AND %(scope)s
                     GROUP BY 1
                    """,
                met=sla_met("c"),
                company=company_id,
                start=resolved_start,
                end=resolved_end,
                scope=self._scope_sql(SQL("c.partner_id"), partner_ids),
            )
        ):
            add(
                None,
                resolved=count,
                met=met,
                responses=responses,
                response_sum=response_sum,
                solutions=solutions,
                solution_sum=solution_sum,
            )
            teams = result[None]["teams"]
            team_met, team_resolved = teams.get(team_id, (0, 0))
            teams[team_id] = (team_met + met, team_resolved + count)
        return result

    def _live_counts(self, start, end, bucket, add, partner_ids):
        """The deliveries, complaints and satisfaction answers of ``partner_ids``
        (every customer of the company for ``None``), counted one by one."""
        company_id = self.env.company.id
        # deliveries: counted, finished, on time, damaged or lost
        for month, counted, finished, on_time, damaged in self.env.execute_query(
            SQL(
                """
                SELECT %(bucket)s, count(*) FILTER (WHERE %(counted)s),
                       count(*) FILTER (WHERE %(finished)s),
                       count(*) FILTER (WHERE %(on_time)s),
                       count(*) FILTER (WHERE %(damaged)s)
                  FROM delivery_shipment s
                 WHERE s.company_id = %(company)s AND s.date >= %(start)s
                   AND s.date < %(end)s AND %(scope)s
                 GROUP BY 1
                """,
                bucket=bucket(SQL("s.date")),
                counted=counted_delivery("s"),
                finished=finished_delivery("s"),
                on_time=on_time_delivery("s"),
                damaged=damaged_delivery("s"),
                company=company_id,
                start=start,
                end=end,
                scope=self._scope_sql(SQL("s.partner_id"), partner_ids),
            )
        ):
            add(month, deliveries=counted, finished=finished, on_time=on_time, damaged=damaged)
        # complaints received
        for month, complaints in self.env.execute_query(
            SQL(
                """
                SELECT %(bucket)s, count(*)
                  FROM delivery_complaint c
                 WHERE c.company_id = %(company)s AND c.received_date >= %(start)s
                   AND c.received_date < %(end)s AND %(counted)s AND %(scope)s
                 GROUP BY 1
                """,
                bucket=bucket(SQL("c.received_date")),
                counted=counted_complaint("c"),
                company=company_id,
                start=start,
                end=end,
                scope=self._scope_sql(SQL("c.partner_id"), partner_ids),
            )
        ):
            add(month, complaints=complaints)
        # satisfaction answers, as the evaluation and the satisfaction trend count them
        for month, answers, satisfied in self.env.execute_query(
            SQL(
                """
                SELECT %(bucket)s, count(*), count(*) FILTER (WHERE a.satisfied)
                  FROM (%(answers)s) a
                 WHERE a.company_id = %(company)s AND a.answered_at >= %(start)s
                   AND a.answered_at < %(end)s AND %(scope)s
                 GROUP BY 1
                """,
                bucket=bucket(SQL("a.answered_at")),
                answers=satisfaction_answers(self.env, partner_ids=partner_ids),
                company=company_id,
                start=start,
                end=end,
                scope=self._scope_sql(SQL("a.partner_id"), partner_ids),
            )
        ):
            add(month, answers=answers, satisfied=satisfied)

    @staticmethod
    def _on_slots(moment):
        """Whether the naive UTC datetime ``moment`` starts a quarter hour of the
        deliveries' rollup."""
        return not (moment.minute % SLOT_MINUTES or moment.second or moment.microsecond)

    def _rollup_query(self, model, start, end, bucket):
        """The company's rows of the rollup ``model`` between ``start`` and ``end``
        (quarter hours), summed by ``bucket``: the counts of the live queries, as of the
        last hourly refresh."""
        Rollup = self.env[model]
        return SQL(
            """
            SELECT %(bucket)s, %(sums)s
              FROM %(table)s r
             WHERE r.company_id = %(company)s AND r.slot >= %(start)s AND r.slot < %(end)s
             GROUP BY 1
            """,
            bucket=bucket,
            sums=SQL(", ").join(
                SQL("sum(%s)", SQL.identifier("r", name)) for name in Rollup._rollup_counts
            ),
            table=SQL.identifier(Rollup._table),
            company=self.env.company.id,
            start=start,
            end=end,
        )

    @staticmethod
    def _sum_counts(by_month, months=None):
        """The counts of ``months`` (all by default) summed: ``{"totals": {...},
        "teams": {team_id: (met, resolved)}}``."""
        totals, teams = {}, {}
        for month in by_month if months is None else months:
            row = by_month.get(month, {})
            for name, value in row.items():
                if name != "teams":
                    totals[name] = totals.get(name, 0) + value
            for team_id, (met, resolved) in row.get("teams", {}).items():
                team_met, team_resolved = teams.get(team_id, (0, 0))
                teams[team_id] = (team_met + met, team_resolved + resolved)
        return {"totals": totals, "teams": teams}

    # ------------------------------------------------------------------ KPIs
    def _kpis_from_counts(self, counts, company=None):
        """The KPI cards from summed counts: value, target, whether the target is
        missed (``status``: ``ok``, ``miss`` or ``none`` without data) and the counts
        it was computed from."""
        company = company or self.env.company
        c = counts.get

        def mean(total, count):
            return round(total / count, 2) if count else None

        rows = [
            (
                "satisfaction",
                self.env._("Satisfaction"),
                "%",
                percent_value(c("satisfied", 0), c("answers", 0)),
                company.delivery_target_satisfaction,
                "at_least",
                self.env._("%(part)s satisfied of %(whole)s answers"),
                c("satisfied", 0),
                c("answers", 0),
            ),
            (
                "complaint_rate",
                self.env._("Complaint rate"),
                "%",
                percent_value(c("complaints", 0), c("deliveries", 0)),
                company.delivery_target_complaint_rate,
                "below",
                self.env._("%(part)s complaints for %(whole)s deliveries"),
                c("complaints", 0),
                c("deliveries", 0),
            ),
            (
                "first_response",
                self.env._("First response"),
                "h",
                mean(c("response_sum", 0), c("responses", 0)),
                company.delivery_target_first_response_hours,
                "at_most",
                self.env._("mean of %(whole)s requests resolved"),
                c("responses", 0),
                c("responses", 0),
            ),
            (
                "resolution",
                self.env._("Solution time"),
                "h",
                mean(c("solution_sum", 0), c("solutions", 0)),
                company.delivery_target_resolution_hours,
                "at_most",
                self.env._("mean of %(whole)s requests resolved"),
                c("solutions", 0),
                c("solutions", 0),
            ),
            (
                "on_time_rate",
                self.env._("On-time rate"),
                "%",
                percent_value(c("on_time", 0), c("finished", 0)),
                company.delivery_target_on_time_rate,
                "at_least",
                self.env._("%(part)s on time of %(whole)s finished deliveries"),
                c("on_time", 0),
                c("finished", 0),
            ),
            (
                "damage_rate",
                self.env._("Damage/loss rate"),
                "%",
                percent_value(c("damaged", 0), c("finished", 0)),
                None,
                "below",
                self.env._("%(part)s damaged or lost of %(whole)s finished deliveries"),
                c("damaged", 0),
                c("finished", 0),
            ),
        ]
        kpis = []
        for key, label, unit, value, target, rule, detail, part, whole in rows:
            if value is None or target is None:
                missed = None
            elif rule == "at_least":
                missed = below_target(value, target)
            elif rule == "below":
                missed = above_target(value, target)
            else:
                missed = value > target
            kpis.append(
                {
                    "key": key,
                    "label": label,
                    "unit": unit,
                    "value": value,
                    "target": target,
                    "rule": rule,
                    "status": "none" if missed is None else ("miss" if missed else "ok"),
                    "detail": detail % {"part": part, "whole": whole},
                    "part": part,
                    "whole": whole,
                }
            )
        return kpis

    def _trends(self, by_month, months, company):
        """Satisfaction, complaint rate and on-time rate month by month."""
        series = {"satisfaction": [], "complaint_rate": [], "on_time_rate": []}
        labels = []
        for month in months:
            labels.append(month.strftime("%Y-%m"))
            for kpi in self._kpis_from_counts(self._sum_counts(by_month, [month])["totals"]):
                if kpi["key"] in series:
                    series[kpi["key"]].append(kpi["value"])
        targets = {
            "satisfaction": company.delivery_target_satisfaction,
            "complaint_rate": company.delivery_target_complaint_rate,
            "on_time_rate": company.delivery_target_on_time_rate,
        }
        names = {
            "satisfaction": self.env._("Satisfaction (%)"),
            "complaint_rate": self.env._("Complaint rate (%)"),
            "on_time_rate": self.env._("On-time rate (%)"),
        }
        return [
            {
                "key": key,
                "label": names[key],
                "months": labels,
                "values": values,
                "target": targets[key],
                "lower_is_better": key == "complaint_rate",
            }
            for key, values in series.items()
        ]

    # ------------------------------------------------------------------ lists
    def _tier_distribution(self, partner_ids=None):
        """The customers in cooperation by tier (record rules apply)."""
        active = self._active_customers_domain()
        # the drill-down keeps the assignment (the ids counted are only this call's)
        domain = active if partner_ids is None else [*active, ("delivery_assigned", "=", True)]
        groups = self.env["res.partner"]._read_group(
            [*active, *self._scope_ids_domain(partner_ids, "id")], ["tier_id"], ["__count"]
        )
        total = sum(count for __, count in groups) or 1
        return [
            {
                "id": tier.id,
                "name": tier.display_name or self.env._("No tier"),
                "count": count,
                "share": round(count * 100.0 / total, 1),
                "action": self._act_window(
                    self.env._("Customers: %(tier)s", tier=tier.display_name or "-"),
                    "res.partner",
                    [*domain, ("tier_id", "=", tier.id or False)],
                    views=("list", "kanban", "form"),
                ),
            }
            for tier, count in sorted(groups, key=lambda group: -group[1])
        ]

    def _active_customers_domain(self):
        return [
            ("is_delivery_customer", "=", True),
            ("customer_state", "=", "active"),
            *self._customer_company_domain(),
        ]

    def _customer_company_domain(self, path="company_id"):
        """The customers of the current company: a customer shared by every company
        (no company) counts in the first one, as in the customers-at-risk report."""
        company = self.env.company
        # sudo: only the id of the first active company, to place the shared customers
        first = self.env["res.company"].sudo().search([], order="id", limit=1)
        return [(path, "in", [company.id, False] if company == first else [company.id])]

    def _sla_by_team(self, teams, start, end):
        """SLA compliance (both clocks met ÷ requests resolved in the period) by team."""
        # sudo: only the names of the teams of the requests counted, shown beside them
        team_records = self.env["delivery.service.team"].sudo().browse(t for t in teams if t)
        names = {team.id: team.display_name for team in team_records}
        rows = []
        for team_id, (met, resolved) in teams.items():
            rows.append(
                {
                    "id": team_id or False,
                    "name": names.get(team_id) or self.env._("No team"),
                    "met": met,
                    "resolved": resolved,
                    "value": percent_value(met, resolved),
                    "action": self._act_window(
                        self.env._("Requests resolved"),
                        "delivery.complaint",
                        [
                            *self._resolved_domain(start, end),
                            ("team_id", "=", team_id or False),
                        ],
                    ),
                }
            )
        return sorted(rows, key=lambda row: (row["value"] is None, row["value"] or 0))

    def _customers_at_risk(self):
        # the assignment as a subquery, not the ids: the report's record rules join the
        # customer, and a nested loop would compare each row with every id
        Risk = self.env["delivery.customer.risk.report"]
        domain = [*self._customer_company_domain(), *self._scope_domain()]
        rows = Risk.search_fetch(domain, ["partner_id", "risk_count"], limit=RISK_LIST_SIZE)
        count = Risk.search_count(domain)
        # sudo: the names of the customers at risk the user reads (the report's rules)
        partners = rows.partner_id.sudo()
        names = {partner.id: partner.display_name for partner in partners}
        return {
            "count": count,
            "top": [
                {
                    "partner_id": row.partner_id.id,
                    "name": names.get(row.partner_id.id),
                    "signs": row.risk_count,
                }
                for row in rows
            ],
            "action": self._act_window(
                self.env._("Customers at risk"),
                "delivery.customer.risk.report",
                domain,
                views=("list",),
            ),
        }

    def _overdue_visits(self, partner_ids=None):
        overdue = [
            ("state", "=", "planned"),
            ("planned_date", "<", fields.Datetime.to_string(fields.Datetime.now())),
            ("company_id", "=", self.env.company.id),
        ]
        domain = [*overdue, *self._scope_domain()]
        return {
            "count": self.env["delivery.visit"].search_count(
                [*overdue, *self._scope_ids_domain(partner_ids)]
            ),
            "action": self._act_window(
                self.env._("Overdue visits"), "delivery.visit", domain, ("list", "form")
            ),
        }

    def _overdue_actions(self, partner_ids=None):
        overdue = [("overdue", "=", True), ("company_id", "=", self.env.company.id)]
        domain = [*overdue, *self._scope_domain("complaint_id.partner_id")]
        return {
            "count": self.env["delivery.complaint.action"].search_count(
                [*overdue, *self._scope_ids_domain(partner_ids, "complaint_id.partner_id")]
            ),
            "action": self._act_window(
                self.env._("Overdue actions"),
                "delivery.complaint.action",
                domain,
                ("list", "form"),
            ),
        }

    # ------------------------------------------------------------------ drill-down
    def _period_domain(self, field, start, end):
        return [
            (field, ">=", fields.Datetime.to_string(start)),
            (field, "<", fields.Datetime.to_string(end)),
            ("company_id", "=", self.env.company.id),
        ]

    def _resolved_domain(self, start, end):
        return [*self._period_domain("resolved_date", start, end), *self._scope_domain()]

    def _kpi_actions(self, start, end, start_day, end_day):
        """The records each KPI counts (its numerator, or the records averaged);
        satisfaction opens the months of its trend report (its answers come from three
        kinds of record)."""
        deliveries = [*self._period_domain("date", start, end), *self._scope_domain()]
        resolved = self.env._("Requests resolved")
        return {
            "satisfaction": self._act_window(
                self.env._("Satisfaction trend"),
                "delivery.satisfaction.trend.report",
                [
                    ("month", ">=", fields.Date.to_string(start_day)),
                    ("month", "<", fields.Date.to_string(end_day)),
                    ("company_id", "=", self.env.company.id),
                ],
                views=("list", "graph"),
            ),
            "complaint_rate": self._act_window(
                self.env._("Complaints"),
                "delivery.complaint",
                [
                    *self._period_domain("received_date", start, end),
                    ("counts_as_complaint", "=", True),
                    *self._scope_domain(),
                ],
            ),
            "first_response": self._act_window(
                resolved, "delivery.complaint", self._resolved_domain(start, end)
            ),
            "resolution": self._act_window(
                resolved, "delivery.complaint", self._resolved_domain(start, end)
            ),
            "on_time_rate": self._act_window(
                self.env._("Finished deliveries"),
                "delivery.shipment",
                [*deliveries, ("outcome", "in", list(FINISHED_OUTCOMES))],
            ),
            "damage_rate": self._act_window(
                self.env._("Damaged or lost deliveries"),
                "delivery.shipment",
                [*deliveries, ("outcome", "in", list(DAMAGED_OUTCOMES))],
            ),
        }

    @staticmethod
    def _act_window(name, model, domain, views=("list", "form")):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "views": [[False, view] for view in views],
            "domain": domain,
            "context": {"create": False},
            "target": "current",
        }
