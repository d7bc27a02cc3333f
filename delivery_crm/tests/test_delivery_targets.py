from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DeliveryCrmCommon

SURVEY_CRON = "delivery_crm.ir_cron_satisfaction_survey"
MARCH = date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestServiceTargets(DeliveryCrmCommon):
    """One set of targets (003 §1.2, §八; R8): company settings read by the reports,
    the dashboard, the SLA fallback and the evaluation scheme; one definition of each
    rate. The company works in Asia/Shanghai (UTC+8)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.admin = cls.env.ref("base.user_admin")
        cls.customer = cls._new_customer(
            "Target Co 目标公司",
            customer_state="active",
            customer_class="general",
            account_manager_id=cls.user_account_manager.id,
            email="orders@target.example.com",
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Zhou Min 周敏", "parent_id": cls.customer.id, "email": "zm@example.com"}
        )

    # ------------------------------------------------------------------ helpers
    def _save_settings(self, **values):
        """Save the settings form as the administrator does (then read the reports
        afresh, as the next request of the web client does)."""
        self.env["res.config.settings"].with_user(self.admin).create(values).execute()
        self.env.flush_all()
        self.env.invalidate_all()

    def _ship(self, when, outcome="delivered", partner=None, name=None):
        partner = partner or self.customer
        return self.env["delivery.shipment"].create(
            {
                "name": name or f"T-{partner.id}-{when.isoformat()}-{outcome}",
                "partner_id": partner.id,
                "company_id": self.company.id,
                "date": when,
                "outcome": outcome,
            }
        )

    def _complaint(self, when):
        return (
            self.env["delivery.complaint"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "subject": "Late again",
                    "contact_id": self.contact.id,
                    "type_id": self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
                    "received_date": when,
                }
            )
        )

    def _rate_row(self, month=MARCH):
        # the report reads the deliveries counted by the hourly job: run it, as the
        # hour passes
        self._run_cron("delivery_crm.ir_cron_shipment_rollup_refresh")
        return (
            self.env["delivery.complaint.rate.report"]
            .with_user(self.user_manager)
            .search([("month", "=", month), ("company_id", "=", self.company.id)])
        )

    def _trend_row(self, month):
        self.env.flush_all()
        self.env.invalidate_all()
        return (
            self.env["delivery.satisfaction.trend.report"]
            .with_user(self.user_manager)
            .search([("month", "=", month), ("company_id", "=", self.company.id)])
        )

    # ------------------------------------------------------------------ settings
    def test_default_targets_are_the_policy(self):
        """003 §1.2: satisfaction 90 % or more, complaint rate under 5 %, a first answer
        within 2 hours and a solution within 24 hours; on-time rate 90 %."""
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertEqual(
            (
                settings.delivery_target_satisfaction,
                settings.delivery_target_complaint_rate,
                settings.delivery_target_first_response_hours,
                settings.delivery_target_resolution_hours,
                settings.delivery_target_on_time_rate,
            ),
            (90.0, 5.0, 2.0, 24.0, 90.0),
        )

    def test_out_of_range_targets_are_refused(self):
        before = self.company.read(
            ["delivery_target_satisfaction", "delivery_target_resolution_hours"]
        )
        for values in (
            {"delivery_target_satisfaction": 0.0},
            {"delivery_target_satisfaction": 120.0},
            {"delivery_target_complaint_rate": -1.0},
            {"delivery_target_on_time_rate": 101.0},
            {"delivery_target_first_response_hours": 0.0},
            {"delivery_target_first_response_hours": 30.0},  # longer than the solution
            {"delivery_risk_window_days": 0},
            {"delivery_risk_falling_percent": 0.0},
            {"delivery_risk_complaint_count": 0},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self._save_settings(
                    **{
                        "delivery_target_satisfaction": 95.0,
                        "delivery_target_resolution_hours": 12.0,
                        **values,
                    }
                )
            self.assertIn(self.company.name, str(caught.exception))
        # nothing was written, not even the valid values saved with the wrong one
        self.company.invalidate_recordset()
        self.assertEqual(
            self.company.read(["delivery_target_satisfaction", "delivery_target_resolution_hours"]),
            before,
        )

    # ------------------------------------------------------------------ complaint rate
    def test_complaint_rate_counts_deliveries_not_cancelled(self):
        """complaints ÷ deliveries not cancelled, as the evaluation computes it (a month
        without demo data)."""
        month = date(2020, 3, 1)
        for day in (3, 4, 5):
            self._ship(datetime(2020, 3, day, 2))
        self._ship(datetime(2020, 3, 6, 2), outcome="cancelled")
        self._complaint(datetime(2020, 3, 10, 2))
        row = self._rate_row(month)
        self.assertEqual((row.complaint_count, row.delivery_count), (1, 3))
        self.assertEqual(row.complaint_rate, 33.33)
        self.assertTrue(row.above_target)
        raw = self.env["delivery.evaluation"]._compute_raw(
            self.customer, "monthly", month, "Asia/Shanghai"
        )[self.customer.id]
        self.assertEqual((raw["complaint_count"], raw["delivery_count"]), (1, 3))
        self.assertEqual(row.complaint_rate, round(raw["complaint_rate"], 2))

    def test_complaint_rate_months_of_the_company_time_zone(self):
        march, april = date(2020, 3, 1), date(2020, 4, 1)
        # 29 February 17:00 UTC is 1 March 01:00 in Shanghai: a March complaint
        complaint = self._complaint(datetime(2020, 2, 29, 17))
        # 31 March 17:00 UTC is 1 April in Shanghai: an April delivery
        self._ship(datetime(2020, 3, 31, 17))
        self.assertFalse(self._rate_row(date(2020, 2, 1)))
        row = self._rate_row(march)
        self.assertEqual((row.complaint_count, row.delivery_count), (1, 0))
        row = self._rate_row(april)
        self.assertEqual((row.complaint_count, row.delivery_count, row.complaint_rate), (0, 1, 0.0))
        complaint.with_user(self.user_manager).action_archive()  # registered by mistake
        self.assertFalse(self._rate_row(march))

    def test_complaint_rate_target_is_the_setting(self):
        # one complaint for 25 deliveries, in a month of no demo data: 4 %
        month = date(2020, 5, 1)
        for day in range(1, 26):
            self._ship(datetime(2020, 5, day, 2))
        self._complaint(datetime(2020, 5, 20, 2))
        row = self._rate_row(month)
        self.assertEqual((row.complaint_count, row.delivery_count), (1, 25))
        self.assertEqual(row.complaint_rate, 4.0)
        self.assertEqual(row.target_rate, 5.0)
        self.assertFalse(row.above_target)  # 4 % is below 5 %
        self._save_settings(delivery_target_complaint_rate=4.0)
        row = self._rate_row(month)
        self.assertEqual(row.target_rate, 4.0)
        self.assertTrue(row.above_target)  # "below 4 %" is not met by 4 %

    def test_complaint_rate_without_deliveries_is_no_data(self):
        month = date(2020, 6, 1)
        self._complaint(datetime(2020, 6, 3, 2))
        row = self._rate_row(month)
        self.assertEqual((row.complaint_count, row.delivery_count), (1, 0))
        self.assertFalse(row.above_target)
        self.env.flush_all()
        [(rate,)] = (
            self.env["delivery.complaint.rate.report"]
            .with_user(self.user_manager)
            ._read_group(
                [("month", "=", month), ("company_id", "=", self.company.id)],
                aggregates=["complaint_rate:avg"],
            )
        )
        self.assertIs(rate, False)  # NULL: no rate at all, not 0.0 %

    # ------------------------------------------------------------------ satisfaction
    def _answer_survey(self, scores, when):
        """The customer answers its survey of the quarter as the survey's web form
        does (``scores``: the four rated questions)."""
        survey = self.env.ref("delivery_crm.survey_customer_satisfaction")
        questions = survey.question_ids.filtered(
            lambda q: q.question_type == "simple_choice"
        ).sorted("sequence")
        invitation = self.env["delivery.survey.invitation"].search(
            [("partner_id", "=", self.customer.id)], order="period_start desc", limit=1
        )
        answer = invitation.user_input_id
        for question, score in zip(questions, scores, strict=True):
            choice = question.suggested_answer_ids.filtered(lambda a, s=score: a.answer_score == s)
            answer._save_lines(question, choice.id)
        with freeze_time(when):
            answer._mark_done()
        return invitation

    def test_satisfaction_trend_counts_surveys_as_the_evaluation(self):
        month = date(2031, 4, 1)
        with freeze_time("2031-04-02 02:00:00"):
            self._run_cron(SURVEY_CRON)
        # average 4.5: satisfied, completed on 10 April (Shanghai)
        self._answer_survey((5, 4, 4, 5), "2031-04-10 02:00:00")
        # and a return visit scored 2 the same month
        visit = self.env["delivery.visit"].create(
            {
                "name": "Return visit",
                "partner_id": self.customer.id,
                "visit_type": "return",
                "content": "<p>x</p>",
                "satisfaction_score": "2",
                "planned_date": datetime(2031, 4, 12, 2),
            }
        )
        with freeze_time("2031-04-12 03:00:00"):
            visit.action_done()
        row = self._trend_row(month)
        self.assertEqual((row.answer_count, row.satisfied_count), (2, 1))
        self.assertEqual(row.satisfaction, 50.0)
        self.assertTrue(row.below_target)
        # the evaluation counts the same answers
        bounds = self.env["delivery.evaluation"]._period_bounds("monthly", month, "Asia/Shanghai")
        self.assertEqual(
            self.env["delivery.evaluation"]._get_satisfaction_data(
                self.customer.ids, bounds["start"], bounds["end"]
            ),
            {self.customer.id: (50.0, 2)},
        )

    def test_satisfaction_target_is_the_setting(self):
        month = date(2031, 7, 1)
        visits = self.env["delivery.visit"].create(
            [
                {
                    "name": f"R{score}",
                    "partner_id": self.customer.id,
                    "visit_type": "return",
                    "content": "<p>x</p>",
                    "satisfaction_score": score,
                    "planned_date": datetime(2031, 7, 2),
                }
                for score in ("5", "4", "4", "2")
            ]
        )
        with freeze_time("2031-07-06 03:00:00"):
            visits.action_done()
        row = self._trend_row(month)
        self.assertEqual((row.satisfaction, row.target), (75.0, 90.0))
        self.assertTrue(row.below_target)
        self._save_settings(delivery_target_satisfaction=75.0)
        row = self._trend_row(month)
        self.assertEqual(row.target, 75.0)
        self.assertFalse(row.below_target)  # "at least 75 %" is met by 75 %

    # ------------------------------------------------------------------ SLA, schemes
    def test_sla_fallback_is_the_targets(self):
        """A request no policy or tier covers gets the company's first-response and
        solution targets as its SLA."""
        self._save_settings(
            delivery_target_first_response_hours=3.0, delivery_target_resolution_hours=20.0
        )
        received = datetime(2026, 3, 2, 10, 0)
        inquiry = (
            self.env["delivery.complaint"]
            .with_user(self.user_staff)
            .create(
                {
                    "subject": "Where is my parcel?",
                    "request_type": "inquiry",
                    "email_from": "walk-in@example.com",
                    "received_date": received,
                }
            )
        )
        self.assertFalse(inquiry.tier_id)
        self.assertEqual((inquiry.sla_response_hours, inquiry.sla_resolution_hours), (3.0, 20.0))
        self.assertEqual(inquiry.sla_response_deadline, datetime(2026, 3, 2, 13, 0))
        self.assertEqual(inquiry.sla_resolution_deadline, datetime(2026, 3, 3, 6, 0))

    def test_new_scheme_defaults_are_the_targets(self):
        self._save_settings(
            delivery_target_satisfaction=85.0,
            delivery_target_complaint_rate=3.0,
            delivery_target_on_time_rate=95.0,
        )
        Scheme = self.env["delivery.evaluation.scheme"].with_user(self.user_manager)
        defaults = Scheme.default_get(
            ["satisfaction_target", "complaint_rate_target", "on_time_target"]
        )
        self.assertEqual(
            defaults,
            {"satisfaction_target": 85.0, "complaint_rate_target": 3.0, "on_time_target": 95.0},
        )

    # ------------------------------------------------------------------ customers at risk
    def test_risk_signs_are_settings(self):
        Shipment = self.env["delivery.shipment"]
        now = datetime.now().replace(microsecond=0)
        at_risk = self.env["delivery.customer.risk.report"].with_user(self.user_manager)
        customer = self._new_customer("Slower 变慢", customer_state="active")
        Shipment.create(
            [
                {
                    "name": f"W{days}",
                    "partner_id": customer.id,
                    "date": now - timedelta(days=days),
                    "revenue": revenue,
                }
                for days, revenue in ((50, 1000.0), (10, 850.0))
            ]
        )
        self._run_cron("delivery_crm.ir_cron_customer_risk_refresh")
        # windows of 90 days: both deliveries in the last window, nothing before
        self.assertFalse(at_risk.search([("partner_id", "=", customer.id)]))
        # windows of 30 days: 850 against 1000 (85 %), at risk below 90 %
        self._save_settings(delivery_risk_window_days=30, delivery_risk_falling_percent=90.0)
        row = at_risk.search([("partner_id", "=", customer.id)])
        self.assertTrue(row.falling_volume)
        self.assertEqual(row.revenue_change, -15.0)
        self._save_settings(delivery_risk_falling_percent=80.0)
        self.assertFalse(at_risk.search([("partner_id", "=", customer.id)]))
        # one complaint is "repeated" from one
        self.env["delivery.complaint"].create(
            {
                "subject": "Broken",
                "partner_id": customer.id,
                "type_id": self.env.ref("delivery_crm.delivery_complaint_type_damage").id,
            }
        )
        self._run_cron("delivery_crm.ir_cron_customer_risk_refresh")
        self.assertFalse(at_risk.search([("partner_id", "=", customer.id)]))  # from 2
        self._save_settings(delivery_risk_complaint_count=1)
        self.env.flush_all()
        self.assertTrue(at_risk.search([("partner_id", "=", customer.id)]).repeated_complaints)
