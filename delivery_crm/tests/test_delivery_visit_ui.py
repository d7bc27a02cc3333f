from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import new_user


@tagged("post_install", "-at_install")
class TestVisitCheckInUi(HttpCase):
    """The one-tap check-in of "My visits today", in a real browser at phone size."""

    browser_size = "375x812"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_user(cls.env, "staff", "dcrm_field", "Field Staff")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Customer 巡检客户",
                "is_company": True,
                "is_delivery_customer": True,
                "partner_latitude": 31.2400,
                "partner_longitude": 121.4900,
            }
        )
        cls.visit = cls.env["delivery.visit"].create(
            {
                "name": "Tour check-in visit",
                "partner_id": cls.customer.id,
                "user_id": cls.user.id,
                # "Today" is the browser's day, whatever the timezones of the
                # server and of the user: the present moment always lies in it.
                "planned_date": fields.Datetime.now(),
            }
        )

    def test_check_in_with_position(self):
        self.start_tour(
            "/odoo/action-delivery_crm.delivery_visit_action_today",
            "delivery_crm_visit_check_in",
            login="dcrm_field",
        )
        self.assertTrue(self.visit.check_in_date)
        self.assertAlmostEqual(self.visit.check_in_latitude, 31.2404)
        self.assertEqual(self.visit.location_status, "ok")
        self.assertEqual(self.visit.check_in_distance, 0.044)  # 44 m, stored to the metre
        self.assertEqual(self.visit.check_in_accuracy, 8)

    def test_check_in_refused_position(self):
        self.start_tour(
            "/odoo/action-delivery_crm.delivery_visit_action_today",
            "delivery_crm_visit_check_in_refused",
            login="dcrm_field",
        )
        self.assertTrue(self.visit.check_in_date)
        self.assertEqual(self.visit.location_status, "no_location")

    def test_check_in_uncertain_position(self):
        """The phone reports its accuracy (3 km, cell towers): worse than the radius,
        the check-in is "uncertain" whatever the distance, and the user is told."""
        self.start_tour(
            "/odoo/action-delivery_crm.delivery_visit_action_today",
            "delivery_crm_visit_check_in_uncertain",
            login="dcrm_field",
        )
        self.assertEqual(self.visit.check_in_accuracy, 3000)
        self.assertEqual(self.visit.location_status, "uncertain")
