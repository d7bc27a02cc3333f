from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DeliveryCrmCommon

CRON_GREETINGS = "delivery_crm.ir_cron_care_greetings"
CRON_SURVEYS = "delivery_crm.ir_cron_satisfaction_survey"


@tagged("post_install", "-at_install")
class TestCrmHistoryPrivacy(DeliveryCrmCommon):
    """M7: every employee reads every contact (and every company reads a shared one),
    so the CRM history of a customer (visits, care actions and their value, surveys,
    greetings) is kept on the CRM records, whose rules say who sees them, and never in
    the contact's chatter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # greetings go out in the company's time zone, for customers of its country
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.company.country_id = cls.env.ref("base.cn")
        cls.customer = cls._new_customer(
            "Private Co 私密公司",
            customer_state="active",
            customer_class="key",
            account_manager_id=cls.user_account_manager.id,
            email="orders@private.example.com",
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Zhou Xun 周迅",
                "parent_id": cls.customer.id,
                "email": "zhou.xun@private.example.com",
                "birthday": date(1980, 5, 20),
            }
        )
        cls.people = cls.customer | cls.contact

    def _seen_by_employee(self, since):
        """What an employee outside the CRM reads in the chatter of the customer and of
        its contact, posted after the message ``since``."""
        self.env.flush_all()
        return (
            self.env["mail.message"]
            .with_user(self.user_employee)
            .search_read(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", self.people.ids),
                    ("id", ">", since),
                ],
                ["body", "subject", "message_type"],
            )
        )

    def _last_message(self):
        self.env.flush_all()
        return self.env["mail.message"].search([], order="id desc", limit=1).id

    def test_the_employee_reads_the_contacts(self):
        """The premise: the contacts and their chatter are open to every employee."""
        self.customer.message_post(body="Public note", subtype_xmlid="mail.mt_note")
        self.assertTrue(self.people.with_user(self.user_employee).read(["name"]))
        self.assertTrue(self._seen_by_employee(0))

    def test_recorded_visit_not_in_the_contact_chatter(self):
        since = self._last_message()
        visit = (
            self.env["delivery.visit"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": "Secret pricing talk",
                    "partner_id": self.customer.id,
                    "visit_type": "return",
                    "content": "<p>They consider leaving for a competitor.</p>",
                    "satisfaction_score": "2",
                    "next_step_ids": [
                        Command.create(
                            {"name": "Counter-offer", "user_id": self.user_account_manager.id}
                        )
                    ],
                }
            )
        )
        visit.action_check_in_at()
        visit.action_done()
        self.assertEqual(self._seen_by_employee(since), [])
        # the visit's own chatter keeps it, for those who may read the visit
        self.assertTrue(
            any(
                "recorded by" in str(m.body)
                for m in visit.with_user(self.user_account_manager).message_ids
            )
        )

    def test_care_event_not_in_the_contact_chatter(self):
        since = self._last_message()
        Event = self.env["delivery.care.event"].with_user(self.user_account_manager)
        event = Event.create(
            {
                "name": "Golf weekend for the buyer",
                "kind": "gift",
                "partner_id": self.customer.id,
                "contact_ids": [Command.set(self.contact.ids)],
                "date": date(2026, 6, 1),
                "cost": 8800.0,
            }
        )
        event.action_done()
        cancelled = Event.create({"name": "Concert tickets", "partner_id": self.customer.id})
        cancelled.action_cancel()
        cancelled.action_plan()
        self.assertEqual(self._seen_by_employee(since), [])
        # the care event's own chatter keeps the steps and the value
        bodies = [str(m.body) for m in event.with_user(self.user_account_manager).message_ids]
        self.assertTrue(any("Care action done" in body and "8,800.00" in body for body in bodies))

    def test_survey_invitation_not_in_the_contact_chatter(self):
        since = self._last_message()
        with freeze_time("2026-04-02 10:00:00"):
            self._run_cron(CRON_SURVEYS)
        invitation = self.env["delivery.survey.invitation"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(invitation), 1)
        self.assertEqual(self._seen_by_employee(since), [])

    def test_greetings_not_in_the_contact_chatter(self):
        since = self._last_message()
        with freeze_time("2026-05-20 02:00:00"):  # the contact's birthday, in Shanghai
            self._run_cron(CRON_GREETINGS)
        with freeze_time("2027-02-06 02:00:00"):  # the Spring Festival 2027
            self._run_cron(CRON_GREETINGS)
        logs = self.env["delivery.greeting.log"].search([("customer_id", "=", self.customer.id)])
        self.assertEqual(len(logs), 2)
        self.assertEqual(self._seen_by_employee(since), [])
        # each greeting is kept with its log, and mailed to the person greeted
        for log in logs:
            self.assertEqual(
                (log.message_id.model, log.message_id.res_id), (log._name, log.id), log.partner_id
            )
            mail = self.env["mail.mail"].search([("mail_message_id", "=", log.message_id.id)])
            self.assertEqual(mail.recipient_ids, log.partner_id)
        # the employee does not read them there either
        self.assertFalse(
            self.env["mail.message"]
            .with_user(self.user_employee)
            .search([("id", "in", logs.message_id.ids)])
        )

    def test_tier_notice_not_in_the_contact_chatter(self):
        """The customer is told of its new tier by mail and SMS; neither lands in its
        chatter (the tier is the CRM's), the tier change keeps the mail."""
        self.customer.phone = "+86 139 0000 0009"
        since = self._last_message()
        change = self._grade_tier(self.customer, self.tier_gold, "Q3 evaluation")
        self.assertEqual(self._seen_by_employee(since), [])
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn(self.tier_gold.name, sms.body)
        self.assertEqual(sms.state, "outgoing")
        mail = self.env["mail.mail"].search(
            [("model", "=", change._name), ("res_id", "=", change.id)]
        )
        self.assertEqual(mail.recipient_ids, self.customer)
