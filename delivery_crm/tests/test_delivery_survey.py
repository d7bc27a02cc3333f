from datetime import date, datetime

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DeliveryCrmCommon

CRON = "delivery_crm.ir_cron_satisfaction_survey"
Q2 = date(2026, 4, 1)
Q3 = date(2026, 7, 1)


@tagged("post_install", "-at_install")
class TestDeliverySurvey(DeliveryCrmCommon):
    """Periodic satisfaction surveys (R8; 003 §七.2) and their answers in the
    satisfaction indicator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("delivery_crm.survey_customer_satisfaction")
        cls.questions = cls.survey.question_ids.filtered(
            lambda q: q.question_type == "simple_choice"
        ).sorted("sequence")
        cls.comment_question = cls.survey.question_ids.filtered(
            lambda q: q.question_type == "text_box"
        )
        # reached at its own address
        cls.customer = cls._new_customer(
            "Satisfied Co 满意公司",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
            email="orders@satisfied.example.com",
        )
        # no address of its own: its contact person is invited
        cls.customer_contact = cls._new_customer(
            "Contact Co 联系公司",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
            email=False,
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Wang Fang 王芳",
                "parent_id": cls.customer_contact.id,
                "email": "wang.fang@contact.example.com",
            }
        )
        # left out: no address at all, not in cooperation, not a delivery customer
        cls.no_email = cls._new_customer(
            "Silent Co",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
            email=False,
        )
        cls.prospect = cls._new_customer("Prospect Co", email="prospect@example.com")
        cls.suspended = cls._new_customer(
            "Suspended Co",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
            email="suspended@example.com",
        )
        cls.suspended.sudo().write({"customer_state": "suspended", "state_reason": "Unpaid"})
        cls.other = cls.env["res.partner"].create(
            {"name": "Not a customer", "email": "other@example.com"}
        )

    # ------------------------------------------------------------------ helpers
    def _send_on(self, day):
        with freeze_time(f"{day} 10:00:00"):
            self._run_cron(CRON)

    def _invitations(self, partners):
        return self.env["delivery.survey.invitation"].search(
            [("partner_id", "in", partners.ids)], order="period_start, id"
        )

    def _answer(self, invitation, scores, when, comment=None):
        """Fill the invitation's survey the way the survey's web form does."""
        answer = invitation.user_input_id
        for question, score in zip(self.questions, scores, strict=True):
            choice = question.suggested_answer_ids.filtered(lambda a, s=score: a.answer_score == s)
            answer._save_lines(question, choice.id)
        if comment:
            answer._save_lines(self.comment_question, comment)
        with freeze_time(when):
            answer._mark_done()
        return answer

    # ------------------------------------------------------------------ the survey
    def test_shipped_survey(self):
        self.assertEqual(self.survey.access_mode, "token")
        self.assertEqual(len(self.questions), 4)
        for question in self.questions:
            self.assertEqual(
                sorted(question.suggested_answer_ids.mapped("answer_score")), [1, 2, 3, 4, 5]
            )
            self.assertTrue(question.constr_mandatory)
        self.assertEqual(len(self.comment_question), 1)
        self.assertFalse(self.comment_question.constr_mandatory)

    # ------------------------------------------------------------------ invitations
    def test_invited_once_per_period(self):
        self._send_on("2026-04-02")
        self._send_on("2026-04-02")  # a second run sends nothing more
        self._send_on("2026-05-15")  # nor a later day of the same quarter
        invitation = self._invitations(self.customer)
        self.assertEqual(len(invitation), 1)
        self.assertEqual(
            (invitation.survey_id, invitation.period_type, invitation.period_start),
            (self.survey, "quarterly", Q2),
        )
        self.assertEqual(invitation.recipient_id, self.customer)
        answer = invitation.user_input_id
        self.assertEqual((answer.survey_id, answer.partner_id), (self.survey, self.customer))
        self.assertEqual(answer.state, "new")
        self.assertEqual(answer.deadline, datetime(2026, 7, 1))
        self.assertEqual(invitation.answer_state, "new")
        # one mail, queued, addressed to the customer, with its personal link
        mails = self.env["mail.mail"].search(
            [("model", "=", "survey.user_input"), ("res_id", "in", answer.ids)]
        )
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.recipient_ids, self.customer)
        self.assertEqual(mails.state, "outgoing")
        self.assertIn(answer.access_token, str(mails.body_html))
        # the invitation is the customer's survey history: nothing in its chatter, which
        # every employee reads (security review M7)
        notes = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertFalse(notes.filtered(lambda m: "survey" in str(m.body).lower()))
        # the next quarter: invited again, once
        self._send_on("2026-07-01")
        self._send_on("2026-07-02")
        invitations = self._invitations(self.customer)
        self.assertEqual(invitations.mapped("period_start"), [Q2, Q3])
        self.assertEqual(len(invitations.user_input_id), 2)

    def test_only_reachable_customers_in_cooperation(self):
        self._send_on("2026-04-02")
        invited = self._invitations(
            self.customer
            | self.customer_contact
            | self.no_email
            | self.prospect
            | self.suspended
            | self.other
        )
        self.assertEqual(invited.partner_id, self.customer | self.customer_contact)
        by_customer = {inv.partner_id: inv for inv in invited}
        # a customer without an address: its contact person answers for it
        contact_invitation = by_customer[self.customer_contact]
        self.assertEqual(contact_invitation.recipient_id, self.contact)
        self.assertEqual(contact_invitation.user_input_id.partner_id, self.contact)

    def test_opted_out_address_is_left_out(self):
        self.env["mail.blacklist"].sudo()._add("orders@satisfied.example.com")
        self._send_on("2026-04-02")
        self.assertFalse(self._invitations(self.customer))
        self.assertTrue(self._invitations(self.customer_contact))

    def test_unique_invitation_per_period(self):
        self._send_on("2026-04-02")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["delivery.survey.invitation"].sudo().create(
                {
                    "partner_id": self.customer.id,
                    "survey_id": self.survey.id,
                    "period_type": "quarterly",
                    "period_start": Q2,
                }
            )
            self.env.flush_all()

    def test_staff_read_the_log_only(self):
        self._send_on("2026-04-02")
        invitation = self._invitations(self.customer).with_user(self.user_account_manager)
        self.assertEqual(invitation.partner_id, self.customer)
        self.assertEqual(invitation.answer_state, "new")
        with self.assertRaises(AccessError):
            invitation.write({"period_start": Q3})
        with self.assertRaises(AccessError):
            self.env["delivery.survey.invitation"].with_user(self.user_account_manager).create(
                {
                    "partner_id": self.no_email.id,
                    "survey_id": self.survey.id,
                    "period_type": "quarterly",
                    "period_start": Q2,
                }
            )
        with self.assertRaises(AccessError):
            self.env["delivery.survey.invitation"].with_user(self.user_employee).search([])

    # ------------------------------------------------------------------ satisfaction
    def test_completed_answers_feed_satisfaction(self):
        self._send_on("2026-04-02")
        satisfied = self._invitations(self.customer)
        unsatisfied = self._invitations(self.customer_contact)
        # average 4.0 (>= 4 of 5): satisfied; the comment does not count in the score
        self._answer(satisfied, (5, 4, 4, 3), "2026-04-10 08:00:00", comment="Keep it up")
        # average 3.0: not satisfied
        self._answer(unsatisfied, (3, 3, 4, 2), "2026-05-03 08:00:00")
        self.assertEqual(satisfied.answer_state, "done")
        self.assertEqual((satisfied.average_score, satisfied.satisfied), (4.0, True))
        self.assertEqual((unsatisfied.average_score, unsatisfied.satisfied), (3.0, False))

        Invitation = self.env["delivery.survey.invitation"]
        ids = (self.customer | self.customer_contact | self.no_email).ids
        start, end = datetime(2026, 4, 1), datetime(2026, 7, 1)
        self.assertEqual(
            Invitation._satisfaction_by_partner(ids, start, end),
            {self.customer.id: (100.0, 1), self.customer_contact.id: (0.0, 1)},
        )
        # counted in the period the answer was completed in
        self.assertEqual(
            Invitation._satisfaction_by_partner(ids, datetime(2026, 5, 1), end),
            {self.customer_contact.id: (0.0, 1)},
        )
        self.assertEqual(Invitation._satisfaction_by_partner(ids, datetime(2026, 1, 1), start), {})
        # next quarter: a second answer of the customer, not satisfied (2.5): 50 %
        self._send_on("2026-07-02")
        self._answer(self._invitations(self.customer)[-1], (2, 3, 3, 2), "2026-07-20 08:00:00")
        self.assertEqual(
            Invitation._satisfaction_by_partner(self.customer.ids, start, datetime(2026, 10, 1)),
            {self.customer.id: (50.0, 2)},
        )

    def test_unfinished_answer_does_not_count(self):
        self._send_on("2026-04-02")
        invitation = self._invitations(self.customer)
        answer = invitation.user_input_id
        # answered but never submitted
        for question in self.questions:
            answer._save_lines(question, question.suggested_answer_ids[-1].id)
        answer._mark_in_progress()
        self.assertEqual(
            self.env["delivery.survey.invitation"]._satisfaction_by_partner(
                self.customer.ids, datetime(2026, 1, 1), datetime(2027, 1, 1)
            ),
            {},
        )
        self.assertFalse(invitation.satisfied)

    def test_answers_feed_the_evaluation(self):
        """The evaluation merges the survey answers with the ratings of requests and
        the scores of return visits (``delivery.evaluation._get_satisfaction_data``)."""
        self._send_on("2026-04-02")
        self._answer(self._invitations(self.customer), (5, 5, 4, 4), "2026-04-10 08:00:00")
        self._answer(self._invitations(self.customer_contact), (2, 2, 2, 2), "2026-04-11 08:00")
        data = self.env["delivery.evaluation"]._get_satisfaction_data(
            (self.customer | self.customer_contact).ids,
            datetime(2026, 4, 1),
            datetime(2026, 7, 1),
        )
        self.assertEqual(data.get(self.customer.id), (100.0, 1))
        self.assertEqual(data.get(self.customer_contact.id), (0.0, 1))
        raw = self.env["delivery.evaluation"]._compute_raw(self.customer, "quarterly", Q2, "UTC")
        self.assertEqual(
            (raw[self.customer.id]["satisfaction"], raw[self.customer.id]["satisfaction_count"]),
            (100.0, 1),
        )
