"""Policy clauses of the service desk, checked on their outcome (docs/traceability.md
rows 13, 67, 68, 84, 94, 131, 132 and 134): suggestions handled in time (000
§三(三).3), requirements explained and tracked (001 §六.3–4), requests around the clock
(002 §三.2.1, 004 值班 一), the responsible person told (002 §四.3.2), the quarterly
summary of inquiries (004 咨询服务 四), a walk-in question (004 客户接待 / 新客户接待)."""

import os
from datetime import date, datetime, timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user

CRON_ESCALATE = "delivery_crm.ir_cron_complaint_sla_escalation"
ESCALATION = "delivery_crm.mail_activity_type_sla_escalation"


@tagged("post_install", "-at_install")
class TestClauseServiceDesk(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["delivery.service.team"].create(
            {
                "name": "Desk North 北区",
                "leader_id": cls.user_manager.id,
                "member_ids": [Command.link(cls.user_staff.id)],
            }
        )
        cls.customer = cls._new_customer(
            "Beifang Foods 北方食品",
            customer_class="key",
            account_manager_id=cls.user_account_manager.id,
            service_team_id=cls.team.id,
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Zhou Min 周敏", "parent_id": cls.customer.id, "email": "zhou@example.com"}
        )

    def _request(self, user, when, **vals):
        with freeze_time(when):
            return (
                self.env["delivery.complaint"]
                .with_user(user)
                .create({"contact_id": self.contact.id, **vals})
                .with_env(self.env)
            )

    def _escalations(self, request, user):
        return request.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(ESCALATION) and a.user_id == user
        )

    def _mails_to_customer(self, request, text):
        """The messages of ``request`` sent to its contact that contain ``text``."""
        return request.message_ids.filtered(
            lambda m: self.contact in m.partner_ids and text in str(m.body)
        )

    def _assert_calendar_hours(self, request):
        """Both deadlines run in calendar hours from the receipt, and are within the
        2 h / 24 h of 003 §1.2."""
        received = request.received_date
        self.assertEqual(
            request.sla_response_deadline,
            received + timedelta(hours=request.sla_response_hours),
        )
        self.assertEqual(
            request.sla_resolution_deadline,
            received + timedelta(hours=request.sla_resolution_hours),
        )
        self.assertLessEqual(request.sla_response_hours, 2.0)
        self.assertLessEqual(request.sla_resolution_hours, 24.0)

    # ------------------------------------------------------------------ row 13
    def test_suggestion_answered_in_time_and_the_customer_told(self):
        """000 §三(三).3: a customer's suggestion is recorded, its owner is warned before
        the answer is late, and the answer reaches the customer."""
        received = datetime(2026, 3, 2, 1, 0)
        suggestion = self._request(
            self.user_account_manager,
            received,
            subject="Deliver before 9 am 希望九点前送达",
            request_type="suggestion",
        )
        self.assertRegex(suggestion.name, r"^SUG/\d{4}/\d{5}$")
        self.assertEqual(suggestion.user_id, self.user_account_manager)
        self._assert_calendar_hours(suggestion)
        with freeze_time(received + timedelta(hours=1, minutes=45)):
            self._run_cron(CRON_ESCALATE)
        self.assertEqual(suggestion.sla_response_status, "at_risk")
        self.assertEqual(len(self._escalations(suggestion, self.user_account_manager)), 1)

        answer = "From April our first round leaves at 8:00."
        with freeze_time(received + timedelta(hours=1, minutes=50)):
            mine = suggestion.with_user(self.user_account_manager)
            mine.write({"resolution": f"<p>{answer}</p>"})
            mine.action_resolve()  # "Answer on the spot"
        self.assertEqual(suggestion.state, "resolved")
        self.assertEqual(suggestion.sla_response_status, "met")
        self.assertEqual(suggestion.sla_resolution_status, "met")
        self.assertEqual(len(self._mails_to_customer(suggestion, answer)), 1)

    # ------------------------------------------------------------------ rows 84, 131
    def test_hotline_call_at_night_runs_the_clock_and_escalates(self):
        """002 §三.2.1, 004 值班 一: a call taken on a Sunday night is registered as a
        hotline request owned by whoever took it; its deadlines run through the night,
        and the escalation job warns and escalates at night too."""
        self.assertFalse(self.company.delivery_complaint_calendar_id)  # around the clock
        sunday_night = datetime(2026, 2, 28, 19, 0)  # Sunday 1 March, 03:00 in Beijing
        call = self._request(
            self.user_staff,
            sunday_night,
            subject="Where is my pallet? 货在哪里",
            request_type="inquiry",
        )
        self.assertEqual(call.channel, "hotline")
        self.assertEqual(call.user_id, self.user_staff)
        self._assert_calendar_hours(call)
        with freeze_time(sunday_night + timedelta(hours=1, minutes=45)):
            self._run_cron(CRON_ESCALATE)
        self.assertEqual(len(self._escalations(call, self.user_staff)), 1)
        self.assertFalse(self._escalations(call, self.user_manager))
        with freeze_time(sunday_night + timedelta(hours=2, minutes=30)):
            self._run_cron(CRON_ESCALATE)
        self.assertEqual(call.sla_response_status, "breached")
        self.assertEqual(len(self._escalations(call, self.user_manager)), 1)

    # ------------------------------------------------------------------ row 67
    def test_infeasible_requirement_explained_to_the_customer(self):
        """001 §六.3: a requirement the company cannot meet is answered with the
        reason; without the analysis nothing is sent."""
        received = datetime(2026, 3, 2, 2, 0)
        requirement = self._request(
            self.user_account_manager,
            received,
            subject="Cold-chain deliveries 冷链配送",
            request_type="requirement",
        )
        self.assertRegex(requirement.name, r"^REQ/")
        mine = requirement.with_user(self.user_account_manager)
        answer = "We cannot carry frozen goods before 2027; our partner can from April."
        with freeze_time(received + timedelta(hours=1)):
            mine.action_investigate()  # "Analyse"
            mine.write({"resolution": f"<p>{answer}</p>"})
            with self.assertRaisesRegex(ValidationError, "feasible"):
                mine.action_resolve()  # "Respond" without the analysis
        self.assertEqual(requirement.state, "investigating")
        self.assertFalse(self._mails_to_customer(requirement, answer))
        with freeze_time(received + timedelta(hours=2)):
            mine.write(
                {
                    "feasibility": "not_feasible",
                    "feasibility_reason": "No refrigerated vans",
                    # task req: the gaps, and the follow-up plan (001 §六.3)
                    "requirement_gap": "No cold chain at all",
                    "requirement_alternative": "Our partner's cold-chain service",
                    "requirement_followup_date": date(2026, 4, 1),
                }
            )
            mine.action_resolve()
        self.assertEqual(requirement.state, "resolved")
        self.assertEqual(requirement.feasibility, "not_feasible")
        self.assertEqual(len(self._mails_to_customer(requirement, answer)), 1)

    # ------------------------------------------------------------------ row 68
    def test_requirement_progress_tracked_and_chased(self):
        """001 §六.4: each step of a requirement is in its history, the customer sees
        where it stands, and the owner, then the team leader, are chased when the
        answer is about to be late or is late."""
        portal = new_user(
            self.env, "portal", "clause_portal_zhou", "Zhou Min portal", partner_id=self.contact.id
        )
        received = datetime(2026, 3, 2, 2, 0)
        requirement = self._request(
            self.user_account_manager,
            received,
            subject="Weekend deliveries 周末配送",
            request_type="requirement",
        )
        self.cr.flush()  # a record is not tracked in the transaction that creates it
        with freeze_time(received + timedelta(hours=1)):
            requirement.with_user(self.user_account_manager).action_investigate()
        self.env.flush_all()
        self.cr.flush()  # tracking values are written when the cursor flushes
        states = requirement.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertIn(
            ("Registered", "Investigating"), [(t.old_value_char, t.new_value_char) for t in states]
        )
        seen = self.env["delivery.complaint"].with_user(portal).search([])
        self.assertIn(requirement, seen)
        self.assertEqual(requirement.with_user(portal).state, "investigating")

        hours = requirement.sla_resolution_hours
        with freeze_time(received + timedelta(hours=hours * 0.9)):
            self._run_cron(CRON_ESCALATE)
        self.assertEqual(requirement.sla_resolution_status, "at_risk")
        self.assertEqual(len(self._escalations(requirement, self.user_account_manager)), 1)
        self.assertFalse(self._escalations(requirement, self.user_manager))
        with freeze_time(received + timedelta(hours=hours + 1)):
            self._run_cron(CRON_ESCALATE)
        self.assertEqual(requirement.sla_resolution_status, "breached")
        self.assertEqual(len(self._escalations(requirement, self.user_manager)), 1)

    # ------------------------------------------------------------------ row 94
    def test_responsible_person_of_another_department_is_chased(self):
        """002 §四.3.2: the person of the department held responsible reaches the
        complaint and is told when its resolution is about to be late."""
        dispatcher = new_user(self.env, "staff", "clause_dispatcher", "Dispatcher 调度员")
        received = datetime(2026, 3, 2, 2, 0)
        complaint = self._request(
            self.user_account_manager,
            received,
            subject="Driver left the goods outside 司机把货放在门外",
            type_id=self.env.ref("delivery_crm.delivery_complaint_type_attitude").id,
        )
        mine = complaint.with_user(self.user_account_manager)
        with freeze_time(received + timedelta(hours=1)):
            mine.action_acknowledge()
            mine.action_investigate()
            mine.write(
                {
                    "root_cause_id": self.env.ref(
                        "delivery_crm.delivery_complaint_root_cause_transport"
                    ).id,
                    "department_id": self.env.ref("delivery_crm.delivery_department_transport").id,
                    "responsible_id": dispatcher.id,
                }
            )
        self.assertEqual(
            self.env["delivery.complaint"]
            .with_user(dispatcher)
            .search([("id", "=", complaint.id)]),
            complaint.with_user(dispatcher),
        )
        hours = complaint.sla_resolution_hours
        with freeze_time(received + timedelta(hours=hours * 0.9)):
            self._run_cron(CRON_ESCALATE)
        self.assertEqual(len(self._escalations(complaint, dispatcher)), 1)
        self.assertEqual(len(self._escalations(complaint, self.user_account_manager)), 1)

    # ------------------------------------------------------------------ row 132
    def test_quarterly_summary_of_inquiries(self):
        """004 咨询服务 四: at the end of a quarter the manager exports the quarter's
        inquiries, and only them."""
        q1 = [
            self._request(self.user_account_manager, when, subject=subject, request_type="inquiry")
            for when, subject in (
                (datetime(2024, 1, 15, 3, 0), "Opening hours on holidays"),
                (datetime(2024, 3, 29, 3, 0), "Insurance of valuables"),
            )
        ]
        april = self._request(
            self.user_account_manager,
            datetime(2024, 4, 2, 3, 0),
            subject="Later",
            request_type="inquiry",
        )
        complaint = self._request(
            self.user_account_manager,
            datetime(2024, 2, 5, 3, 0),
            subject="A complaint",
            type_id=self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
        )
        wizard = (
            self.env["delivery.xlsx.export.wizard"]
            .with_user(self.user_manager)
            .create(
                {
                    "export_type": "complaint",
                    "request_type": "inquiry",
                    "date_from": date(2024, 1, 1),
                    "date_to": date(2024, 3, 31),
                }
            )
        )
        path, filename = wizard._export_xlsx()  # what the download route writes
        try:
            book = openpyxl.load_workbook(path)
        finally:
            os.unlink(path)
        self.assertIn("2024-01-01", filename)
        names = {row[0] for row in book["Requests"].iter_rows(min_row=2, values_only=True)}
        self.assertLessEqual({request.name for request in q1}, names)
        self.assertNotIn(april.name, names)
        self.assertNotIn(complaint.name, names)
        # whatever else is in it (demo data) is an inquiry of that quarter too
        exported = self.env["delivery.complaint"].search([("name", "in", list(names))])
        self.assertEqual(len(exported), len(names))
        self.assertEqual(set(exported.mapped("request_type")), {"inquiry"})
        for request in exported:
            self.assertTrue(
                datetime(2023, 12, 31) <= request.received_date < datetime(2024, 4, 1),
                request.name,
            )

    # ------------------------------------------------------------------ rows 133, 134
    def test_walk_in_question_recorded_and_answered(self):
        """004 客户接待 三.4 / 新客户管理制度 三.2: a prospect who calls in or walks in
        with a question is recorded by the person who receives them, answered on the
        spot, and the answer follows by mail."""
        prospect = self._new_customer("Walk-in Co 来访公司")
        visitor = self.env["res.partner"].create(
            {"name": "Qian Li 钱立", "parent_id": prospect.id, "email": "qian@example.com"}
        )
        prospect.write({"service_team_id": self.team.id})
        received = datetime(2026, 3, 3, 6, 0)
        with freeze_time(received):
            question = (
                self.env["delivery.complaint"]
                .with_user(self.user_staff)
                .create(
                    {
                        "subject": "Do you deliver to Tianjin? 能送天津吗",
                        "request_type": "inquiry",
                        "channel": "onsite",
                        "contact_id": visitor.id,
                    }
                )
            )
            question.write({"resolution": "<p>Yes, daily, next-day delivery.</p>"})
            question.action_resolve()  # "Answer on the spot"
        question = question.with_env(self.env)
        self.assertEqual(question.partner_id, prospect)
        self.assertEqual(question.user_id, self.user_staff)
        self.assertEqual(question.state, "resolved")
        self.assertEqual(question.sla_response_status, "met")
        mails = question.message_ids.filtered(
            lambda m: visitor in m.partner_ids and "next-day delivery" in str(m.body)
        )
        self.assertEqual(len(mails), 1)
