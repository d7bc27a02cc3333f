"""Reads on a replica (issue 18 item 5): the module's heavy read paths run on a
read-only cursor, and write nothing there.

Odoo's test mode gives the ``readonly=True`` routes and ``registry.cursor(readonly=True)``
a read-only transaction (``SET TRANSACTION READ ONLY``, Odoo 19
``odoo/tests/test_cursor.py``; the read-only pool of ``odoo/orm/registry.py``), as a
PostgreSQL replica does: a write there raises ``ReadOnlySqlTransaction``. A read-only
route that writes is run again by Odoo on the primary with a WARNING of ``odoo.http``,
so each route below is checked to be read-only *and* to log no warning. The real
replica is proven by the top-level ``tests/test_read_replica.py``."""

import io
import json
import os
import threading
import unittest
from datetime import date, timedelta
from types import SimpleNamespace
from unittest.mock import patch

import openpyxl
import psycopg2

from odoo import api, fields, http
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.delivery_crm.controllers import report as report_controller
from odoo.addons.delivery_crm.models.read_replica import read_only_get

from .common import new_user

PROFILE = "delivery_crm.report_customer_profile"
# The module's @api.readonly methods of data (model, method, args): each runs as the
# manager on a read-only cursor.
READ_METHODS = [
    ("delivery.dashboard", "get_dashboard_data", ["month"]),
    ("delivery.dashboard", "get_dashboard_data", ["year"]),
]


@tagged("post_install", "-at_install")
class TestReadReplica(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_user(cls.env, "manager", "replica_manager", password="replica_manager")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Replica Buyer",
                "is_company": True,
                "is_delivery_customer": True,
                "email": "replica.buyer@example.com",
            }
        )
        contact = cls.env["res.partner"].create(
            {"name": "Rita Replica", "parent_id": cls.customer.id, "email": "rita@example.com"}
        )
        cls.portal = new_user(
            cls.env, "portal", "replica_portal", password="replica_portal", partner_id=contact.id
        )
        cls.shipment = cls.env["delivery.shipment"].create(
            {"name": "WB-REPLICA-1", "partner_id": cls.customer.id}
        )
        cls.claim = cls.env["delivery.claim"].create(
            {
                "shipment_id": cls.shipment.id,
                "kind": "delay",
                "amount_claimed": 12.0,
                "description": "Replica claim",
            }
        )
        cls.complaint = cls.env["delivery.complaint"].create(
            {
                "partner_id": cls.customer.id,
                "subject": "Replica complaint subject",
                "request_type": "complaint",
                "type_id": cls.env.ref("delivery_crm.delivery_complaint_type_delay").id,
                "received_date": fields.Datetime.now(),
            }
        )

    def _route(self, path, method="GET"):
        """The ``readonly`` of the route that serves ``path``."""
        # routing_map() reads the database of the thread, as in a request
        self.enterContext(
            patch.object(threading.current_thread(), "dbname", self.env.cr.dbname, create=True)
        )
        rule, _args = (
            self.env["ir.http"]
            .routing_map()
            .bind("localhost")
            .match(path, method, return_rule=True)
        )
        return rule.endpoint.routing["readonly"]

    def _logs(self):
        self.env.invalidate_all()
        return self.env["delivery.export.log"].sudo().search([("user_id", "=", self.manager.id)])

    def _read_only_get(self, url, login):
        """GET ``url`` as ``login`` on the route's read-only cursor: 200, and no WARNING
        (a write would be retried by Odoo on the primary, with a warning)."""
        self.authenticate(login, login)
        with self.assertNoLogs("odoo.http", "WARNING"):
            response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return response

    def test_portal_pages_are_read_only(self):
        pages = [
            "/my/complaints",
            "/my/deliveries",
            f"/my/deliveries/{self.shipment.id}",
            "/my/claims",
            f"/my/claims/{self.claim.id}",
            "/my/benefits",
        ]
        for url in pages:
            with self.subTest(url=url):
                self.assertIs(self._route(url), True)
                self._read_only_get(url, "replica_portal")
        # a form is shown on the replica, sent on the primary
        for url in ("/my/notifications", "/my/complaints/new", "/my/claims/new"):
            with self.subTest(url=url):
                self.assertIs(self._route(url), read_only_get)
                self._read_only_get(url, "replica_portal")

    def test_report_reads_on_the_replica_and_logs_on_the_primary(self):
        """A printed report of customer data is rendered on the read-only cursor; its
        export-log row is written on the primary (before: the route was read/write)."""
        url = f"/report/html/{PROFILE}/{self.customer.id}"
        self.assertIs(self._route(url), True)
        response = self._read_only_get(url, "replica_manager")
        self.assertIn("Replica Buyer", response.text)
        log = self._logs()
        self.assertEqual(
            (log.res_model, log.record_count, log.export_type), ("res.partner", 1, "pdf")
        )

    def test_report_download_of_the_module_is_read_only(self):
        """The web client's print button (``/report/download``, read/write in Odoo):
        this module's reports are rendered on the read-only cursor; Odoo's others
        keep the read/write one."""
        self.authenticate("replica_manager", "replica_manager")
        url = f"/report/pdf/{PROFILE}/{self.customer.id}"
        with self.assertNoLogs("odoo.http", "WARNING"):
            response = self.url_open(
                "/report/download",
                data={
                    "data": json.dumps([url, "qweb-pdf"]),
                    "context": "{}",
                    "token": "dummy",
                    "csrf_token": http.Request.csrf_token(self),
                },
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._logs().export_type, "pdf")
        route = self._route("/report/download", "POST")
        for data, readonly in (
            ([url, "qweb-pdf"], True),
            (["/report/pdf/base.report_irmodulereference/1", "qweb-pdf"], False),
            (["/report/html/whatever", "qweb-html"], False),
            ("not json", False),
        ):
            with self.subTest(data=data):
                self._check_download_readonly(route, data, readonly)

    def _check_download_readonly(self, route, data, readonly):
        values = {"data": data if isinstance(data, str) else json.dumps(data)}
        with patch.object(
            report_controller,
            "request",
            SimpleNamespace(env=self.env, httprequest=SimpleNamespace(values=values)),
        ):
            self.assertIs(route(None, None, {}), readonly)

    def test_xlsx_reads_on_the_replica_and_logs_on_the_primary(self):
        """The Excel download reads on the read-only cursor; its one-time key and its
        export-log row are written on the primary (before: the route was read/write)."""
        today = date.today()
        wizard = (
            self.env["delivery.xlsx.export.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "export_type": "complaint",
                    "date_from": today - timedelta(days=1),
                    "date_to": today + timedelta(days=1),
                }
            )
        )
        url = wizard.action_export()["url"]
        self.assertIs(self._route(url.split("?")[0]), True)
        response = self._read_only_get(url, "replica_manager")
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        cells = {
            cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        }
        self.assertIn("Replica complaint subject", cells)
        self.assertEqual(self._logs().export_type, "xlsx")
        # the key was used up on the primary: the link downloads once
        self.assertEqual(self.url_open(url).status_code, 404)
        self.assertEqual(len(self._logs()), 1)

    def test_read_methods_are_read_only(self):
        for model, method, args in READ_METHODS:
            with self.subTest(method=f"{model}.{method}"):
                self.assertTrue(getattr(type(self.env[model]), method)._readonly)
                with self.registry.cursor(readonly=True) as cr:
                    env = api.Environment(cr, self.manager.id, {})
                    getattr(env[model], method)(*args)
                    self.assertTrue(cr.readonly)

    def test_a_write_on_a_read_only_cursor_fails(self):
        """The honest check behind the others: on the read-only cursor the module's read
        path (the Excel export) runs, and a write fails loudly
        (``ReadOnlySqlTransaction``), nothing is changed."""
        wizard = (
            self.env["delivery.xlsx.export.wizard"]
            .with_user(self.manager)
            .create(
                {"export_type": "complaint", "date_from": date.today(), "date_to": date.today()}
            )
        )
        with self.registry.cursor(readonly=True) as cr:
            self.assertTrue(cr.readonly)
            env = api.Environment(cr, self.manager.id, {})
            path, _name = wizard.with_env(env)._export_xlsx()
            os.unlink(path)
            customer = env["res.partner"].browse(self.customer.id)
            customer.comment = "written on a replica"
            # unittest's assertRaises: Odoo's opens a savepoint on the test's own cursor,
            # whose pending writes the read-only transaction refuses too
            with (
                unittest.TestCase.assertRaises(self, psycopg2.errors.ReadOnlySqlTransaction),
                mute_logger("odoo.sql_db"),
            ):
                env.flush_all()
            cr.rollback()
        self.assertEqual(self._logs().export_type, "xlsx")
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.comment)
