from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import DeliveryCrmCommon, new_user

CRON = "delivery_crm.ir_cron_plan_trainings"
TRAINING_DUE = "delivery_crm.mail_activity_type_training_due"


@tagged("post_install", "-at_install")
class TestDeliveryTraining(DeliveryCrmCommon):
    """Training plans, compliance per person, the planning cron, re-training after a
    failed exam or a missed KPI target (000 §四(二), 002 §五.2, 003 §2.1)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.staff_group = cls.env.ref("delivery_crm.group_delivery_crm_user")
        cls.manager_group = cls.env.ref("delivery_crm.group_delivery_crm_manager")
        cls.other = new_user(cls.env, "staff", "dcrm_train_other", "Other Staff")
        cls.team = cls.env["delivery.service.team"].create(
            {
                "name": "Training team",
                "leader_id": cls.user_manager.id,
                "member_ids": [Command.link(cls.user_staff.id), Command.link(cls.other.id)],
            }
        )
        cls.plan = (
            cls.env["delivery.training.plan"]
            .with_user(cls.user_manager)
            .create(
                {
                    "name": "Delivery operations refresher",
                    "topic": "product",
                    "role_ids": [Command.set(cls.staff_group.ids)],
                    "recurrence": "periodic",
                    "interval_months": 6,
                    "due_soon_days": 20,
                    "date_start": cls.today - timedelta(days=400),
                }
            )
        )

    def _done(self, user, days_ago, plan=None, **vals):
        return (
            self.env["delivery.staff.training"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "Operations course",
                    "user_id": user.id,
                    "topic": "product",
                    "plan_id": (plan or self.plan).id,
                    "date": self.today - timedelta(days=days_ago),
                    "state": "done",
                    **vals,
                }
            )
        )

    def _compliance(self, user, plan=None, as_user=None):
        self.env.flush_all()
        self.env["delivery.training.compliance"].invalidate_model()
        return (
            self.env["delivery.training.compliance"]
            .with_user(as_user or self.user_manager)
            .search([("user_id", "=", user.id), ("plan_id", "=", (plan or self.plan).id)])
        )

    def _planned(self, user, plan=None):
        return self.env["delivery.staff.training"].search(
            [
                ("user_id", "=", user.id),
                ("plan_id", "=", (plan or self.plan).id),
                ("state", "=", "planned"),
            ]
        )

    # ------------------------------------------------------------------ plans
    def test_plan_frequency_of_zero_refused(self):
        """A periodic plan repeated every 0 months is refused, and nothing is written."""
        Plan = self.env["delivery.training.plan"].with_user(self.user_manager)
        before = Plan.search_count([])
        for months in (0, -3):
            with self.subTest(months=months), self.assertRaises(ValidationError):
                Plan.create(
                    {
                        "name": "Broken",
                        "role_ids": [Command.set(self.staff_group.ids)],
                        "recurrence": "periodic",
                        "interval_months": months,
                    }
                )
        with self.assertRaises(ValidationError):
            self.plan.with_user(self.user_manager).write({"interval_months": 0})
        self.assertEqual(Plan.search_count([]), before)
        self.assertEqual(self.plan.interval_months, 6)

    def test_plan_needs_module_roles_and_a_manager(self):
        """A plan is for Delivery CRM roles, and only a manager defines it."""
        with self.assertRaises(ValidationError):
            self.env["delivery.training.plan"].with_user(self.user_manager).create(
                {
                    "name": "No role",
                    "role_ids": [Command.set(self.env.ref("base.group_user").ids)],
                }
            )
        with self.assertRaises(AccessError):
            self.env["delivery.training.plan"].with_user(self.user_staff).create(
                {"name": "Mine", "role_ids": [Command.set(self.staff_group.ids)]}
            )

    # ------------------------------------------------------------------ compliance
    def test_compliance_per_person(self):
        """Last completed, next due and status for each person the plan concerns; a
        failed exam or a missed session completes nothing; a role implying the plan's
        role is concerned (the manager is service staff too)."""
        self._done(self.user_staff, 30)  # next due in 5 months: compliant
        self._done(self.other, 170)  # due in ~10 days: due soon
        self._done(self.user_account_manager, 200)  # due ~20 days ago: overdue
        self._done(self.user_manager, 10, state="missed")
        staff = self._compliance(self.user_staff)
        self.assertEqual(staff.last_done, self.today - timedelta(days=30))
        self.assertEqual(staff.next_due, self.today - timedelta(days=30) + relativedelta(months=6))
        self.assertEqual(staff.status, "compliant")
        self.assertEqual(self._compliance(self.other).status, "due_soon")
        self.assertEqual(self._compliance(self.user_account_manager).status, "overdue")
        manager = self._compliance(self.user_manager)
        self.assertFalse(manager.last_done)
        self.assertEqual(manager.next_due, self.user_manager.create_date.date())
        # the auditor holds no plan's role
        self.assertFalse(self._compliance(self.user_auditor))
        # a failed exam of an exam plan completes nothing
        exam_plan = self.plan.copy({"name": "Operations exam", "kind": "exam"})
        self._done(self.user_staff, 5, plan=exam_plan, kind="exam", score=40.0)
        self.assertFalse(self._compliance(self.user_staff, exam_plan).last_done)

    def test_staff_see_their_own_compliance(self):
        self._done(self.other, 170)
        mine = (
            self.env["delivery.training.compliance"]
            .with_user(self.user_staff)
            .search([("plan_id", "=", self.plan.id)])
        )
        self.assertEqual(mine.user_id, self.user_staff)
        self.assertEqual(len(self._compliance(self.other, as_user=self.user_manager)), 1)

    def test_induction_once_before_starting(self):
        """The shipped induction is due from the person's start until done, then never
        again."""
        induction = self.env.ref("delivery_crm.delivery_training_plan_induction")
        row = self._compliance(self.other, induction)
        self.assertEqual(row.next_due, self.other.create_date.date())
        self.assertIn(row.status, ("due_soon", "overdue"))
        self._done(self.other, 0, plan=induction, topic="induction")
        row = self._compliance(self.other, induction)
        self.assertFalse(row.next_due)
        self.assertEqual(row.status, "compliant")

    # ------------------------------------------------------------------ cron
    def test_cron_plans_due_trainings_once(self):
        """The daily cron plans a session for each due or overdue person, with a to-do
        for them and their team leader told; a second run plans nothing more, and a
        compliant person gets nothing."""
        self._done(self.user_staff, 30)
        self._done(self.other, 200)
        self._run_cron(CRON)
        planned = self._planned(self.other)
        self.assertEqual(len(planned), 1)
        self.assertEqual(planned.origin, "plan")
        self.assertEqual(planned.date, self.today)  # overdue: planned today
        self.assertEqual(planned.topic, "product")
        activity = planned.activity_ids
        self.assertEqual(activity.user_id, self.other)
        self.assertEqual(activity.activity_type_id, self.env.ref(TRAINING_DUE))
        self.assertIn(self.user_manager.partner_id, planned.message_partner_ids)
        self.assertFalse(self._planned(self.user_staff))
        self.assertEqual(self._compliance(self.other).planned_date, self.today)
        self._run_cron(CRON)
        self.assertEqual(len(self._planned(self.other)), 1)
        # the person sees their planned session, not the others'
        theirs = (
            self.env["delivery.staff.training"]
            .with_user(self.other)
            .search([("plan_id", "=", self.plan.id)])
        )
        self.assertIn(planned, theirs)
        self.assertEqual(theirs.user_id, self.other)
        # done, it makes them compliant
        planned.with_user(self.user_manager).action_done()
        self.assertEqual(self._compliance(self.other).status, "compliant")

    def test_staff_of_an_allowed_company_are_concerned(self):
        """A staff member allowed in company B (their default company A) is concerned by
        B's plans: a compliance row for B, and the cron plans their training in B (the
        plan's company follows the user's allowed companies, not their default one)."""
        south = self.env["res.company"].create({"name": "Delivery South training"})
        self.other.write({"company_ids": [Command.link(south.id)]})
        self.user_manager.write({"company_ids": [Command.link(south.id)]})
        self.assertEqual(self.other.company_id, self.company)
        plan_b = (
            self.env["delivery.training.plan"]
            .with_user(self.user_manager)
            .with_context(allowed_company_ids=[south.id, self.company.id])
            .create(
                {
                    "name": "South depot safety",
                    "company_id": south.id,
                    "topic": "product",
                    "role_ids": [Command.set(self.staff_group.ids)],
                    "recurrence": "periodic",
                    "interval_months": 6,
                    "date_start": self.today - timedelta(days=400),
                }
            )
        )
        self.env.flush_all()
        self.env["delivery.training.compliance"].invalidate_model()
        row = (
            self.env["delivery.training.compliance"]
            .with_user(self.user_manager)
            .with_context(allowed_company_ids=[south.id, self.company.id])
            .search([("user_id", "=", self.other.id), ("plan_id", "=", plan_b.id)])
        )
        self.assertEqual(len(row), 1)
        self.assertEqual(row.company_id, south)
        self.assertEqual(row.next_due, self.other.create_date.date())  # started today
        self.assertEqual(row.status, "due_soon")
        # a staff member of A only is not concerned by B's plan
        self.assertFalse(self._compliance(self.user_staff, plan_b))
        self._run_cron(CRON)
        planned = self._planned(self.other, plan_b)
        self.assertEqual(len(planned), 1)
        self.assertEqual(planned.company_id, south)
        self.assertFalse(self._planned(self.user_staff, plan_b))

    # ------------------------------------------------------------------ failed exam
    def test_failed_exam_proposes_retraining_once(self):
        """A manager records a failed exam: a re-training of its topic is planned within
        the company's delay, with a to-do for the person; saving the exam again does not
        propose a second one, a passed exam proposes none."""
        self.company.delivery_retraining_days = 10
        form = Form(self.env["delivery.staff.training"].with_user(self.user_manager))
        form.name = "Complaint handling exam"
        form.kind = "exam"
        form.topic = "complaint"
        form.user_id = self.user_staff
        form.pass_mark = 60.0
        exam = form.save()
        self.assertFalse(
            self.env["delivery.staff.training"].search([("source_training_id", "=", exam.id)])
        )
        with Form(exam) as form:
            form.score = 45.0
        exam.action_done()
        retraining = self.env["delivery.staff.training"].search(
            [("source_training_id", "=", exam.id)]
        )
        self.assertEqual(len(retraining), 1)
        self.assertEqual(retraining.origin, "failed_exam")
        self.assertEqual(retraining.state, "planned")
        self.assertEqual(retraining.topic, "complaint")
        self.assertEqual(retraining.date, self.today + timedelta(days=10))
        self.assertEqual(retraining.activity_ids.user_id, self.user_staff)
        exam.with_user(self.user_manager).write({"notes": "re-checked", "score": 50.0})
        self.assertEqual(
            self.env["delivery.staff.training"].search_count(
                [("source_training_id", "=", exam.id)]
            ),
            1,
        )
        passed = exam.copy({"score": 80.0})
        passed.with_user(self.user_manager).action_done()
        self.assertFalse(
            self.env["delivery.staff.training"].search([("source_training_id", "=", passed.id)])
        )

    def test_proposal_fields_cannot_be_forged(self):
        with self.assertRaises(UserError):
            self.env["delivery.staff.training"].with_user(self.user_manager).create(
                {
                    "name": "Forged",
                    "user_id": self.user_staff.id,
                    "origin": "kpi",
                    "kpi_month": self.today.replace(day=1),
                }
            )

    def test_retraining_days_setting_not_negative(self):
        with self.assertRaises(ValidationError):
            self.company.delivery_retraining_days = -1

    # ------------------------------------------------------------------ KPI
    def test_kpi_below_target_proposes_training_once_per_month(self):
        """Last month the staff member answered an inquiry far over the first-response
        target: the cron proposes the shipped service-standards training (its plan's
        trigger), once however often it runs; a colleague within target gets none."""
        self.company.delivery_target_first_response_hours = 2.0
        customer = self._new_customer("Training KPI Customer", customer_state="active")
        contact = self.env["res.partner"].create(
            {"name": "KPI Contact", "parent_id": customer.id, "email": "kpi@example.com"}
        )
        last_month = self.today.replace(day=1) - relativedelta(months=1)
        received = datetime.combine(last_month + timedelta(days=9), time(1, 0))
        service = self.env.ref("delivery_crm.delivery_training_plan_service")
        for user, hours in ((self.user_staff, 8), (self.other, 1)):
            with freeze_time(received):
                inquiry = (
                    self.env["delivery.complaint"]
                    .with_user(user)
                    .create({"subject": "Q", "request_type": "inquiry", "contact_id": contact.id})
                )
            inquiry.resolution = "<p>A</p>"
            with freeze_time(received + timedelta(hours=hours)):
                inquiry.action_resolve()
        self.env.flush_all()
        kpi = self.env["delivery.staff.kpi.report"].search(
            [("user_id", "=", self.user_staff.id), ("month", "=", last_month)]
        )
        self.assertTrue(kpi.response_over_target)
        self._run_cron(CRON)
        proposed = self.env["delivery.staff.training"].search(
            [
                ("user_id", "=", self.user_staff.id),
                ("plan_id", "=", service.id),
                ("kpi_month", "=", last_month),
            ]
        )
        self.assertEqual(len(proposed), 1)
        self.assertEqual(proposed.state, "planned")
        self._run_cron(CRON)
        self.assertEqual(
            self.env["delivery.staff.training"].search_count(
                [("user_id", "=", self.user_staff.id), ("plan_id", "=", service.id)]
            ),
            1,
        )
        self.assertFalse(
            self.env["delivery.staff.training"].search(
                [("user_id", "=", self.other.id), ("kpi_month", "=", last_month)]
            )
        )
