import csv
import io
import json
import os
from datetime import date

from odoo import Command, http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from ..models.delivery_audit_log import PARTNER_AUDITED_FIELDS
from ..models.delivery_export_log import EXPORT_LOGGED_MODELS
from .common import DeliveryCrmCommon

AUDIT = "delivery.audit.log"
EXPORT = "delivery.export.log"
SENSITIVE = ("credit_level", "decision_chain", "nda_signed", "contract_amount")
# the customer data whose exports are logged (R9): the list the module keeps (the
# top-level access matrix states the same design independently)
LOGGED = sorted(EXPORT_LOGGED_MODELS)


class DeliveryAuditCommon(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's export is for the users with the "Access to export feature" only: give it
        # to every role, so that what stops an export below is the module's field rules
        allow_export = cls.env.ref("base.group_allow_export")
        users = cls.user_account_manager | cls.user_staff | cls.user_manager | cls.user_auditor
        users.write({"group_ids": [Command.link(allow_export.id)]})

    def _logs(self, partner, **domain):
        return (
            self.env[AUDIT]
            .sudo()
            .search(
                [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
                + [(name, "=", value) for name, value in domain.items()],
                order="id",
            )
        )

    def _field(self, name):
        return self.env["ir.model.fields"]._get("res.partner", name)

    def _changes(self, partner):
        """``{field name: (old, new)}`` of the partner's logged changes."""
        return {
            log.field_id.name: (log.old_value, log.new_value)
            for log in self._logs(partner, operation="write")
        }


@tagged("post_install", "-at_install")
class TestDeliveryAuditLog(DeliveryAuditCommon):
    def test_creation_logs_initial_values(self):
        customer = self._new_customer(
            user=self.user_manager,
            customer_class="key",
            account_manager_id=self.user_account_manager.id,
            credit_level="b",
            decision_chain="CEO decides",
            contract_amount=1500,
        )
        created = {log.field_id.name: log for log in self._logs(customer, operation="create")}
        self.assertEqual(
            {name: log.new_value for name, log in created.items()},
            {
                "customer_class": "Key",
                "customer_state": "Potential",
                "account_manager_id": "Account Manager",
                "credit_level": "B - Good",
                "decision_chain": "CEO decides",
                "contract_amount": created["contract_amount"].new_value,
            },
            "the values set, defaults included; not the empty ones (NDA, risk notes...)",
        )
        self.assertIn("1,500.00", created["contract_amount"].new_value)
        log = created["credit_level"]
        self.assertFalse(log.old_value)
        self.assertEqual(log.user_id, self.user_manager)
        self.assertEqual(log.partner_id, customer)
        self.assertEqual(log.record_name, customer.display_name)
        self.assertEqual(log.field_id, self._field("credit_level"))
        self.assertEqual(log.company_id, customer.company_id)
        # the entry tier the profile gets after its creation is a change from no tier
        self.assertEqual(self._changes(customer)["tier_id"], (False, self.tier_new.display_name))

    def test_contacts_are_not_logged(self):
        contact = self.env["res.partner"].create({"name": "Just a contact"})
        self.assertFalse(self._logs(contact))

    def test_contact_becoming_customer_logs_its_profile(self):
        contact = self.env["res.partner"].create({"name": "Soon a customer"})
        contact.with_user(self.user_account_manager).write(
            {"is_delivery_customer": True, "customer_class": "general"}
        )
        self.assertEqual(self._changes(contact)["customer_class"], ("Potential", "General"))
        self.assertEqual(
            self._logs(contact, operation="create").mapped("field_id.name"), ["customer_state"]
        )
        self.assertEqual(self._changes(contact)["tier_id"], (False, self.tier_new.display_name))

    def test_managers_and_auditors_open_a_log_row(self):
        """The log's name shows the audited field's label, which lives in the
        administrators' ir.model.fields: a manager or auditor opening a row was refused."""
        customer = self._new_customer(user=self.user_manager, customer_class="key")
        log = self._logs(customer, operation="create")[:1]
        self.assertTrue(log)
        for user in (self.user_manager, self.user_auditor):
            self.env.invalidate_all()
            name = log.with_user(user).display_name
            self.assertIn(log.field_id.field_description, name)

    def test_changes_log_who_and_old_to_new(self):
        customer = self._new_customer()
        team = self.env["delivery.service.team"].create({"name": "North team"})
        customer.with_user(self.user_account_manager).write(
            {
                "customer_class": "key",
                "strategic_value": "core",
                "account_manager_id": self.user_account_manager.id,
                "service_team_id": team.id,
            }
        )
        customer.with_user(self.user_manager).write(
            {
                "credit_level": "d",
                "nda_signed": True,
                "nda_date": date(2026, 3, 1),
                "decision_chain": "Board",
                "organisation_notes": "Three depots",
                "risk_notes": "Pays late",
                "credit_review_date": date(2026, 9, 30),
                "contract_amount": 98000.5,
            }
        )
        changes = self._changes(customer)
        self.assertEqual(changes["customer_class"], ("Potential", "Key"))
        self.assertEqual(changes["strategic_value"], (False, "Core"))
        self.assertEqual(changes["account_manager_id"], (False, "Account Manager"))
        self.assertEqual(changes["service_team_id"], (False, "North team"))
        self.assertEqual(changes["credit_level"], (False, "D - High risk"))
        self.assertEqual(changes["nda_signed"], ("No", "Yes"))
        self.assertEqual(changes["nda_date"], (False, "2026-03-01"))
        self.assertEqual(changes["decision_chain"], (False, "Board"))
        self.assertEqual(changes["organisation_notes"], (False, "Three depots"))
        self.assertEqual(changes["risk_notes"], (False, "Pays late"))
        self.assertEqual(changes["credit_review_date"], (False, "2026-09-30"))
        self.assertIn("98,000.50", changes["contract_amount"][1])
        by_user = {log.field_id.name: log.user_id for log in self._logs(customer)}
        self.assertEqual(by_user["customer_class"], self.user_account_manager)
        self.assertEqual(by_user["credit_level"], self.user_manager)
        # a later change keeps the old value as it read then
        customer.with_user(self.user_manager).write({"credit_level": "a", "nda_signed": False})
        last = self._logs(customer, field_id=self._field("credit_level").id)[-1]
        self.assertEqual((last.old_value, last.new_value), ("D - High risk", "A - Excellent"))
        last = self._logs(customer, field_id=self._field("nda_signed").id)[-1]
        self.assertEqual((last.old_value, last.new_value), ("Yes", "No"))

    def test_same_value_and_other_fields_not_logged(self):
        customer = self._new_customer(customer_class="general")
        before = self._logs(customer)
        customer.with_user(self.user_account_manager).write(
            {
                "customer_class": "general",
                "business_scope": "Fresh food",
                "phone": "+86 21 5555 0001",
            }
        )
        self.assertEqual(self._logs(customer), before)

    def test_lifecycle_and_tier_changes(self):
        customer = self._new_customer(account_manager_id=self.user_account_manager.id)
        customer.with_user(self.user_account_manager).action_activate()
        self._override_tier(
            self.user_manager, customer, self.tier_gold, "Strategic account", date(2099, 12, 31)
        )
        customer.with_user(self.user_manager).action_end_tier_override()
        tiers = self._logs(customer, field_id=self._field("tier_id").id)
        self.assertEqual(
            [(log.old_value, log.new_value) for log in tiers],
            [
                (False, self.tier_new.display_name),
                (self.tier_new.display_name, self.tier_gold.display_name),
                (self.tier_gold.display_name, self.tier_new.display_name),
            ],
        )
        self.assertEqual(tiers[1].user_id, self.user_manager)
        state = self._logs(customer, field_id=self._field("customer_state").id, operation="write")
        self.assertEqual(
            [(log.old_value, log.new_value, log.user_id) for log in state],
            [("Potential", "In cooperation", self.user_account_manager)],
        )

    def test_tier_changes_of_an_evaluation_run(self):
        """The evaluation run moves tiers in SQL: its tier-change rows are copied into
        the audit log in one statement."""
        customer = self._new_customer()
        change = (
            self.env["delivery.tier.change"]
            .sudo()
            .create(
                {
                    "partner_id": customer.id,
                    "old_tier_id": self.tier_new.id,
                    "new_tier_id": self.tier_silver.id,
                    "origin": "evaluation",
                    "user_id": self.user_manager.id,
                }
            )
        )
        self.env[AUDIT]._log_tier_changes(change.ids)
        log = self._logs(customer, field_id=self._field("tier_id").id)[-1]
        self.assertEqual(
            (log.old_value, log.new_value, log.user_id, log.partner_id, log.operation),
            ("New", "Silver", self.user_manager, customer, "write"),
        )
        self.assertEqual(log.create_date, change.date)

    def test_batch_write_reads_old_values_once(self):
        """The number of queries of a write does not grow with the number of customers:
        the old values are read for the whole batch, the rows created in one go."""
        customers = [
            self.env["res.partner"].browse(
                [self._new_customer(name=f"Batch {size} {i}").id for i in range(size)]
            )
            for size in (2, 2, 8)
        ]

        def queries(partners):
            self.env.invalidate_all()
            partners = partners.with_user(self.user_manager).with_context(tracking_disable=True)
            start = self.env.cr.sql_log_count
            partners.write(
                {
                    "customer_class": "key",
                    "credit_level": "c",
                    "account_manager_id": self.user_account_manager.id,
                }
            )
            return self.env.cr.sql_log_count - start

        queries(customers[0])  # warm the caches (access rules, field ids)
        self.assertEqual(queries(customers[2]), queries(customers[1]))
        changes = self._changes(customers[2][7])
        self.assertEqual(changes["customer_class"], ("Potential", "Key"))
        self.assertEqual(changes["credit_level"], (False, "C - Watch"))
        self.assertEqual(changes["account_manager_id"], (False, "Account Manager"))

    def test_access(self):
        customer = self._new_customer(user=self.user_manager, credit_level="c")
        log = self._logs(customer, field_id=self._field("credit_level").id)
        self.assertTrue(log)
        # staff and other employees do not see the log (it holds sensitive values)
        for user in (self.user_staff, self.user_account_manager, self.user_employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env[AUDIT].with_user(user).search([])
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                log.with_user(user).read(["new_value"])
        # managers and auditors read it
        for user in (self.user_manager, self.user_auditor):
            with self.subTest(user=user.login):
                found = self.env[AUDIT].with_user(user).search([("res_id", "=", customer.id)])
                self.assertIn(log, found)
                self.assertEqual(log.with_user(user).new_value, "C - Watch")
        # nobody edits, deletes or forges a row, not even the administrator...
        admin = self.env.ref("base.user_admin")
        for user in (self.user_manager, self.user_auditor, admin):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    log.with_user(user).write({"new_value": "A - Excellent"})
                with self.assertRaises(AccessError):
                    log.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self.env[AUDIT].with_user(user).create(
                        {
                            "user_id": user.id,
                            "res_model": "res.partner",
                            "res_id": customer.id,
                            "field_id": log.field_id.id,
                            "operation": "write",
                        }
                    )
        # ... even when someone gives the managers full access rights to the model
        self.env["ir.model.access"].create(
            {
                "name": "too generous",
                "model_id": self.env["ir.model"]._get_id(AUDIT),
                "group_id": self.env.ref("delivery_crm.group_delivery_crm_manager").id,
                "perm_read": True,
                "perm_write": True,
                "perm_create": True,
                "perm_unlink": True,
            }
        )
        with self.assertRaises(AccessError):
            log.with_user(admin).write({"new_value": "A - Excellent"})
        with self.assertRaises(AccessError):
            log.with_user(admin).unlink()
        self.assertEqual(log.new_value, "C - Watch")
        # the superuser can
        log.sudo().write({"new_value": "corrected"})
        self.assertEqual(log.new_value, "corrected")
        log.sudo().unlink()
        self.assertFalse(log.exists())

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "Delivery South"})
        self.user_manager.company_ids = [Command.link(other.id)]
        customer = self.env["res.partner"].create(
            {"name": "Southern customer", "is_delivery_customer": True, "company_id": other.id}
        )
        customer.with_user(self.user_manager).with_company(other).write({"credit_level": "a"})
        log = self._logs(customer, field_id=self._field("credit_level").id)
        self.assertEqual(log.company_id, other)
        self.assertFalse(self.env[AUDIT].with_user(self.user_auditor).search([("id", "=", log.id)]))
        self.user_auditor.company_ids = [Command.link(other.id)]
        found = (
            self.env[AUDIT]
            .with_user(self.user_auditor)
            .with_context(allowed_company_ids=[self.company.id, other.id])
            .search([("id", "=", log.id)])
        )
        self.assertEqual(found, log)

    def test_no_chatter_on_the_log(self):
        """The log is the record: no mail thread, tracking or followers duplicate it."""
        self.assertNotIn("message_ids", self.env[AUDIT]._fields)
        self.assertNotIn("message_ids", self.env[EXPORT]._fields)

    def test_audited_fields_exist(self):
        partner_fields = self.env["res.partner"]._fields
        for name in PARTNER_AUDITED_FIELDS:
            with self.subTest(field=name):
                self.assertIn(name, partner_fields)
                self.assertTrue(self._field(name))


@tagged("post_install", "-at_install")
class TestDeliveryExportLog(DeliveryAuditCommon):
    def _export_logs(self, user=None):
        return self.env[EXPORT].sudo().search([("user_id", "=", (user or self.user_manager).id)])

    def test_export_of_customers_logged(self):
        customers = self._new_customer(name="Export A") | self._new_customer(name="Export B")
        data = (
            customers.with_user(self.user_manager)
            .with_context(import_compat=False)
            .export_data(["name", "tier_id", "credit_level"])
        )
        self.assertEqual(len(data["datas"]), 2)
        log = self._export_logs()
        self.assertEqual(len(log), 1)
        self.assertEqual(log.res_model, "res.partner")
        self.assertEqual(log.model_id.model, "res.partner")
        self.assertEqual(log.record_count, 2)
        self.assertEqual(log.field_names.split("\n"), ["name", "tier_id", "credit_level"])
        self.assertEqual(log.export_type, "export")
        self.assertEqual(log.company_id, self.company)
        self.assertTrue(log.create_date)

    def test_export_of_delivery_models_logged(self):
        customer = self._new_customer()
        self.env["delivery.shipment"].create(
            {"name": "EXP-1", "partner_id": customer.id, "date": "2026-05-01 08:00:00"}
        )
        shipments = self.env["delivery.shipment"].with_user(self.user_manager).search([])
        shipments.export_data(["name", "partner_id/name", "revenue"])
        log = self._export_logs()
        self.assertEqual((log.res_model, log.record_count), ("delivery.shipment", len(shipments)))
        self.assertEqual(log.field_names, "name\npartner_id/name\nrevenue")

    def test_exports_logged_by_the_list_of_customer_data(self):
        """Each model of the customer data leaves a row when exported; no other model does,
        whatever its name: the module's configuration, staff data and aggregates, and
        other modules' ``delivery.*`` models (core's delivery carriers)."""
        # the rows of this test (the top-level tests leave rows of their own)
        last = self.env[EXPORT].sudo().search([], limit=1).id or 0

        def logs(model):
            return self.env[EXPORT].sudo().search([("id", ">", last), ("res_model", "=", model)])

        for model in LOGGED:
            with self.subTest(model=model):
                records = self.env[model].with_user(self.user_manager).search([], limit=2)
                records.export_data([".id"])
                log = logs(model)
                self.assertEqual(len(log), 1)
                self.assertEqual((log.user_id, log.record_count), (self.user_manager, len(records)))
        others = sorted(
            name
            for name, model_class in self.registry.items()
            if name.startswith("delivery.")
            and name not in LOGGED
            and not model_class._abstract
            and not model_class._transient
        )
        self.assertIn("delivery.tier", others)
        self.assertIn("delivery.sla.policy", others)
        self.assertIn("delivery.staff.kpi.report", others)
        for model in others:
            with self.subTest(model=model):
                # the superuser reads every model, the export log kept as for anybody
                self.env[model].search([], limit=2).export_data([".id"])
                self.assertFalse(logs(model))
        # core's delivery carriers, whether the delivery app is installed or not
        ExportLog = self.env[EXPORT]
        for model in ("delivery.carrier", "delivery.price.rule", "delivery.zip.prefix"):
            with self.subTest(model=model):
                self.assertFalse(ExportLog._is_logged_model(model))

    def test_other_exports_not_logged(self):
        self.env["res.country"].with_user(self.user_manager).search([], limit=5).export_data(
            ["name"]
        )
        self.assertFalse(self._export_logs())

    def test_sensitive_fields_in_exports_and_rpc(self):
        customer = self._new_customer(
            user=self.user_manager, credit_level="d", decision_chain="Board", contract_amount=5
        )
        # staff export and read the profile...
        rows = customer.with_user(self.user_account_manager).export_data(["name", "tier_id"])[
            "datas"
        ]
        self.assertEqual(rows, [[customer.name, self.tier_new.display_name]])
        # ...not its sensitive part, in any way; and a refused export is not logged
        staff = customer.with_user(self.user_account_manager)
        for field in SENSITIVE:
            with self.subTest(field=field):
                with self.assertRaises(AccessError):
                    staff.export_data(["name", field])
                with self.assertRaises(AccessError):
                    staff.read([field])
                with self.assertRaises(AccessError):
                    staff.search_read([("id", "=", customer.id)], [field])
                with self.assertRaises(AccessError):
                    staff.web_read({field: {}})
                self.assertNotIn(field, staff.fields_get())
        self.assertEqual(len(self._export_logs(self.user_account_manager)), 1)
        # managers and auditors export and read it
        for user in (self.user_manager, self.user_auditor):
            with self.subTest(user=user.login):
                rows = (
                    customer.with_user(user)
                    .with_context(import_compat=False)
                    .export_data(["credit_level", "decision_chain"])["datas"]
                )
                self.assertEqual(rows, [["D - High risk", "Board"]])
                self.assertEqual(
                    customer.with_user(user).read(["credit_level"])[0]["credit_level"], "d"
                )
                self.assertEqual(self._export_logs(user).record_count, 1)

    def test_xlsx_export_logged(self):
        wizard = (
            self.env["delivery.xlsx.export.wizard"]
            .with_user(self.user_manager)
            .create(
                {
                    "export_type": "complaint",
                    "date_from": date(2026, 1, 1),
                    "date_to": date(2026, 1, 31),
                }
            )
        )
        path, _filename = wizard._export_xlsx()
        self.addCleanup(os.unlink, path)
        requests = self.env["delivery.complaint"].with_user(self.user_manager)
        log = self._export_logs()
        self.assertEqual(
            (log.res_model, log.export_type, log.record_count),
            ("delivery.complaint", "xlsx", requests.search_count(wizard._xlsx_export().domain())),
        )
        self.assertEqual(log.description, "Complaint analysis: 2026-01-01 to 2026-01-31 complaint")

    def test_access(self):
        self._new_customer().with_user(self.user_manager).export_data(["name"])
        log = self._export_logs()
        for user in (self.user_staff, self.user_account_manager, self.user_employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env[EXPORT].with_user(user).search([])
        for user in (self.user_manager, self.user_auditor):
            with self.subTest(user=user.login):
                self.assertEqual(log.with_user(user).record_count, 1)
        for user in (self.user_manager, self.user_auditor, self.env.ref("base.user_admin")):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    log.with_user(user).write({"record_count": 0})
                with self.assertRaises(AccessError):
                    log.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self.env[EXPORT].with_user(user).create(
                        {
                            "user_id": user.id,
                            "res_model": "res.partner",
                            "company_id": self.company.id,
                        }
                    )
        log.sudo().unlink()
        self.assertFalse(log.exists())

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "Delivery South"})
        self.user_manager.company_ids = [Command.link(other.id)]
        self._new_customer().with_user(self.user_manager).with_company(other).export_data(["name"])
        log = self._export_logs()
        self.assertEqual(log.company_id, other)
        self.assertFalse(
            self.env[EXPORT].with_user(self.user_auditor).search([("id", "=", log.id)])
        )


@tagged("post_install", "-at_install")
class TestDeliveryExportHttp(DeliveryAuditCommon, HttpCase):
    """Odoo's export route and the external API, as a browser and a script use them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._new_customer(
            name="Routed Customer", user=cls.user_manager, credit_level="b", decision_chain="CFO"
        )

    def _export_csv(self, user, field_names):
        self.authenticate(user.login, user.login)
        return self.url_open(
            "/web/export/csv",
            data={
                "data": json.dumps(
                    {
                        "model": "res.partner",
                        "fields": [{"name": name, "label": name} for name in field_names],
                        "ids": self.customer.ids,
                        "domain": [],
                        "import_compat": False,
                    }
                ),
                "csrf_token": http.Request.csrf_token(self),
            },
        )

    def test_web_export_route(self):
        response = self._export_csv(self.user_auditor, ["name", "credit_level", "decision_chain"])
        self.assertEqual(response.status_code, 200)
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(rows[1], ["Routed Customer", "B - Good", "CFO"])
        log = self.env[EXPORT].sudo().search([("user_id", "=", self.user_auditor.id)])
        self.assertEqual(
            (log.res_model, log.record_count, log.field_names),
            ("res.partner", 1, "name\ncredit_level\ndecision_chain"),
        )
        # staff are refused the sensitive column, and nothing is logged
        with self.assertLogs("odoo.addons.web.controllers.export", "ERROR"):
            response = self._export_csv(self.user_account_manager, ["name", "credit_level"])
        self.assertEqual(response.status_code, 500)
        self.assertIn("AccessError", response.text)
        self.assertNotIn("B - Good", response.text)
        self.assertFalse(
            self.env[EXPORT].sudo().search([("user_id", "=", self.user_account_manager.id)])
        )

    def _call_kw(self, user, model, method, args, kwargs=None):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_json_rpc(self):
        ids = self.customer.ids
        for method, args in (
            ("read", [ids, ["credit_level"]]),
            ("search_read", [[("id", "in", ids)], ["decision_chain"]]),
            ("export_data", [ids, ["name", "credit_level"]]),
        ):
            with (
                self.subTest(method=method),
                self.assertLogs("odoo.http", "WARNING"),
                self.assertRaises(JsonRpcException) as caught,
            ):
                self._call_kw(self.user_account_manager, "res.partner", method, args)
            self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        result = self._call_kw(
            self.user_account_manager, "res.partner", "read", [ids, ["name", "tier_id"]]
        )
        self.assertEqual(result[0]["name"], "Routed Customer")
        result = self._call_kw(self.user_auditor, "res.partner", "read", [ids, ["credit_level"]])
        self.assertEqual(result[0]["credit_level"], "b")
        result = self._call_kw(
            self.user_manager, "res.partner", "export_data", [ids, ["name", "decision_chain"]]
        )
        self.assertEqual(result["datas"], [["Routed Customer", "CFO"]])
        log = self.env[EXPORT].sudo().search([("user_id", "=", self.user_manager.id)])
        self.assertEqual((log.res_model, log.record_count), ("res.partner", 1))
        # the logs themselves are out of reach of staff through the API too
        with self.assertLogs("odoo.http", "WARNING"), self.assertRaises(JsonRpcException):
            self._call_kw(self.user_account_manager, EXPORT, "search_read", [[], ["res_model"]])
        with self.assertLogs("odoo.http", "WARNING"), self.assertRaises(JsonRpcException):
            self._call_kw(self.user_manager, AUDIT, "unlink", [self._logs(self.customer).ids])
        self.assertTrue(self._logs(self.customer))
