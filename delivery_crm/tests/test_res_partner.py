from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user


@tagged("post_install", "-at_install")
class TestResPartner(DeliveryCrmCommon):
    def test_new_customer_defaults(self):
        customer = self._new_customer()
        self.assertEqual(customer.customer_state, "potential")
        self.assertEqual(customer.customer_class, "potential")
        self.assertEqual(customer.tier_ladder_id, self.ladder)
        self.assertEqual(customer.tier_id, self.tier_new)
        self.assertEqual(customer.evaluated_tier_id, self.tier_new)
        self.assertEqual(customer.developer_id, self.user_account_manager)
        self.assertEqual(customer.state_date, date.today())
        self.assertEqual(customer.tier_benefit_ids, self.tier_new.all_benefit_ids)
        log = customer.tier_change_ids
        self.assertEqual(len(log), 1)
        self.assertEqual(
            (log.origin, log.new_tier_id, log.direction), ("manual", self.tier_new, "new")
        )
        self.assertEqual(customer.tier_change_count, 1)
        # an initial tier is not announced to the customer
        mails = self.env["mail.mail"].search([("model", "=", "delivery.tier.change")])
        self.assertFalse(mails.filtered(lambda m: m.res_id in log.ids))

    def test_existing_contact_becomes_customer(self):
        contact = self.env["res.partner"].create({"name": "Plain company", "is_company": True})
        self.assertFalse(contact.is_delivery_customer)
        self.assertFalse(contact.tier_id)
        contact.with_user(self.user_account_manager).action_make_delivery_customer()
        self.assertTrue(contact.is_delivery_customer)
        self.assertEqual(contact.tier_id, self.tier_new)
        self.assertEqual(contact.tier_ladder_id, self.ladder)

    def test_imported_customer_keeps_given_tier(self):
        # an import of existing customers is a manager's: staff do not choose a first
        # tier (security review M5)
        customer = self._new_customer(
            user=self.user_manager,
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
            tier_id=self.tier_ka2.id,
        )
        self.assertEqual(customer.tier_ladder_id, self.ladder_key)
        self.assertEqual(customer.tier_id, self.tier_ka2)
        self.assertEqual(customer.evaluated_tier_id, self.tier_ka2)
        self.assertEqual(customer.tier_change_ids.origin, "manual")

    def test_activate_requires_account_manager(self):
        customer = self._new_customer()
        with self.assertRaises(UserError):
            customer.with_user(self.user_account_manager).action_activate()
        self.assertEqual(customer.customer_state, "potential")
        self.assertFalse(customer.conversion_date)

    def test_activate_registers_conversion(self):
        customer = self._new_customer(account_manager_id=self.user_manager.id)
        with freeze_time("2026-03-15"):
            customer.with_user(self.user_manager).action_activate()
        self.assertEqual(customer.customer_state, "active")
        self.assertEqual(customer.conversion_date, date(2026, 3, 15))
        # credited to who developed the prospect, not to who pressed the button
        self.assertEqual(customer.converted_by_id, self.user_account_manager)
        self.assertEqual(customer.cooperation_start_date, date(2026, 3, 15))
        self.assertEqual(customer.state_date, date(2026, 3, 15))
        # a second conversion (after a termination) keeps the first date
        customer.write({"customer_state": "terminated", "state_reason": "Moved away"})
        customer.action_reopen()
        customer.action_activate()
        self.assertEqual(customer.conversion_date, date(2026, 3, 15))

    def test_suspend_and_terminate_need_reason(self):
        customer = self._new_customer(
            customer_state="active", account_manager_id=self.user_account_manager.id
        )
        partner_as_user = customer.with_user(self.user_account_manager)
        for state in ("suspended", "terminated"):
            for reason in (False, "", "   "):
                with self.subTest(state=state, reason=reason), self.assertRaises(UserError):
                    partner_as_user.write({"customer_state": state, "state_reason": reason})
        self.assertEqual(customer.customer_state, "active")
        self.assertFalse(customer.state_reason)
        # the wizard refuses a blank reason too, and writes nothing
        wizard = (
            self.env["delivery.customer.state.wizard"]
            .with_user(self.user_account_manager)
            .create({"partner_ids": customer.ids, "new_state": "terminated", "reason": " "})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(customer.customer_state, "active")

    def test_suspend_reactivate_terminate_flow(self):
        customer = self._new_customer(
            customer_state="active", account_manager_id=self.user_account_manager.id
        )
        action = customer.with_user(self.user_account_manager).action_suspend()
        self.assertEqual(action["res_model"], "delivery.customer.state.wizard")
        wizard = (
            self.env["delivery.customer.state.wizard"]
            .with_user(self.user_account_manager)
            .with_context(**action["context"])
            .create({"reason": "Unpaid invoices"})
        )
        wizard.action_confirm()
        self.assertEqual(customer.customer_state, "suspended")
        self.assertEqual(customer.state_reason, "Unpaid invoices")
        customer.with_user(self.user_account_manager).action_activate()
        self.assertEqual(customer.customer_state, "active")
        self.assertFalse(customer.state_reason, "the suspension reason no longer applies")
        with freeze_time("2026-06-30"):
            self.env["delivery.customer.state.wizard"].with_user(self.user_account_manager).create(
                {"partner_ids": customer.ids, "new_state": "terminated", "reason": "Bankrupt"}
            ).action_confirm()
        self.assertEqual(customer.customer_state, "terminated")
        self.assertEqual(customer.state_reason, "Bankrupt")
        self.assertEqual(customer.state_date, date(2026, 6, 30))

    def test_illegal_transitions_refused(self):
        customer = self._new_customer(account_manager_id=self.user_account_manager.id)
        with self.assertRaises(UserError):  # potential -> suspended
            customer.write({"customer_state": "suspended", "state_reason": "x"})
        customer.write({"customer_state": "terminated", "state_reason": "Not interested"})
        with self.assertRaises(UserError):  # terminated -> active
            customer.action_activate()
        self.assertEqual(customer.customer_state, "terminated")
        customer.action_reopen()
        self.assertEqual(customer.customer_state, "potential")

    def test_create_terminated_needs_reason(self):
        with self.assertRaises(UserError):
            self._new_customer(customer_state="terminated")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Test Customer 测试客户")]))

    def test_tier_not_writable_directly(self):
        customer = self._new_customer()
        for user in (self.user_account_manager, self.user_manager):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                customer.with_user(user).write({"tier_id": self.tier_diamond.id})
        self.assertEqual(customer.tier_id, self.tier_new)

    def test_partner_merge_still_works(self):
        """Odoo's contact merge writes every field, the tier included: it must pass."""
        keep = self._new_customer("Keep Co", account_manager_id=self.user_account_manager.id)
        self._grade_tier(keep, self.tier_silver)
        duplicate = self._new_customer("Keep Co (duplicate)")
        wizard = self.env["base.partner.merge.automatic.wizard"].create(
            {"partner_ids": [(6, 0, (keep | duplicate).ids)], "dst_partner_id": keep.id}
        )
        wizard.action_merge()
        self.assertFalse(duplicate.exists())
        self.assertEqual(keep.tier_id, self.tier_silver)

    def test_ladder_change_resets_tier(self):
        customer = self._new_customer()
        customer.with_user(self.user_account_manager).tier_ladder_id = self.ladder_key
        self.assertEqual(customer.tier_id, self.tier_ka2)
        self.assertEqual(self._last_change(customer).new_tier_id, self.tier_ka2)
        self.assertEqual(self._last_change(customer).old_tier_id, self.tier_new)

    def test_important_fields_tracked(self):
        customer = self._new_customer(account_manager_id=self.user_account_manager.id)
        self.cr.flush()  # a record is not tracked in the transaction that creates it
        customer.with_user(self.user_manager).write(
            {
                "account_manager_id": self.user_manager.id,
                "customer_class": "key",
                "credit_level": "c",
            }
        )
        customer.with_user(self.user_manager).action_activate()
        self.env.flush_all()
        self.cr.flush()  # tracking values are written when the cursor flushes
        tracked = customer.message_ids.tracking_value_ids.field_id.mapped("name")
        for field in ("account_manager_id", "customer_class", "credit_level", "customer_state"):
            self.assertIn(field, tracked)
        state_value = customer.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "customer_state"
        )
        self.assertEqual(state_value.old_value_char, "Potential")
        self.assertEqual(state_value.new_value_char, "In cooperation")

    @freeze_time("2026-11-25")
    def test_cooperation_months(self):
        customer = self._new_customer(cooperation_start_date="2024-02-10")
        self.assertEqual(customer.cooperation_months, 33)
        customer.cooperation_start_date = "2026-12-01"  # not yet started
        self.assertEqual(customer.cooperation_months, 0)
        customer.write(
            {
                "cooperation_start_date": "2025-01-01",
                "customer_state": "terminated",
                "state_reason": "Closed",
                "state_date": "2025-07-15",
            }
        )
        self.assertEqual(customer.cooperation_months, 6, "counted until the termination")

    def test_field_access_by_role(self):
        customer = self._new_customer(
            user=self.user_manager,
            credit_level="b",
            decision_chain="CEO decides",
            contract_amount=12000,
        )
        # any employee still reads the partner itself (other apps keep working)
        self.assertEqual(customer.with_user(self.user_employee).name, "Test Customer 测试客户")
        with self.assertRaises(AccessError):
            customer.with_user(self.user_employee).read(["tier_id"])
        # staff read the profile but not its sensitive part
        data = customer.with_user(self.user_account_manager).read(["tier_id", "customer_state"])[0]
        self.assertEqual(data["tier_id"][0], self.tier_new.id)
        for field in ("credit_level", "decision_chain", "contract_amount", "nda_signed"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                customer.with_user(self.user_account_manager).read([field])
        with self.assertRaises(AccessError):
            customer.with_user(self.user_account_manager).write({"credit_level": "d"})
        data = customer.with_user(self.user_manager).read(["credit_level", "decision_chain"])[0]
        self.assertEqual((data["credit_level"], data["decision_chain"]), ("b", "CEO decides"))
        # the views and exports of staff never offer the sensitive fields
        staff_fields = customer.with_user(self.user_account_manager).fields_get()
        self.assertIn("tier_id", staff_fields)
        self.assertNotIn("credit_level", staff_fields)
        self.assertNotIn("tier_id", customer.with_user(self.user_employee).fields_get())

    def test_partner_form_for_other_employees(self):
        """An employee without Delivery CRM rights still opens contacts, without the
        delivery-CRM tab, buttons or fields."""
        partner_form = self.env.ref("base.view_partner_form").id
        arch = (
            self.env["res.partner"]
            .with_user(self.user_employee)
            .get_views([(partner_form, "form")])["views"]["form"]["arch"]
        )
        self.assertNotIn("tier_id", arch)
        self.assertNotIn("action_activate", arch)
        crm_arch = (
            self.env["res.partner"]
            .with_user(self.user_account_manager)
            .get_views([(partner_form, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("tier_id", crm_arch)
        self.assertNotIn("credit_level", crm_arch)

    def test_portal_user_unaffected(self):
        portal = new_user(
            self.env, "portal", "dcrm_portal", "Portal Person", email="portal@example.com"
        )
        partner = portal.partner_id.with_user(portal)
        # the portal reads its own partner as before, and never the CRM fields
        self.assertEqual(partner.read(["email"])[0]["email"], "portal@example.com")
        self.assertNotIn("customer_state", partner.fields_get())
        with self.assertRaises(AccessError):
            partner.read(["customer_state"])
        self.assertFalse(portal.partner_id.is_delivery_customer)


@tagged("post_install", "-at_install")
class TestPartnerCreateIntegrity(DeliveryCrmCommon):
    """Security review H3: create (and import) skipped the checks write enforces."""

    def test_staff_cannot_create_forged_history(self):
        forged = {
            "tier_override_tier_id": self.tier_diamond.id,
            "tier_override_reason": "Trust me",
            "kpi_date": "2099-12-31",
            "kpi_score": 100.0,
            "converted_by_id": self.user_staff.id,
            "conversion_date": "2026-01-01",
            "evaluated_tier_id": self.tier_diamond.id,
        }
        for field, value in forged.items():
            with self.subTest(field=field), self.assertRaises(UserError):
                self._new_customer(f"Forged {field}", user=self.user_staff, **{field: value})
        # nor through an import, nor through context defaults
        Partner = self.env["res.partner"].with_user(self.user_staff)
        result = Partner.load(
            ["name", "is_delivery_customer", "kpi_score"], [["Imported forged", "1", "99"]]
        )
        self.assertFalse(result["ids"])
        self.assertTrue(result["messages"])
        customer = Partner.with_context(
            default_kpi_score=99.0, default_converted_by_id=self.user_staff.id
        ).create({"name": "Defaults", "is_delivery_customer": True})
        self.assertFalse(customer.sudo().kpi_score)
        self.assertFalse(customer.sudo().converted_by_id)


@tagged("post_install", "-at_install")
class TestPartnerKpiNoData(DeliveryCrmCommon):
    """A rate with nothing to measure is "No data", never 0 % (issue 12 item 5)."""

    def test_unmeasured_kpis_are_no_data(self):
        customer = self._new_customer("Never measured")
        measured = customer.with_user(self.user_account_manager)
        self.assertFalse(measured.kpi_satisfaction_measured)
        self.assertFalse(measured.kpi_complaint_rate_measured)
        # a measured 0 % is a figure: 0 complaints for the deliveries of the period
        customer.sudo().write({"kpi_date": "2026-09-30", "kpi_complaint_rate": 0.0})
        customer.invalidate_recordset()
        self.assertTrue(measured.kpi_complaint_rate_measured)
        self.assertFalse(measured.kpi_satisfaction_measured)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_account_manager)
            ._render_qweb_html("delivery_crm.action_report_customer_profile", customer.ids)[0]
            .decode()
        )
        # satisfaction, on-time rate and damage/loss rate
        self.assertEqual(html.count("No data"), 3)


@tagged("post_install", "-at_install")
class TestPartnerDeveloper(DeliveryCrmCommon):
    """Security review (issue 13 item 6): the developer of a customer reaches its data
    and is credited with its conversion, so staff do not set it; changes are audited."""

    def test_developer_set_by_account_managers_and_audited(self):
        customer = self._new_customer("Developed by", account_manager_id=self.user_staff.id)
        with self.assertRaises(AccessError):
            customer.with_user(self.user_staff).write({"developer_id": self.user_staff.id})
        customer.with_user(self.user_account_manager).write({"developer_id": self.user_staff.id})
        self.assertEqual(customer.developer_id, self.user_staff)
        log = self.env["delivery.audit.log"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("field_id.name", "=", "developer_id"),
            ],
            order="id desc",
            limit=1,
        )
        self.assertEqual(log.user_id, self.user_account_manager)
        self.assertIn(self.user_staff.name, log.new_value)


@tagged("post_install", "-at_install")
class TestPartnerReparenting(DeliveryCrmCommon):
    """Security review H5: moving a customer or its contacts moves what follows the
    commercial partner (portal access, grants, notifications): managers only, audited;
    the e-mail of a customer's contact is changed by those who look after the customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_account_manager_2 = new_user(
            cls.env, "account_manager", "dcrm_account_manager_2", "Other Account Manager"
        )
        cls.user_contacts = new_user(cls.env, "contacts", "dcrm_contacts", "Contact Creation")
        cls.mine = cls._new_customer(
            "Mine", user=cls.user_manager, account_manager_id=cls.user_account_manager.id
        )
        cls.mine2 = cls._new_customer(
            "Mine too", user=cls.user_manager, account_manager_id=cls.user_account_manager.id
        )
        cls.theirs = cls._new_customer(
            "Theirs", user=cls.user_manager, account_manager_id=cls.user_account_manager_2.id
        )
        Partner = cls.env["res.partner"]
        cls.their_contact = Partner.create(
            {"name": "Their buyer", "parent_id": cls.theirs.id, "email": "tb@example.com"}
        )
        cls.my_contact = Partner.create(
            {"name": "My buyer", "parent_id": cls.mine.id, "email": "mb@example.com"}
        )
        cls.plain = Partner.create({"name": "Plain Co", "is_company": True})

    def _audit(self, field, partner):
        return self.env["delivery.audit.log"].search(
            [("partner_id", "=", partner.id), ("field_id.name", "=", field)]
        )

    def test_employee_outside_the_crm_creates_contacts(self):
        """Creating a plain contact reads no CRM field for the user (Contact Creation
        without a Delivery CRM role)."""
        contact = (
            self.env["res.partner"]
            .with_user(self.user_contacts)
            .create({"name": "Supplier contact", "email": "s@example.com"})
        )
        self.assertFalse(contact.with_env(self.env).is_delivery_customer)

    def test_customer_made_a_child_by_managers_only(self):
        """With the customer under their own, an account manager would reach its
        requests through a one-customer grant, and its portal users would change side."""
        moves = (
            (self.theirs, {"is_company": False, "parent_id": self.mine.id}),
            (self.mine2, {"is_company": False, "parent_id": self.mine.id}),
            (self.theirs, {"parent_id": self.plain.id}),
            (self.theirs, {"is_company": False}),
            (self.mine, {"company_id": self.company.id}),
        )
        for user in (self.user_account_manager, self.user_staff, self.user_contacts):
            for customer, vals in moves:
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    customer.with_user(user).write(vals)
        self.assertFalse(self.theirs.parent_id or self.mine2.parent_id or self.mine.company_id)
        self.assertTrue(self.theirs.is_company)
        self.assertEqual(self.their_contact.commercial_partner_id, self.theirs)

    def test_contacts_moved_between_customers_by_managers_only(self):
        for user in (self.user_account_manager, self.user_contacts):
            for contact, parent in (
                (self.their_contact, self.mine),
                (self.my_contact, self.mine2),
                (self.my_contact, self.plain),
                (self.my_contact, self.env["res.partner"]),
            ):
                with (
                    self.subTest(user=user.login, contact=contact.name, parent=parent.name),
                    self.assertRaises(AccessError),
                ):
                    contact.with_user(user).write({"parent_id": parent.id})
        # a plain contact into a customer: it would see the customer's requests
        outsider = self.env["res.partner"].create({"name": "Outsider"})
        with self.assertRaises(AccessError):
            outsider.with_user(self.user_contacts).write({"parent_id": self.mine.id})
        self.assertEqual(self.their_contact.parent_id, self.theirs)
        self.assertEqual(self.my_contact.parent_id, self.mine)
        self.assertFalse(outsider.parent_id)

    def test_manager_moves_and_it_is_audited(self):
        self.my_contact.with_user(self.user_manager).write({"parent_id": self.mine2.id})
        self.assertEqual(self.my_contact.commercial_partner_id, self.mine2)
        for customer in (self.mine, self.mine2):
            log = self._audit("parent_id", customer)
            self.assertEqual(len(log), 1, customer.name)
            self.assertEqual((log.res_id, log.user_id), (self.my_contact.id, self.user_manager))
            self.assertEqual((log.old_value, log.new_value), ("Mine", "Mine too"))
        self.mine2.with_user(self.user_manager).write(
            {"is_company": False, "parent_id": self.mine.id}
        )
        self.assertEqual(self.mine2.commercial_partner_id, self.mine)
        self.assertEqual(self.my_contact.commercial_partner_id, self.mine)
        log = self._audit("commercial_partner_id", self.mine2).filtered(
            lambda row: row.res_id == self.mine2.id
        )
        self.assertEqual((log.old_value, log.new_value), ("Mine too", "Mine"))
        self.assertTrue(self._audit("is_company", self.mine2))
        # a move between partners that are no customers is not the CRM's business
        other = self.env["res.partner"].create({"name": "Other plain", "is_company": True})
        person = self.env["res.partner"].create({"name": "Person", "parent_id": self.plain.id})
        person.with_user(self.user_contacts).write({"parent_id": other.id})
        self.assertEqual(person.parent_id, other)

    def test_staff_add_contacts_to_the_customers_they_may_edit(self):
        new = (
            self.env["res.partner"]
            .with_user(self.user_account_manager)
            .create({"name": "New buyer", "parent_id": self.mine.id})
        )
        self.assertEqual(new.commercial_partner_id, self.mine)
        for user in (self.user_account_manager, self.user_contacts):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["res.partner"].with_user(user).create(
                    {"name": "Spy", "parent_id": self.theirs.id}
                )
        self.assertEqual(self.theirs.child_ids, self.their_contact)
        # contacts of partners that are no customers: as in Odoo
        self.env["res.partner"].with_user(self.user_contacts).create(
            {"name": "Plain person", "parent_id": self.plain.id}
        )

    def test_contact_email_changed_by_those_who_look_after_the_customer(self):
        """A contact's e-mail receives the customer's notifications, with their portal
        and rating links."""
        for user in (self.user_account_manager, self.user_staff, self.user_contacts):
            for partner in (self.their_contact, self.theirs):
                with (
                    self.subTest(user=user.login, partner=partner.name),
                    self.assertRaises(AccessError),
                ):
                    partner.with_user(user).write({"email": "attacker@example.com"})
        self.assertEqual(self.their_contact.email, "tb@example.com")
        self.my_contact.with_user(self.user_account_manager).write({"email": "new@example.com"})
        self.their_contact.with_user(self.user_account_manager_2).write(
            {"email": "new2@example.com"}
        )
        self.their_contact.with_user(self.user_manager).write({"email": "new3@example.com"})
        self.assertEqual(self.their_contact.email, "new3@example.com")
        # writing the same address is no change; plain contacts are as in Odoo
        self.theirs.with_user(self.user_contacts).write({"email": self.theirs.email})
        self.plain.with_user(self.user_contacts).write({"email": "plain@example.com"})
