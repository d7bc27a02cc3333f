"""Requirements carried out (task req, issue 17 item 1; 001 §六): the analysis, the
action plan of tasks with departments, owners and deadlines, the progress reports the
customer gets on a cadence, the follow-up plan of a requirement that cannot be met,
and the close only once every task is done and the customer confirmed the delivery."""

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import DeliveryCrmCommon, new_user

CRON_PROGRESS = "delivery_crm.ir_cron_requirement_progress"
CRON_ESCALATE = "delivery_crm.ir_cron_complaint_sla_escalation"
CRON_NO_ANSWER = "delivery_crm.ir_cron_complaint_close_unanswered"
TASK_ACTIVITY = "delivery_crm.mail_activity_type_requirement_task"
ESCALATION = "delivery_crm.mail_activity_type_sla_escalation"
RECEIVED = datetime(2026, 3, 2, 2, 0)  # Monday 10:00 in Beijing


class RequirementCase:
    """A key customer, its contact, an operations department with a head and a member,
    and the service staff who takes the requirement."""

    @classmethod
    def _setup_requirement_world(cls):
        env = cls.env
        cls.head = new_user(env, "staff", "req_ops_head", "Ops Head 运营主管")
        cls.member = new_user(env, "staff", "req_ops_member", "Ops Member 运营专员")
        cls.leader = new_user(env, "manager", "req_team_leader", "Desk Leader 客服主管")
        cls.desk = new_user(env, "staff", "req_desk", "Desk Staff 客服")
        cls.department = env["delivery.department"].create(
            {
                "name": "Operations 运营部",
                "manager_id": cls.head.id,
                "member_ids": [Command.set(cls.member.ids)],
            }
        )
        cls.team = env["delivery.service.team"].create(
            {
                "name": "Key desk 大客户组",
                "leader_id": cls.leader.id,
                "member_ids": [Command.link(cls.desk.id)],
            }
        )
        cls.customer = env["res.partner"].create(
            {
                "name": "Huadong Pharma 华东医药",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_class": "key",
                "service_team_id": cls.team.id,
                "email": "office@huadong.example.com",
            }
        )
        cls.contact = env["res.partner"].create(
            {"name": "Chen Jing 陈静", "parent_id": cls.customer.id, "email": "chen@example.com"}
        )

    def _requirement(self, **vals):
        with freeze_time(RECEIVED):
            return (
                self.env["delivery.complaint"]
                .with_user(self.desk)
                .create(
                    {
                        "subject": "Cold-chain deliveries 冷链配送",
                        "request_type": "requirement",
                        "contact_id": self.contact.id,
                        **vals,
                    }
                )
                .with_env(self.env)
            )

    def _analysed(self, requirement, feasibility="feasible"):
        """The requirement analysed by its owner (001 §六.2)."""
        mine = requirement.with_user(self.desk)
        with freeze_time(RECEIVED + timedelta(hours=1)):
            mine.action_investigate()
            mine.write(
                {
                    "feasibility": feasibility,
                    "feasibility_reason": "Two refrigerated vans can be leased",
                    "requirement_gap": "No cold-chain route in Hangzhou today",
                    "requirement_effort_days": 12.0,
                    "requirement_competitor": "SF offers it at +15 %",
                }
            )
        return mine

    @contextmanager
    def _refused(self, exception, pattern):
        """Refused with ``exception`` whose message matches ``pattern``; what the call
        wrote is rolled back (Odoo's assertRaises: a savepoint), as an RPC call's is."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def _delivered(self):
        requirement = self._requirement()
        mine = self._analysed(requirement)
        with freeze_time(RECEIVED + timedelta(hours=2)):
            mine.write(
                {
                    "requirement_task_ids": [
                        Command.create(
                            {
                                "name": "Open the route",
                                "department_id": self.department.id,
                                "owner_id": self.member.id,
                                "deadline": date(2026, 3, 12),
                            }
                        )
                    ]
                }
            )
            mine.action_resolving()
            mine.requirement_task_ids.write({"state": "done", "done_note": "Route open"})
            mine.write({"resolution": "<p>The route runs.</p>"})
            mine.action_resolve()
        self.assertEqual(requirement.state, "resolved")
        return requirement

    def _mails_to_customer(self, request, text):
        return request.message_ids.filtered(
            lambda m: self.contact in m.partner_ids and text in str(m.body)
        )


@tagged("post_install", "-at_install")
class TestRequirementCarriedOut(RequirementCase, DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_requirement_world()

    def _plan(self, mine):
        with freeze_time(RECEIVED + timedelta(hours=2)):
            mine.write(
                {
                    "requirement_task_ids": [
                        Command.create(
                            {
                                "name": "Lease two refrigerated vans",
                                "department_id": self.department.id,
                                "owner_id": self.member.id,
                                "deadline": date(2026, 3, 12),
                            }
                        ),
                        Command.create(
                            {
                                "name": "Train the drivers on the cold chain",
                                "owner_id": self.desk.id,
                                "deadline": date(2026, 3, 20),
                            }
                        ),
                    ]
                }
            )
        return mine.requirement_task_ids

    def test_requirement_carried_out_reported_and_closed_on_confirmation(self):
        """001 §六.2–§六.4: analysed, carried out with a plan, reported on every 7 days
        by the cron, delivered, closed only once the customer confirmed."""
        requirement = self._requirement()
        mine = self._analysed(requirement)
        mine.write({"requirement_effort_days": 0.0})
        # without an effort and a plan, nothing is carried out and nothing is mailed
        with (
            freeze_time(RECEIVED + timedelta(hours=2)),
            self._refused(ValidationError, "estimated effort.*action plan"),
        ):
            mine.action_resolving()
        self.assertEqual(requirement.state, "investigating")
        mine.write({"requirement_effort_days": 12.0})
        tasks = self._plan(mine)
        vans, training = tasks
        # each owner has the task as an activity due on its deadline
        for task in tasks:
            activity = requirement.activity_ids.filtered(
                lambda a, task=task: (
                    a.user_id == task.owner_id and a.activity_type_id == self.env.ref(TASK_ACTIVITY)
                )
            )
            self.assertEqual(activity.date_deadline, task.deadline)
        with freeze_time(RECEIVED + timedelta(hours=3)):
            mine.action_resolving()  # "Carry out"
        self.assertEqual(requirement.state, "resolving")
        # the plan is the answer: the resolution clock stops (met) and the customer has it
        self.assertEqual(requirement.sla_resolution_status, "met")
        answered_in = requirement.resolution_time
        self.assertEqual(len(self._mails_to_customer(requirement, "Lease two refrigerated")), 1)
        self.assertEqual(requirement.requirement_progress_next_date, date(2026, 3, 9))

        # the member of operations carries out their task, with a note
        theirs = vans.with_user(self.member)
        with self._refused(ValidationError, "what was done"):
            theirs.write({"state": "done"})
        theirs.write({"state": "done", "done_note": "Vans leased from Hangzhou Leasing"})
        self.assertEqual(vans.state, "done")
        self.assertFalse(vans.activity_id)

        # not every task done: not delivered
        mine.write({"resolution": "<p>The cold-chain route runs.</p>"})
        with self._refused(ValidationError, "Train the drivers"):
            mine.action_resolve()
        self.assertEqual(requirement.state, "resolving")

        # the progress reports: none before the 7 days, one on the day, one per cadence
        with freeze_time(datetime(2026, 3, 6, 2, 0)):
            self._run_cron(CRON_PROGRESS)
        self.assertFalse(self._mails_to_customer(requirement, "still in progress"))
        with freeze_time(datetime(2026, 3, 9, 2, 0)):
            self._run_cron(CRON_PROGRESS)
            self._run_cron(CRON_PROGRESS)
        reports = self._mails_to_customer(requirement, "still in progress")
        self.assertEqual(len(reports), 1)
        self.assertIn("1 task(s) done", str(reports.body))
        self.assertIn("Train the drivers", str(reports.body))
        self.assertEqual(requirement.requirement_progress_next_date, date(2026, 3, 16))
        self.assertTrue(requirement.requirement_progress_date)

        with freeze_time(datetime(2026, 3, 15, 2, 0)):
            training.with_user(self.desk).write(
                {"state": "done", "done_note": "12 drivers trained"}
            )
            mine.action_resolve()  # "Delivered"
        self.assertEqual(requirement.state, "resolved")
        self.assertEqual(requirement.resolution_time, answered_in)
        self.assertEqual(len(self._mails_to_customer(requirement, "confirm the delivery")), 1)
        self.assertTrue(requirement.awaits_delivery_confirmation)
        # carried out, no more progress reports
        with freeze_time(datetime(2026, 3, 23, 2, 0)):
            self._run_cron(CRON_PROGRESS)
        self.assertEqual(len(self._mails_to_customer(requirement, "still in progress")), 1)

        # closing without the customer's confirmation is refused, and nothing is written
        with self._refused(ValidationError, "confirmation of the delivery"):
            mine.action_close()
        self.assertEqual(requirement.state, "resolved")
        self.assertFalse(requirement.closed_date)
        self.assertFalse(requirement.close_reason)
        with self._refused(ValidationError, "confirmation of the delivery"):
            requirement.with_user(self.user_manager)._close_by_manager("Customer is abroad")
        self.assertEqual(requirement.state, "resolved")
        # nor does the no-answer period close it
        with freeze_time(datetime(2026, 4, 30, 2, 0)):
            self._run_cron(CRON_NO_ANSWER)
        self.assertEqual(requirement.state, "resolved")

        # staff record the customer's confirmation: how, then it closes
        with self._refused(UserError, "how the customer confirmed"):
            mine.action_confirm_delivery()
        self.assertEqual(requirement.state, "resolved")
        mine.write({"delivery_confirmation_note": "Chen Jing confirmed by phone"})
        mine.action_confirm_delivery()
        self.assertEqual(requirement.state, "closed")
        self.assertEqual(requirement.close_reason, "confirmed")
        self.assertEqual(requirement.delivery_confirmed_partner_id, self.contact)
        self.assertEqual(requirement.delivery_confirmed_uid, self.desk)

    def test_feasible_requirement_is_carried_out_not_just_answered(self):
        """001 §六.3: a requirement the company can meet gets an action plan; it cannot
        be answered and left."""
        mine = self._analysed(self._requirement())
        mine.write({"resolution": "<p>We will do it.</p>"})
        with self._refused(ValidationError, "feasible requirement is carried out"):
            mine.action_resolve()
        self.assertEqual(mine.state, "investigating")

    def test_requirement_that_cannot_be_met_gets_a_followup_plan(self):
        """001 §六.3 对于公司暂时无法满足的需求...制定后续应对计划: the answer goes out only
        with the alternative offered and a follow-up date, which is the owner's activity."""
        requirement = self._requirement()
        mine = self._analysed(requirement, feasibility="not_feasible")
        answer = "We have no refrigerated vans in Hangzhou before 2027."
        mine.write({"resolution": f"<p>{answer}</p>"})
        with freeze_time(RECEIVED + timedelta(hours=2)):
            with self._refused(ValidationError, "feasible analysis"):
                mine.action_resolving()
            with self._refused(ValidationError, "alternative.*follow-up date"):
                mine.action_resolve()
        self.assertEqual(requirement.state, "investigating")
        self.assertFalse(self._mails_to_customer(requirement, answer))
        with freeze_time(RECEIVED + timedelta(hours=3)):
            mine.write(
                {
                    "requirement_alternative": "Our partner's cold-chain service",
                    "requirement_followup_date": date(2026, 1, 5),
                }
            )
            with self._refused(ValidationError, "not past"):
                mine.action_resolve()
            mine.write({"requirement_followup_date": date(2026, 6, 1)})
            mine.action_resolve()  # "Respond"
        self.assertEqual(requirement.state, "resolved")
        mails = self._mails_to_customer(requirement, "partner&#39;s cold-chain") or (
            self._mails_to_customer(requirement, "partner's cold-chain")
        )
        self.assertEqual(len(mails), 1)
        self.assertIn(answer, str(mails.body))
        followup = requirement.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(TASK_ACTIVITY)
        )
        self.assertEqual(followup.user_id, self.desk)
        self.assertEqual(followup.date_deadline, date(2026, 6, 1))

    def test_overdue_task_escalated_once(self):
        """001 §六.4 需求跟踪: a task past its deadline is escalated once, by the SLA
        escalation job, to the team leader and the department's head."""
        requirement = self._requirement()
        mine = self._analysed(requirement)
        self._plan(mine)
        with freeze_time(RECEIVED + timedelta(hours=3)):
            mine.action_resolving()
        vans = requirement.requirement_task_ids.filtered(lambda t: t.department_id)
        with freeze_time(datetime(2026, 3, 11, 2, 0)):
            self._run_cron(CRON_ESCALATE)
        self.assertFalse(vans.escalated)
        with freeze_time(datetime(2026, 3, 13, 2, 0)):
            self._run_cron(CRON_ESCALATE)
            self._run_cron(CRON_ESCALATE)
            self.assertTrue(vans.overdue)
        self.assertTrue(vans.escalated)
        for user in (self.leader, self.head):
            escalations = requirement.activity_ids.filtered(
                lambda a, user=user: (
                    a.user_id == user and a.activity_type_id == self.env.ref(ESCALATION)
                )
            )
            self.assertEqual(len(escalations), 1, user.name)

    def test_plan_input_refused_with_clear_errors(self):
        """Bad input to the plan is refused, nothing written: a past deadline, a task on
        a request that is not a requirement, a plan changed once delivered."""
        mine = self._analysed(self._requirement())
        Task = self.env["delivery.requirement.task"].with_user(self.desk)
        with freeze_time(RECEIVED), self._refused(UserError, "in the past"):
            Task.create(
                {
                    "complaint_id": mine.id,
                    "name": "Too late",
                    "owner_id": self.desk.id,
                    "deadline": date(2026, 3, 1),
                }
            )
        inquiry = (
            self.env["delivery.complaint"]
            .with_user(self.desk)
            .create(
                {
                    "subject": "Opening hours",
                    "request_type": "inquiry",
                    "contact_id": self.contact.id,
                }
            )
        )
        with freeze_time(RECEIVED), self._refused(ValidationError, "not a requirement"):
            Task.create(
                {
                    "complaint_id": inquiry.id,
                    "name": "Answer",
                    "owner_id": self.desk.id,
                    "deadline": date(2026, 3, 10),
                }
            )
        self.assertFalse(self.env["delivery.requirement.task"].search([("name", "=", "Answer")]))

    def test_customer_feedback_while_carried_out_goes_to_the_owner(self):
        """001 §六.4 根据大客户反馈意见,及时调整需求响应方案: the customer's message on a
        requirement being carried out is a to-do of its owner."""
        requirement = self._requirement()
        mine = self._analysed(requirement)
        self._plan(mine)
        with freeze_time(RECEIVED + timedelta(hours=3)):
            mine.action_resolving()
        before = requirement.activity_ids
        requirement.message_post(
            body="We also need Ningbo.",
            author_id=self.contact.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        new = requirement.activity_ids - before
        self.assertEqual(new.user_id, self.desk)
        self.assertIn("feedback", new.summary)

    # ------------------------------------------------------------------ issue 17 review (fixreq)
    def test_task_deadline_not_moved_into_the_past(self):
        """Review 1: the owner cannot move a task's deadline into the past by a write
        (as create refuses it); nothing is written."""
        mine = self._analysed(self._requirement())
        vans = self._plan(mine).filtered("department_id")
        with freeze_time(datetime(2026, 3, 5, 2, 0)), self._refused(UserError, "in the past"):
            vans.with_user(self.desk).write({"deadline": date(2026, 3, 4)})
        self.assertEqual(vans.deadline, date(2026, 3, 12))

    def test_task_not_reopened_once_the_requirement_is_closed(self):
        """Review 2: once the requirement is closed, a member cannot reopen its task nor
        rewrite what was done."""
        requirement = self._delivered()
        mine = requirement.with_user(self.desk)
        mine.write({"delivery_confirmation_note": "Confirmed by phone"})
        mine.action_confirm_delivery()
        self.assertEqual(requirement.state, "closed")
        task = requirement.requirement_task_ids.with_user(self.member)
        with self._refused(UserError, "no longer being carried out"):
            task.write({"state": "open"})
        with self._refused(UserError, "no longer being carried out"):
            task.write({"done_note": "Something else"})
        self.assertEqual(task.state, "done")
        self.assertEqual(task.done_note, "Route open")

    def test_delivered_requirement_confirmation_chased_once(self):
        """Review 5: a delivered requirement the customer has not confirmed after the
        company's no-answer days gives its owner one activity to get it confirmed."""
        requirement = self._delivered()
        days = requirement.company_id.delivery_complaint_no_answer_days
        activity_type = self.env.ref(TASK_ACTIVITY)

        def chases():
            return requirement.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type and "confirmed" in a.summary
            )

        with freeze_time(RECEIVED + timedelta(days=days - 1)):
            self._run_cron(CRON_NO_ANSWER)
        self.assertFalse(chases())
        with freeze_time(RECEIVED + timedelta(days=days + 1)):
            self._run_cron(CRON_NO_ANSWER)
        self.assertEqual(len(chases()), 1)
        self.assertEqual(chases().user_id, self.desk)
        with freeze_time(RECEIVED + timedelta(days=days + 3)):
            self._run_cron(CRON_NO_ANSWER)
        self.assertEqual(len(chases()), 1)
        self.assertEqual(requirement.state, "resolved")

    def test_escalated_task_escalated_again_after_its_deadline_moves(self):
        """Review 8: an overdue task escalated, then given a new deadline, is escalated
        again when it misses that one too."""
        requirement = self._requirement()
        mine = self._analysed(requirement)
        vans = self._plan(mine).filtered("department_id")
        with freeze_time(RECEIVED + timedelta(hours=3)):
            mine.action_resolving()
        with freeze_time(datetime(2026, 3, 13, 2, 0)):
            self._run_cron(CRON_ESCALATE)
        self.assertTrue(vans.escalated)
        with freeze_time(datetime(2026, 3, 13, 3, 0)):
            vans.with_user(self.head).write({"deadline": date(2026, 3, 18)})
        self.assertFalse(vans.escalated)
        with freeze_time(datetime(2026, 3, 19, 2, 0)):
            self._run_cron(CRON_ESCALATE)
        self.assertTrue(vans.escalated)
        escalations = requirement.activity_ids.filtered(
            lambda a: a.user_id == self.head and a.activity_type_id == self.env.ref(ESCALATION)
        )
        self.assertEqual(len(escalations), 2)

    def test_only_owner_head_or_manager_reassign_or_reschedule_a_task(self):
        """Review 9: a plain member of the department changes the task's state and
        note, not its owner nor its deadline; the department's head may, and a moved
        deadline is noted on the requirement for its owner."""
        requirement = self._requirement()
        mine = self._analysed(requirement)
        vans = self._plan(mine).filtered("department_id")
        theirs = vans.with_user(self.member)
        with freeze_time(datetime(2026, 3, 5, 2, 0)):
            with self._refused(UserError, "owner.*head.*manager"):
                theirs.write({"owner_id": self.head.id})
            with self._refused(UserError, "owner.*head.*manager"):
                theirs.write({"deadline": date(2026, 3, 30)})
        self.assertEqual(vans.owner_id, self.member)
        self.assertEqual(vans.deadline, date(2026, 3, 12))
        theirs.write({"done_note": "Two vans found"})
        before = requirement.message_ids
        with freeze_time(datetime(2026, 3, 5, 2, 0)):
            vans.with_user(self.head).write({"deadline": date(2026, 3, 16)})
        self.assertEqual(vans.deadline, date(2026, 3, 16))
        notes = (requirement.message_ids - before).filtered(
            lambda m: "Lease two refrigerated vans" in str(m.body)
        )
        self.assertEqual(len(notes), 1)
        self.assertIn(self.desk.partner_id, notes.partner_ids)
        with freeze_time(datetime(2026, 3, 5, 2, 0)):
            vans.with_user(self.desk).write({"owner_id": self.head.id})
            vans.with_user(self.user_manager).write({"deadline": date(2026, 3, 17)})
        self.assertEqual(vans.owner_id, self.head)

    def test_task_name_help_says_the_customer_sees_it(self):
        """Review 13: the task name is in the customer's progress reports; the form says so."""
        Task = self.env["delivery.requirement.task"]
        self.assertIn("customer", Task._fields["name"].help or "")
        self.assertIn(
            "customer", self.env["delivery.complaint"]._fields["requirement_task_ids"].help or ""
        )


@tagged("post_install", "-at_install")
class TestRequirementPortalConfirmation(RequirementCase, HttpCase):
    """The customer's contact confirms the delivery in the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_requirement_world()
        cls.portal_user = new_user(
            cls.env,
            "portal",
            "req_portal_chen",
            password="req_portal_chen-pw",
            partner_id=cls.contact.id,
        )
        other = cls.env["res.partner"].create(
            {"name": "Other Buyer", "is_company": True, "is_delivery_customer": True}
        )
        other_contact = cls.env["res.partner"].create(
            {"name": "Other Contact", "parent_id": other.id, "email": "other@example.com"}
        )
        cls.other_portal = new_user(
            cls.env,
            "portal",
            "req_portal_other",
            password="req_portal_other-pw",
            partner_id=other_contact.id,
        )

    def _confirm_form(self, requirement, login):
        self.authenticate(login, f"{login}-pw")
        page = self.url_open(f"/my/complaints/{requirement.id}")
        self.assertEqual(page.status_code, 200)
        return html.fromstring(page.content).xpath(
            f"//form[@action='/my/complaints/{requirement.id}/confirm']"
        )

    def test_portal_contact_confirms_the_delivery(self):
        requirement = self._delivered()
        forms = self._confirm_form(requirement, "req_portal_chen")
        self.assertEqual(len(forms), 1)
        token = forms[0].xpath(".//input[@name='csrf_token']/@value")[0]
        response = self.url_open(
            f"/my/complaints/{requirement.id}/confirm", data={"csrf_token": token}
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(requirement.state, "closed")
        self.assertEqual(requirement.close_reason, "confirmed")
        self.assertEqual(requirement.delivery_confirmed_partner_id, self.contact)

    def test_other_customer_cannot_confirm(self):
        """A contact of another customer, with a valid session and CSRF token, is sent
        away and nothing is recorded."""
        requirement = self._delivered()
        self.authenticate("req_portal_other", "req_portal_other-pw")
        page = self.url_open("/my")
        token = re.search(r'csrf_token: "(\w+)"', page.text).group(1)
        response = self.url_open(
            f"/my/complaints/{requirement.id}/confirm", data={"csrf_token": token}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.endswith("/my"), response.url)
        self.env.invalidate_all()
        self.assertEqual(requirement.state, "resolved")
        self.assertFalse(requirement.delivery_confirmed_date)
