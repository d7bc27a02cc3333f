from datetime import date, timedelta

from odoo import api
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user


@tagged("post_install", "-at_install")
class TestCreditReview(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.activity_type = cls.env.ref("delivery_crm.mail_activity_type_credit_review")
        today = date.today()
        cls.due = cls._new_customer(
            "Due",
            user=cls.user_manager,
            account_manager_id=cls.user_account_manager.id,
            credit_review_date=today,
        )
        cls.overdue = cls._new_customer(
            "Overdue",
            user=cls.user_manager,
            account_manager_id=cls.user_manager.id,
            credit_review_date=today - timedelta(days=9),
        )
        cls.later = cls._new_customer(
            "Later",
            user=cls.user_manager,
            account_manager_id=cls.user_account_manager.id,
            credit_review_date=today + timedelta(days=3),
        )
        cls.ended = cls._new_customer(
            "Ended",
            user=cls.user_manager,
            account_manager_id=cls.user_account_manager.id,
            credit_review_date=today,
            customer_state="terminated",
            state_reason="Closed",
        )

    def _reminders(self, partners):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("activity_type_id", "=", self.activity_type.id),
            ]
        )

    def test_reminder_once_per_review(self):
        self._run_cron("delivery_crm.ir_cron_credit_review_reminder")
        reminders = self._reminders(self.due | self.overdue | self.later | self.ended)
        self.assertEqual(len(reminders), 2)
        # the account manager of "due" cannot read credit fields: the admin reviews it
        self.assertEqual(
            {(a.res_id, a.user_id) for a in reminders},
            {(self.due.id, self.env.ref("base.user_admin")), (self.overdue.id, self.user_manager)},
        )
        self.assertEqual(
            self._reminders(self.overdue).date_deadline, self.overdue.credit_review_date
        )
        # a second run the same day adds nothing
        self._run_cron("delivery_crm.ir_cron_credit_review_reminder")
        self.assertEqual(len(self._reminders(self.due | self.overdue | self.later)), 2)
        # the review is done and the next one is planned: reminded again when due
        # (the outcome goes into the credit fields, not into the feedback: see below)
        self._reminders(self.due).action_done()
        self.due.credit_review_date = date.today()
        self._run_cron("delivery_crm.ir_cron_credit_review_reminder")
        self.assertEqual(len(self._reminders(self.due)), 1)
        self.assertEqual(len(self._reminders(self.due).exists()), 1)

    def test_batches_cover_everything(self):
        extra = self.env["res.partner"]
        for i in range(7):
            extra |= self._new_customer(
                f"Batch {i}",
                user=self.user_manager,
                account_manager_id=self.user_account_manager.id,
                credit_review_date=date.today() - timedelta(days=i),
            )
        self.env.flush_all()
        # the batches commit their progress: run them on a cursor of their own
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            partners = api.Environment(cr, api.SUPERUSER_ID, {})["res.partner"]
            done = partners._cron_process_batches(
                [("id", "in", extra.ids), ("credit_review_reminded", "=", False)],
                lambda batch: batch._remind_credit_review(),
                batch_size=3,
            )
        self.env.invalidate_all()
        self.assertEqual(done, 7)
        self.assertEqual(len(self._reminders(extra)), 7)
        self.assertTrue(all(extra.mapped("credit_review_reminded")))

    def test_reviewer_may_read_the_credit_fields(self):
        self.assertEqual(self.overdue._credit_reviewer(), self.user_manager)
        self.assertEqual(self.due._credit_reviewer(), self.env.ref("base.user_admin"))
        team = self.env["delivery.service.team"].create(
            {"name": "Credit desk", "leader_id": self.user_manager.id}
        )
        self.due.service_team_id = team
        self.assertEqual(self.due._credit_reviewer(), self.user_manager)
        team.leader_id = self.user_account_manager
        self.env.company.delivery_complaint_manager_id = self.user_manager
        self.assertEqual(self.due._credit_reviewer(), self.user_manager)

    def test_reminder_tells_other_employees_nothing_sensitive(self):
        """Security review M7: the reminder hangs on the contact, whose activities and
        chatter every employee reads: it names no credit value, and the review's outcome
        goes into the credit fields (managers only, audited), not into the feedback that
        marking it done posts on the contact."""
        self.overdue.credit_level = "c"
        self._run_cron("delivery_crm.ir_cron_credit_review_reminder")
        reminder = self._reminders(self.overdue)
        # the contact's activities: for the employees who may edit contacts
        contacts_user = new_user(self.env, "contacts", "dcrm_contacts")
        seen = reminder.with_user(contacts_user).read(["summary", "note"])[0]
        for value in ("C - Watch", "Watch", "credit_level"):
            self.assertNotIn(value, str(seen))
        done_as = reminder.with_user(self.user_manager)
        with self.assertRaisesRegex(UserError, "credit fields"):
            done_as.action_feedback(feedback="Reviewed: level B kept, risk notes updated")
        self.assertTrue(reminder.exists() and reminder.active)
        done_as.action_done()
        self.assertFalse(reminder.active)
        # the contact's chatter: for every employee
        messages = (
            self.env["mail.message"]
            .with_user(self.user_employee)
            .search([("model", "=", "res.partner"), ("res_id", "=", self.overdue.id)])
        )
        self.assertTrue(messages)
        self.assertFalse(messages.filtered(lambda m: "level B" in str(m.body)))
        # other activities on contacts keep Odoo's feedback
        other = self.overdue.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.user_manager.id
        )
        other.with_user(self.user_manager).action_feedback(feedback="Called back")
        self.assertFalse(other.active)
