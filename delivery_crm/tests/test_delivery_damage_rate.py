from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools import SQL

from .common import DeliveryCrmCommon

CRON_QUARTERLY = "delivery_crm.ir_cron_evaluation_quarterly"
CRON_MONTHLY = "delivery_crm.ir_cron_evaluation_monthly"


@tagged("post_install", "-at_install")
class TestDeliveryDamageRate(DeliveryCrmCommon):
    """The damage/loss rate (issue 15 item 4): an indicator of the quarterly and annual
    evaluations (damaged or lost ÷ finished deliveries) and a KPI of the customer's
    profile, computed by the shipped evaluation cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "UTC"
        cls.scheme = cls.env.ref("delivery_crm.delivery_evaluation_scheme_general")

        def customer(name):
            return cls._new_customer(
                name,
                customer_state="active",
                customer_class="general",
                account_manager_id=cls.user_account_manager.id,
                cooperation_start_date="2024-01-01",
            )

        cls.damaged_customer = customer("Damaged 货损客户")
        cls.quiet_customer = customer("Quiet 无发货客户")
        Shipment = cls.env["delivery.shipment"]
        vals_list = []
        # Q3 2026: 40 finished deliveries, 38 on time, 1 damaged, 1 lost; a cancelled
        # one and one still in transit count in neither part of the rate
        for i in range(38):
            when = datetime(2026, 7, 1 + i % 28, 8)
            vals_list.append(
                {
                    "name": f"DMG-OK-{i}",
                    "partner_id": cls.damaged_customer.id,
                    "date": when,
                    "promised_datetime": when + timedelta(hours=10),
                    "delivered_datetime": when + timedelta(hours=5),
                    "revenue": 100,
                }
            )
        for ref, outcome in (("DMG-D", "damaged"), ("DMG-L", "lost"), ("DMG-C", "cancelled")):
            vals_list.append(
                {
                    "name": ref,
                    "partner_id": cls.damaged_customer.id,
                    "date": datetime(2026, 8, 3, 8),
                    "outcome": outcome,
                    "revenue": 100,
                }
            )
        vals_list.append(
            {
                "name": "DMG-TRANSIT",
                "partner_id": cls.damaged_customer.id,
                "date": datetime(2026, 9, 20, 8),
                "status": "in_transit",
                "revenue": 100,
            }
        )
        # Q2: a lost delivery of the previous quarter is no part of Q3's rate
        vals_list.append(
            {
                "name": "DMG-Q2-LOST",
                "partner_id": cls.damaged_customer.id,
                "date": datetime(2026, 6, 3, 8),
                "outcome": "lost",
            }
        )
        Shipment.create(vals_list)

    def _evaluation(self, partner, period_type="quarterly", start="2026-07-01"):
        return self.env["delivery.evaluation"].search(
            [
                ("partner_id", "=", partner.id),
                ("period_type", "=", period_type),
                ("period_start", "=", start),
            ]
        )

    def test_shipped_schemes_weigh_damage(self):
        """The shipped schemes give the damage/loss rate 5 points taken from the on-time
        rate, and still sum to 100."""
        expected = {
            "delivery_evaluation_scheme_key": (10.0, 5.0),
            "delivery_evaluation_scheme_general": (15.0, 5.0),
            "delivery_evaluation_scheme_potential": (10.0, 5.0),
        }
        for xmlid, weights in expected.items():
            scheme = self.env.ref(f"delivery_crm.{xmlid}")
            with self.subTest(scheme=xmlid):
                self.assertEqual((scheme.weight_on_time, scheme.weight_damage), weights)
                self.assertEqual(scheme.weight_total, 100.0)
                self.assertEqual((scheme.damage_rate_target, scheme.damage_rate_floor), (0.5, 3.0))

    def test_quarterly_cron_scores_damage_rate(self):
        """The quarterly cron evaluates the rate (2 of 40 finished = 5 %) and its score
        on the scheme's scale, its weight counts in the weighted total, and a customer
        without deliveries has no data (no score, no weight)."""
        self.scheme.write({"damage_rate_floor": 10.0, "damage_rate_target": 0.0})
        with freeze_time("2026-10-02 06:00:00"):
            self._run_cron(CRON_QUARTERLY)
        evaluation = self._evaluation(self.damaged_customer)
        self.assertEqual(evaluation.finished_count, 40)
        self.assertEqual(evaluation.damaged_count, 2)
        self.assertAlmostEqual(evaluation.damage_rate, 5.0)
        self.assertTrue(evaluation.has_damage)
        # linear from the floor (10 %: 0 points) to the target (0 %: 100 points)
        self.assertAlmostEqual(evaluation.score_damage, 50.0)
        self.assertAlmostEqual(evaluation.on_time_rate, 95.0)
        # the weighted total: each indicator with data at its scheme weight, scaled to
        # sum to 100 over those indicators
        indicators = self.env["delivery.evaluation"]._indicators_of("quarterly")
        available = [i.key for i in indicators if evaluation[f"has_{i.key}"]]
        self.assertIn("damage", available)
        scheme_total = sum(self.scheme[f"weight_{key}"] for key in available)
        self.assertAlmostEqual(evaluation.weight_damage, 5.0 * 100.0 / scheme_total, places=2)
        expected_total = sum(
            evaluation[f"score_{key}"] * self.scheme[f"weight_{key}"] / scheme_total
            for key in available
        )
        self.assertAlmostEqual(evaluation.total_score, expected_total, places=1)
        # the explanation lists the indicator with its score
        self.assertIn("Damage/loss rate", str(evaluation.explanation))

        quiet = self._evaluation(self.quiet_customer)
        self.assertTrue(quiet)
        self.assertFalse(quiet.has_damage)
        self.assertEqual(quiet.weight_damage, 0.0)
        stored = self.env.execute_query(
            SQL("SELECT damage_rate FROM delivery_evaluation WHERE id = %s", quiet.id)
        )
        self.assertIsNone(stored[0][0], "no finished delivery: no data, not 0 %")

    def test_profile_kpi(self):
        """The customer's profile shows the damage/loss rate of its latest quarterly or
        annual evaluation (as the on-time rate), "no data" without finished deliveries;
        the monthly review leaves it alone."""
        with freeze_time("2026-10-02 06:00:00"):
            self._run_cron(CRON_QUARTERLY)
        partners = (self.damaged_customer | self.quiet_customer).with_user(
            self.user_account_manager
        )
        damaged, quiet = partners
        self.assertAlmostEqual(damaged.kpi_damage_rate, 5.0)
        self.assertTrue(damaged.kpi_damage_rate_measured)
        self.assertFalse(quiet.kpi_damage_rate_measured)
        # the monthly key-customer review does not look at deliveries' damage
        self.assertNotIn(
            "damage",
            [i.key for i in self.env["delivery.evaluation"]._indicators_of("monthly")],
        )
        self.damaged_customer.customer_class = "key"
        self.env["delivery.shipment"].create(
            {
                "name": "DMG-OCT-LOST",
                "partner_id": self.damaged_customer.id,
                "date": datetime(2026, 10, 5, 8),
                "outcome": "lost",
            }
        )
        with freeze_time("2026-11-02 06:00:00"):
            self._run_cron(CRON_MONTHLY)
        monthly = self._evaluation(self.damaged_customer, "monthly", "2026-10-01")
        self.assertTrue(monthly)
        self.assertFalse(monthly.has_damage)
        self.damaged_customer.invalidate_recordset()
        self.assertAlmostEqual(self.damaged_customer.kpi_damage_rate, 5.0)

    def test_damage_rate_in_pdf(self):
        """The evaluation's PDF follows the registry: the damage/loss rate has its row."""
        with freeze_time("2026-10-02 06:00:00"):
            self._run_cron(CRON_QUARTERLY)
        evaluation = self._evaluation(self.damaged_customer)
        html, _format = (
            self.env["ir.actions.report"]
            .with_user(self.user_manager)
            ._render_qweb_html("delivery_crm.action_report_delivery_evaluation", evaluation.ids)
        )
        self.assertIn(b"Damage/loss rate", html)

    def test_shipped_schemes_weigh_damage_on_existing_databases(self):
        """19.0.1.3.0 moves the 5 points to the damage/loss rate in the shipped schemes
        of an existing database (noupdate data) — not in one a manager re-weighted."""
        key = self.env.ref("delivery_crm.delivery_evaluation_scheme_key")
        general = self.env.ref("delivery_crm.delivery_evaluation_scheme_general")
        key.write({"weight_on_time": 15, "weight_damage": 0})  # as 19.0.1.2.0 shipped it
        # re-weighted by a manager: on-time 20 → 15, complaint 10 → 15
        general.write({"weight_on_time": 15, "weight_complaint": 15, "weight_damage": 0})
        migration = load_script(
            "delivery_crm/migrations/19.0.1.3.0/post-damage-weight.py",
            "delivery_crm_post_damage_weight",
        )
        migration.migrate(self.env.cr, "19.0.1.2.0")
        migration.migrate(self.env.cr, "19.0.1.2.0")  # idempotent
        self.assertEqual((key.weight_on_time, key.weight_damage), (10, 5))
        self.assertEqual((general.weight_on_time, general.weight_damage), (15, 0))
