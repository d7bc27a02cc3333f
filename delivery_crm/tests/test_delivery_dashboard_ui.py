from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import new_user


class DashboardTourMixin:
    """A manager opens the dashboard and drills from the on-time card into the
    deliveries it counts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Dashboard Tour Co"})
        cls.user = new_user(cls.env, "manager", "dash_tour", "Dash Tour", cls.company)
        customer = cls.env["res.partner"].create(
            {
                "name": "Tour Dashboard Customer",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_state": "active",
                "company_id": cls.company.id,
            }
        )
        # this month: 4 finished deliveries, 1 late (75 % on time, below the 90 % target)
        now = fields.Datetime.now()
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        cls.env["delivery.shipment"].create(
            [
                {
                    "name": f"TOUR-DASH-{i}",
                    "partner_id": customer.id,
                    "company_id": cls.company.id,
                    "date": max(start + timedelta(hours=12), now - timedelta(hours=1 + i)),
                    "outcome": outcome,
                }
                for i, outcome in enumerate(("delivered", "delivered", "delivered", "late"))
            ]
        )
        cls.company.partner_id.tz = "UTC"
        # the manager's delivery figures are those the hourly job counted
        cls.env["delivery.shipment.rollup"]._refresh()

    def _run(self):
        self.start_tour(
            "/odoo/action-delivery_crm.delivery_dashboard_action",
            "delivery_crm_dashboard",
            login="dash_tour",
        )
        # the card the tour read and drilled into is the server's figure for the user
        data = (
            self.env["delivery.dashboard"]
            .with_user(self.user)
            .with_company(self.company)
            .get_dashboard_data("year")
        )
        [card] = [kpi for kpi in data["kpis"] if kpi["key"] == "on_time_rate"]
        self.assertEqual((card["value"], card["part"], card["whole"]), (75.0, 3, 4))
        self.assertEqual(card["status"], "miss")


@tagged("post_install", "-at_install")
class TestDashboardUiDesktop(DashboardTourMixin, HttpCase):
    def test_dashboard_desktop(self):
        self._run()


@tagged("post_install", "-at_install")
class TestDashboardUiPhone(DashboardTourMixin, HttpCase):
    browser_size = "375x812"
    touch_enabled = True

    def test_dashboard_phone(self):
        self._run()
