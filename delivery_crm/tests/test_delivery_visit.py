from datetime import date, datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.delivery_visit import haversine_km
from .common import DeliveryCrmCommon

CRON_VISITS = "delivery_crm.ir_cron_visit_planning"
# the Bund, Shanghai, and two points 0.5 km and about 12 km from it
BUND = (31.2400, 121.4900)


@tagged("post_install", "-at_install")
class TestDeliveryVisit(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["delivery.service.team"].create(
            {"name": "Field East", "leader_id": cls.user_manager.id}
        )
        cls.customer = cls._new_customer(
            "Bund Logistics 外滩物流",
            account_manager_id=cls.user_account_manager.id,
            service_team_id=cls.team.id,
            partner_latitude=BUND[0],
            partner_longitude=BUND[1],
            customer_state="active",
        )

    def _visit(self, **vals):
        return (
            self.env["delivery.visit"]
            .with_user(self.user_account_manager)
            .create({"name": "Quarterly review", "partner_id": self.customer.id, **vals})
        )

    # ------------------------------------------------------------------ geography
    def test_haversine_known_distances(self):
        self.assertAlmostEqual(haversine_km(*BUND, *BUND), 0.0)
        # one degree of latitude is 111.2 km everywhere
        self.assertAlmostEqual(haversine_km(0, 0, 1, 0), 111.195, places=2)
        # Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km
        self.assertAlmostEqual(haversine_km(39.9087, 116.3975, 31.2304, 121.4737), 1067.3, delta=1)

    def test_check_in_near_far_and_without_location(self):
        near = self._visit()
        near.action_check_in_at(latitude=BUND[0] + 0.0045, longitude=BUND[1], accuracy=12)
        self.assertEqual(near.location_status, "ok")
        self.assertAlmostEqual(near.check_in_distance, 0.5, places=2)
        self.assertTrue(near.check_in_date)
        far = self._visit()
        far.action_check_in_at(latitude=BUND[0] + 0.108, longitude=BUND[1])
        self.assertEqual(far.location_status, "far")
        self.assertAlmostEqual(far.check_in_distance, 12.0, delta=0.1)
        self.assertTrue(any("km from the customer" in str(m.body) for m in far.message_ids))
        self.company.delivery_visit_radius_km = 15.0
        wide = self._visit()
        wide.action_check_in_at(latitude=BUND[0] + 0.108, longitude=BUND[1])
        self.assertEqual(wide.location_status, "ok")
        refused = self._visit()
        refused.action_check_in_at()  # the browser refused the position
        self.assertEqual(refused.location_status, "no_location")
        self.assertTrue(refused.check_in_date)
        self.assertEqual(self.env["delivery.visit"].search([("location_status", "=", "far")]), far)

    def test_customer_without_position(self):
        self.customer.write({"partner_latitude": 0.0, "partner_longitude": 0.0})
        visit = self._visit()
        visit.action_check_in_at(latitude=BUND[0], longitude=BUND[1])
        self.assertEqual(visit.location_status, "no_customer_location")

    def test_check_out_rules(self):
        visit = self._visit()
        with self.assertRaises(UserError):
            visit.action_check_out_at(latitude=BUND[0], longitude=BUND[1])
        self.assertFalse(visit.check_out_date)
        with freeze_time("2026-05-04 02:00:00"):
            visit.action_check_in_at(latitude=BUND[0], longitude=BUND[1])
        with self.assertRaises(UserError):
            visit.action_check_in_at(latitude=BUND[0], longitude=BUND[1])
        with freeze_time("2026-05-04 03:30:00"):
            visit.action_check_out_at(latitude=BUND[0], longitude=BUND[1])
        self.assertAlmostEqual(visit.time_on_site, 1.5)
        with self.assertRaises(UserError):
            visit.action_check_out_at()
        bad = self._visit()
        with self.assertRaises(UserError):
            bad.action_check_in_at(latitude=123.0, longitude=10.0)
        with self.assertRaises(UserError):
            bad.action_check_in_at(latitude="north", longitude=10.0)
        self.assertFalse(bad.check_in_date)

    # ------------------------------------------------------------------ record
    def test_record_visit_with_next_steps(self):
        visit = self._visit()
        with self.assertRaisesRegex(ValidationError, "discussed"):
            visit.action_done()
        visit.write(
            {
                "content": "<p>Volumes up 20% next quarter.</p>",
                "next_step_ids": [
                    Command.create(
                        {
                            "name": "Send the cold-chain offer",
                            "user_id": self.user_manager.id,
                            "date_deadline": date.today() + timedelta(days=5),
                        }
                    )
                ],
            }
        )
        visit.action_done()
        self.assertEqual(visit.state, "done")
        activity = visit.next_step_ids.activity_id
        self.assertEqual(activity.res_id, self.customer.id)
        self.assertEqual(activity.user_id, self.user_manager)
        self.assertEqual(activity.summary, "Send the cold-chain offer")
        self.assertEqual(self.customer.last_visit_date, visit.visit_date.date())
        # noted on the visit, not in the customer's chatter (security review M7)
        self.assertTrue(any("Quarterly review" in str(m.body) for m in visit.message_ids))
        self.assertFalse(any("Quarterly review" in str(m.body) for m in self.customer.message_ids))
        with self.assertRaises(UserError):
            visit.action_cancel()

    def test_return_visit_needs_satisfaction_and_poor_score_investigated(self):
        visit = self._visit(visit_type="return", content="<p>Called back.</p>")
        with self.assertRaisesRegex(ValidationError, "satisfaction"):
            visit.action_done()
        visit.write({"satisfaction_score": "2", "feedback": "Driver was rude"})
        visit.action_done()
        investigation = visit.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("delivery_crm.mail_activity_type_complaint_investigation")
            )
        )
        self.assertEqual(investigation.user_id, self.user_manager)
        self.assertIn("Driver was rude", str(investigation.note))

    # ------------------------------------------------------------------ guards (L3, M2)
    def test_system_fields_refused_on_write(self):
        """What the check-in, check-out and recording keep cannot be written by hand:
        a visit "done" without a discussion, "at the customer" without a check-in, or
        back-dated (L3)."""
        visit = self._visit(visit_type="return")
        forged = {
            "state": "done",
            "visit_date": "2026-01-05 10:00:00",
            "location_status": "ok",
            "check_in_date": "2026-01-05 09:00:00",
            "check_in_latitude": BUND[0],
            "check_in_longitude": BUND[1],
            "check_in_accuracy": 5.0,
            "check_in_distance": 0.01,
            "check_out_date": "2026-01-05 11:00:00",
            "check_out_latitude": BUND[0],
            "check_out_longitude": BUND[1],
            "time_on_site": 2.0,
        }
        for field, value in forged.items():
            with self.subTest(field=field), self.assertRaisesRegex(UserError, "kept by the system"):
                visit.write({field: value})
        self.assertEqual(
            (visit.state, visit.visit_date, visit.location_status, visit.check_in_date),
            ("planned", False, "pending", False),
        )
        # the workflow still writes them
        visit.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=8)
        visit.action_check_out_at(latitude=BUND[0], longitude=BUND[1])
        self.assertEqual(visit.location_status, "ok")
        self.assertTrue(visit.check_out_date)
        visit.write({"content": "<p>Called back.</p>", "satisfaction_score": "4"})
        visit.action_done()
        self.assertEqual((visit.state, visit.visit_date), ("done", visit.check_in_date))

    def test_workflow_writes_go_through_write(self):
        """The check-in, check-out and recording write through ``write`` (issue 14
        item 9): another module's override of ``write`` sees them."""
        visit = self._visit(visit_type="return")
        Visit = type(self.env["delivery.visit"])
        with patch.object(Visit, "write", autospec=True, side_effect=Visit.write) as spy:
            visit.action_check_in_at(latitude=BUND[0], longitude=BUND[1], accuracy=8)
            visit.action_check_out_at(latitude=BUND[0], longitude=BUND[1])
            visit.write({"content": "<p>Called back.</p>", "satisfaction_score": "4"})
            visit.action_done()
        written = set().union(*(call.args[1] for call in spy.call_args_list))
        self.assertLessEqual({"check_in_date", "check_out_date", "state", "visit_date"}, written)
        self.assertEqual(visit.state, "done")

    def test_recorded_visit_keeps_its_facts(self):
        """Once recorded, the score, the customer and the visitor of a visit are history:
        a poor score raised afterwards would skip its investigation and feed the
        evaluation (L3)."""
        visit = self._visit(visit_type="return", content="<p>Called.</p>", satisfaction_score="1")
        visit.action_done()
        other = self._new_customer("Other 其他", account_manager_id=self.user_account_manager.id)
        for vals in (
            {"satisfaction_score": "5"},
            {"satisfaction_score": False},
            {"partner_id": other.id},
            {"user_id": self.user_manager.id},
            {"visit_type": "regular"},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "recorded"):
                visit.write(vals)
        self.assertEqual(
            (visit.satisfaction_score, visit.partner_id, visit.user_id),
            ("1", self.customer, self.user_account_manager),
        )
        # what was said can still be completed
        visit.write({"feedback": "Will call again next week"})

    def test_context_defaults_cannot_create_a_done_visit(self):
        """``default_state`` and the other system defaults of the context set nothing
        (M2): the visit is planned, not checked in, not visited."""
        visit = (
            self.env["delivery.visit"]
            .with_user(self.user_account_manager)
            .with_context(
                default_state="done",
                default_visit_date="2026-01-05 10:00:00",
                default_location_status="ok",
                default_check_in_date="2026-01-05 09:00:00",
                default_check_in_distance=0.01,
            )
            .create({"name": "Forged", "partner_id": self.customer.id})
        )
        self.assertEqual(
            (visit.state, visit.visit_date, visit.location_status, visit.check_in_date),
            ("planned", False, "pending", False),
        )
        self.assertEqual(visit.check_in_distance, 0.0)
        for vals in ({"visit_date": "2026-01-05 10:00:00"}, {"location_status": "ok"}):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "kept by the system"):
                self._visit(**vals)

    def test_return_visit_ignores_the_callers_defaults(self):
        """The return visit proposed for a customer is planned whatever the context of
        the code that proposes it (the closing of a request runs it with sudo)."""
        visit = (
            self.env["delivery.visit"]
            .with_context(
                default_state="done",
                default_visit_date="2026-01-05 10:00:00",
                default_satisfaction_score="5",
                default_content="<p>Forged</p>",
            )
            .sudo()
            ._propose_return_visit(
                self.customer, self.user_account_manager, "complaint", "Return visit"
            )
        )
        self.assertEqual((visit.state, visit.visit_date), ("planned", False))
        self.assertFalse(visit.satisfaction_score)
        self.assertFalse(visit.content)

    def test_staff_outside_crm_cannot_read_visits(self):
        visit = self._visit()
        self.assertFalse(self.env["delivery.visit"].with_user(self.user_employee).search([]))
        with self.assertRaises(AccessError):
            visit.with_user(self.user_employee).read(["name"])

    # ------------------------------------------------------------------ cadence
    def test_cadence_plans_once_per_due_customer(self):
        self.tier_gold.visit_interval_days = 30
        self._give_tier(self.customer, self.tier_gold)
        self.customer.cooperation_start_date = date(2026, 1, 1)
        rested = self._new_customer(
            "Visited lately 最近拜访",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date=date(2026, 1, 1),
            customer_state="active",
        )
        self._give_tier(rested, self.tier_gold)
        with freeze_time("2026-02-20 12:00:00"):
            done = self._visit(visit_type="regular", content="<p>ok</p>")
            done.partner_id = rested
            done.action_done()
        no_cadence = self._new_customer(
            "No cadence 无节奏",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date=date(2026, 1, 1),
            customer_state="active",
        )
        self._give_tier(no_cadence, self.tier_silver)
        self.tier_silver.visit_interval_days = 0
        Visit = self.env["delivery.visit"]
        with freeze_time("2026-03-05 08:00:00"):
            overdue = self.env["res.partner"].search(
                [("next_visit_due", "<", "2026-03-05"), ("id", "in", [self.customer.id, rested.id])]
            )
            self.assertEqual(overdue, self.customer)  # due 31 January
            self._run_cron(CRON_VISITS)
            self._run_cron(CRON_VISITS)
        ours = [self.customer.id, rested.id, no_cadence.id]
        planned = Visit.search([("origin", "=", "cadence"), ("partner_id", "in", ours)])
        self.assertEqual(planned.partner_id, self.customer)  # once, and only the due one
        self.assertEqual(len(planned), 1)
        self.assertEqual(planned.user_id, self.user_account_manager)
        self.assertEqual(planned.planned_date.date(), date(2026, 3, 5))
        # rested: visited on 20 February, next due 22 March, inside the 7-day horizon
        # on 15 March only
        with freeze_time("2026-03-15 08:00:00"):
            self._run_cron(CRON_VISITS)
        self.assertEqual(
            Visit.search_count([("origin", "=", "cadence"), ("partner_id", "in", ours)]), 2
        )
        self.assertFalse(Visit.search([("partner_id", "=", no_cadence.id)]))

    def test_one_planned_cadence_visit_per_customer(self):
        """Whatever runs concurrently, the database keeps one planned cadence visit per
        customer and one first-deliveries return visit."""
        Visit = self.env["delivery.visit"]
        values = {"name": "Cadence", "partner_id": self.customer.id, "origin": "cadence"}
        first = Visit.create(values)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            Visit.create(values)
        first.write({"content": "<p>done</p>"})
        first.action_done()
        self.env.flush_all()
        Visit.create(values)  # the next one, once the last is done
        Visit.create({**values, "origin": "first_delivery", "visit_type": "return"})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            Visit.create({**values, "origin": "first_delivery", "visit_type": "return"})

    def test_return_visit_after_first_deliveries(self):
        Shipment = self.env["delivery.shipment"]
        newcomer = self._new_customer(
            "Newcomer 新客户",
            account_manager_id=self.user_account_manager.id,
            customer_state="active",
        )
        veteran = self._new_customer(
            "Veteran 老客户",
            account_manager_id=self.user_account_manager.id,
            customer_state="active",
        )
        with freeze_time("2026-04-10 12:00:00"):
            for partner, when in (
                (newcomer, datetime(2026, 4, 8)),
                (veteran, datetime(2026, 1, 5)),
            ):
                Shipment.create(
                    {
                        "name": f"S-{partner.id}",
                        "partner_id": partner.id,
                        "date": when,
                        "delivered_datetime": when + timedelta(hours=5),
                    }
                )
            self._run_cron(CRON_VISITS)
            self._run_cron(CRON_VISITS)
        visits = self.env["delivery.visit"].search(
            [("origin", "=", "first_delivery"), ("partner_id", "in", (newcomer | veteran).ids)]
        )
        self.assertEqual(visits.partner_id, newcomer)
        self.assertEqual(visits.visit_type, "return")
        self.assertEqual(len(visits), 1)

    def test_communication_plan_schedules_each_contact_once(self):
        plan = (
            self.env["delivery.communication.plan"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": "Monthly business review",
                    "partner_id": self.customer.id,
                    "channel": "meeting",
                    "interval_number": 1,
                    "interval_unit": "months",
                    "next_date": date(2026, 3, 1),
                }
            )
        )
        with freeze_time("2026-03-02 08:00:00"):
            self._run_cron(CRON_VISITS)
            self._run_cron(CRON_VISITS)
        # the contact stays due (and overdue) until a communication is logged
        # (tests/test_delivery_communication.py)
        self.assertEqual(plan.next_date, date(2026, 3, 1))
        self.assertTrue(plan.is_overdue)
        activities = self.customer.activity_ids.filtered(
            lambda a: "Monthly business review" in (a.summary or "")
        )
        self.assertEqual(len(activities), 1)
        with self.assertRaises(ValidationError):
            plan.interval_number = 0

    # ------------------------------------------------------------------ complaints, evaluation
    def test_return_visit_proposed_after_complaint_closed(self):
        contact = self.env["res.partner"].create(
            {"name": "Sun Li 孙丽", "parent_id": self.customer.id, "email": "sun@example.com"}
        )
        inquiry = (
            self.env["delivery.complaint"]
            .with_user(self.user_account_manager)
            .create(
                {"subject": "Opening hours?", "request_type": "inquiry", "contact_id": contact.id}
            )
        )
        inquiry.resolution = "<p>8:00-20:00</p>"
        inquiry.action_resolve()
        inquiry.rating_apply(5, token=inquiry._rating_get_access_token())
        self.assertEqual(inquiry.state, "closed")
        visit = inquiry.visit_ids
        self.assertEqual((visit.visit_type, visit.origin), ("return", "complaint"))
        self.assertEqual(
            visit.user_id, self.user_account_manager
        )  # the owner does the return visit
        self.assertEqual(visit.activity_ids.user_id, self.user_account_manager)

    def test_return_visit_scores_feed_satisfaction(self):
        for score in ("5", "4", "3", "1"):
            visit = self._visit(visit_type="return", content="<p>x</p>", satisfaction_score=score)
            with freeze_time("2026-08-10 03:00:00"):
                visit.action_done()
        self._visit(visit_type="return")  # planned: not counted
        self.env.flush_all()
        Evaluation = self.env["delivery.evaluation"]
        start, end = datetime(2026, 7, 1), datetime(2026, 10, 1)
        self.assertEqual(
            Evaluation._get_satisfaction_data([self.customer.id], start, end),
            {self.customer.id: (50.0, 4)},
        )
        # merged with the ratings of the customer's requests, weighted by answers
        contact = self.env["res.partner"].create(
            {"name": "Rater", "parent_id": self.customer.id, "email": "r@example.com"}
        )
        with freeze_time("2026-08-11 02:00:00"):
            inquiry = self.env["delivery.complaint"].create(
                {"subject": "Q", "request_type": "inquiry", "contact_id": contact.id}
            )
            inquiry.resolution = "<p>A</p>"
            inquiry.action_resolve()
        with freeze_time("2026-08-11 03:00:00"):
            inquiry.rating_apply(5, token=inquiry._rating_get_access_token())
        self.env.flush_all()
        self.assertEqual(
            Evaluation._get_satisfaction_data([self.customer.id], start, end),
            {self.customer.id: (60.0, 5)},
        )
        self.assertEqual(
            Evaluation._get_satisfaction_data([self.customer.id], end, end + timedelta(days=90)),
            {},
        )
