from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user


@tagged("post_install", "-at_install")
class TestPartnerMerge(DeliveryCrmCommon):
    """Odoo's contact merge re-points every record of the merged contacts to the kept
    one and deletes the others as the superuser (security review H5): for delivery
    customers it is a manager's decision, audited, and never joins two customers'
    portal access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_account_manager_2 = new_user(
            cls.env, "account_manager", "dcrm_account_manager_2", "Other Account Manager"
        )
        # an employee outside the CRM who may create and edit contacts
        cls.user_contacts = new_user(cls.env, "contacts", "dcrm_contacts", "Contact Creation")
        cls.theirs = cls._new_customer(
            "Their Customer",
            user=cls.user_manager,
            account_manager_id=cls.user_account_manager_2.id,
        )
        cls.mine = cls._new_customer(
            "My Customer", user=cls.user_manager, account_manager_id=cls.user_account_manager.id
        )
        cls.request = cls.env["delivery.complaint"].create(
            {
                "subject": "Late parcel",
                "partner_id": cls.theirs.id,
                "type_id": cls.env.ref("delivery_crm.delivery_complaint_type_delay").id,
            }
        )

    def _merge(self, user, partners, dst):
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(user)
            .create({"partner_ids": [Command.set(partners.ids)], "dst_partner_id": dst.id})
        )
        return wizard.action_merge()

    def _portal_user(self, partner, login):
        return new_user(self.env, "portal", login, f"Portal {login}", partner_id=partner.id)

    # ------------------------------------------------------------------ who merges
    def test_account_manager_cannot_take_another_customer_by_merging(self):
        """li.wei merges another account manager's customer into their own: its whole
        history would become theirs and the customer would be deleted."""
        self.assertEqual(self.theirs.email, self.mine.email)
        with self.assertRaisesRegex(AccessError, "Only Delivery CRM managers"):
            self._merge(self.user_account_manager, self.theirs | self.mine, self.mine)
        self.assertTrue(self.theirs.exists())
        self.assertEqual(self.request.partner_id, self.theirs)
        self.assertFalse(
            self.env["delivery.audit.log"].search([("operation", "=", "merge")]),
        )

    def test_contact_creation_employee_cannot_merge_a_customer(self):
        """An employee outside the CRM with 'Contact Creation' does not see the CRM
        fields, so no CRM check ran: the merge deleted the customer."""
        duplicate = self.env["res.partner"].create(
            {"name": "Their Customer (copy)", "email": self.theirs.email}
        )
        with self.assertRaises(AccessError):
            self._merge(self.user_contacts, self.theirs | duplicate, duplicate)
        self.assertTrue(self.theirs.exists())
        self.assertEqual(self.request.partner_id, self.theirs)
        # nor the other way round: the customer kept, the duplicate deleted into it
        with self.assertRaises(AccessError):
            self._merge(self.user_contacts, self.theirs | duplicate, self.theirs)
        self.assertTrue(duplicate.exists())

    def test_contact_with_delivery_records_is_merged_by_managers_only(self):
        """A contact who is no customer but has delivery records (a request filed by a
        walk-in) carries history too."""
        walk_in = self.env["res.partner"].create({"name": "Walk-in", "email": "walkin@example.com"})
        self.request.partner_id = walk_in
        other = self.env["res.partner"].create({"name": "Walk in", "email": "walkin@example.com"})
        for user in (self.user_contacts, self.user_staff):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._merge(user, walk_in | other, other)
        self.assertTrue(walk_in.exists())
        self._merge(self.user_manager, walk_in | other, other)
        self.assertFalse(walk_in.exists())
        self.assertEqual(self.request.partner_id, other)

    def test_plain_contacts_merge_as_in_odoo(self):
        first = self.env["res.partner"].create({"name": "Plain", "email": "plain@example.com"})
        second = self.env["res.partner"].create({"name": "Plain 2", "email": "plain@example.com"})
        self._merge(self.user_contacts, first | second, second)
        self.assertFalse(first.exists())
        self.assertFalse(self.env["delivery.audit.log"].search([("res_id", "=", second.id)]))

    # ------------------------------------------------------------------ manager, audited
    def test_manager_merges_a_duplicate_and_it_is_audited(self):
        duplicate = self._new_customer("Their Customer (duplicate)", user=self.user_manager)
        duplicate_name = duplicate.display_name
        self._merge(self.user_manager, self.theirs | duplicate, self.theirs)
        self.assertFalse(duplicate.exists())
        self.assertEqual(self.request.partner_id, self.theirs)
        log = self.env["delivery.audit.log"].search(
            [("partner_id", "=", self.theirs.id), ("operation", "=", "merge")]
        )
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.user_manager)
        self.assertEqual((log.res_model, log.res_id), ("res.partner", self.theirs.id))
        self.assertIn(duplicate_name, log.old_value)
        self.assertIn(f"#{duplicate.id}", log.old_value)
        self.assertEqual(log.new_value, self.theirs.display_name)
        self.assertTrue(log.create_date)
        # staff do not read the audit log; the row is the manager's, not editable
        with self.assertRaises(AccessError):
            log.with_user(self.user_account_manager).read(["old_value"])

    # ------------------------------------------------------------------ portal access
    def test_two_customers_with_portal_users_are_never_merged(self):
        """Merging would move one customer's portal users under the other: each would
        read the other's requests and deliveries (the portal rules follow the
        commercial partner)."""
        contact = self.env["res.partner"].create(
            {"name": "Their buyer", "parent_id": self.theirs.id, "email": "buyer@example.com"}
        )
        self._portal_user(contact, "dcrm_portal_theirs")
        for dst in (self.mine, self.theirs):
            with (
                self.subTest(dst=dst.name),
                self.assertRaisesRegex(UserError, "portal"),
            ):
                self._merge(self.user_manager, self.theirs | self.mine, dst)
        self.assertTrue(self.theirs.exists() and self.mine.exists())
        self.assertEqual(contact.parent_id, self.theirs)
        # nor a portal contact merged into another customer's contact
        other_contact = self.env["res.partner"].create(
            {"name": "Their buyer", "parent_id": self.mine.id, "email": "buyer@example.com"}
        )
        with self.assertRaisesRegex(UserError, "portal"):
            self._merge(self.user_manager, contact | other_contact, other_contact)
        self.assertTrue(contact.exists())
        self.assertEqual(contact.commercial_partner_id, self.theirs)

    def test_duplicate_contacts_of_one_customer_merge_with_portal_users(self):
        buyer = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.mine.id, "email": "b@example.com"}
        )
        buyer_copy = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.mine.id, "email": "b@example.com"}
        )
        user = self._portal_user(buyer, "dcrm_portal_mine")
        self._merge(self.user_manager, buyer | buyer_copy, buyer_copy)
        self.assertFalse(buyer.exists())
        self.assertEqual(user.partner_id, buyer_copy)
        self.assertEqual(user.commercial_partner_id, self.mine)
