"""The transport system's upsert of deliveries (issue 15 item 6), as its integration
user: ``delivery.shipment.transport_upsert`` and ``transport_customers``."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged, users, warmup
from odoo.tools import mute_logger

from .common import DeliveryCrmCommon, new_user

TRANSPORT = "delivery_crm.group_delivery_crm_transport"


def row(name, customer_ref="TC-001", **values):
    return {
        "name": name,
        "customer_ref": customer_ref,
        "date": "2026-09-01 08:00:00",
        "promised_datetime": "2026-09-02 08:00:00",
        "revenue": 120.5,
        "pieces": 3,
        "weight": 12.25,
        "status": "in_transit",
        **values,
    }


@tagged("post_install", "-at_install")
class TestDeliveryShipmentTransport(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_transport = new_user(
            cls.env, "employee", "dcrm_transport", "Transport System", extra_groups=TRANSPORT
        )
        cls.customer = cls._new_customer(
            "Shipper Co",
            ref="TC-001",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
        )
        cls.customer2 = cls._new_customer("Second Co", ref="TC-002", customer_state="active")
        cls.company2 = cls.env["res.company"].create({"name": "Other Delivery Company"})
        cls.foreign = cls._new_customer(
            "Foreign Co", ref="TC-F", company_id=cls.company2.id, user=cls.env.user
        )
        cls.plain_partner = cls.env["res.partner"].create({"name": "Not a customer", "ref": "NC"})
        cls.Shipment = cls.env["delivery.shipment"].with_user(cls.user_transport)

    def _shipments(self, *names):
        return self.env["delivery.shipment"].search([("name", "in", list(names))], order="name")

    def test_create_then_resend_identical_writes_nothing(self):
        result = self.Shipment.transport_upsert(
            [row("WB-1"), row("WB-2", customer_ref=None, partner_id=self.customer2.id)]
        )
        self.assertEqual((result["created"], result["errors"]), (2, 0), result)
        one, two = self._shipments("WB-1", "WB-2")
        self.assertEqual(
            [r["id"] for r in result["rows"]], [one.id, two.id], "the ids of the new rows"
        )
        self.assertEqual(
            (one.partner_id, one.revenue, one.pieces, one.weight, one.status),
            (self.customer, 120.5, 3, 12.25, "in_transit"),
        )
        self.assertEqual(two.partner_id, self.customer2)
        # an ISO 8601 time with an offset is stored in UTC
        self.Shipment.transport_upsert([row("WB-TZ", date="2026-09-01T10:00:00+02:00")])
        self.assertEqual(str(self._shipments("WB-TZ").date), "2026-09-01 08:00:00")
        self.env.flush_all()
        messages = self.env["mail.message"].search_count(
            [("model", "=", "delivery.shipment"), ("res_id", "in", (one + two).ids)]
        )
        write_dates = (one.write_date, two.write_date)
        again = self.Shipment.transport_upsert(
            [row("WB-1"), row("WB-2", customer_ref=None, partner_id=self.customer2.id)]
        )
        self.assertEqual(
            [(r["result"], r["id"]) for r in again["rows"]],
            [("unchanged", one.id), ("unchanged", two.id)],
        )
        self.env.invalidate_all()
        self.assertEqual((one.write_date, two.write_date), write_dates, "no write at all")
        self.assertEqual(
            self.env["mail.message"].search_count(
                [("model", "=", "delivery.shipment"), ("res_id", "in", (one + two).ids)]
            ),
            messages,
            "no tracking message",
        )

    def test_newer_status_updates_older_ignored_backwards_refused(self):
        self.Shipment.transport_upsert([row("WB-S", updated_at="2026-09-01 09:00:00")])
        shipment = self._shipments("WB-S")
        delivered = row("WB-S", status="delivered", delivered_datetime="2026-09-02 07:00:00") | {
            "updated_at": "2026-09-02 07:05:00"
        }
        result = self.Shipment.transport_upsert([delivered])
        self.assertEqual(result["rows"][0]["result"], "updated", result)
        self.assertEqual((shipment.status, shipment.outcome), ("delivered", "delivered"))
        tracked = shipment.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("status", tracked, "the status change is in the history")
        # an older message of the transport system (sent late) is ignored
        old = row("WB-S", status="in_transit", updated_at="2026-09-01 10:00:00")
        result = self.Shipment.transport_upsert([old])
        self.assertEqual(result["rows"][0]["result"], "unchanged")
        self.assertTrue(result["rows"][0]["stale"])
        self.assertEqual(shipment.status, "delivered")
        # the same backwards status as a newer message is refused: it would undo a delivery
        back = row("WB-S", status="in_transit", updated_at="2026-09-03 10:00:00")
        result = self.Shipment.transport_upsert([back])
        self.assertEqual(result["rows"][0]["result"], "error")
        self.assertIn("cannot go back", result["rows"][0]["error"])
        self.assertEqual(shipment.status, "delivered")
        # a damage found after the delivery is a newer status: the customer is told once
        damaged = delivered | {"outcome": "damaged", "status": None}
        damaged["updated_at"] = "2026-09-03 11:00:00"
        result = self.Shipment.transport_upsert([damaged])
        self.assertEqual(result["rows"][0]["result"], "updated", result["rows"])
        self.assertEqual((shipment.outcome, shipment.status), ("damaged", "exception"))
        # the notice is left to the notice job, started at once (not rendered in the call)
        self.assertEqual(shipment.exception_ids.mapped("notice_pending"), [True])
        self.assertFalse(shipment.exception_notified)
        cron = self.env.ref("delivery_crm.ir_cron_delivery_exception_notices")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "the job is started"
        )
        self._run_cron("delivery_crm.ir_cron_delivery_exception_notices")
        self.assertTrue(shipment.exception_notified)
        self.assertFalse(shipment.exception_ids.notice_pending)
        messages = shipment.message_ids
        self.assertTrue(messages.partner_ids & self.customer, "the customer is told")
        self._run_cron("delivery_crm.ir_cron_delivery_exception_notices")
        shipment.invalidate_recordset(["message_ids"])
        self.assertEqual(shipment.message_ids, messages, "told once")
        again = self.Shipment.transport_upsert([damaged])
        self.assertEqual(again["rows"][0]["result"], "unchanged")

    def test_status_push_of_a_batch_left_to_the_notice_job(self):
        """A customer told of every status change hears of the transport system's
        updates from the notice job, started at once, not inside the API call."""
        self.customer.write({"delivery_notify_scope": "all", "delivery_notify_channel": "mail"})
        self.Shipment.transport_upsert([row("WB-P")])
        shipment = self._shipments("WB-P")
        delivered = row("WB-P", status="delivered", delivered_datetime="2026-09-02 07:00:00")
        self.Shipment.transport_upsert([delivered])
        self.assertTrue(shipment.status_push_pending)
        mails = shipment.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertFalse(mails, "nothing rendered inside the call")
        self._run_cron("delivery_crm.ir_cron_delivery_exception_notices")
        self.assertFalse(shipment.status_push_pending)
        mails = shipment.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertEqual(len(mails), 1)
        self.assertIn("was delivered", mails.body)

    def test_failed_attempt_raises_its_exception(self):
        """The transport system reports a failed attempt: the desk gets a
        failed-attempt exception and the customer is told, once."""
        self.Shipment.transport_upsert([row("WB-F")])
        attempt = row("WB-F", failed_attempt_datetime="2026-09-01 18:00:00")
        result = self.Shipment.transport_upsert([attempt])
        self.assertEqual(result["rows"][0]["result"], "updated", result["rows"])
        shipment = self._shipments("WB-F")
        self.assertEqual(shipment.exception_ids.mapped("kind"), ["failed_attempt"])
        self._run_cron("delivery_crm.ir_cron_delivery_exception_notices")
        self.assertTrue(shipment.exception_notified)
        again = self.Shipment.transport_upsert([attempt])
        self.assertEqual(again["rows"][0]["result"], "unchanged")
        self.assertEqual(len(shipment.exception_ids), 1)

    def test_bad_rows_refused_individually_good_rows_written(self):
        count = self.env["delivery.shipment"].search_count([])
        rows = [
            row("WB-OK1"),
            row("WB-BAD-DATE", date="2026-13-45 08:00:00"),
            row("WB-NEG", revenue=-5),
            row("WB-UNKNOWN", customer_ref="NO-SUCH"),
            row("WB-FOREIGN", customer_ref="TC-F"),
            row("WB-PLAIN", customer_ref="NC"),
            row("WB-TYPE", pieces="three"),
            row("WB-ORDER", delivered_datetime="2026-08-01 08:00:00"),
            row("WB-STATUS", status="shipped"),
            row("WB-COLUMN", colour="red"),
            row("WB-NODATE", date=None),
            row("WB-OK1"),
            "not a row",
            row("WB-OK2", customer_ref=None, partner_id=self.customer2.id),
            row("WB-ID", customer_ref=None, partner_id=self.foreign.id),
            row("WB-LATE", outcome="late"),
            # a status that says nothing of what happened: no exception, no notice
            row("WB-EXC", status="exception"),
            row("WB-DLV", status="delivered"),
        ]
        result = self.Shipment.transport_upsert(rows)
        outcome = {r["index"]: r for r in result["rows"]}
        self.assertEqual(
            [i for i, r in outcome.items() if r["result"] == "created"], [0, 13], result
        )
        expected_errors = {
            1: "is not a date and time",
            2: "cannot be negative",
            3: "No delivery customer of your company has the code NO-SUCH",
            4: "No delivery customer of your company has the code TC-F",
            5: "No delivery customer of your company has the code NC",
            6: "pieces must be a whole number",
            7: "before the order date",
            8: "is unknown; expected one of",
            9: "Unknown columns: colour",
            10: "is required for a new delivery",
            11: "appears twice",
            12: "must be an object",
            14: "No delivery customer of your company has the id",
            15: "follows the delivery time",
            16: "send outcome damaged or lost",
            17: "needs delivered_datetime",
        }
        for index, message in expected_errors.items():
            self.assertEqual(outcome[index]["result"], "error", index)
            self.assertIn(message, outcome[index]["error"], index)
            self.assertFalse(outcome[index]["id"])
        self.assertEqual(outcome[2]["reference"], "WB-NEG")
        self.assertEqual(result["errors"], len(expected_errors))
        self.assertEqual(self.env["delivery.shipment"].search_count([]), count + 2)

    def test_database_refusal_falls_back_row_by_row(self):
        """A row the checks pass but the database refuses (here: a customer the service
        staff member may not write for) is refused alone; the others are written whole."""
        staff = self.env["delivery.shipment"].with_user(self.user_staff)
        count = self.env["delivery.shipment"].search_count([])
        self.customer.developer_id = self.user_staff  # assigned: the staff may write it
        with mute_logger("odoo.sql_db", "odoo.models"):
            result = staff.transport_upsert(
                [row("WB-ST1"), row("WB-ST2", customer_ref="TC-002"), row("WB-ST3")]
            )
        self.assertEqual(
            [r["result"] for r in result["rows"]], ["created", "error", "created"], result
        )
        self.assertEqual(self.env["delivery.shipment"].search_count([]), count + 2)
        self.assertEqual(len(self._shipments("WB-ST1", "WB-ST3")), 2)
        self.assertFalse(self._shipments("WB-ST2"))

    def test_batch_of_1000_in_one_call(self):
        rows = [row(f"WB-K{i:04d}") for i in range(1000)]
        result = self.Shipment.transport_upsert(rows)
        self.assertEqual(result["created"], 1000)
        rows[7]["status"] = "delivered"
        rows[7]["delivered_datetime"] = "2026-09-01 20:00:00"
        result = self.Shipment.transport_upsert(rows)
        self.assertEqual((result["updated"], result["unchanged"]), (1, 999))
        with self.assertRaisesRegex(UserError, "At most 1000 rows"):
            self.Shipment.transport_upsert(rows + [row("WB-TOO-MANY")])

    def test_access(self):
        employee = self.env["delivery.shipment"].with_user(self.user_employee)
        with self.assertRaises(AccessError):
            employee.transport_upsert([row("WB-E")])
        with self.assertRaises(AccessError):
            employee.transport_customers()
        self.assertFalse(self._shipments("WB-E"))
        customers = self.Shipment.transport_customers(refs=["TC-001", "TC-002", "TC-F", "NC"])
        self.assertEqual(
            customers,
            [
                {"id": self.customer2.id, "name": "Second Co", "ref": "TC-002"},
                {"id": self.customer.id, "name": "Shipper Co", "ref": "TC-001"},
            ],
        )
        # nothing else: no partner change, no requests, no deleting deliveries
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_transport).write({"name": "Renamed"})
        self.env["delivery.complaint"].create(
            {
                "subject": "Late parcel",
                "partner_id": self.customer.id,
                "type_id": self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
            }
        )
        complaints = self.env["delivery.complaint"].with_user(self.user_transport)
        self.assertFalse(complaints.search([]), "no request of any customer is visible")
        with self.assertRaises(AccessError):
            complaints.create({"subject": "Lost parcel", "partner_id": self.customer.id})
        self.Shipment.transport_upsert([row("WB-X")])
        with self.assertRaises(AccessError):
            self._shipments("WB-X").with_user(self.user_transport).unlink()
        # the upsert is its only way to write: no direct write (a status moved back, a
        # delivery given to another customer, a far-future update time) nor create
        shipment = self._shipments("WB-X").with_user(self.user_transport)
        for vals in (
            {"status": "created"},
            {"partner_id": self.customer2.id},
            {"transport_updated_at": "2099-01-01 00:00:00"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                shipment.write(vals)
        with self.assertRaises(AccessError):
            self.Shipment.create(
                {"name": "WB-Y", "partner_id": self.customer.id, "date": "2026-09-01 08:00:00"}
            )
        with self.assertRaises(AccessError):
            shipment.message_post(body="Hello", partner_ids=self.customer2.ids)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_transport).read(["is_delivery_customer"])

    @users("dcrm_transport")
    @warmup
    def test_query_count_bounded(self):
        """An unchanged row costs no query; a new one a small constant."""
        shipment = self.env["delivery.shipment"]
        shipment.transport_upsert([row(f"WB-Q{i:03d}") for i in range(60)])
        self.env.invalidate_all()
        with self.assertQueryCount(default=8):
            result = shipment.transport_upsert([row(f"WB-Q{i:03d}") for i in range(10)])
        self.assertEqual(result["unchanged"], 10)
        self.env.invalidate_all()
        with self.assertQueryCount(default=8):
            result = shipment.transport_upsert([row(f"WB-Q{i:03d}") for i in range(60)])
        self.assertEqual(result["unchanged"], 60)
        self.env.invalidate_all()
        with self.assertQueryCount(default=12):
            shipment.transport_upsert([row(f"WB-N{i:03d}") for i in range(10)])
        self.env.invalidate_all()
        with self.assertQueryCount(default=12):
            shipment.transport_upsert([row(f"WB-M{i:03d}") for i in range(60)])
        # delivered rows: the outcome comes with the row, no second write per row
        delivered = {"status": "delivered", "delivered_datetime": "2026-09-01 20:00:00"}
        self.env.invalidate_all()
        with self.assertQueryCount(default=12):
            shipment.transport_upsert([row(f"WB-D{i:03d}", **delivered) for i in range(10)])
        self.env.invalidate_all()
        with self.assertQueryCount(default=12):
            shipment.transport_upsert([row(f"WB-E{i:03d}", **delivered) for i in range(60)])
        self.assertEqual(
            set(
                self.env["delivery.shipment"].search([("name", "=like", "WB-E%")]).mapped("outcome")
            ),
            {"delivered"},
        )
