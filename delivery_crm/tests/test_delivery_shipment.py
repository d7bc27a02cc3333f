import io
from datetime import datetime, timedelta

import xlsxwriter
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DeliveryCrmCommon

T0 = datetime(2026, 9, 1, 8, 0)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@tagged("post_install", "-at_install")
class TestDeliveryShipment(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._new_customer(
            "Shipper Co",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
            phone="+86 138 0000 0000",
        )
        cls.other = cls._new_customer(
            "Other Co", customer_state="active", account_manager_id=cls.user_account_manager.id
        )
        cls.Shipment = cls.env["delivery.shipment"].with_user(cls.user_account_manager)

    def _ship(self, ref="WB-1", **vals):
        return self.Shipment.create(
            {
                "name": ref,
                "partner_id": self.customer.id,
                "date": T0,
                "promised_datetime": T0 + timedelta(hours=24),
                "revenue": 100.0,
                **vals,
            }
        )

    def _notices(self, shipment):
        mails = shipment.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("mail.mt_comment")
        )
        sms = self.env["sms.sms"].search(
            [("partner_id", "=", shipment.partner_id.id), ("body", "like", shipment.name)]
        )
        return mails, sms

    def test_outcome_follows_delivery_time(self):
        shipment = self._ship()
        self.assertEqual((shipment.status, shipment.outcome), ("created", False))
        shipment.action_in_transit()
        self.assertEqual(shipment.status, "in_transit")
        shipment.delivered_datetime = T0 + timedelta(hours=23, minutes=59)
        self.assertEqual(
            (shipment.outcome, shipment.status, shipment.on_time), ("delivered", "delivered", True)
        )
        shipment.delivered_datetime = T0 + timedelta(hours=30)
        self.assertEqual(
            (shipment.outcome, shipment.status, shipment.on_time), ("late", "delivered", False)
        )
        # a "delivered" outcome given with a late time is corrected
        late = self._ship("WB-2", outcome="delivered", delivered_datetime=T0 + timedelta(hours=25))
        self.assertEqual(late.outcome, "late")
        damaged = self._ship("WB-3", outcome="damaged", delivered_datetime=T0 + timedelta(hours=2))
        self.assertEqual(
            (damaged.outcome, damaged.status, damaged.on_time), ("damaged", "exception", False)
        )
        cancelled = self._ship("WB-4")
        cancelled.action_cancel()
        self.assertEqual((cancelled.outcome, cancelled.status), ("cancelled", "cancelled"))

    def test_exception_notified_once(self):
        shipment = self._ship()
        self.assertEqual(self._notices(shipment), (self.env["mail.message"], self.env["sms.sms"]))
        shipment.delivered_datetime = T0 + timedelta(hours=30)  # late
        mails, sms = self._notices(shipment)
        self.assertEqual(len(mails), 1)
        self.assertIn(self.customer, mails.partner_ids)
        self.assertIn("WB-1", mails.subject)
        self.assertEqual(len(sms), 1)
        self.assertIn("WB-1", sms.body)
        self.assertEqual((sms.number, sms.state), ("+8613800000000", "outgoing"))  # E.164
        self.assertTrue(shipment.exception_notified)
        # the same job damaged later: a new kind of exception, told too (issue 15)
        shipment.outcome = "damaged"
        self.assertEqual(len(self._notices(shipment)[0]), 2)
        shipment.write({"outcome": "damaged", "notes": "resent"})
        self.assertEqual(len(self._notices(shipment)[0]), 2)
        on_time = self._ship("WB-9", delivered_datetime=T0 + timedelta(hours=3))
        self.assertFalse(self._notices(on_time)[0])
        self.assertFalse(on_time.exception_notified)

    def test_bad_records_refused(self):
        bad = [
            {"revenue": -1.0},
            {"pieces": -3},
            {"delivered_datetime": T0 - timedelta(minutes=1)},
            {"promised_datetime": T0 - timedelta(days=1)},
            {"partner_id": self.env.ref("base.main_partner").id},  # not a delivery customer
        ]
        for vals in bad:
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self._ship("BAD", **vals)
        self.assertFalse(self.env["delivery.shipment"].search([("name", "=", "BAD")]))

    @mute_logger("odoo.sql_db")
    def test_reference_unique_per_customer(self):
        self._ship("WB-7")
        self._ship("WB-7", partner_id=self.other.id)  # another customer may reuse it
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self._ship("WB-7")

    def test_import_refuses_bad_rows_writes_nothing(self):
        fields = [
            "name",
            "partner_id",
            "date",
            "promised_datetime",
            "delivered_datetime",
            "revenue",
        ]
        good = [
            "IMP-1",
            "Shipper Co",
            "2026-09-01 08:00:00",
            "2026-09-02 08:00:00",
            "2026-09-02 07:00:00",
            "50",
        ]
        cases = {
            "unknown customer": ["IMP-2", "Nobody Ltd", "2026-09-01 08:00:00", "", "", "10"],
            "negative revenue": ["IMP-2", "Shipper Co", "2026-09-01 08:00:00", "", "", "-10"],
            "delivered before created": [
                "IMP-2",
                "Shipper Co",
                "2026-09-01 08:00:00",
                "",
                "2026-08-31 08:00:00",
                "10",
            ],
            "duplicate reference": good,
        }
        for label, bad_row in cases.items():
            with self.subTest(label), mute_logger("odoo.sql_db"):
                result = self.Shipment.load(fields, [good, bad_row])
                self.assertFalse(result["ids"], label)
                self.assertTrue([m for m in result["messages"] if m["type"] == "error"], label)
            self.assertFalse(
                self.env["delivery.shipment"].search([("name", "in", ("IMP-1", "IMP-2"))])
            )
        result = self.Shipment.load(fields, [good])
        self.assertEqual(len(result["ids"]), 1, result["messages"])
        imported = self.env["delivery.shipment"].browse(result["ids"])
        self.assertEqual((imported.partner_id, imported.outcome), (self.customer, "delivered"))

    def test_xlsx_import_through_base_import(self):
        def xlsx(rows):
            buffer = io.BytesIO()
            book = xlsxwriter.Workbook(buffer)
            sheet = book.add_worksheet()
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    sheet.write(r, c, value)
            book.close()
            return buffer.getvalue()

        header = ["Reference", "Customer", "Order date", "Revenue"]
        fields = ["name", "partner_id", "date", "revenue"]
        options = {"has_headers": True, "datetime_format": "%Y-%m-%d %H:%M:%S"}

        def run(rows):
            wizard = (
                self.env["base_import.import"]
                .with_user(self.user_account_manager)
                .create(
                    {
                        "res_model": "delivery.shipment",
                        "file": xlsx([header, *rows]),
                        "file_type": XLSX_MIMETYPE,
                        "file_name": "deliveries.xlsx",
                    }
                )
            )
            return wizard.execute_import(fields, header, options)

        result = run(
            [
                ["X-1", "Shipper Co", "2026-09-01 08:00:00", 10],
                ["X-2", "Shipper Co", "2026-09-01 09:00:00", -5],
            ]
        )
        self.assertFalse(result["ids"])
        self.assertFalse(self.env["delivery.shipment"].search([("name", "in", ("X-1", "X-2"))]))
        result = run(
            [
                ["X-1", "Shipper Co", "2026-09-01 08:00:00", 10],
                ["X-2", "Other Co", "2026-09-01 09:00:00", 20],
            ]
        )
        self.assertEqual(len(result["ids"]), 2, result.get("messages"))
        self.assertEqual(
            sorted(self.env["delivery.shipment"].browse(result["ids"]).mapped("revenue")),
            [10.0, 20.0],
        )

    @mute_logger("odoo.sql_db")  # the refused row's failed insert is logged by the ORM
    def test_csv_import_through_base_import(self):
        csv = (
            "Reference,Customer,Order date,Revenue\n"
            "C-1,Shipper Co,2026-09-01 08:00:00,10\n"
            "C-2,Unknown Customer Ltd,2026-09-01 09:00:00,20\n"
        )
        wizard = (
            self.env["base_import.import"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "res_model": "delivery.shipment",
                    "file": csv.encode(),
                    "file_type": "text/csv",
                    "file_name": "deliveries.csv",
                }
            )
        )
        options = {"has_headers": True, "separator": ",", "quoting": '"'}
        result = wizard.execute_import(
            ["name", "partner_id", "date", "revenue"],
            ["Reference", "Customer", "Order date", "Revenue"],
            options,
        )
        self.assertFalse(result["ids"])
        self.assertTrue(any("Unknown Customer Ltd" in m["message"] for m in result["messages"]))
        self.assertFalse(self.env["delivery.shipment"].search([("name", "in", ("C-1", "C-2"))]))

    def test_access(self):
        shipment = self._ship()
        with self.assertRaises(AccessError):
            shipment.with_user(self.user_account_manager).unlink()
        # other departments see no delivery without a manager's grant
        self.assertFalse(self.env["delivery.shipment"].with_user(self.user_employee).search([]))
        with self.assertRaises(AccessError):
            shipment.with_user(self.user_employee).read(["partner_id"])
        shipment.with_user(self.user_manager).unlink()
        self.assertFalse(shipment.exists())

    def test_wrong_value_types_refused_clearly(self):
        count = self.Shipment.search_count([])
        with self.assertRaisesRegex(ValidationError, "expects the id of a record"):
            self._ship("WB-T1", partner_id="abc")
        with self.assertRaisesRegex(ValidationError, "out of range"):
            self._ship("WB-T2", pieces=10**12)
        self.assertEqual(self.Shipment.search_count([]), count)
        shipment = self._ship("WB-T3", pieces=2**31 - 1)
        with self.assertRaisesRegex(ValidationError, "expects the id of a record"):
            shipment.write({"partner_id": "1; DROP TABLE res_partner"})
        self.assertEqual(shipment.partner_id, self.customer)
