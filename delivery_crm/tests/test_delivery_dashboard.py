from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.delivery_rates import finished_delivery, local_month, on_time_delivery
from .common import DeliveryCrmCommon, new_user

# "now" of the tests: the dashboard's month is March 2026 (company time zone UTC)
NOW = datetime(2026, 3, 31, 12, 0)
# the queries of one call of the manager's dashboard, whatever the data: the two rollups
# and the requests resolved, the tier distribution, the customers at risk (list and
# count), the overdue visits and actions, the names shown and the first company
QUERIES = 11
# an account manager's: the four live aggregates instead of the three, his running
# access grants (his record rules), the ids of his customers, and his service teams,
# looked up by each search his "assigned customers" rule applies to (8 of them)
AM_QUERIES = 22


@tagged("post_install", "-at_install")
class TestDeliveryDashboard(DeliveryCrmCommon):
    """The manager's dashboard (issue 18 item 1): the targets against the actuals of
    the period, counted with the rates' one definition, for the user's scope, each
    figure opening the records it counts; the weekly digest of the same KPIs.

    A company of its own ("Dashboard Co") keeps the figures to the records made here.
    Two customers: *Mine* (the account manager's, in his team) and *Other* (nobody's).
    March 2026: Mine has 10 finished deliveries, 2 of them late (on time 80 %), and a
    cancelled one; Other 5, one damaged; a February delivery of Mine is out of the
    month."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dash_company = cls.env["res.company"].create({"name": "Dashboard Co"})
        cls.dash_company.partner_id.tz = "UTC"
        company = cls.dash_company
        cls.dash_manager = new_user(cls.env, "manager", "dash_manager", "Dash Manager", company)
        cls.dash_am = new_user(cls.env, "account_manager", "dash_am", "Dash AM", company)
        cls.dash_staff = new_user(cls.env, "staff", "dash_staff", "Dash Staff", company)
        cls.dash_employee = new_user(cls.env, "employee", "dash_employee", "Dash Employee", company)
        cls.team = cls.env["delivery.service.team"].create(
            {
                "name": "North team",
                "company_id": company.id,
                "member_ids": [Command.link(cls.dash_am.id)],
            }
        )
        Partner = cls.env["res.partner"]
        cls.mine = Partner.create(
            {
                "name": "Mine 我的客户",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_state": "active",
                "company_id": company.id,
                "account_manager_id": cls.dash_am.id,
                "service_team_id": cls.team.id,
            }
        )
        cls.other = Partner.create(
            {
                "name": "Other 其他客户",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_state": "active",
                "company_id": company.id,
            }
        )
        cls.mine_contact = Partner.create(
            {"name": "Mine Contact", "parent_id": cls.mine.id, "email": "mine@example.com"}
        )
        vals_list = []
        for i, outcome in enumerate(["delivered"] * 8 + ["late"] * 2 + ["cancelled"]):
            vals_list.append(cls._shipment_vals(cls.mine, datetime(2026, 3, 2 + i, 8), outcome))
        for i, outcome in enumerate(["delivered"] * 4 + ["damaged"]):
            vals_list.append(cls._shipment_vals(cls.other, datetime(2026, 3, 2 + i, 9), outcome))
        vals_list.append(cls._shipment_vals(cls.mine, datetime(2026, 2, 10, 8), "late"))
        cls.env["delivery.shipment"].create(vals_list)
        # the manager's delivery figures are those the hourly job counted
        cls.env["delivery.shipment.rollup"]._refresh()

    @classmethod
    def _shipment_vals(cls, partner, when, outcome):
        return {
            "name": f"DASH-{partner.id}-{when.isoformat()}-{outcome}",
            "partner_id": partner.id,
            "company_id": cls.dash_company.id,
            "date": when,
            "outcome": outcome,
        }

    # ------------------------------------------------------------------ helpers
    def _inquiry(self, received, answered, rate=None):
        """An inquiry of Mine taken by the account manager at ``received``, answered and
        resolved at ``answered`` (so first response = resolution time)."""
        with freeze_time(received):
            inquiry = (
                self.env["delivery.complaint"]
                .with_user(self.dash_am)
                .create(
                    {
                        "subject": "Where is it?",
                        "request_type": "inquiry",
                        "contact_id": self.mine_contact.id,
                        "team_id": self.team.id,
                    }
                )
            )
        inquiry.resolution = "<p>Answered</p>"
        with freeze_time(answered):
            inquiry.action_resolve()
        if rate:
            with freeze_time(answered + timedelta(minutes=5)):
                inquiry.rating_apply(rate, token=inquiry._rating_get_access_token())
        return inquiry

    def _service_records(self):
        """Two inquiries resolved in 1 h and 3 h (first within SLA, second misses the
        2 h first response), the first rated 5; a complaint of Mine; a return visit of
        Other scored 2; an overdue visit of each; an overdue action on the complaint."""
        base = datetime(2026, 3, 10, 2, 0)
        self._inquiry(base, base + timedelta(hours=1), rate=5)
        self._inquiry(base, base + timedelta(hours=3))
        with freeze_time(datetime(2026, 3, 12, 2, 0)):
            complaint = (
                self.env["delivery.complaint"]
                .with_user(self.dash_am)
                .create(
                    {
                        "subject": "Late again",
                        "contact_id": self.mine_contact.id,
                        "type_id": self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
                    }
                )
            )
        self.env["delivery.complaint.action"].create(
            {
                "complaint_id": complaint.id,
                "name": "Retrain the driver",
                "owner_id": self.dash_am.id,
                "deadline": date(2026, 3, 20),
            }
        )
        Visit = self.env["delivery.visit"].with_company(self.dash_company)
        scored = Visit.create(
            {
                "name": "Return visit",
                "partner_id": self.other.id,
                "company_id": self.dash_company.id,
                "user_id": self.dash_manager.id,
                "planned_date": datetime(2026, 3, 14, 2, 0),
            }
        )
        scored.write({"visit_type": "return", "content": "<p>ok</p>", "satisfaction_score": "2"})
        with freeze_time(datetime(2026, 3, 14, 3, 0)):
            scored.action_done()
        Visit.create(
            [
                {
                    "name": f"Overdue {partner.name}",
                    "partner_id": partner.id,
                    "company_id": self.dash_company.id,
                    "user_id": user.id,
                    "planned_date": datetime(2026, 3, 25, 2, 0),
                }
                for partner, user in ((self.mine, self.dash_am), (self.other, self.dash_manager))
            ]
        )
        # the manager's figures are those the hourly job counted
        self.env["delivery.shipment.rollup"]._refresh()
        return complaint

    def _data(self, user, period="month"):
        with freeze_time(NOW):
            return (
                self.env["delivery.dashboard"]
                .with_user(user)
                .with_company(self.dash_company)
                .get_dashboard_data(period)
            )

    @staticmethod
    def _kpis(data):
        return {kpi["key"]: kpi for kpi in data["kpis"]}

    def _count(self, user, action):
        with freeze_time(NOW):
            return (
                self.env[action["res_model"]]
                .with_user(user)
                .with_company(self.dash_company)
                .search_count(action["domain"])
            )

    # ------------------------------------------------------------------ figures
    def test_manager_sees_every_customer(self):
        self._service_records()
        data = self._data(self.dash_manager)
        self.assertEqual(data["scope"], "all")
        self.assertEqual((data["start"], data["end"]), ("2026-03-01", "2026-03-31"))
        kpis = self._kpis(data)
        # 15 finished deliveries, 12 on time, 1 damaged; the cancelled one counts nowhere
        on_time = kpis["on_time_rate"]
        self.assertEqual((on_time["part"], on_time["whole"], on_time["value"]), (12, 15, 80.0))
        self.assertEqual((on_time["target"], on_time["status"]), (90.0, "miss"))
        self.assertEqual(kpis["damage_rate"]["value"], 6.67)
        self.assertEqual(kpis["damage_rate"]["status"], "none")  # no company target
        # 1 complaint for 15 deliveries (the inquiries are no complaints)
        rate = kpis["complaint_rate"]
        self.assertEqual((rate["part"], rate["whole"], rate["value"]), (1, 15, 6.67))
        self.assertEqual(rate["status"], "miss")  # not below 5 %
        # first response = resolution: 1 h and 3 h, mean 2 h (within 2 h: on target)
        self.assertEqual(kpis["first_response"]["value"], 2.0)
        self.assertEqual(kpis["first_response"]["status"], "ok")
        self.assertEqual(kpis["resolution"]["value"], 2.0)
        # the rating 5 (satisfied) and the return visit scored 2: 50 %
        satisfaction = kpis["satisfaction"]
        self.assertEqual((satisfaction["part"], satisfaction["whole"]), (1, 2))
        self.assertEqual((satisfaction["value"], satisfaction["status"]), (50.0, "miss"))
        # SLA by team: 1 of the 2 requests resolved met both clocks
        [team] = data["sla_teams"]
        self.assertEqual((team["name"], team["met"], team["resolved"]), ("North team", 1, 2))
        self.assertEqual(team["value"], 50.0)
        # the two overdue visits and the return visit proposed after the first inquiry
        self.assertEqual(data["overdue_visits"]["count"], 3)
        self.assertEqual(data["overdue_actions"]["count"], 1)
        # the tier distribution: the two customers in cooperation, without a tier
        self.assertEqual([(tier["count"], tier["share"]) for tier in data["tiers"]], [(2, 100.0)])

    def test_periods(self):
        """The quarter and the year hold February's late delivery too; the trend has
        twelve months, March last."""
        quarter = self._kpis(self._data(self.dash_manager, "quarter"))["on_time_rate"]
        self.assertEqual((quarter["part"], quarter["whole"]), (12, 16))
        data = self._data(self.dash_manager, "year")
        self.assertEqual((data["start"], data["end"]), ("2026-01-01", "2026-12-31"))
        self.assertEqual(self._kpis(data)["on_time_rate"]["whole"], 16)
        trend = {trend["key"]: trend for trend in data["trends"]}["on_time_rate"]
        self.assertEqual(len(trend["months"]), 12)
        self.assertEqual(trend["months"][-1], "2026-03")
        self.assertEqual(trend["values"][-2:], [0.0, 80.0])
        self.assertIsNone(trend["values"][0])  # April 2025: no delivery, no data

    def test_account_manager_sees_assigned_customers(self):
        """2 of 10 deliveries late: on time 80 %; nothing of Other."""
        self._service_records()
        data = self._data(self.dash_am)
        self.assertEqual(data["scope"], "assigned")
        kpis = self._kpis(data)
        on_time = kpis["on_time_rate"]
        self.assertEqual((on_time["part"], on_time["whole"], on_time["value"]), (8, 10, 80.0))
        self.assertEqual(kpis["damage_rate"]["value"], 0.0)
        self.assertEqual(kpis["complaint_rate"]["value"], 10.0)  # 1 of 10
        self.assertEqual(kpis["satisfaction"]["value"], 100.0)  # the rating of Mine only
        self.assertEqual(data["overdue_visits"]["count"], 2)  # Mine's and its return visit
        self.assertEqual([tier["count"] for tier in data["tiers"]], [1])

    def test_manager_deliveries_are_the_hourly_rollup(self):
        """The manager's delivery figures are summed from the hourly rollup of the
        deliveries per quarter hour (``delivery.shipment.rollup``): the numbers of
        counting every delivery, months of the company's time zone included
        (Asia/Kolkata, UTC+5:30: 18:29 UTC on 28 February is still February there,
        18:30 is 1 March); a delivery recorded since the last refresh counts from the
        next one. The account manager's figures are counted live, on his customers."""
        self.dash_company.partner_id.tz = "Asia/Kolkata"
        self.env["delivery.shipment"].create(
            [
                self._shipment_vals(self.mine, datetime(2026, 2, 28, 18, 29), "damaged"),
                self._shipment_vals(self.other, datetime(2026, 2, 28, 18, 30), "lost"),
                self._shipment_vals(self.mine, datetime(2026, 3, 20, 8), "late"),
                # 23:59 and 00:00 of 1 April in Kolkata: March's last, April's first
                self._shipment_vals(self.other, datetime(2026, 3, 31, 18, 29), "delivered"),
                self._shipment_vals(self.other, datetime(2026, 3, 31, 18, 30), "delivered"),
            ]
        )
        # before the next refresh: the manager's figures of the last one, the account
        # manager's live (Mine's 10 of March and its late one of the 20th)
        on_time = self._kpis(self._data(self.dash_manager))["on_time_rate"]
        self.assertEqual((on_time["part"], on_time["whole"]), (12, 15))
        on_time = self._kpis(self._data(self.dash_am))["on_time_rate"]
        self.assertEqual((on_time["part"], on_time["whole"]), (8, 11))
        self._run_cron("delivery_crm.ir_cron_shipment_rollup_refresh")
        rows = self.env["delivery.shipment.rollup"].search(
            [("company_id", "=", self.dash_company.id)]
        )
        self.assertEqual(sum(rows.mapped("finished_count")), 21)
        self.assertEqual(sum(rows.mapped("on_time_count")), 14)
        self.assertEqual(sum(rows.mapped("damaged_count")), 3)
        # March in Kolkata: the 15 finished of the set-up, the lost one of 1 March 00:00,
        # the late one of the 20th and the delivery of 31 March 23:59
        data = self._data(self.dash_manager)
        kpis = self._kpis(data)
        on_time, damage = kpis["on_time_rate"], kpis["damage_rate"]
        self.assertEqual((on_time["part"], on_time["whole"], on_time["value"]), (13, 18, 72.22))
        self.assertEqual((damage["part"], damage["whole"], damage["value"]), (2, 18, 11.11))
        self.assertEqual(kpis["complaint_rate"]["whole"], 18)
        # the same as counting every delivery of the company by month of Kolkata
        live = dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT %(month)s, count(*) FILTER (WHERE %(on_time)s) * 100.0
                                      / count(*) FILTER (WHERE %(finished)s)
                      FROM delivery_shipment s
                     WHERE s.company_id = %(company)s AND %(finished)s
                     GROUP BY 1
                    """,
                    month=local_month(SQL("s.date"), "Asia/Kolkata"),
                    on_time=on_time_delivery("s"),
                    finished=finished_delivery("s"),
                    company=self.dash_company.id,
                )
            )
        )
        trend = {trend["key"]: trend for trend in data["trends"]}["on_time_rate"]
        self.assertEqual(trend["months"][-2:], ["2026-02", "2026-03"])
        self.assertEqual(trend["values"][-2:], [0.0, 72.22])
        self.assertEqual(
            trend["values"][-2:],
            [round(float(live[date(2026, month, 1)]), 2) for month in (2, 3)],
        )
        self.assertEqual(round(float(live[date(2026, 4, 1)]), 2), 100.0)  # not on the dashboard
        # the account manager's: Mine's 11 of March (the damaged one is February's)
        on_time = self._kpis(self._data(self.dash_am))["on_time_rate"]
        self.assertEqual((on_time["part"], on_time["whole"]), (8, 11))

    def test_manager_service_figures_are_the_hourly_rollup(self):
        """The manager's complaints and satisfaction answers are summed from their
        hourly rollup (``delivery.service.rollup``): the numbers of the live reports,
        months of the company's time zone included (in Kolkata, 18:29 UTC on 31 March
        is still March, 18:30 is April); the account manager's are counted live."""
        self.dash_company.partner_id.tz = "Asia/Kolkata"
        self._service_records()
        complaint_type = self.env.ref("delivery_crm.delivery_complaint_type_delay").id
        for when in (datetime(2026, 3, 31, 18, 29), datetime(2026, 3, 31, 18, 30)):
            self.env["delivery.complaint"].with_user(self.dash_am).create(
                {
                    "subject": "Damaged box",
                    "contact_id": self.mine_contact.id,
                    "type_id": complaint_type,
                    "received_date": when,
                }
            )
        base = datetime(2026, 3, 28, 2, 0)
        self._inquiry(base, base + timedelta(hours=1), rate=1)
        # before the next refresh: the manager's figures of the last one (the set-up's
        # complaint, the rating 5 and the return visit scored 2), the account
        # manager's live (Mine's: two complaints of March, ratings 5 and 1)
        kpis = self._kpis(self._data(self.dash_manager))
        self.assertEqual(kpis["complaint_rate"]["part"], 1)
        self.assertEqual((kpis["satisfaction"]["part"], kpis["satisfaction"]["whole"]), (1, 2))
        kpis = self._kpis(self._data(self.dash_am))
        self.assertEqual(kpis["complaint_rate"]["part"], 2)
        self.assertEqual((kpis["satisfaction"]["part"], kpis["satisfaction"]["whole"]), (1, 2))
        self._run_cron("delivery_crm.ir_cron_shipment_rollup_refresh")
        kpis = self._kpis(self._data(self.dash_manager))
        self.assertEqual(kpis["complaint_rate"]["part"], 2)
        self.assertEqual((kpis["satisfaction"]["part"], kpis["satisfaction"]["whole"]), (1, 3))
        # the live reports of March (their months are Kolkata's too)
        domain = [("month", "=", date(2026, 3, 1)), ("company_id", "=", self.dash_company.id)]
        rate_row = self.env["delivery.complaint.rate.report"].search(domain)
        self.assertEqual(rate_row.complaint_count, kpis["complaint_rate"]["part"])
        self.assertEqual(rate_row.complaint_rate, kpis["complaint_rate"]["value"])
        trend_row = self.env["delivery.satisfaction.trend.report"].search(domain)
        self.assertEqual(
            (trend_row.satisfied_count, trend_row.answer_count, trend_row.satisfaction),
            (1, 3, kpis["satisfaction"]["value"]),
        )
        april = [("month", "=", date(2026, 4, 1)), ("company_id", "=", self.dash_company.id)]
        self.assertEqual(
            self.env["delivery.complaint.rate.report"].search(april).complaint_count, 1
        )

    def test_staff_without_customers_sees_no_data(self):
        self._service_records()
        kpis = self._kpis(self._data(self.dash_staff))
        self.assertEqual(kpis["on_time_rate"]["value"], None)
        self.assertEqual(kpis["on_time_rate"]["status"], "none")
        self.assertEqual(kpis["satisfaction"]["whole"], 0)

    def test_refused_to_other_employees(self):
        with self.assertRaises(AccessError):
            self._data(self.dash_employee)

    def test_unknown_period_is_refused(self):
        with self.assertRaises(UserError):
            self._data(self.dash_manager, "decade")

    # ------------------------------------------------------------------ drill-down
    def test_drill_down_opens_the_records_counted(self):
        self._service_records()
        for user in (self.dash_manager, self.dash_am):
            data = self._data(user)
            kpis = self._kpis(data)
            with self.subTest(user=user.login):
                self.assertEqual(
                    self._count(user, kpis["on_time_rate"]["action"]),
                    kpis["on_time_rate"]["whole"],
                )
                self.assertEqual(
                    self._count(user, kpis["damage_rate"]["action"]),
                    kpis["damage_rate"]["part"],
                )
                self.assertEqual(
                    self._count(user, kpis["complaint_rate"]["action"]),
                    kpis["complaint_rate"]["part"],
                )
                self.assertEqual(
                    self._count(user, kpis["first_response"]["action"]),
                    kpis["first_response"]["whole"],
                )
                for team in data["sla_teams"]:
                    self.assertEqual(self._count(user, team["action"]), team["resolved"])
                for tier in data["tiers"]:
                    self.assertEqual(self._count(user, tier["action"]), tier["count"])
                for key in ("overdue_visits", "overdue_actions", "risk"):
                    self.assertEqual(self._count(user, data[key]["action"]), data[key]["count"])

    def test_trend_is_the_reports(self):
        """The month's figures are those of the complaint-rate and satisfaction-trend
        reports (one definition of each rate)."""
        self._service_records()
        kpis = self._kpis(self._data(self.dash_manager))
        domain = [("month", "=", date(2026, 3, 1)), ("company_id", "=", self.dash_company.id)]
        # the report's deliveries are those the hourly job counted
        self._run_cron("delivery_crm.ir_cron_shipment_rollup_refresh")
        rate_row = self.env["delivery.complaint.rate.report"].search(domain)
        self.assertEqual(
            (rate_row.complaint_count, rate_row.delivery_count, rate_row.complaint_rate),
            (1, 15, kpis["complaint_rate"]["value"]),
        )
        trend_row = self.env["delivery.satisfaction.trend.report"].search(domain)
        self.assertEqual(
            (trend_row.satisfied_count, trend_row.answer_count, trend_row.satisfaction),
            (1, 2, kpis["satisfaction"]["value"]),
        )

    # ------------------------------------------------------------------ performance
    def test_query_count_does_not_grow_with_customers(self):
        """A fixed handful of queries, the same with 30 more customers and deliveries
        (each measured after a first call has filled the registry's caches), for the
        manager and for the account manager (the 30 are in his team: his customers'
        ids are read in one query, whatever their number)."""
        self._service_records()
        dashboards = [
            (
                self.env["delivery.dashboard"].with_user(user).with_company(self.dash_company),
                queries,
            )
            for user, queries in ((self.dash_manager, QUERIES), (self.dash_am, AM_QUERIES))
        ]
        with freeze_time(NOW):
            for dashboard, queries in dashboards:
                dashboard.get_dashboard_data("month")
                with self.assertQueryCount(default=queries):
                    dashboard.get_dashboard_data("month")
        customers = self.env["res.partner"].create(
            [
                {
                    "name": f"More {i}",
                    "is_company": True,
                    "is_delivery_customer": True,
                    "customer_state": "active",
                    "company_id": self.dash_company.id,
                    "tier_id": tier.id,
                    "service_team_id": self.team.id,
                }
                for i, tier in enumerate((self.tier_new, self.tier_regular, self.tier_silver) * 10)
            ]
        )
        self.env["delivery.shipment"].create(
            [
                self._shipment_vals(customer, datetime(2026, 3, 3, 8), "late")
                for customer in customers
            ]
        )
        self.env["delivery.shipment.rollup"]._refresh()
        data = {}
        with freeze_time(NOW):
            for dashboard, queries in dashboards:
                dashboard.get_dashboard_data("month")
                with self.assertQueryCount(default=queries):
                    data[queries] = dashboard.get_dashboard_data("month")
        self.assertEqual(self._kpis(data[QUERIES])["on_time_rate"]["whole"], 45)
        self.assertEqual(sum(tier["count"] for tier in data[QUERIES]["tiers"]), 32)
        # the account manager: Mine's 10 and the 30 of his team
        self.assertEqual(self._kpis(data[AM_QUERIES])["on_time_rate"]["whole"], 40)
        self.assertEqual(sum(tier["count"] for tier in data[AM_QUERIES]["tiers"]), 31)

    # ------------------------------------------------------------------ digest
    def _digest(self):
        return (
            self.env.ref("delivery_crm.digest_digest_delivery_crm")
            .with_company(self.dash_company)
            .sudo()
        )

    def test_shipped_digest_is_weekly_for_managers(self):
        digest = self._digest()
        self.assertEqual(digest.periodicity, "weekly")
        self.assertTrue(all(digest[f"kpi_delivery_{key}"] for key in self._kpis_keys()))
        digest._delivery_subscribe_managers()
        self.assertIn(self.dash_manager, digest.user_ids)
        self.assertNotIn(self.dash_am, digest.user_ids)

    def _kpis_keys(self):
        return (
            "satisfaction",
            "complaint_rate",
            "first_response",
            "resolution",
            "on_time_rate",
            "damage_rate",
        )

    def test_digest_values_are_the_dashboard(self):
        self._service_records()
        for user in (self.dash_manager, self.dash_am):
            kpis = self._kpis(self._data(user))
            digest = (
                self._digest()
                .with_user(user)
                .with_context(
                    start_datetime=datetime(2026, 3, 1), end_datetime=datetime(2026, 4, 1)
                )
            )
            for key in self._kpis_keys():
                with self.subTest(user=user.login, kpi=key):
                    self.assertEqual(digest[f"kpi_delivery_{key}_value"], kpis[key]["value"] or 0.0)
                    digest.invalidate_model([f"kpi_delivery_{key}_value"])

    def test_digest_mail_sent_by_the_cron_path(self):
        self._service_records()
        digest = self._digest()
        digest.user_ids = [Command.set([self.dash_manager.id, self.dash_employee.id])]
        self.dash_manager.email = "dash.manager@example.com"
        self.dash_employee.email = "dash.employee@example.com"
        with freeze_time(NOW):
            digest.action_send()
        mails = self.env["mail.mail"].search([("subject", "like", digest.name)])
        to_manager = mails.filtered(lambda mail: "dash.manager" in mail.email_to)
        to_employee = mails.filtered(lambda mail: "dash.employee" in mail.email_to)
        self.assertEqual(len(to_manager), 1)
        # last 30 days (1 March 12:00 to now): the month's 80 % on time
        self.assertIn("Delivery: on-time rate (%)", to_manager.body_html)
        self.assertIn("80.00", to_manager.body_html)
        # an employee outside the CRM gets the digest without the CRM's KPIs
        self.assertEqual(len(to_employee), 1)
        self.assertNotIn("Delivery: on-time rate", to_employee.body_html)
