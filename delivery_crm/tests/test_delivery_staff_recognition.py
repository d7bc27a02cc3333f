import os
from datetime import datetime, time, timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import DeliveryCrmCommon, new_user


@tagged("post_install", "-at_install")
class TestStaffRecognition(DeliveryCrmCommon):
    """Awards, commendations and sanctions (000 §七, 002 §五.2, 003 §2.2): granted by a
    manager only, counted on the staff performance report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.month = cls.today.replace(day=1)

    def _grant(self, user=None, **vals):
        return (
            self.env["delivery.staff.recognition"]
            .with_user(user or self.user_manager)
            .create(
                {
                    "user_id": self.user_staff.id,
                    "kind": "award",
                    "reason": "satisfaction",
                    "name": "Customer satisfaction award",
                    "date": self.today,
                    **vals,
                }
            )
        )

    def _kpi(self, user):
        self.env.flush_all()
        self.env["delivery.staff.kpi.report"].invalidate_model()
        return self.env["delivery.staff.kpi.report"].search(
            [("user_id", "=", user.id), ("month", "=", self.month)]
        )

    def test_manager_grants_and_the_kpi_counts(self):
        """A manager's award, commendation and penalty are counted in the person's month
        of the staff performance; the granter is the manager."""
        award = self._grant()
        self._grant(kind="customer_praise", name="Praised by a customer")
        self._grant(kind="penalty", reason="complaints", name="Repeated complaints", amount=50)
        self.assertEqual(award.granted_by_id, self.user_manager)
        kpi = self._kpi(self.user_staff)
        self.assertEqual(kpi.awards_count, 2)
        self.assertEqual(kpi.sanctions_count, 1)
        # the staff member sees their own, from their performance too
        own = self.env["delivery.staff.recognition"].with_user(self.user_staff).search([])
        self.assertEqual(own.user_id, self.user_staff)
        self.assertEqual(len(own), 3)

    def test_excel_staff_kpis_count_them(self):
        """The Excel staff KPIs (the other place staff performance is shown) count the
        awards and sanctions of the month and of the range."""
        self._grant()
        self._grant(kind="criticism", reason="complaints", name="Rude on the phone")
        wizard = (
            self.env["delivery.xlsx.export.wizard"]
            .with_user(self.user_manager)
            .create({"export_type": "staff_kpi", "date_from": self.month, "date_to": self.today})
        )
        path, _filename = wizard._export_xlsx()
        try:
            book = openpyxl.load_workbook(path)
        finally:
            os.unlink(path)
        for title in ("Staff KPIs", "By staff member"):
            sheet = book[title]
            header = [cell.value for cell in sheet[1]]
            rows = [
                dict(zip(header, row, strict=True))
                for row in sheet.iter_rows(min_row=2, values_only=True)
            ]
            [mine] = [row for row in rows if row["Staff member"] == self.user_staff.name]
            self.assertEqual(mine["Awards and commendations"], 1, title)
            self.assertEqual(mine["Criticisms and penalties"], 1, title)

    def test_award_by_non_manager_refused(self):
        """Service staff and account managers cannot grant, change or forge the granter;
        nothing is written."""
        Recognition = self.env["delivery.staff.recognition"]
        before = Recognition.search_count([])
        for user in (self.user_staff, self.user_account_manager, self.user_auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._grant(user=user, user_id=user.id)
        award = self._grant()
        with self.assertRaises(AccessError):
            award.with_user(self.user_staff).write({"kind": "award", "amount": 1000})
        with self.assertRaises(UserError):
            self._grant(granted_by_id=self.user_account_manager.id)
        with self.assertRaises(ValidationError):
            self._grant(amount=-5)
        self.assertEqual(Recognition.search_count([]), before + 1)
        # an other staff member's award is not theirs to read
        self.assertFalse(
            Recognition.with_user(self.user_account_manager).search([("id", "=", award.id)])
        )

    def test_manager_cannot_grant_themselves(self):
        """A manager cannot record an award or a sanction for themselves, nor move one
        onto themselves, nor change one granted to them (it would feed their own staff
        KPI, 000 §七): another manager records it; nothing is written. An administrator
        is no exception."""
        Recognition = self.env["delivery.staff.recognition"]
        before = Recognition.search_count([])
        admin = new_user(self.env, "admin", "dcrm_rec_admin", "CRM Administrator")
        self.assertTrue(admin.has_group("delivery_crm.group_delivery_crm_manager"))
        for user in (self.user_manager, admin):
            for kind in ("award", "penalty"):
                with self.subTest(user=user.login, kind=kind), self.assertRaises(AccessError):
                    self._grant(user=user, user_id=user.id, kind=kind)
        # nor through a default (the grant action's context)
        with self.assertRaises(AccessError):
            Recognition.with_user(self.user_manager).with_context(
                default_user_id=self.user_manager.id
            ).create({"kind": "award", "name": "Mine"})
        self.assertEqual(Recognition.search_count([]), before)
        other_manager = new_user(self.env, "manager", "dcrm_rec_manager", "Other Manager")
        award = self._grant(user=other_manager, user_id=self.user_manager.id, amount=100)
        with self.assertRaises(AccessError):
            award.with_user(self.user_manager).write({"amount": 5000})
        theirs = self._grant()
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_manager).write({"user_id": self.user_manager.id})
        self.env.invalidate_all()
        self.assertEqual(award.amount, 100)
        self.assertEqual(theirs.user_id, self.user_staff)
        self.assertEqual(Recognition.search_count([]), before + 2)

    def test_grant_from_the_performance_report(self):
        """A month meeting the satisfaction target without complaints is an award
        candidate (000 §七(一)2); a month without satisfaction answers is not; the
        manager grants from the row."""
        customer = self._new_customer("Satisfied Customer", customer_state="active")
        visit = self.env["delivery.visit"].create(
            {
                "name": "Return visit",
                "partner_id": customer.id,
                "user_id": self.user_account_manager.id,
                "visit_type": "return",
                "content": "<p>fine</p>",
                "satisfaction_score": "5",
                "planned_date": datetime.combine(self.today, time(2, 0)),
            }
        )
        with freeze_time(datetime.combine(self.today, time(3, 0))):
            visit.action_done()
        self.assertTrue(self._kpi(self.user_account_manager).award_candidate)
        self._grant(kind="commendation", name="Helpful")
        self.assertFalse(self._kpi(self.user_staff).award_candidate)
        row = self._kpi(self.user_account_manager)
        action = row.with_user(self.user_manager).action_grant_recognition()
        self.assertEqual(action["res_model"], "delivery.staff.recognition")
        form = Form(
            self.env["delivery.staff.recognition"]
            .with_user(self.user_manager)
            .with_context(**action["context"])
        )
        form.name = "Satisfaction award"
        award = form.save()
        self.assertEqual(award.user_id, self.user_account_manager)
        self.assertEqual(award.kind, "award")
        self.assertEqual(self._kpi(self.user_account_manager).awards_count, 1)

    def test_customer_reward_commends_the_account_manager(self):
        """Rewarding an excellent customer (a reward candidate) commends its account
        manager for the customer maintenance (000 §七(一)3)."""
        customer = self._new_customer(
            "Excellent Customer", account_manager_id=self.user_account_manager.id
        )
        customer.reward_candidate = True
        wizard = Form(
            self.env["delivery.reward.wizard"]
            .with_user(self.user_manager)
            .with_context(default_partner_id=customer.id)
        )
        wizard.description = "Certificate"
        wizard = wizard.save()
        self.assertEqual(wizard.commend_user_id, self.user_account_manager)
        wizard.action_confirm()
        commendation = self.env["delivery.staff.recognition"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(commendation.user_id, self.user_account_manager)
        self.assertEqual(commendation.kind, "commendation")
        self.assertEqual(commendation.reason, "maintenance")
        self.assertFalse(customer.reward_candidate)
        self.assertEqual(self._kpi(self.user_account_manager).awards_count, 1)

    def test_manager_rewarding_their_own_customer_rewards_the_customer_only(self):
        """A manager who is the customer's own account manager gives the reward without
        commending themselves (nobody records their own award)."""
        customer = self._new_customer(
            "Own Excellent Customer", account_manager_id=self.user_manager.id
        )
        wizard = Form(
            self.env["delivery.reward.wizard"]
            .with_user(self.user_manager)
            .with_context(default_partner_id=customer.id)
        )
        wizard.description = "Certificate"
        wizard = wizard.save()
        self.assertFalse(wizard.commend_user_id)
        wizard.action_confirm()
        self.assertTrue(
            self.env["delivery.care.event"].search(
                [("partner_id", "=", customer.id), ("kind", "=", "reward")]
            )
        )
        self.assertFalse(
            self.env["delivery.staff.recognition"].search([("partner_id", "=", customer.id)])
        )

    def test_kpi_shows_overdue_trainings(self):
        """The performance rows show how many training plans the person is overdue on."""
        plan = (
            self.env["delivery.training.plan"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "Security refresher",
                    "topic": "security",
                    "role_ids": [
                        Command.set(self.env.ref("delivery_crm.group_delivery_crm_user").ids)
                    ],
                    "interval_months": 3,
                }
            )
        )
        self.env["delivery.staff.training"].with_user(self.user_manager).create(
            {
                "name": "Security",
                "topic": "security",
                "plan_id": plan.id,
                "user_id": self.user_staff.id,
                "date": self.today - timedelta(days=200),
                "state": "done",
            }
        )
        self._grant(kind="commendation", name="Row of the month")
        self.assertGreaterEqual(self._kpi(self.user_staff).trainings_overdue, 1)
        compliance = self.env["delivery.training.compliance"].search(
            [("user_id", "=", self.user_staff.id), ("status", "=", "overdue")]
        )
        self.assertEqual(self._kpi(self.user_staff).trainings_overdue, len(compliance))
