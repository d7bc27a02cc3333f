from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user

CRON_VISITS = "delivery_crm.ir_cron_visit_planning"


@tagged("post_install", "-at_install")
class TestDeliveryCommunication(DeliveryCrmCommon):
    """Communication records (001 §五.3) and the communication plans they fulfil."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["delivery.service.team"].create(
            {
                "name": "Key East",
                "leader_id": cls.user_manager.id,
                "member_ids": [(4, cls.user_staff.id)],
            }
        )
        cls.customer = cls._new_customer(
            "Pudong Freight 浦东货运",
            account_manager_id=cls.user_account_manager.id,
            service_team_id=cls.team.id,
            customer_state="active",
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Zhou Min 周敏", "parent_id": cls.customer.id}
        )
        cls.other = cls._new_customer("Elsewhere Ltd 别处公司", customer_state="active")

    def _plan(self, channel="phone", next_date=date(2026, 3, 1), partner=None):
        return (
            self.env["delivery.communication.plan"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": "Monthly call",
                    "partner_id": (partner or self.customer).id,
                    "channel": channel,
                    "interval_number": 1,
                    "interval_unit": "months",
                    "next_date": next_date,
                }
            )
        )

    def _log(self, user, **vals):
        return (
            self.env["delivery.communication"]
            .with_user(user)
            .create(
                {
                    "name": "Spring volumes",
                    "partner_id": self.customer.id,
                    "channel": "phone",
                    "content": "Volumes for March; new warehouse in Jiading.",
                    **vals,
                }
            )
        )

    def _plan_activities(self, partner=None):
        return (partner or self.customer).activity_ids.filtered(
            lambda a: "Monthly call" in (a.summary or "")
        )

    # ------------------------------------------------------------------ fulfilment
    def test_call_fulfils_the_due_contact(self):
        plan = self._plan()
        with freeze_time("2026-03-01 08:00:00"):
            self._run_cron(CRON_VISITS)
        activity = self._plan_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(plan.activity_id, activity)
        self.assertFalse(plan.is_overdue)
        with freeze_time("2026-03-03 08:00:00"):
            self._run_cron(CRON_VISITS)
            self._run_cron(CRON_VISITS)
            # still due: one activity, flagged overdue, the date kept
            self.assertEqual(len(self._plan_activities()), 1)
            self.assertTrue(plan.is_overdue)
            self.assertEqual(plan.next_date, date(2026, 3, 1))
            self.assertIn(
                plan,
                self.env["delivery.communication.plan"]
                .with_user(self.user_account_manager)
                .search([("is_overdue", "=", True)]),
            )
            # the service staff of the customer's team logs the call
            record = self._log(
                self.user_staff,
                contact_ids=[(6, 0, self.contact.ids)],
                feedback="Happy with the on-time rate; wants Sunday pick-ups.",
                next_steps="Send the Sunday pick-up offer.",
                follow_up_date=date(2026, 3, 6),
            )
        self.assertEqual(record.plan_id, plan)
        self.assertEqual(plan.last_date, date(2026, 3, 3))
        self.assertEqual(plan.next_date, date(2026, 4, 3))
        self.assertFalse(plan.is_overdue)
        self.assertFalse(plan.activity_id)
        self.assertFalse(activity.active)  # done, not deleted
        # the follow-up is an activity for the one who logged it, on the customer
        follow_up = self.customer.activity_ids.filtered(
            lambda a: a.summary == "Follow-up: Spring volumes"
        )
        self.assertEqual(follow_up.user_id, self.user_staff)
        self.assertEqual(follow_up.date_deadline, date(2026, 3, 6))
        # the customer's history says a contact took place
        self.assertIn(
            "Communication logged",
            " ".join(self.customer.message_ids.mapped("body")),
        )
        self.assertEqual(self.customer.with_user(self.user_staff).communication_count, 1)
        # nothing more to do for the cron until the next due date
        with freeze_time("2026-03-20 08:00:00"):
            self._run_cron(CRON_VISITS)
        self.assertEqual(len(self._plan_activities().filtered("active")), 0)
        self.assertFalse(plan.is_overdue)

    def test_only_the_plans_channel_fulfils(self):
        phone = self._plan("phone")
        anything = self._plan(False)
        with freeze_time("2026-03-02 08:00:00"):
            self._run_cron(CRON_VISITS)
            self._log(self.user_account_manager, channel="email", name="Offer sent")
        self.assertEqual(phone.next_date, date(2026, 3, 1))
        self.assertEqual(phone.activity_id.active, True)
        self.assertEqual(anything.next_date, date(2026, 4, 2))
        # a call long before the period does not count for the due contact
        self._log(
            self.user_account_manager,
            date=datetime(2026, 1, 10, 9, 0),
            name="Old call typed in late",
        )
        self.assertEqual(phone.next_date, date(2026, 3, 1))

    def test_meeting_fulfils_an_on_site_plan(self):
        plan = self._plan("onsite")
        with freeze_time("2026-03-02 08:00:00"):
            self._log(self.user_account_manager, channel="meeting", name="Quarterly review")
        self.assertEqual(plan.next_date, date(2026, 4, 2))

    # ------------------------------------------------------------------ customer state
    def test_plans_stop_for_terminated_customers(self):
        plan = self._plan()
        with freeze_time("2026-03-01 08:00:00"):
            self._run_cron(CRON_VISITS)
        activity = plan.activity_id
        self.assertTrue(activity)
        self.env["delivery.customer.state.wizard"].with_user(self.user_account_manager).create(
            {
                "partner_ids": [(6, 0, self.customer.ids)],
                "new_state": "terminated",
                "reason": "Moved to another carrier",
            }
        ).action_confirm()
        self.assertEqual(self.customer.customer_state, "terminated")
        self.assertFalse(plan.active)
        self.assertFalse(activity.exists())
        # a plan left running by hand is still skipped: no activity, no flag
        plan.sudo().action_unarchive()
        with freeze_time("2026-03-05 08:00:00"):
            self._run_cron(CRON_VISITS)
        self.assertFalse(plan.activity_id)
        self.assertFalse(plan.is_overdue)

    def test_suspended_customers_keep_their_plans(self):
        plan = self._plan()
        self.customer.with_user(self.user_account_manager).write(
            {"customer_state": "suspended", "state_reason": "Seasonal pause"}
        )
        with freeze_time("2026-03-02 08:00:00"):
            self._run_cron(CRON_VISITS)
        self.assertTrue(plan.active)
        self.assertTrue(plan.activity_id)
        self.assertTrue(plan.is_overdue)

    # ------------------------------------------------------------------ access
    def test_access_like_visits(self):
        record = self._log(self.user_account_manager)
        outsider = new_user(self.env, "staff", "dcrm_comm_outsider", "Other Staff")
        portal = new_user(self.env, "portal", "dcrm_comm_portal", "Portal")
        # the staff of the customer's team read and log; other staff neither
        self.assertTrue(record.with_user(self.user_staff).read(["content"]))
        with self.assertRaises(AccessError):
            record.with_user(outsider).read(["content"])
        with self.assertRaises(AccessError):
            self._log(outsider, partner_id=self.other.id)
        with self.assertRaises(AccessError):
            record.with_user(portal).read(["content"])
        with self.assertRaises(AccessError):
            self._log(portal)
        # auditors read everything and write nothing; managers see all
        self.assertTrue(record.with_user(self.user_auditor).read(["content"]))
        with self.assertRaises(AccessError):
            self._log(self.user_auditor)
        self.assertIn(
            record,
            self.env["delivery.communication"]
            .with_user(self.user_manager)
            .search([("id", "=", record.id)]),
        )
        # staff log a contact on a plan they may not edit
        plan = self._plan()
        with self.assertRaises(AccessError):
            plan.with_user(self.user_staff).write({"next_date": date(2026, 5, 1)})
        with freeze_time("2026-03-02 08:00:00"):
            self._log(self.user_staff, plan_id=plan.id)
        self.assertEqual(plan.next_date, date(2026, 4, 2))

    # ------------------------------------------------------------------ bad input
    def test_bad_input_writes_nothing(self):
        plan_other = self._plan(partner=self.other)
        Communication = self.env["delivery.communication"]
        before = Communication.search_count([])
        # each call in a savepoint, as an RPC call is in a transaction of its own
        with (
            self.assertRaisesRegex(ValidationError, "is not a plan of"),
            self.env.cr.savepoint(),
        ):
            self._log(self.user_account_manager, plan_id=plan_other.id)
        with (
            freeze_time("2026-03-02 08:00:00"),
            self.assertRaisesRegex(ValidationError, "in the future"),
            self.env.cr.savepoint(),
        ):
            self._log(self.user_account_manager, date=datetime(2026, 3, 9, 9, 0))
        self.assertEqual(Communication.search_count([]), before)
        self.assertEqual(plan_other.next_date, date(2026, 3, 1))

    def test_date_minutes_ahead_only(self):
        """task fix16: a contact is logged once it happened; a phone's clock a few minutes
        ahead is tolerated, ten minutes (or hours) ahead are not."""
        Communication = self.env["delivery.communication"]
        before = Communication.search_count([])
        with freeze_time("2026-03-02 08:00:00"):
            for ahead in (timedelta(minutes=10), timedelta(hours=23)):
                with (
                    self.subTest(ahead=ahead),
                    self.assertRaisesRegex(ValidationError, "in the future"),
                    self.env.cr.savepoint(),
                ):
                    self._log(self.user_account_manager, date=datetime(2026, 3, 2, 8) + ahead)
            self.assertEqual(Communication.search_count([]), before)
            self._log(self.user_account_manager, date=datetime(2026, 3, 2, 8, 3))

    def test_logged_contact_kept_as_it_happened(self):
        """task fix16: who logged it, the customer, the channel and the time are kept
        once logged (a manager corrects them); staff log their own contacts only."""
        plan = self._plan()
        with freeze_time("2026-03-02 08:00:00"):
            record = self._log(self.user_staff, plan_id=plan.id)
        as_staff = record.with_user(self.user_staff)
        for vals in (
            {"partner_id": self.other.id},
            {"channel": "wechat"},
            {"date": datetime(2026, 2, 1, 8)},
            {"user_id": self.user_account_manager.id},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(AccessError, "kept as logged"),
                self.env.cr.savepoint(),
            ):
                as_staff.write(vals)
        record.invalidate_recordset()
        self.assertEqual(
            (record.partner_id, record.channel, record.user_id),
            (self.customer, "phone", self.user_staff),
        )
        # what was said and next steps stay editable
        as_staff.write({"feedback": "Happy with the new slots"})
        # logged on behalf of a colleague: refused to staff, a manager's correction
        with self.assertRaisesRegex(AccessError, "on behalf of"), self.env.cr.savepoint():
            self._log(self.user_staff, user_id=self.user_account_manager.id)
        self.assertEqual(
            self.env["delivery.communication"].search_count(
                [("user_id", "=", self.user_account_manager.id)]
            ),
            0,
        )
        record.with_user(self.user_manager).write({"channel": "meeting"})
        self.assertEqual(record.channel, "meeting")
        by_manager = self._log(self.user_manager, user_id=self.user_account_manager.id)
        self.assertEqual(by_manager.user_id, self.user_account_manager)

    def test_log_button_opens_the_quick_form(self):
        action = self.customer.with_user(self.user_staff).action_log_communication()
        self.assertEqual(action["res_model"], "delivery.communication")
        self.assertEqual(action["target"], "new")
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)
        plan = self._plan("onsite")
        action = plan.with_user(self.user_staff).action_log_communication()
        self.assertEqual(action["context"]["default_plan_id"], plan.id)
        self.assertEqual(action["context"]["default_channel"], "meeting")
