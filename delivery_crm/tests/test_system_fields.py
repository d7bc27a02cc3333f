from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_delivery_complaint import DeliveryComplaintCommon


@tagged("post_install", "-at_install")
class TestSystemFieldPaths(DeliveryComplaintCommon):
    """What the module keeps (a request's steps and clocks, a visit's record, a
    customer's figures, the logs) is set by hand on no path (issue 13 item 2): not by a
    default a user saved for themselves (``ir.default``, which Odoo applies after the
    model's checks), not by a copy, not by an empty-looking value that is one."""

    def _save_default(self, user, model, field, value):
        self.env["ir.default"].with_user(user).set(model, field, value, user_id=True)

    def test_saved_defaults_do_not_set_a_request(self):
        for field, value in (
            ("close_reason", "rated"),
            ("sla_response_status", "met"),
            ("reopen_count", 3),
            ("active", False),
        ):
            self._save_default(self.user_account_manager, "delivery.complaint", field, value)
        complaint = self._complaint()
        self.assertEqual(complaint.state, "registered")
        self.assertFalse(complaint.close_reason)
        self.assertNotEqual(complaint.sla_response_status, "met")
        self.assertEqual(complaint.reopen_count, 0)
        self.assertTrue(complaint.active)
        # what the user saves for an ordinary field still applies
        self._save_default(self.user_account_manager, "delivery.complaint", "urgency", "urgent")
        self.assertEqual(self._complaint().urgency, "urgent")

    def test_saved_defaults_do_not_record_a_visit(self):
        self._save_default(self.user_account_manager, "delivery.visit", "state", "done")
        self._save_default(self.user_account_manager, "delivery.visit", "location_status", "ok")
        visit = (
            self.env["delivery.visit"]
            .with_user(self.user_account_manager)
            .create({"name": "Quarterly review", "partner_id": self.customer.id})
        )
        self.assertEqual(visit.state, "planned")
        self.assertNotEqual(visit.location_status, "ok")

    def test_saved_defaults_do_not_forge_a_customer(self):
        self._save_default(self.user_staff, "res.partner", "kpi_date", "2099-12-31")
        self._save_default(self.user_staff, "res.partner", "reward_candidate", True)
        self._save_default(self.user_staff, "res.partner", "tier_id", self.tier_diamond.id)
        customer = (
            self.env["res.partner"]
            .with_user(self.user_staff)
            .create({"name": "Registered by the desk", "is_delivery_customer": True})
        )
        customer = customer.sudo()
        self.assertFalse(customer.kpi_date)
        self.assertFalse(customer.reward_candidate)
        self.assertEqual(customer.tier_id, self.tier_new)

    def test_saved_defaults_do_not_forge_a_hand_over(self):
        complaint = self._complaint()
        self._save_default(
            self.user_account_manager,
            "delivery.complaint.handover",
            "user_id",
            self.user_manager.id,
        )
        self._save_default(
            self.user_account_manager, "delivery.complaint.handover", "date", "2024-01-01 00:00:00"
        )
        wizard = (
            self.env["delivery.complaint.handover.wizard"]
            .with_user(self.user_account_manager)
            .with_context(active_model="delivery.complaint", active_ids=complaint.ids)
            .create({"user_id": self.user_staff.id, "reason": "Going on leave"})
        )
        wizard.action_confirm()
        handover = complaint.sudo().handover_ids
        self.assertEqual(handover.user_id, self.user_account_manager)
        self.assertEqual(handover.date.year, handover.create_date.year)
        self.assertNotEqual(handover.date.year, 2024)

    def test_a_request_is_duplicated_without_its_steps(self):
        complaint = self._complaint()
        complaint.with_user(self.user_account_manager).action_acknowledge()
        copy = complaint.with_user(self.user_account_manager).copy()
        self.assertEqual(copy.state, "registered")
        self.assertFalse(copy.acknowledged_uid)
        self.assertNotEqual(copy.name, complaint.name)
        # a copy that names a step is still refused
        with self.assertRaises(UserError):
            complaint.with_user(self.user_account_manager).copy({"state": "closed"})

    def test_only_managers_create_an_archived_request(self):
        with self.assertRaises(UserError):
            self._complaint(active=False)
        self.assertFalse(
            self.env["delivery.complaint"]
            .with_context(active_test=False)
            .search([("subject", "=", "Parcel two days late")])
        )
        archived = self._complaint(user=self.user_manager, active=False)
        self.assertFalse(archived.active)

    def test_staff_register_customers_with_the_defaults(self):
        """Security review H3: service staff created customers already active, key,
        with any account manager, team or ladder: the account managers' decisions."""
        Partner = self.env["res.partner"].with_user(self.user_staff)
        for field, value in (
            ("customer_state", "active"),
            ("customer_class", "key"),
            ("account_manager_id", self.user_account_manager.id),
            ("tier_ladder_id", self.ladder_key.id),
        ):
            with self.subTest(field=field), self.assertRaises(AccessError):
                Partner.create(
                    {"name": f"Forged {field}", "is_delivery_customer": True, field: value}
                )
        self.assertFalse(self.env["res.partner"].search([("name", "like", "Forged ")]))
        # the defaults, as the form sends them, are fine
        defaults = Partner.default_get(["customer_state", "tier_ladder_id"])
        customer = Partner.create({"name": "Registered", "is_delivery_customer": True, **defaults})
        self.assertEqual(customer.sudo().developer_id, self.user_staff)
