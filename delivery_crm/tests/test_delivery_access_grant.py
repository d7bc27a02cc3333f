from datetime import timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from ..models.delivery_constants import CRM_SENSITIVE
from .common import DeliveryCrmCommon, new_user

# the customer data a grant opens (001 §四.3), read only
GRANTED_MODELS = (
    "delivery.complaint",
    "delivery.visit",
    "delivery.evaluation",
    "delivery.shipment",
    "delivery.tier.change",
)
# the subjects of the mail templates sent on a grant and on its expiry
GRANTED = "You may read the data of"
EXPIRED = "has expired"
CRON = "delivery_crm.ir_cron_access_grant_expiry"
PROFILE = "delivery.shared.profile"
# the confidential part of the profile (managers and auditors only), never shared
SENSITIVE = (
    "credit_level",
    "risk_notes",
    "credit_review_date",
    "decision_chain",
    "organisation_notes",
    "nda_signed",
    "nda_date",
    "contract_amount",
)


@tagged("post_install", "-at_install")
class TestDeliveryAccessGrant(DeliveryCrmCommon):
    """Other departments read a customer's data only through a manager's grant, for a
    limited time, logged; the access ends by itself (001 §三, §四.3)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._new_customer("Granted Customer 授权客户")
        cls.other = cls._new_customer("Other Customer 其他客户")
        complaint_type = cls.env.ref("delivery_crm.delivery_complaint_type_delay")
        for customer in cls.customer | cls.other:
            cls.env["delivery.shipment"].create(
                {
                    "name": f"SH-{customer.id}",
                    "partner_id": customer.id,
                    "date": fields.Datetime.now() - timedelta(days=5),
                }
            )
            cls.env["delivery.complaint"].create(
                {
                    "subject": "Late parcel",
                    "partner_id": customer.id,
                    "type_id": complaint_type.id,
                    # owned: service staff reach the requests nobody owns yet
                    "user_id": cls.user_account_manager.id,
                }
            )
            cls.env["delivery.visit"].create(
                {"name": "Quarterly review", "partner_id": customer.id}
            )
            cls.env["delivery.evaluation"].create(
                {
                    "partner_id": customer.id,
                    "company_id": cls.company.id,
                    "period_type": "monthly",
                    "period_start": "2026-01-01",
                    "period_end": "2026-01-31",
                }
            )
            cls.env["delivery.tier.change"].create(
                {
                    "partner_id": customer.id,
                    "new_tier_id": cls.tier_silver.id,
                    "origin": "manual",
                    "reason": "Test",
                }
            )
        cls.Grant = cls.env["delivery.access.grant"]

    def _records(self, partner):
        return {
            model: self.env[model].search([("partner_id", "=", partner.id)])
            for model in GRANTED_MODELS
        }

    def _grant(self, user=None, **vals):
        now = fields.Datetime.now()
        return (
            self.Grant.with_user(user or self.user_manager)
            .create(
                {
                    "partner_id": self.customer.id,
                    "user_id": self.user_employee.id,
                    "department": "sales",
                    "reason": "Prepare the yearly tender",
                    "date_start": now,
                    "date_end": now + timedelta(days=2),
                    **vals,
                }
            )
            .with_env(self.env)
        )

    def _seen(self, user=None):
        """What ``user`` (the employee) reads of each granted model."""
        user = user or self.user_employee
        self.env.invalidate_all()
        return {model: self.env[model].with_user(user).search([]) for model in GRANTED_MODELS}

    def _messages_to(self, grant, partner, subject):
        return grant.message_ids.filtered(
            lambda m: partner in m.partner_ids and subject in (m.subject or "")
        )

    # ------------------------------------------------------------------ access
    def test_no_access_without_grant(self):
        self.assertTrue(all(self._records(self.customer).values()))
        for model, records in self._seen().items():
            with self.subTest(model=model):
                self.assertFalse(records)
        for model, records in self._records(self.customer).items():
            with self.subTest(model=model), self.assertRaises(AccessError):
                records.with_user(self.user_employee).read(["partner_id"])

    def test_grant_opens_one_customer_read_only(self):
        grant = self._grant()
        self.assertEqual(grant.state, "active")
        expected = self._records(self.customer)
        seen = self._seen()
        for model in GRANTED_MODELS:
            with self.subTest(model=model):
                self.assertTrue(expected[model])
                # that customer's records, and only those
                self.assertEqual(seen[model], expected[model].with_user(self.user_employee))
                seen[model].read(["partner_id"])
        # read only: no write, create or unlink
        for model, records in seen.items():
            with self.subTest(model=model):
                with self.assertRaises(AccessError):
                    records.write({"partner_id": self.customer.id})
                with self.assertRaises(AccessError):
                    records.unlink()
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.user_employee).create(
                        {"partner_id": self.customer.id}
                    )
        # the other customer stays out of reach
        for model, records in self._records(self.other).items():
            with self.subTest(model=model), self.assertRaises(AccessError):
                records.with_user(self.user_employee).read(["partner_id"])

    def test_staff_grantee_reads_but_cannot_write(self):
        """Service staff of another team: the grant adds the reading of the customer's
        records to their own, never the writing."""
        self.assertFalse(self.customer.with_user(self.user_staff).delivery_assigned)
        self.assertFalse(
            any(
                self._seen(self.user_staff)[m] & self._records(self.customer)[m]
                for m in GRANTED_MODELS
            )
        )
        self._grant(user_id=self.user_staff.id)
        seen = self._seen(self.user_staff)
        for model, records in self._records(self.customer).items():
            with self.subTest(model=model):
                self.assertEqual(seen[model] & records, records.with_user(self.user_staff))
                with self.assertRaises(AccessError):
                    records.with_user(self.user_staff).write({"partner_id": self.customer.id})

    def test_grantee_opens_the_records_from_the_grant(self):
        grant = self._grant().with_user(self.user_employee)
        self.assertEqual(
            (
                grant.complaint_count,
                grant.visit_count,
                grant.evaluation_count,
                grant.shipment_count,
            ),
            (1, 1, 1, 1),
        )
        expected = self._records(self.customer)
        for method in (
            "action_view_complaints",
            "action_view_visits",
            "action_view_evaluations",
            "action_view_shipments",
        ):
            with self.subTest(action=method):
                action = getattr(grant, method)()
                Model = self.env[action["res_model"]].with_user(self.user_employee)
                # what the web client does: load the views, then read the list
                views = Model.get_views(action["views"] + [(False, "search")])
                arch = etree.fromstring(views["views"]["list"]["arch"])
                spec = {}
                for node in arch.iter("field"):
                    field = Model._fields[node.get("name")]
                    spec[field.name] = {"fields": {"display_name": {}}} if field.relational else {}
                rows = Model.web_search_read(action["domain"], spec)
                self.assertEqual([row["id"] for row in rows["records"]], expected[Model._name].ids)

    def test_grantee_reads_the_record_forms(self):
        self._grant()
        # the visit form also reads its next steps, which the grant opens too
        for model in (
            "delivery.complaint",
            "delivery.visit",
            "delivery.evaluation",
            "delivery.shipment",
        ):
            with self.subTest(model=model):
                Model = self.env[model].with_user(self.user_employee)
                arch = etree.fromstring(Model.get_views([(False, "form")])["views"]["form"]["arch"])
                spec = {}
                for node in arch.xpath("//field[not(ancestor::field)]"):
                    field = Model._fields[node.get("name")]
                    spec[field.name] = {"fields": {"display_name": {}}} if field.relational else {}
                record = self._records(self.customer)[model].with_user(self.user_employee)
                self.assertEqual(record.web_read(spec)[0]["id"], record.id)

    def test_access_ends_at_the_end_date_without_cron(self):
        now = fields.Datetime.now()
        grant = self._grant(date_start=now - timedelta(days=3), date_end=now - timedelta(hours=1))
        self.assertEqual(grant.state, "expired")
        self.assertFalse(grant.expiry_notified)  # the cron has not run
        self.assertFalse(any(self._seen().values()))
        # a running grant ends by itself once its end passes
        grant = self._grant(date_start=now, date_end=now + timedelta(days=2))
        self.assertTrue(all(self._seen().values()))
        with freeze_time(now + timedelta(days=2, seconds=1)):
            self.assertFalse(any(self._seen().values()))
            self.assertEqual(grant.state, "expired")

    def test_scheduled_grant_opens_at_its_start(self):
        now = fields.Datetime.now()
        grant = self._grant(date_start=now + timedelta(days=1), date_end=now + timedelta(days=3))
        self.assertEqual(grant.state, "scheduled")
        self.assertFalse(any(self._seen().values()))
        with freeze_time(now + timedelta(days=1, seconds=1)):
            self.assertTrue(all(self._seen().values()))

    def test_revoke_ends_the_access_now(self):
        grant = self._grant()
        self.cr.flush()  # a record is not tracked in the transaction that creates it
        self.assertTrue(all(self._seen().values()))
        grant.with_user(self.user_manager).action_revoke()
        self.env.flush_all()
        self.cr.flush()  # tracking values are written when the cursor flushes
        self.assertEqual(grant.state, "revoked")
        self.assertEqual(grant.revoked_by_id, self.user_manager)
        self.assertTrue(grant.revoke_date)
        self.assertFalse(any(self._seen().values()))
        # the grantee is told, and the revoke is in the log
        told = grant.message_ids.filtered(
            lambda m: self.user_employee.partner_id in m.partner_ids and "revoked" in m.body
        )
        self.assertEqual(len(told), 1)
        tracked = grant.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("revoke_date", tracked)
        # a revoked grant stays revoked
        with self.assertRaises(UserError):
            grant.with_user(self.user_manager).action_revoke()
        with self.assertRaises(UserError):
            grant.with_user(self.user_manager).write({"revoke_date": False})
        # (the customer's grants: the top-level tests leave revoked grants of their own)
        self.assertEqual(
            self.Grant.search([("state", "=", "revoked"), ("partner_id", "=", self.customer.id)]),
            grant,
        )

    def test_only_managers_grant_and_revoke(self):
        for user in (
            self.user_employee,
            self.user_staff,
            self.user_account_manager,
            self.user_auditor,
        ):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._grant(user=user)
        grant = self._grant()
        # the grantee sees his grant, cannot revoke or prolong it
        self.assertEqual(self.Grant.with_user(self.user_employee).search([]), grant)
        with self.assertRaises(AccessError):
            grant.with_user(self.user_employee).action_revoke()
        # nobody else but managers and auditors sees the grants
        self.assertFalse(self.Grant.with_user(self.user_staff).search([]))
        self.assertEqual(
            self.Grant.with_user(self.user_auditor).search([("id", "=", grant.id)]), grant
        )

    def test_grant_cannot_be_changed_or_deleted(self):
        grant = self._grant()
        for vals in (
            {"reason": "Something else"},
            {"date_end": grant.date_end + timedelta(days=1)},
            {"user_id": self.user_staff.id},
            {"partner_id": self.other.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                grant.with_user(self.user_manager).write(vals)
        with self.assertRaises(AccessError):
            grant.with_user(self.user_manager).unlink()
        with self.assertRaises(UserError):
            grant.sudo().unlink()

    def test_validation(self):
        now = fields.Datetime.now()
        with self.assertRaisesRegex(ValidationError, "must come after its start"):
            self._grant(date_start=now, date_end=now)
        with self.assertRaisesRegex(ValidationError, "must come after its start"):
            self._grant(date_start=now, date_end=now - timedelta(hours=1))
        # 30 days at most
        self._grant(date_start=now, date_end=now + timedelta(days=30))
        with self.assertRaisesRegex(ValidationError, "30 days"):
            self._grant(date_start=now, date_end=now + timedelta(days=30, seconds=1))
        # a delivery customer only
        prospect = self.env["res.partner"].create({"name": "Not a customer", "is_company": True})
        with self.assertRaisesRegex(ValidationError, "Not a customer"):
            self._grant(partner_id=prospect.id)
        # an internal user only
        portal = new_user(self.env, "portal", "dcrm_grant_portal", "Portal User")
        with self.assertRaisesRegex(ValidationError, "not an internal user"):
            self._grant(user_id=portal.id)

    # ------------------------------------------------------------------ the profile
    def _fill_profile(self):
        """The customer's profile, its confidential part included (as its manager would)."""
        self.customer.with_user(self.user_manager).write(
            {
                "customer_class": "key",
                "strategic_value": "core",
                "account_manager_id": self.user_account_manager.id,
                "business_scope": "Fresh food chain, 40 stores",
                "delivery_requirements": "Cold chain, before 7:00",
                "special_preferences": "Calls in Cantonese",
                "credit_level": "c",
                "decision_chain": "The CFO signs",
                "contract_amount": 250000,
            }
        )
        # the evaluation writes the KPIs (as the superuser)
        self.customer.write({"kpi_date": "2026-03-31", "kpi_score": 87.5, "kpi_satisfaction": 92})

    def _profile_spec(self, Profile, view_type):
        """What the web client reads for the view: its fields, with the display name of
        the many2one ones."""
        arch = etree.fromstring(Profile.get_views([(False, view_type)])["views"][view_type]["arch"])
        spec = {}
        for node in arch.xpath("//field[not(ancestor::field)]"):
            field = Profile._fields[node.get("name")]
            spec[field.name] = {"fields": {"display_name": {}}} if field.type == "many2one" else {}
        return spec

    def _shared_profiles(self, user=None):
        self.env.invalidate_all()
        return self.env[PROFILE].with_user(user or self.user_employee).search([])

    def test_grantee_reads_the_profile_from_the_grant(self):
        """A colleague without any Delivery CRM role opens, from the grant, the profile of
        the customer: tier, classification, status, account manager, business, delivery
        requirements, preferences, KPIs — what the field groups keep from them on the
        customer itself."""
        self._fill_profile()
        employee = self.customer.with_user(self.user_employee)
        with self.assertRaises(AccessError):
            employee.read(["business_scope"])
        grant = self._grant()
        action = grant.with_user(self.user_employee).action_view_profile()
        self.assertEqual((action["res_model"], action["res_id"]), (PROFILE, self.customer.id))
        Profile = self.env[PROFILE].with_user(self.user_employee)
        spec = self._profile_spec(Profile, "form")
        self.assertFalse(set(spec) & set(SENSITIVE))
        [values] = Profile.browse(action["res_id"]).web_read(spec)
        self.assertEqual(values["name"], self.customer.name)
        self.assertEqual(values["tier_id"]["display_name"], self.customer.tier_id.display_name)
        self.assertEqual(values["account_manager_id"]["display_name"], "Account Manager")
        self.assertEqual(
            (values["customer_class"], values["strategic_value"], values["customer_state"]),
            ("key", "core", "potential"),
        )
        self.assertEqual(values["business_scope"], "Fresh food chain, 40 stores")
        self.assertEqual(values["delivery_requirements"], "Cold chain, before 7:00")
        self.assertEqual(values["special_preferences"], "Calls in Cantonese")
        self.assertEqual((values["kpi_score"], values["kpi_satisfaction"]), (87.5, 92.0))
        self.assertEqual(values["grant_id"]["id"], grant.id)
        self.assertEqual(values["grant_date_end"], grant.date_end)
        # the fields stay closed on the customer itself (the groups of a field are static)
        with self.assertRaises(AccessError):
            employee.read(["business_scope"])

    def test_grantee_finds_the_shared_customers_in_the_menu(self):
        self._grant()
        # the other customer is shared with somebody else
        self._grant(partner_id=self.other.id, user_id=self.user_staff.id)
        menus = self.env["ir.ui.menu"].with_user(self.user_employee).load_menus(False)
        [menu] = [
            m
            for m in menus.values()
            if m.get("xmlid") == "delivery_crm.delivery_shared_profile_menu"
        ]
        self.assertIn(menus[menu["app_id"]]["id"], menus["root"]["children"])
        action = (
            self.env["ir.actions.actions"]
            .with_user(self.user_employee)
            ._for_xml_id("delivery_crm.delivery_shared_profile_action")
        )
        Profile = self.env[action["res_model"]].with_user(self.user_employee)
        rows = Profile.web_search_read(
            safe_eval(action["domain"]), self._profile_spec(Profile, "list")
        )
        self.assertEqual([row["id"] for row in rows["records"]], self.customer.ids)
        # a manager finds there the customers shared with them only, not every customer
        self.assertFalse(
            self._shared_profiles(self.user_manager).search(safe_eval(action["domain"]))
        )

    def test_profile_refused_without_a_running_grant(self):
        Profile = self.env[PROFILE].with_user(self.user_employee)
        # no grant
        self.assertFalse(self._shared_profiles())
        with self.assertRaises(AccessError):
            Profile.browse(self.customer.id).read(["tier_id"])
        # a grant opens its customer, not another one
        grant = self._grant().with_user(self.user_employee)
        self.assertEqual(self._shared_profiles().ids, self.customer.ids)
        with self.assertRaises(AccessError):
            Profile.browse(self.other.id).read(["tier_id"])
        # the grant ends by itself at its end...
        with freeze_time(grant.date_end + timedelta(seconds=1)):
            self.assertFalse(self._shared_profiles())
            with self.assertRaises(AccessError):
                Profile.browse(self.customer.id).read(["tier_id"])
            with self.assertRaisesRegex(UserError, "not running"):
                grant.action_view_profile()
        # ...or when revoked
        self.assertTrue(self._shared_profiles())
        grant.with_user(self.user_manager).action_revoke()
        self.assertFalse(self._shared_profiles())
        with self.assertRaises(AccessError):
            Profile.browse(self.customer.id).read(["business_scope"])
        with self.assertRaisesRegex(UserError, "not running"):
            grant.action_view_profile()
        # a scheduled grant opens at its start
        now = fields.Datetime.now()
        later = self._grant(date_start=now + timedelta(days=1), date_end=now + timedelta(days=2))
        self.assertFalse(self._shared_profiles())
        with self.assertRaisesRegex(UserError, "not running"):
            later.with_user(self.user_employee).action_view_profile()
        # only the grantee reads the profile through a grant
        running = self._grant()
        with self.assertRaisesRegex(UserError, "only they"):
            running.with_user(self.user_manager).action_view_profile()

    def test_profile_read_only_and_never_sensitive(self):
        self._fill_profile()
        self._grant()
        Profile = self.env[PROFILE].with_user(self.user_employee)
        profile = Profile.browse(self.customer.id)
        self.assertEqual(profile.business_scope, "Fresh food chain, 40 stores")
        with self.assertRaises(AccessError):
            profile.write({"business_scope": "Changed"})
        with self.assertRaises(AccessError):
            profile.unlink()
        with self.assertRaises(AccessError):
            Profile.create({"name": "New"})
        # the confidential part is not in the shared profile at all...
        partner_fields = self.env["res.partner"]._fields
        sensitive = {
            name for name, field in partner_fields.items() if field.groups == CRM_SENSITIVE
        }
        self.assertTrue(sensitive >= set(SENSITIVE))
        shared = {
            field.related.split(".")[-1]
            for field in Profile._fields.values()
            if field.related and field.related.startswith("partner_id.")
        }
        self.assertTrue(shared >= {"tier_id", "business_scope", "kpi_score"})
        self.assertFalse(shared & sensitive)
        self.assertFalse(set(Profile.fields_get()) & sensitive)
        # ...and stays closed on the customer, in every way
        employee = self.customer.with_user(self.user_employee)
        for field in SENSITIVE:
            with self.subTest(field=field):
                with self.assertRaises(ValueError):
                    profile.read([field])
                with self.assertRaises(AccessError):
                    employee.read([field])
                with self.assertRaises(AccessError):
                    employee.search_read([("id", "=", self.customer.id)], [field])

    # ------------------------------------------------------------------ notifications, log
    def test_grantee_notified_with_the_end_date(self):
        grant = self._grant()
        told = self._messages_to(grant, self.user_employee.partner_id, GRANTED)
        self.assertEqual(len(told), 1)
        self.assertEqual(told.author_id, self.user_manager.partner_id)
        self.assertIn("Prepare the yearly tender", told.body)
        self.assertIn(self.customer.name, told.subject)
        mails = self.env["mail.mail"].search([("mail_message_id", "=", told.id)])
        self.assertEqual(mails.recipient_ids, self.user_employee.partner_id)
        # a grant given after the fact, already ended, is only logged
        now = fields.Datetime.now()
        late = self._grant(date_start=now - timedelta(days=3), date_end=now - timedelta(hours=1))
        self.assertFalse(self._messages_to(late, self.user_employee.partner_id, GRANTED))

    def test_cron_notifies_expiry_once(self):
        now = fields.Datetime.now()
        past = {"date_start": now - timedelta(days=3), "date_end": now - timedelta(hours=1)}
        expired = self._grant(**past)
        running = self._grant()
        revoked = self._grant()
        revoked.with_user(self.user_manager).action_revoke()
        self._run_cron(CRON)
        self._run_cron(CRON)
        manager = self.user_manager.partner_id
        self.assertTrue(expired.expiry_notified)
        self.assertEqual(len(self._messages_to(expired, manager, EXPIRED)), 1)
        for grant in running | revoked:
            self.assertFalse(grant.expiry_notified)
            self.assertFalse(self._messages_to(grant, manager, EXPIRED))
        self.assertEqual(self._cron_progress(CRON).done, 0)  # the second run found nothing

    def test_manager_gives_a_grant_in_the_form(self):
        with Form(self.Grant.with_user(self.user_manager)) as form:
            form.partner_id = self.customer
            form.user_id = self.user_employee
            form.department = "marketing"
            form.reason = "Customer case study"
            form.date_end = fields.Datetime.now() + timedelta(days=7)
        grant = form.record
        self.assertEqual(grant.state, "active")
        self.assertEqual(grant.create_uid, self.user_manager)
        # the terms are read-only once given
        with Form(grant.with_user(self.user_manager)) as form, self.assertRaises(AssertionError):
            form.reason = "Something else"

    def test_grant_is_logged(self):
        grant = self._grant()
        self.assertEqual(grant.create_uid, self.user_manager)
        created = grant.message_ids.filtered(
            lambda m: "Temporary access to a customer's data created" in m.body
        )
        self.assertEqual(created.author_id, self.user_manager.partner_id)
        self.assertEqual(
            self.Grant.search([("state", "=", "active"), ("id", "=", grant.id)]), grant
        )

    def test_grant_opens_the_customer_in_its_own_company_only(self):
        """Security review L6: the grants were searched across companies, so a grant
        given in one company opened a shared customer's records in another company
        the grantee also works in."""
        south = self.env["res.company"].create({"name": "Delivery South 华南配送"})
        self.user_employee.write({"company_ids": [Command.link(south.id)]})
        in_south = self.env["delivery.complaint"].create(
            {
                "subject": "Late in the south",
                "request_type": "inquiry",
                "partner_id": self.customer.id,
                "company_id": south.id,
            }
        )
        grant = self._grant()
        self.assertEqual(grant.company_id, self.company)
        Complaint = self.env["delivery.complaint"].with_user(self.user_employee)
        self.env.invalidate_all()
        # working in the south, the grant of the head office opens nothing
        in_south_only = Complaint.with_context(allowed_company_ids=south.ids)
        self.assertFalse(in_south_only.search([("partner_id", "=", self.customer.id)]))
        self.assertFalse(in_south_only.env["res.partner"].browse(self.customer.id).delivery_granted)
        with self.assertRaises(AccessError):
            in_south.with_env(in_south_only.env).read(["subject"])
        # in the head office, it opens the customer's records there
        at_head_office = Complaint.with_context(allowed_company_ids=self.company.ids)
        self.assertEqual(
            at_head_office.search([("partner_id", "=", self.customer.id)]),
            self._records(self.customer)["delivery.complaint"] - in_south,
        )
