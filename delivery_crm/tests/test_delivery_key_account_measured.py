from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user

CRON_MEASURES = "delivery_crm.ir_cron_key_account_plan_measures"
CRON_VISITS = "delivery_crm.ir_cron_visit_planning"
CRON_REPORT = "delivery_crm.ir_cron_key_account_report"
CRON_ANNUAL = "delivery_crm.ir_cron_evaluation_annual"


@tagged("post_install", "-at_install")
class TestKeyAccountPlanMeasured(DeliveryCrmCommon):
    """The yearly key-account plan measured (001 §九.2): targets against actuals month by
    month, its frequencies driving the visit cadence and the communication plan, and
    next year's draft prepared after the annual review."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls._new_customer(
            "Measured Key 计量大客户",
            customer_state="active",
            customer_class="key",
            account_manager_id=cls.user_account_manager.id,
            cooperation_start_date=date(2025, 1, 1),
        )
        Shipment = cls.env["delivery.shipment"]
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
                    ("J1", datetime(2026, 1, 10, 4), 600.0, "delivered"),
                    ("J2", datetime(2026, 1, 20, 4), 400.0, "late"),
                    ("J3", datetime(2026, 1, 21, 4), 900.0, "cancelled"),
                    ("M1", datetime(2026, 3, 5, 4), 500.0, "delivered"),
                    ("D1", datetime(2025, 12, 20, 4), 700.0, "delivered"),
                )
            ]
        )
        visit = cls.env["delivery.visit"].create(
            {
                "name": "March review",
                "partner_id": cls.key.id,
                "user_id": cls.user_account_manager.id,
                "content": "<p>Volumes</p>",
                "planned_date": datetime(2026, 3, 10, 4),
            }
        )
        with freeze_time("2026-03-10 05:00:00"):
            visit.action_done()
        with freeze_time("2026-02-12 05:00:00"):
            cls.env["delivery.communication"].with_user(cls.user_account_manager).create(
                {
                    "name": "February call",
                    "partner_id": cls.key.id,
                    "channel": "phone",
                    "content": "Spring volumes",
                }
            )

    def _plan(self, year=2026, approve=True, **vals):
        plan = (
            self.env["delivery.key.account.plan"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "partner_id": self.key.id,
                    "year": year,
                    "volume_target": 120,
                    "revenue_target": 12000.0,
                    "visit_frequency": "monthly",
                    "communication_frequency": "weekly",
                    **vals,
                }
            )
        )
        if approve:
            plan.with_user(self.user_manager).action_approve()
        return plan

    # ------------------------------------------------------------------ measured
    def test_months_measured_through_the_cron(self):
        plan = self._plan()
        self.assertEqual((plan.visit_target, plan.communication_target), (12, 52))
        with freeze_time("2026-03-20 08:00:00"):
            self._run_cron(CRON_MEASURES)
        lines = plan.month_ids
        self.assertEqual(len(lines), 12)
        by_month = {line.month.month: line for line in lines}
        january, february, march = by_month[1], by_month[2], by_month[3]
        # not the cancelled one, not December 2025
        self.assertEqual((january.deliveries, january.revenue), (2, 1000.0))
        self.assertEqual(february.communications, 1)
        self.assertEqual((march.deliveries, march.revenue, march.visits), (1, 500.0, 1))
        self.assertEqual((march.deliveries_cumul, march.revenue_cumul), (3, 1500.0))
        self.assertEqual(march.deliveries_percent, 2.5)  # 3 of 120
        self.assertEqual(march.revenue_percent, 12.5)  # 1,500 of 12,000
        self.assertEqual(march.visits_percent, 8.3)  # 1 of 12
        self.assertEqual(march.communications_percent, 1.9)  # 1 of 52
        self.assertEqual(
            (plan.deliveries_actual, plan.revenue_actual, plan.visits_actual), (3, 1500.0, 1)
        )
        self.assertEqual(plan.communications_actual, 1)
        self.assertEqual(plan.revenue_percent, 12.5)
        # a second run changes nothing
        with freeze_time("2026-03-21 08:00:00"):
            self._run_cron(CRON_MEASURES)
        self.assertEqual(len(plan.month_ids), 12)
        self.assertEqual(plan.revenue_actual, 1500.0)
        # read as the plan: its account manager, the managers; not other staff, nobody
        # writes them
        Month = self.env["delivery.key.account.plan.month"]
        self.assertEqual(
            Month.with_user(self.user_account_manager).search([("plan_id", "=", plan.id)]),
            lines,
        )
        outsider = new_user(self.env, "account_manager", "dcrm_ka_outsider", "Other AM")
        self.assertFalse(Month.with_user(outsider).search([("plan_id", "=", plan.id)]))
        with self.assertRaises(AccessError):
            march.with_user(self.user_manager).write({"revenue": 1.0})

    def test_monthly_report_shows_the_plan_to_date(self):
        self._plan()
        with freeze_time("2026-04-02 02:00:00"):
            self._run_cron(CRON_REPORT)
        report = self.env["delivery.key.account.report"].search(
            [("company_id", "=", self.company.id), ("month", "=", date(2026, 3, 1))]
        )
        body = str(report.body_html)
        self.assertIn("Yearly plan to date", body)
        self.assertIn("revenue 12 %", body)  # 1,500 of 12,000 to the end of March
        rows = self.env["delivery.key.account.report"]._key_customer_rows(
            self.company, date(2026, 3, 1)
        )
        row = next(r for r in rows if r["partner"] == self.key)
        self.assertEqual(row["plan"].revenue_cumul, 1500.0)

    # ------------------------------------------------------------------ cadence
    def test_plan_visit_frequency_drives_the_cadence(self):
        tier_days = self.key.tier_id.visit_interval_days
        with freeze_time("2026-03-20 08:00:00"):
            self.env.invalidate_all()
            last = self.key.last_visit_date
            self.assertEqual(last, date(2026, 3, 10))
            expected = last + timedelta(days=tier_days) if tier_days else False
            self.assertEqual(self.key.next_visit_due, expected)
            # a draft plan, or one of another year, changes nothing
            self._plan(visit_frequency="weekly", approve=False)
            self._plan(year=2027, visit_frequency="weekly")
            self.env.invalidate_all()
            self.assertEqual(self.key.next_visit_due, expected)
        # the approved plan of the year: weekly visits
        plan = self.env["delivery.key.account.plan"].search(
            [("partner_id", "=", self.key.id), ("year", "=", 2026)]
        )
        plan.with_user(self.user_manager).action_approve()
        with freeze_time("2026-03-20 08:00:00"):
            self.env.invalidate_all()
            self.assertEqual(self.key.next_visit_due, date(2026, 3, 17))
            Partner = self.env["res.partner"]
            self.assertIn(self.key, Partner.search([("next_visit_due", "<", "2026-03-18")]))
            self.assertNotIn(self.key, Partner.search([("next_visit_due", ">", "2026-03-18")]))
            # the planning cron plans the visit the plan calls for
            self._run_cron(CRON_VISITS)
        cadence = self.key.visit_ids.filtered(lambda v: v.origin == "cadence")
        self.assertEqual(len(cadence), 1)
        self.assertEqual(cadence.user_id, self.user_account_manager)

    def test_plan_communication_frequency_drives_the_communication_plan(self):
        with freeze_time("2026-03-20 08:00:00"):
            plan = self._plan()
        contact_plan = plan.communication_plan_ids
        self.assertEqual(len(contact_plan), 1)
        self.assertEqual((contact_plan.interval_number, contact_plan.interval_unit), (1, "weeks"))
        self.assertEqual(contact_plan.user_id, self.user_account_manager)
        self.assertEqual(contact_plan.next_date, date(2026, 3, 20))
        with freeze_time("2026-03-20 08:00:00"):
            self._run_cron(CRON_VISITS)
        self.assertTrue(contact_plan.activity_id)
        # a reset plan approved again with another frequency updates the same plan
        plan.with_user(self.user_manager).action_reset_to_draft()
        plan.with_user(self.user_account_manager).communication_frequency = "monthly"
        plan.with_user(self.user_manager).action_approve()
        self.assertEqual(plan.communication_plan_ids, contact_plan)
        self.assertEqual(contact_plan.interval_unit, "months")
        # the plan's year over: the measuring cron stops the communication plan
        with freeze_time("2027-01-03 08:00:00"):
            self._run_cron(CRON_MEASURES)
        self.assertFalse(contact_plan.active)

    def test_next_years_plan_leaves_this_years_contacts_running(self):
        """task fix16: next year's plan approved in December makes its own communication
        plan; this year's keeps running to the year end and stops with the yearly run."""
        with freeze_time("2026-03-20 08:00:00"):
            plan = self._plan()
        current = plan.communication_plan_ids
        with freeze_time("2026-12-05 08:00:00"):
            following = self._plan(year=2027, communication_frequency="monthly")
        self.assertTrue(current.active, "December keeps its contact rhythm")
        upcoming = following.communication_plan_ids
        self.assertEqual(len(upcoming), 1)
        self.assertEqual(upcoming.next_date, date(2027, 1, 1))
        with freeze_time("2027-01-03 08:00:00"):
            self._run_cron(CRON_MEASURES)
        self.assertFalse(current.active)
        self.assertTrue(upcoming.active)

    # ------------------------------------------------------------------ next year
    def test_annual_review_prepares_next_years_draft(self):
        plan = self._plan(
            objectives="<p>Grow the cold chain</p>", communication_frequency="monthly"
        )
        self.company.delivery_key_account_growth_percent = 10.0
        with freeze_time("2027-01-05 01:00:00"):
            self._run_cron(CRON_ANNUAL)
            self._run_cron(CRON_ANNUAL)  # a second run prepares nothing more
        drafts = self.env["delivery.key.account.plan"].search(
            [("partner_id", "=", self.key.id), ("year", "=", 2027)]
        )
        self.assertEqual(len(drafts), 1)
        self.assertEqual(drafts.state, "draft")
        self.assertEqual(drafts.volume_target, 3)  # 3 deliveries in 2026, + 10 %
        self.assertEqual(drafts.revenue_target, 1650.0)  # 1,500 + 10 %
        self.assertEqual(drafts.visit_frequency, "monthly")
        self.assertEqual(drafts.communication_frequency, "monthly")
        self.assertIn("cold chain", str(drafts.objectives))
        self.assertEqual(drafts.user_id, self.user_account_manager)
        self.assertEqual(drafts.evaluation_id.period_start, date(2026, 1, 1))
        activity = drafts.activity_ids
        self.assertEqual(activity.user_id, self.user_account_manager)
        self.assertIn("2027", activity.summary)
        self.assertEqual(plan.state, "approved")
        # the account manager completes it; a manager approves it and the activity closes
        drafts.with_user(self.user_account_manager).revenue_target = 2000.0
        drafts.with_user(self.user_manager).action_approve()
        self.assertFalse(drafts.activity_ids)

    def test_growth_setting_is_checked(self):
        with self.assertRaises(ValidationError):
            self.company.delivery_key_account_growth_percent = -150.0
        self.assertEqual(self.company.delivery_key_account_growth_percent, 10.0)
