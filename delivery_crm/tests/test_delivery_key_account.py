from datetime import date, datetime

from freezegun import freeze_time
from lxml import html
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DeliveryCrmCommon

CRON = "delivery_crm.ir_cron_key_account_report"
MARCH = date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestDeliveryKeyAccount(DeliveryCrmCommon):
    """Key customers (R11; 001 §四.2, §九.2): the monthly analysis report mailed to the
    managers and the yearly key-account plan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # months are those of the company's time zone
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.key = cls._new_customer(
            "Key Logistics 重点物流",
            customer_state="active",
            customer_class="key",
            account_manager_id=cls.user_account_manager.id,
        )
        cls.key_quiet = cls._new_customer(
            "Quiet Key 安静客户",
            customer_state="active",
            customer_class="key",
            account_manager_id=cls.user_account_manager.id,
        )
        cls.general = cls._new_customer(
            "General Co 普通客户",
            customer_state="active",
            customer_class="general",
            account_manager_id=cls.user_account_manager.id,
        )
        cls.key.sudo().write(
            {
                "kpi_date": date(2026, 2, 1),
                "kpi_score": 72.5,
                "kpi_satisfaction": 85.0,
                "kpi_complaint_rate": 2.0,
                "kpi_on_time_rate": 96.0,
            }
        )
        Shipment = cls.env["delivery.shipment"]
        # March 2026 in Shanghai: [2026-02-28 16:00, 2026-03-31 16:00) UTC
        Shipment.create(
            [
                {
                    "name": name,
                    "partner_id": cls.key.id,
                    "date": when,
                    "revenue": revenue,
                    "outcome": outcome,
                }
                for name, when, revenue, outcome in (
                    ("M1", datetime(2026, 3, 3, 2), 100.0, "delivered"),
                    ("M2", datetime(2026, 3, 10, 2), 50.0, "late"),
                    ("M3", datetime(2026, 3, 31, 15), 20.0, "damaged"),  # 31 March, 23:00
                    ("M4", datetime(2026, 3, 12, 2), 999.0, "cancelled"),
                    ("F1", datetime(2026, 2, 28, 15), 400.0, "delivered"),  # 28 February
                    ("A1", datetime(2026, 3, 31, 16), 300.0, "delivered"),  # 1 April
                )
            ]
        )
        Shipment.create(
            {"name": "G1", "partner_id": cls.general.id, "date": datetime(2026, 3, 3), "revenue": 5}
        )
        complaint_type = cls.env.ref("delivery_crm.delivery_complaint_type_delay")
        cls.env["delivery.complaint"].create(
            [
                {
                    "subject": subject,
                    "partner_id": cls.key.id,
                    "request_type": request_type,
                    "type_id": complaint_type.id if request_type == "complaint" else False,
                    "received_date": received,
                }
                for subject, request_type, received in (
                    ("Late parcel", "complaint", datetime(2026, 3, 11, 2)),
                    ("Price list?", "inquiry", datetime(2026, 3, 20, 2)),
                    ("Earlier", "complaint", datetime(2026, 2, 11, 2)),
                )
            ]
        )
        visit = cls.env["delivery.visit"].create(
            {
                "name": "Quarterly review",
                "partner_id": cls.key.id,
                "content": "<p>Volumes for the coming quarter</p>",
                "planned_date": datetime(2026, 3, 18, 2),
            }
        )
        visit.action_done()

    # ------------------------------------------------------------------ helpers
    def _report(self, month=MARCH):
        return self.env["delivery.key.account.report"].search(
            [("company_id", "=", self.company.id), ("month", "=", month)]
        )

    def _send_on(self, day):
        with freeze_time(f"{day} 02:00:00"):  # 10:00 in Shanghai
            self._run_cron(CRON)

    def _row(self, rows, partner):
        return next(row for row in rows if row["partner"] == partner)

    # ------------------------------------------------------------------ monthly report
    def test_figures_of_the_month(self):
        rows = self.env["delivery.key.account.report"]._key_customer_rows(self.company, MARCH)
        partners = [row["partner"] for row in rows]
        self.assertIn(self.key, partners)
        self.assertIn(self.key_quiet, partners)
        self.assertNotIn(self.general, partners)
        row = self._row(rows, self.key)
        self.assertEqual(row["deliveries"], 3)  # not cancelled, not February, not April
        self.assertEqual(row["revenue"], 170.0)
        self.assertEqual(row["exceptions"], 2)  # late + damaged
        self.assertAlmostEqual(row["on_time_rate"], 100.0 / 3)
        self.assertEqual((row["complaints"], row["requests"]), (1, 1))
        self.assertAlmostEqual(row["complaint_rate"], 100.0 / 3)
        self.assertEqual(row["last_visit_date"], date(2026, 3, 18))
        self.assertEqual(row["tier"], self.key.tier_id.display_name)
        self.assertEqual(row["score"], 72.5)  # of the latest evaluation
        self.assertIsNone(row["satisfaction"])  # no answer this month
        # complaint rate 33 % (not under 5 %), on time 33 % (not 90 %)
        self.assertEqual(row["misses"], {"complaint_rate", "on_time_rate"})
        self.assertTrue(row["alert"])
        quiet = self._row(rows, self.key_quiet)
        self.assertEqual((quiet["deliveries"], quiet["revenue"], quiet["complaints"]), (0, 0, 0))
        self.assertIsNone(quiet["score"])  # not evaluated yet
        self.assertEqual(
            (quiet["on_time_rate"], quiet["complaint_rate"], quiet["satisfaction"]),
            (None, None, None),
        )
        self.assertFalse(quiet["alert"])  # no data is not below a target

    def test_report_mailed_to_managers_once_a_month(self):
        self._send_on("2026-04-02")
        self._send_on("2026-04-02")  # the cron runs daily: nothing more
        self._send_on("2026-04-20")
        report = self._report()
        self.assertEqual(len(report), 1)
        self.assertEqual(report.state, "sent")
        self.assertIn(self.user_manager.partner_id, report.recipient_ids)
        self.assertNotIn(self.user_account_manager.partner_id, report.recipient_ids)
        rows = self.env["delivery.key.account.report"]._key_customer_rows(self.company, MARCH)
        self.assertEqual(report.customer_count, len(rows))
        # the kept body shows the customer's figures of the month
        body = str(report.body_html)
        self.assertIn("Key Logistics", body)
        self.assertIn("170.00", body)
        self.assertNotIn("General Co", body)
        messages = report.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(messages), 1)
        self.assertIn(self.user_manager.partner_id, messages.partner_ids)
        self.assertNotIn(self.user_account_manager.partner_id, messages.partner_ids)
        self.assertIn("key customers of March 2026", messages.subject)
        self.assertIn("Key Logistics", str(messages.body))
        # the next month: the April report
        self._send_on("2026-05-01")
        self.assertEqual(len(self._report(date(2026, 4, 1))), 1)
        self.assertEqual(len(self._report()), 1)

    def test_one_report_per_company_and_month(self):
        self._send_on("2026-04-02")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["delivery.key.account.report"].sudo().create(
                {"company_id": self.company.id, "month": MARCH}
            )
            self.env.flush_all()

    def test_reports_are_for_managers(self):
        self._send_on("2026-04-02")
        report = self._report()
        self.assertTrue(report.with_user(self.user_manager).body_html)
        with self.assertRaises(AccessError):
            report.with_user(self.user_account_manager).read(["body_html"])
        with self.assertRaises(AccessError):
            report.with_user(self.user_manager).write({"state": "draft"})

    def _body_rows(self, report):
        """{customer name: (highlighted, cell texts)} of the report's table."""
        rows = {}
        for tr in html.fromstring(str(report.body_html)).xpath("//tbody/tr"):
            cells = [" ".join(td.text_content().split()) for td in tr.xpath("td")]
            rows[cells[0]] = ("FCEBEB" in (tr.get("style") or ""), cells)
        return rows

    def test_no_data_is_never_below_target(self):
        """The month's evaluation finds no satisfaction answer and no delivery for the
        quiet key customer: the report shows "No data" and does not flag it."""
        with freeze_time("2026-04-01 02:00:00"):
            self._run_cron("delivery_crm.ir_cron_evaluation_monthly")
        self.assertEqual(self.key_quiet.kpi_date, date(2026, 3, 31))  # evaluated
        self._send_on("2026-04-02")
        rows = self._body_rows(self._report())
        highlighted, cells = rows[self.key_quiet.name]
        self.assertFalse(highlighted)
        self.assertIn("No data", cells)
        self.assertNotIn("0.0", cells)
        # the key customer misses the complaint-rate (1 of 3: 33 %) and on-time targets
        highlighted, cells = rows[self.key.name]
        self.assertTrue(highlighted)
        self.assertIn("33.3", cells)

    def test_targets_are_the_settings(self):
        self.env["res.config.settings"].with_user(self.env.ref("base.user_admin")).create(
            {"delivery_target_complaint_rate": 40.0, "delivery_target_on_time_rate": 30.0}
        ).execute()
        self._send_on("2026-04-02")
        report = self._report()
        highlighted, _cells = self._body_rows(report)[self.key.name]
        self.assertFalse(highlighted)  # 33 % is below 40 %, on time 33 % reaches 30 %
        self.assertIn("under 40%", str(report.body_html))

    # ------------------------------------------------------------------ plans
    def _plan(self, user=None, **vals):
        return (
            self.env["delivery.key.account.plan"]
            .with_user(user or self.user_account_manager)
            .create(
                {
                    "partner_id": self.key.id,
                    "year": 2027,
                    "objectives": "<p>Grow the cooperation by 10 %</p>",
                    "volume_target": 1200,
                    "revenue_target": 250000.0,
                    "visit_frequency": "monthly",
                    "communication_frequency": "weekly",
                    **vals,
                }
            )
        )

    def test_plan_defaults_and_review(self):
        evaluation = self.env["delivery.evaluation"].create(
            {
                "partner_id": self.key.id,
                "company_id": self.company.id,
                "period_type": "annual",
                "period_start": date(2026, 1, 1),
                "period_end": date(2026, 12, 31),
                "total_score": 81.0,
            }
        )
        plan = self._plan()
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.user_id, self.user_account_manager)  # the account manager
        self.assertEqual(plan.evaluation_id, evaluation)  # the review of 2026
        self.assertEqual(plan.evaluation_score, 81.0)
        self.assertEqual(plan.display_name, "2027 plan of Key Logistics 重点物流")
        # no review of 2025 for a 2026 plan
        self.assertFalse(self._plan(year=2026).evaluation_id)

    def test_plan_unique_per_customer_and_year(self):
        self._plan()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._plan()
            self.env.flush_all()

    def test_plan_for_key_customers_only(self):
        with self.assertRaises(ValidationError):
            self._plan(partner_id=self.general.id)

    def test_plan_approved_by_a_manager(self):
        plan = self._plan()
        # staff draft the plan but cannot approve it
        with self.assertRaises(AccessError):
            plan.action_approve()
        with self.assertRaises(AccessError):
            plan.write({"state": "approved"})
        with self.assertRaises(AccessError):
            self._plan(year=2028, state="approved")
        self.assertEqual(plan.state, "draft")
        plan.write({"volume_target": 1300})
        # a manager approves it: it is locked
        plan.with_user(self.user_manager).action_approve()
        self.assertEqual(plan.state, "approved")
        self.assertEqual(plan.approved_by_id, self.user_manager)
        with self.assertRaises(UserError):
            plan.write({"revenue_target": 1.0})
        with self.assertRaises(UserError):
            plan.with_user(self.user_manager).write({"revenue_target": 1.0})
        with self.assertRaises(UserError):
            plan.with_user(self.user_manager).action_approve()
        with self.assertRaises(AccessError):
            plan.action_reset_to_draft()
        # reset to draft by a manager: it can be changed again
        plan.with_user(self.user_manager).action_reset_to_draft()
        self.assertEqual((plan.state, plan.approved_by_id), ("draft", self.env["res.users"]))
        plan.write({"revenue_target": 260000.0})
        self.assertEqual(plan.revenue_target, 260000.0)

    def test_staff_cannot_delete_plans(self):
        plan = self._plan()
        with self.assertRaises(AccessError):
            plan.unlink()
        plan.with_user(self.user_manager).unlink()
        self.assertFalse(plan.exists())
