from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.modules.module import load_script
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user


@tagged("post_install", "-at_install")
class TestDeliveryVisitCalendar(DeliveryCrmCommon):
    """Visits on Odoo's calendar (issue 16 item 2): a planned visit owns a
    ``calendar.event`` with the visitor, the colleagues and the customer's contacts as
    attendees and the company's reminder; moving either moves both; cancelling archives
    the event; a visit is never moved into the past."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colleague = new_user(cls.env, "staff", "dcrm_colleague", "Colleague")
        cls.customer = cls._new_customer(
            "Calendar Customer 日历客户",
            account_manager_id=cls.user_account_manager.id,
            customer_state="active",
        )
        Partner = cls.env["res.partner"]
        cls.buyer = Partner.create(
            {"name": "Buyer Wang", "parent_id": cls.customer.id, "email": "wang@example.com"}
        )
        cls.clerk = Partner.create({"name": "Clerk Li", "parent_id": cls.customer.id})
        cls.start = fields.Datetime.now().replace(microsecond=0) + timedelta(days=3)

    def _visit(self, user=None, **vals):
        return (
            self.env["delivery.visit"]
            .with_user(user or self.user_account_manager)
            .create(
                {
                    "name": "Quarterly review",
                    "partner_id": self.customer.id,
                    "user_id": self.user_staff.id,
                    "planned_date": self.start,
                    "duration": 1.5,
                    **vals,
                }
            )
        )

    def test_planned_visit_owns_its_event(self):
        visit = self._visit(
            participant_ids=[self.colleague.id],
            contact_ids=[self.buyer.id, self.clerk.id],
        )
        event = visit.calendar_event_id
        self.assertTrue(event)
        self.assertEqual((event.res_model, event.res_id), ("delivery.visit", visit.id))
        self.assertEqual((event.start, event.stop), (self.start, self.start + timedelta(hours=1.5)))
        self.assertEqual(event.user_id, self.user_staff)
        # the visitor, the colleague, the contact with an e-mail (the clerk has none)
        self.assertEqual(
            event.partner_ids,
            self.user_staff.partner_id | self.colleague.partner_id | self.buyer,
        )
        self.assertEqual(event.alarm_ids, self.env.ref("calendar.alarm_notif_3"))
        self.assertEqual(event.alarm_ids, self.company.delivery_visit_alarm_id)
        self.assertIn("Calendar Customer", event.name)
        # the visit is its own reminder: no "Meeting" activity is added to it
        self.assertFalse(
            visit.activity_ids.filtered(lambda a: a.activity_type_id.category == "meeting")
        )
        # it is in the staff member's and the colleague's Odoo calendar
        for user in (self.user_staff, self.colleague):
            with self.subTest(user=user.login):
                mine = (
                    self.env["calendar.event"]
                    .with_user(user)
                    .search([("partner_ids", "in", user.partner_id.id)])
                )
                self.assertIn(event, mine)
        # a colleague added later is invited; the event follows the visit's people
        visit.with_user(self.user_staff).write({"participant_ids": [(5, 0, 0)]})
        self.assertEqual(event.partner_ids, self.user_staff.partner_id | self.buyer)

    def test_move_visit_moves_event_and_back(self):
        visit = self._visit()
        event = visit.calendar_event_id
        later = self.start + timedelta(days=2, hours=1)
        visit.with_user(self.user_staff).write({"planned_date": later, "duration": 2.0})
        self.assertEqual((event.start, event.stop), (later, later + timedelta(hours=2)))
        # the staff member drags the meeting in Odoo's calendar
        sooner = self.start + timedelta(days=1)
        event.with_user(self.user_staff).write(
            {"start": sooner, "stop": sooner + timedelta(minutes=45)}
        )
        self.assertEqual(visit.planned_date, sooner)
        self.assertAlmostEqual(visit.duration, 0.75)
        self.assertEqual(event.start, sooner)

    def test_move_into_the_past_refused(self):
        visit = self._visit()
        event = visit.calendar_event_id
        past = fields.Datetime.now() - timedelta(days=1)
        with self.assertRaisesRegex(UserError, "cannot be moved into the past"):
            visit.with_user(self.user_staff).write({"planned_date": past})
        with (
            self.assertRaisesRegex(UserError, "cannot be moved into the past"),
            self.env.cr.savepoint(),
        ):
            event.with_user(self.user_staff).write(
                {"start": past, "stop": past + timedelta(hours=1)}
            )
        event.invalidate_recordset()
        visit.invalidate_recordset()
        self.assertEqual((visit.planned_date, event.start), (self.start, self.start))
        # other changes of a visit planned earlier are fine
        visit.with_user(self.user_staff).write({"location": "Gate 3"})
        self.assertEqual(event.location, "Gate 3")

    def test_cancel_archives_done_keeps(self):
        cancelled = self._visit()
        event = cancelled.calendar_event_id
        cancelled.with_user(self.user_staff).action_cancel()
        self.assertFalse(event.active)
        self.assertFalse(
            self.env["calendar.event"].with_user(self.user_staff).search([("id", "=", event.id)])
        )
        cancelled.with_user(self.user_staff).action_reset()
        self.assertTrue(event.active)
        self.assertEqual(cancelled.calendar_event_id, event)
        done = self._visit(content="<p>Prices for next year</p>")
        done.with_user(self.user_staff).action_done()
        self.assertTrue(done.calendar_event_id.active)
        self.assertEqual(done.state, "done")

    def test_cron_planned_visits_get_their_event(self):
        """The visits the crons plan (tier cadence, return visits) are in the calendar
        too, for the account manager."""
        visit = self.env["delivery.visit"]._propose_return_visit(
            self.customer, self.user_staff, "manual", "Return visit"
        )
        self.assertEqual(visit.calendar_event_id.user_id, self.user_staff)
        self.assertEqual(visit.calendar_event_id.partner_ids, self.user_staff.partner_id)

    def test_migration_gives_planned_visits_their_event(self):
        planned, cancelled = self._visit(), self._visit()
        cancelled.action_cancel()
        done = self._visit(content="<p>Done</p>")
        done.action_done()
        # as a database before 19.0.1.3.0: no events
        visits = planned | cancelled | done
        events = visits.calendar_event_id
        visits.sudo().write({"calendar_event_id": False})
        events.sudo().unlink()
        migration = load_script(
            "delivery_crm/migrations/19.0.1.3.0/post-visit-calendar.py",
            "delivery_crm_post_visit_calendar",
        )
        migration.migrate(self.env.cr, "19.0.1.2.0")
        visits.invalidate_recordset()
        self.assertTrue(planned.calendar_event_id)
        self.assertEqual(planned.calendar_event_id.start, self.start)
        self.assertFalse(cancelled.calendar_event_id)
        self.assertFalse(done.calendar_event_id)
        # a second run adds nothing
        count = self.env["calendar.event"].search_count([("res_model", "=", "delivery.visit")])
        migration.migrate(self.env.cr, "19.0.1.2.0")
        self.assertEqual(
            self.env["calendar.event"].search_count([("res_model", "=", "delivery.visit")]),
            count,
        )
