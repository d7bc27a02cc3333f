from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import new_user


@tagged("post_install", "-at_install")
class TestShiftHandoverUi(HttpCase):
    """The incoming staff acknowledges the shift hand-over on a phone (交接班 五)."""

    browser_size = "375x812"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outgoing = new_user(cls.env, "staff", "dcrm_duty_out", "Outgoing Staff")
        cls.incoming = new_user(cls.env, "staff", "dcrm_duty_in", "Incoming Staff")
        manager = new_user(cls.env, "manager", "dcrm_duty_mgr", "Duty Manager")
        # timezone-safe: the outgoing shift ends now (whole hours, UTC), the incoming one
        # starts then; the hand-over is acknowledged in the minutes after
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        start = now - timedelta(hours=4)
        Shift = cls.env["delivery.duty.shift"].with_user(manager)
        out_shift = Shift.create(
            {
                "name": "Outgoing shift",
                "start_hour": start.hour,
                "end_hour": now.hour,
                "ends_next_day": now.date() != start.date(),
                "tz": "UTC",
            }
        )
        end = now + timedelta(hours=8)
        in_shift = Shift.create(
            {
                "name": "Incoming shift",
                "start_hour": now.hour,
                "end_hour": end.hour,
                "ends_next_day": end.date() != now.date(),
                "tz": "UTC",
            }
        )
        Roster = cls.env["delivery.duty.roster"].with_user(manager)
        Roster.create({"date": start.date(), "shift_id": out_shift.id, "user_id": cls.outgoing.id})
        Roster.create({"date": now.date(), "shift_id": in_shift.id, "user_id": cls.incoming.id})
        cls.handover = (
            cls.env["delivery.duty.handover"]
            .with_user(cls.outgoing)
            .create(
                {
                    "shift_id": out_shift.id,
                    "date": start.date(),
                    "notes": "<p>Huadong waits for the claim form</p>",
                }
            )
        )
        cls.handover.action_hand_over()

    def test_incoming_staff_acknowledges_on_a_phone(self):
        self.assertEqual(self.handover.incoming_user_ids, self.incoming)
        self.start_tour(
            f"/odoo/action-delivery_crm.delivery_duty_handover_action/{self.handover.id}",
            "delivery_crm_shift_handover_acknowledge",
            login="dcrm_duty_in",
        )
        self.assertEqual(self.handover.state, "acknowledged")
        self.assertEqual(self.handover.acknowledged_by_id, self.incoming)
        self.assertTrue(self.handover.acknowledged_date)
