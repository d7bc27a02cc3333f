from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import DeliveryCrmCommon, new_user

SENSITIVE = ("credit_level", "decision_chain", "contract_amount", "nda_signed", "risk_notes")


@tagged("post_install", "-at_install")
class TestDeliverySecurity(DeliveryCrmCommon):
    """The roles and record rules of R9 (000 §五(一), 001 §四.3), as the real users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_crm_admin = new_user(cls.env, "admin", "dcrm_admin", "CRM Administrator")
        cls.user_team_member = new_user(cls.env, "staff", "dcrm_team", "Team Member")
        cls.team = cls.env["delivery.service.team"].create(
            {"name": "Desk North", "member_ids": [Command.link(cls.user_team_member.id)]}
        )
        # mine: the service staff's customer; theirs: the account manager's customer
        cls.mine = cls._new_customer(
            "Mine 我的客户", user=cls.user_manager, account_manager_id=cls.user_staff.id
        )
        cls.theirs = cls._new_customer(
            "Theirs 别人的客户",
            user=cls.user_manager,
            account_manager_id=cls.user_account_manager.id,
            service_team_id=cls.team.id,
            credit_level="c",
            decision_chain="CFO decides",
            contract_amount=500000.0,
        )
        cls.records = {}
        for key, partner in (("mine", cls.mine), ("theirs", cls.theirs)):
            cls.records[key] = {
                "delivery.complaint": cls.env["delivery.complaint"].create(
                    {
                        "subject": f"Late parcel of {key}",
                        "request_type": "inquiry",
                        "partner_id": partner.id,
                        "user_id": partner.account_manager_id.id,
                    }
                ),
                "delivery.visit": cls.env["delivery.visit"].create(
                    {
                        "name": f"Review of {key}",
                        "partner_id": partner.id,
                        "user_id": partner.account_manager_id.id,
                    }
                ),
                "delivery.shipment": cls.env["delivery.shipment"].create(
                    {
                        "name": f"WB-{key}",
                        "partner_id": partner.id,
                        "date": fields.Datetime.now(),
                        "promised_datetime": fields.Datetime.now() + timedelta(days=1),
                    }
                ),
                "delivery.care.event": cls.env["delivery.care.event"].create(
                    {
                        "name": f"Mid-autumn gift for {key}",
                        "partner_id": partner.id,
                        "user_id": partner.account_manager_id.id,
                    }
                ),
                "delivery.tier.change": cls.env["delivery.tier.change"].search(
                    [("partner_id", "=", partner.id)], limit=1
                ),
            }

    def _visible(self, user, model):
        return self.env[model].with_user(user).search([("partner_id", "in", self.customers.ids)])

    @property
    def customers(self):
        return self.mine | self.theirs

    # ------------------------------------------------------------------ record rules
    def test_staff_reach_only_their_customers(self):
        for model, mine in self.records["mine"].items():
            theirs = self.records["theirs"][model]
            with self.subTest(model=model):
                self.assertTrue(mine and theirs)
                self.assertEqual(self._visible(self.user_staff, model), mine)
                with self.assertRaises(AccessError):
                    theirs.with_user(self.user_staff).read(["partner_id"])
                # and the account manager the other way round
                self.assertEqual(self._visible(self.user_account_manager, model), theirs)

    def test_service_team_members_reach_the_team_customers(self):
        for model, theirs in self.records["theirs"].items():
            with self.subTest(model=model):
                self.assertEqual(self._visible(self.user_team_member, model), theirs)

    def test_staff_write_only_what_they_reach(self):
        complaint = self.records["theirs"]["delivery.complaint"]
        with self.assertRaises(AccessError):
            complaint.with_user(self.user_staff).write({"subject": "Taken over"})
        self.assertEqual(complaint.subject, "Late parcel of theirs")
        # a request the staff member takes on first contact stays theirs to handle
        own = (
            self.env["delivery.complaint"]
            .with_user(self.user_staff)
            .create(
                {
                    "subject": "Called the hotline",
                    "request_type": "inquiry",
                    "partner_id": self.theirs.id,
                }
            )
        )
        self.assertEqual(own.user_id, self.user_staff)
        own.write({"subject": "Called the hotline twice"})
        self.assertIn(own, self.env["delivery.complaint"].with_user(self.user_staff).search([]))

    def test_unowned_requests_are_open_to_the_desk(self):
        unowned = self.env["delivery.complaint"].create(
            {
                "subject": "Mail from a stranger",
                "request_type": "inquiry",
                "email_from": "someone@example.org",
            }
        )
        self.assertFalse(unowned.user_id)
        self.assertIn(unowned, self.env["delivery.complaint"].with_user(self.user_staff).search([]))
        unowned.with_user(self.user_staff).action_take_ownership()
        self.assertEqual(unowned.user_id, self.user_staff)
        # once owned, the other staff no longer reach it
        with self.assertRaises(AccessError):
            unowned.with_user(self.user_team_member).read(["subject"])

    def test_managers_and_auditors_reach_everything(self):
        for user in (self.user_manager, self.user_auditor):
            for model in self.records["mine"]:
                with self.subTest(user=user.login, model=model):
                    expected = self.records["mine"][model] | self.records["theirs"][model]
                    self.assertEqual(self._visible(user, model), expected)

    def test_other_departments_reach_nothing(self):
        for model, record in self.records["mine"].items():
            with self.subTest(model=model):
                self.assertFalse(self._visible(self.user_employee, model))
                with self.assertRaises(AccessError):
                    record.with_user(self.user_employee).read(["partner_id"])

    # ------------------------------------------------------------------ auditor
    def test_auditor_reads_all_and_changes_nothing(self):
        partner = self.theirs.with_user(self.user_auditor)
        values = partner.read(list(SENSITIVE))[0]
        self.assertEqual(values["credit_level"], "c")
        self.assertEqual(values["decision_chain"], "CFO decides")
        self.assertEqual(values["contract_amount"], 500000.0)
        complaint = self.records["theirs"]["delivery.complaint"].with_user(self.user_auditor)
        with self.assertRaises(AccessError):
            complaint.write({"subject": "Audited"})
        with self.assertRaises(AccessError):
            complaint.unlink()
        with self.assertRaises(AccessError):
            self.env["delivery.complaint"].with_user(self.user_auditor).create(
                {"subject": "x", "request_type": "inquiry", "partner_id": self.mine.id}
            )
        with self.assertRaises(AccessError):
            self.tier_gold.with_user(self.user_auditor).write({"name": "Platinum"})
        with self.assertRaises(AccessError):
            partner.write({"decision_chain": "Changed"})
        self.assertEqual(self.theirs.decision_chain, "CFO decides")
        self.assertEqual(complaint.sudo().subject, "Late parcel of theirs")

    # ------------------------------------------------------------------ sensitive fields
    def test_sensitive_fields_for_managers_and_auditors_only(self):
        # exporting at all needs Odoo's "Export" right: managers have it with their role,
        # an administrator grants it to others
        export = self.env.ref("base.group_allow_export")
        self.assertIn(export, self.user_manager.all_group_ids)
        self.assertNotIn(export, self.user_staff.all_group_ids)
        (self.user_staff | self.user_account_manager).write(
            {"group_ids": [Command.link(export.id)]}
        )
        with self.assertRaises(UserError):
            self.theirs.with_user(self.user_employee).export_data(["name"])
        for user in (self.user_staff, self.user_account_manager, self.user_employee):
            for field in SENSITIVE:
                with self.subTest(user=user.login, field=field), self.assertRaises(AccessError):
                    self.theirs.with_user(user).read([field])
            with self.assertRaises(UserError):  # AccessError, or no export right at all
                self.theirs.with_user(user).export_data(["name", "credit_level"])
            with self.assertRaises(AccessError):
                self.env["res.partner"].with_user(user).search([("credit_level", "=", "c")])
        rows = self.theirs.with_user(self.user_staff).export_data(["name"])
        self.assertEqual(rows["datas"], [["Theirs 别人的客户"]])
        rows = self.theirs.with_user(self.user_manager).export_data(["name", "credit_level"])
        self.assertEqual(rows["datas"][0][0], "Theirs 别人的客户")
        self.assertEqual(rows["datas"][0][1], "C - Watch")
        # the field list of the views leaves them out for the others
        fields_seen = self.env["res.partner"].with_user(self.user_account_manager).fields_get()
        self.assertNotIn("decision_chain", fields_seen)
        self.assertIn("business_scope", fields_seen)

    # ------------------------------------------------------------------ profile writes
    def test_profile_changes_only_for_assigned_customers(self):
        self.mine.with_user(self.user_staff).write({"business_scope": "Cold chain"})
        self.assertEqual(self.mine.business_scope, "Cold chain")
        with self.assertRaises(AccessError):
            self.theirs.with_user(self.user_staff).write({"business_scope": "Overwritten"})
        self.assertFalse(self.theirs.business_scope)
        # the partner's own fields (other apps) are not restricted
        self.theirs.with_user(self.user_staff).write({"phone": "+86 21 5555 0000"})
        self.assertEqual(self.theirs.phone, "+862155550000")  # stored in E.164
        # managers change any profile
        self.theirs.with_user(self.user_manager).write({"business_scope": "Electronics"})
        self.assertEqual(self.theirs.business_scope, "Electronics")

    def test_lifecycle_and_assignment_are_for_account_managers(self):
        mine = self.mine.with_user(self.user_staff)
        for vals in (
            {"customer_class": "key"},
            {"account_manager_id": self.user_staff.id},
            {"customer_state": "terminated", "state_reason": "Moved"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                mine.write(vals)
        self.assertNotEqual(self.mine.customer_class, "key")
        self.assertEqual(self.mine.customer_state, "potential")
        # the account manager decides it for their own customer, not for others'
        self.theirs.with_user(self.user_account_manager).write({"customer_class": "key"})
        self.assertEqual(self.theirs.customer_class, "key")
        with self.assertRaises(AccessError):
            self.mine.with_user(self.user_account_manager).write({"customer_class": "key"})

    def test_staff_register_new_customers(self):
        prospect = self._new_customer("Walk-in 新客户", user=self.user_staff)
        self.assertEqual(prospect.developer_id, self.user_staff)
        self.assertTrue(prospect.tier_id)
        self.assertTrue(prospect.with_user(self.user_staff).delivery_assigned)
        self.assertFalse(prospect.with_user(self.user_team_member).delivery_assigned)

    # ------------------------------------------------------------------ configuration
    def test_configuration_is_for_managers(self):
        complaint_type = self.env["delivery.complaint.type"].create({"name": "Packaging"})
        with self.assertRaises(AccessError):
            complaint_type.with_user(self.user_account_manager).write({"name": "Boxes"})
        with self.assertRaises(AccessError):
            self.env["delivery.sla.policy"].with_user(self.user_account_manager).create(
                {"name": "Fast"}
            )
        complaint_type.with_user(self.user_manager).write({"name": "Boxes"})
        self.assertEqual(complaint_type.name, "Boxes")
        # managers edit the configuration, administrators also delete it
        with self.assertRaises(AccessError):
            complaint_type.with_user(self.user_manager).unlink()
        complaint_type.with_user(self.user_crm_admin).unlink()
        self.assertFalse(complaint_type.exists())

    def test_roles_form_one_ladder(self):
        staff = self.env.ref("delivery_crm.group_delivery_crm_user")
        self.assertIn(staff, self.user_crm_admin.all_group_ids)
        self.assertTrue(self.user_crm_admin.has_group("delivery_crm.group_delivery_crm_manager"))
        self.assertTrue(self.user_account_manager.has_group("delivery_crm.group_delivery_crm_user"))
        self.assertFalse(
            self.user_account_manager.has_group("delivery_crm.group_delivery_crm_manager")
        )
        # the auditor is an employee with read access, never a member of the working roles
        self.assertFalse(self.user_auditor.has_group("delivery_crm.group_delivery_crm_user"))
        self.assertTrue(self.user_auditor.has_group("base.group_user"))

    # ------------------------------------------------------------------ multi-company
    def test_other_companies_stay_out_of_reach(self):
        other = self.env["res.company"].create({"name": "Delivery South 华南配送"})
        customer = self.env["res.partner"].create(
            {"name": "Southern customer", "is_company": True, "company_id": other.id}
        )
        records = {
            "delivery.complaint": self.env["delivery.complaint"].create(
                {
                    "subject": "South",
                    "request_type": "inquiry",
                    "partner_id": customer.id,
                    "company_id": other.id,
                }
            ),
            "delivery.care.event": self.env["delivery.care.event"].create(
                {"name": "South gift", "partner_id": customer.id, "company_id": other.id}
            ),
        }
        for model, record in records.items():
            for user in (self.user_manager, self.user_auditor):
                with self.subTest(model=model, user=user.login):
                    self.assertNotIn(record, self.env[model].with_user(user).search([]))
                    with self.assertRaises(AccessError):
                        record.with_user(user).read(["company_id"])
            # once the user works for both companies, the record is in reach
            self.user_manager.write({"company_ids": [Command.link(other.id)]})
            found = (
                self.env[model]
                .with_user(self.user_manager)
                .with_context(allowed_company_ids=[self.company.id, other.id])
                .search([("id", "=", record.id)])
            )
            self.assertEqual(found, record)
            self.user_manager.write({"company_ids": [Command.unlink(other.id)]})

    # ------------------------------------------------------------------ system fields
    def test_fields_kept_by_the_module_are_not_written_by_hand(self):
        mine = self.mine.with_user(self.user_staff)
        kpi_date = self.mine.kpi_date
        for vals in (
            {"kpi_score": 99.0},
            {"conversion_date": "2020-01-01"},
            {"evaluated_tier_id": self.tier_diamond.id},
            {"tier_override_expiry": "2099-12-31"},
        ):
            for user in (self.user_staff, self.user_manager):
                with self.subTest(vals=vals, user=user.login), self.assertRaises(AccessError):
                    self.mine.with_user(user).write(vals)
        self.assertEqual(self.mine.kpi_date, kpi_date)
        self.assertNotEqual(self.mine.evaluated_tier_id, self.tier_diamond)
        # writing back the value a customer has is fine (Odoo's partner merge does it)
        mine.write({"evaluated_tier_id": self.mine.evaluated_tier_id.id, "kpi_score": 0.0})
        # the tier API keeps working for the people allowed to use it
        expiry = fields.Date.today() + timedelta(days=30)
        self._override_tier(self.user_manager, self.mine, self.tier_gold, "Key tender", expiry)
        self.assertEqual(
            (self.mine.tier_id, self.mine.tier_override_expiry), (self.tier_gold, expiry)
        )
        with self.assertRaises(AccessError):
            mine.write({"tier_override_expiry": expiry + timedelta(days=365)})
        self.assertEqual(self.mine.tier_override_expiry, expiry)

    def test_unknown_status_is_refused_clearly(self):
        with self.assertRaisesRegex(UserError, "not a customer status"):
            self.theirs.with_user(self.user_account_manager).write({"customer_state": "bogus"})
        self.assertEqual(self.theirs.customer_state, "potential")

    def test_only_managers_delete_customers(self):
        contact = self.env["res.partner"].create({"name": "Just a contact"})
        contact.with_user(self.user_staff).unlink()  # other contacts: Odoo's usual rights
        self.assertFalse(contact.exists())
        with self.assertRaises(AccessError):
            self.mine.with_user(self.user_staff).unlink()
        self.assertTrue(self.mine.exists())
        walk_in = self._new_customer("Walk-in", user=self.user_manager)
        walk_in.with_user(self.user_manager).unlink()
        self.assertFalse(walk_in.exists())

    def test_answers_only_to_requests_in_reach(self):
        theirs = self.records["theirs"]["delivery.complaint"]
        Wizard = self.env["delivery.complaint.reply.wizard"]
        with self.assertRaises(AccessError):
            Wizard.with_user(self.user_staff).create({"complaint_id": theirs.id})
        mine = self.records["mine"]["delivery.complaint"]
        wizard = Wizard.with_user(self.user_staff).create({"complaint_id": mine.id})
        self.assertEqual(wizard.request_type, "inquiry")

    def test_evaluation_flags_and_visit_dates_are_not_written_by_hand(self):
        """Security review M6: the reward flag (set by an excellent evaluation) and the
        last visit (computed from the visits: it drives the visit cadence, the overdue
        flags and the risk report) were plain writable fields for staff."""
        last_visit = self.mine.last_visit_date
        for vals in ({"reward_candidate": True}, {"last_visit_date": "2099-12-31"}):
            for user in (self.user_staff, self.user_manager):
                with self.subTest(vals=vals, user=user.login), self.assertRaises(AccessError):
                    self.mine.with_user(user).write(vals)
                with self.subTest(vals=vals, user=user.login), self.assertRaises(UserError):
                    self._new_customer("Forged flags", user=user, **vals)
        self.assertFalse(self.mine.reward_candidate)
        self.assertEqual(self.mine.last_visit_date, last_visit)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Forged flags")]))
        # the reward wizard (managers) still clears the flag the evaluation set
        self.mine.reward_candidate = True
        self.env["delivery.reward.wizard"].with_user(self.user_manager).create(
            {"partner_id": self.mine.id, "description": "Certificate"}
        ).action_confirm()
        self.assertFalse(self.mine.reward_candidate)
