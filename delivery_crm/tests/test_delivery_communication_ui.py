from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import new_user


@tagged("post_install", "-at_install")
class TestCommunicationUi(HttpCase):
    """Logging a call from the customer's form, in a real browser at phone size."""

    browser_size = "375x812"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_user(cls.env, "account_manager", "dcrm_caller", "Calling Manager")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Call Customer 电话客户",
                "is_company": True,
                "is_delivery_customer": True,
                "account_manager_id": cls.user.id,
                "customer_state": "active",
            }
        )
        cls.plan = cls.env["delivery.communication.plan"].create(
            {
                "name": "Weekly call",
                "partner_id": cls.customer.id,
                "channel": "phone",
                "interval_number": 1,
                "interval_unit": "weeks",
                "user_id": cls.user.id,
                "next_date": fields.Date.today() - timedelta(days=2),
                "is_overdue": True,
            }
        )

    def test_log_a_call_from_the_customer_form(self):
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "delivery_crm_communication_log",
            login="dcrm_caller",
        )
        record = self.customer.communication_ids
        self.assertEqual(record.name, "Call about Sunday pick-ups")
        self.assertEqual((record.channel, record.direction), ("phone", "out"))
        self.assertEqual(record.feedback, "Happy with the drivers")
        self.assertEqual(record.user_id, self.user)
        self.assertEqual(record.plan_id, self.plan)
        self.assertFalse(self.plan.is_overdue)
        self.assertEqual(self.plan.next_date, fields.Date.today() + timedelta(weeks=1))
