from datetime import date, timedelta

from odoo import api
from odoo.tests import tagged

from .common import DeliveryCrmCommon


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
            account_manager_id=cls.user_crm.id,
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
            account_manager_id=cls.user_crm.id,
            credit_review_date=today + timedelta(days=3),
        )
        cls.ended = cls._new_customer(
            "Ended",
            user=cls.user_manager,
            account_manager_id=cls.user_crm.id,
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
        self._reminders(self.due).action_feedback(feedback="Reviewed: level B kept")
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
                account_manager_id=self.user_crm.id,
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
        team.leader_id = self.user_crm
        self.env.company.delivery_complaint_manager_id = self.user_manager
        self.assertEqual(self.due._credit_reviewer(), self.user_manager)
