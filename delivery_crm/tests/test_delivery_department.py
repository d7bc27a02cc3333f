"""Departments that act (task req, issue 17 item 2; 002 §四.3.2 通知相关部门, 004
首问责任制 二): a request or a requirement task given to a department tells its head
and members once per assignment; they reach what was given to them; the department
KPIs count requests, SLA kept, complaints attributed and tasks overdue."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user
from .test_delivery_requirement import RECEIVED, RequirementCase


@tagged("post_install", "-at_install")
class TestDeliveryDepartment(RequirementCase, DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_requirement_world()
        cls.finance_head = new_user(cls.env, "staff", "req_fin_head", "Finance Head 财务主管")
        cls.finance = cls.env["delivery.department"].create(
            {"name": "Finance 财务部", "manager_id": cls.finance_head.id}
        )

    def _notices(self, record, department):
        """The messages on ``record`` that notified the head and members of
        ``department`` (one mail or inbox notification each)."""
        users = department.manager_id | department.member_ids
        return record.message_ids.filtered(
            lambda m: set(users.partner_id.ids) <= set(m.notification_ids.res_partner_id.ids)
        )

    def test_request_given_to_a_department_tells_its_people_once(self):
        """004 首问责任制 二: the first-contact owner passes a question outside their
        remit to the department concerned, who is told."""
        with freeze_time(RECEIVED):
            inquiry = (
                self.env["delivery.complaint"]
                .with_user(self.desk)
                .create(
                    {
                        "subject": "Invoice for February 二月发票",
                        "request_type": "inquiry",
                        "contact_id": self.contact.id,
                        "department_id": self.department.id,
                    }
                )
            )
        self.assertEqual(len(self._notices(inquiry, self.department)), 1)
        notice = self._notices(inquiry, self.department)
        self.assertIn("Operations", str(notice.body))
        self.assertNotIn(self.contact, notice.partner_ids)  # internal only
        # other writes, or the same department again, tell nobody again
        inquiry.with_user(self.desk).write({"subject": "Invoice for February (VAT)"})
        inquiry.with_user(self.desk).write({"department_id": self.department.id})
        self.assertEqual(len(self._notices(inquiry, self.department)), 1)
        self.assertFalse(self._notices(inquiry, self.finance))
        # given to finance: finance's head is told
        inquiry.with_user(self.desk).write({"department_id": self.finance.id})
        self.assertEqual(len(self._notices(inquiry, self.finance)), 1)
        self.assertEqual(len(self._notices(inquiry, self.department)), 1)
        # the head of finance reads it (not their customer, not their team)
        self.assertEqual(inquiry.with_user(self.finance_head).subject, inquiry.subject)

    def test_task_given_to_a_department_tells_its_people_who_carry_it_out(self):
        mine = self._analysed(self._requirement())
        with freeze_time(RECEIVED + timedelta(hours=2)):
            mine.write(
                {
                    "requirement_task_ids": [
                        Command.create(
                            {
                                "name": "Quote the cold-chain tariff",
                                "department_id": self.finance.id,
                                "owner_id": self.desk.id,
                                "deadline": date(2026, 3, 10),
                            }
                        )
                    ]
                }
            )
        task = mine.requirement_task_ids
        self.assertEqual(len(self._notices(mine, self.finance)), 1)
        with freeze_time(RECEIVED + timedelta(hours=3)):
            task.with_user(self.desk).write({"deadline": date(2026, 3, 11)})
        self.assertEqual(len(self._notices(mine, self.finance)), 1)
        task.with_user(self.desk).write({"department_id": self.department.id})
        self.assertEqual(len(self._notices(mine, self.department)), 1)
        # a member of the department reads the requirement and carries out the task
        theirs = task.with_user(self.member)
        self.assertEqual(theirs.complaint_id.subject, mine.subject)
        theirs.write({"state": "done", "done_note": "Tariff quoted: 4.20 CNY/kg"})
        self.assertEqual(task.state, "done")

    def test_department_kpis(self):
        """Per department and month: requests, SLA kept, complaints attributed, tasks
        overdue — as the manager reads them."""
        with freeze_time(RECEIVED):
            Complaint = self.env["delivery.complaint"].with_user(self.desk)
            complaint = Complaint.create(
                {
                    "subject": "Cold goods arrived warm",
                    "contact_id": self.contact.id,
                    "type_id": self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
                    "department_id": self.department.id,
                }
            )
            Complaint.create(
                {
                    "subject": "Route question",
                    "request_type": "inquiry",
                    "contact_id": self.contact.id,
                    "department_id": self.department.id,
                }
            )
            inquiry = Complaint.create(
                {
                    "subject": "Invoice",
                    "request_type": "inquiry",
                    "contact_id": self.contact.id,
                    "department_id": self.finance.id,
                }
            )
        with freeze_time(RECEIVED + timedelta(hours=1)):
            answered = inquiry.with_user(self.desk)
            answered.write({"resolution": "<p>Sent again.</p>"})
            answered.action_resolve()
        mine = self._analysed(self._requirement(department_id=self.department.id))
        with freeze_time(RECEIVED + timedelta(hours=2)):
            mine.write(
                {
                    "requirement_task_ids": [
                        Command.create(
                            {
                                "name": "Lease vans",
                                "department_id": self.department.id,
                                "owner_id": self.member.id,
                                "deadline": date(2026, 3, 5),
                            }
                        )
                    ]
                }
            )
        self.assertTrue(complaint.counts_as_complaint)
        self.env.flush_all()
        with freeze_time(datetime(2026, 3, 9, 2, 0)):
            Report = self.env["delivery.department.kpi.report"].with_user(self.user_manager)
            ops = Report.search([("department_id", "=", self.department.id)])
            finance = Report.search([("department_id", "=", self.finance.id)])
            self.assertEqual(ops.month, date(2026, 3, 1))
            self.assertEqual(ops.request_count, 3)
            self.assertEqual(ops.complaints_attributed, 1)
            self.assertEqual(ops.task_count, 1)
            self.assertEqual(ops.tasks_overdue, 1)
            self.assertEqual(ops.sla_total, 0)
            self.assertFalse(ops.sla_compliance)  # nothing resolved: no data
            self.assertEqual(finance.request_count, 1)
            self.assertEqual(finance.sla_total, 1)
            self.assertEqual(finance.sla_compliance, 100.0)
            self.assertEqual(finance.tasks_overdue, 0)
