from datetime import datetime

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DeliveryCrmCommon

CRON_SAMPLES = "delivery_crm.ir_cron_sampled_return_visits"
CRON_VISITS = "delivery_crm.ir_cron_plan_visits"
CRON_QUARTERLY = "delivery_crm.ir_cron_evaluation_quarterly"
NOW = "2026-10-10 09:00:00"


@tagged("post_install", "-at_install")
class TestReturnVisitSampling(DeliveryCrmCommon):
    """Return visits after a sample of the ordinary deliveries of existing customers
    (003 §7.1; issue 15 item 5), planned by the shipped daily cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "UTC"
        cls.env.company.delivery_return_visit_delay_days = 3
        Shipment = cls.env["delivery.shipment"]

        def customer(name, old_delivery=True, state="active"):
            partner = cls._new_customer(
                name,
                customer_state=state,
                customer_class="general",
                account_manager_id=cls.user_account_manager.id,
                cooperation_start_date="2025-01-01",
            )
            deliveries = [datetime(2026, 10, 5, 8), datetime(2026, 10, 6, 8)]
            if old_delivery:
                deliveries.append(datetime(2026, 6, 1, 8))
            Shipment.create(
                [
                    {
                        "name": f"S-{partner.id}-{i}",
                        "partner_id": partner.id,
                        "date": when,
                        "delivered_datetime": when.replace(hour=12),
                    }
                    for i, when in enumerate(deliveries)
                ]
            )
            return partner

        cls.regular_1 = customer("Regular one 老客户一")
        cls.regular_2 = customer("Regular two 老客户二")
        # a new customer: its first deliveries get their own return visit
        cls.newcomer = customer("Newcomer 新客户", old_delivery=False)
        cls.prospect = customer("Prospect 潜在客户", state="potential")
        # an existing customer whose first-delivery return visit is still planned
        cls.first_visited = customer("First visited 首次回访")
        cls.env["delivery.visit"]._propose_return_visit(
            cls.first_visited,
            cls.user_account_manager,
            "first_delivery",
            "Return visit after the first deliveries",
        )
        cls.customers = (
            cls.regular_1 | cls.regular_2 | cls.newcomer | cls.prospect | cls.first_visited
        )
        cls._give_tier(cls.customers, cls.tier_silver)

    def _sampled(self):
        return self.env["delivery.visit"].search(
            [("origin", "=", "delivery_sample"), ("partner_id", "in", self.customers.ids)]
        )

    def _set_rate(self, rate):
        self.tier_silver.with_user(self.user_manager).return_visit_sample_rate = rate

    def test_rate_zero_plans_nothing(self):
        self._set_rate(0.0)
        with freeze_time(NOW):
            self._run_cron(CRON_SAMPLES)
        self.assertFalse(self._sampled())

    def test_full_rate_plans_one_per_eligible_customer_once(self):
        """At 100 % every eligible customer gets one return visit (one, whatever its
        number of deliveries), for its account manager, linked to a delivery of the
        window; a second run the same day, and a run the next day, plan nothing new.
        Prospects, new customers and those with a planned first-delivery return
        visit are left out."""
        self._set_rate(100.0)
        with freeze_time(NOW):
            self._run_cron(CRON_SAMPLES)
            visits = self._sampled()
            self.assertEqual(visits.partner_id, self.regular_1 | self.regular_2)
            self.assertEqual(len(visits), 2)
            for visit in visits:
                self.assertEqual(visit.visit_type, "return")
                self.assertEqual(visit.user_id, self.user_account_manager)
                self.assertEqual(visit.shipment_id.partner_id, visit.partner_id)
                # delivered 5 or 6 October: 3 days (the company's delay) before or more
                self.assertIn(visit.shipment_id.delivered_datetime.day, (5, 6))
                self.assertTrue(visit.activity_ids, "the account manager is reminded")
            self._run_cron(CRON_SAMPLES)
            self.assertEqual(self._sampled(), visits)
        with freeze_time("2026-10-11 09:00:00"):
            self._run_cron(CRON_SAMPLES)
        self.assertEqual(self._sampled(), visits)

    def test_sample_is_deterministic_and_never_floods(self):
        """At a partial rate the same deliveries are in the sample on every run; a
        customer with a planned sampled visit gets no second one (the unique index is
        the last word)."""
        self._set_rate(50.0)
        Visit = self.env["delivery.visit"]
        with freeze_time(NOW):
            self.env.flush_all()
            first = self.env.execute_query(Visit._sampled_deliveries_query(0, 1000))
            again = self.env.execute_query(Visit._sampled_deliveries_query(0, 1000))
            self.assertEqual(again, first)
        planned = Visit._propose_return_visit(
            self.regular_1, self.user_account_manager, "delivery_sample", "Sampled"
        )
        with (
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            Visit._propose_return_visit(
                self.regular_1, self.user_account_manager, "delivery_sample", "Sampled again"
            )
        self._set_rate(100.0)
        with freeze_time(NOW):
            self._run_cron(CRON_SAMPLES)
        self.assertEqual(
            self._sampled().filtered(lambda v: v.partner_id == self.regular_1), planned
        )

    def test_rate_is_a_percentage(self):
        with self.assertRaises(ValidationError):
            self._set_rate(120.0)
        with self.assertRaises(ValidationError):
            self._set_rate(-1.0)

    def test_satisfaction_feeds_next_evaluation(self):
        """The satisfaction the account manager records at a sampled return visit is
        part of the next quarterly evaluation's satisfaction."""
        self._set_rate(100.0)
        with freeze_time(NOW):
            self._run_cron(CRON_SAMPLES)
        visit = self._sampled().filtered(lambda v: v.partner_id == self.regular_1)
        with freeze_time("2026-10-13 12:00:00"):
            visit.with_user(self.user_account_manager).write(
                {"content": "<p>Delivery was fine.</p>", "satisfaction_score": "5"}
            )
            visit.with_user(self.user_account_manager).action_done()
        self.assertEqual(visit.state, "done")
        with freeze_time("2027-01-02 06:00:00"):
            self._run_cron(CRON_QUARTERLY)
        evaluation = self.env["delivery.evaluation"].search(
            [
                ("partner_id", "=", self.regular_1.id),
                ("period_type", "=", "quarterly"),
                ("period_start", "=", "2026-10-01"),
            ]
        )
        self.assertEqual(evaluation.satisfaction_count, 1)
        self.assertAlmostEqual(evaluation.satisfaction, 100.0)
        self.assertTrue(evaluation.has_satisfaction)
