"""Delivery exceptions detected in time (issue 15 item 1): one row per delivery and kind,
raised by the 15-minute job (late, at risk) and by the delivery writes (damaged, lost,
failed attempt), announced once per kind, queued for the service desk."""

from datetime import timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import api, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import DeliveryCrmCommon, new_user

CRON = "delivery_crm.ir_cron_delivery_exception_detection"
MIGRATION = "delivery_crm/migrations/19.0.1.3.0/post-exception-records.py"


class DeliveryExceptionCommon(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["delivery.service.team"].create(
            {"name": "Desk East", "leader_id": cls.user_manager.id}
        )
        cls.customer = cls._new_customer(
            "Shipper Co",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
            phone="+86 138 0000 0000",
        )
        # a customer without account manager: its team's leader owns its exceptions
        cls.customer_team = cls._new_customer(
            "Team Co", customer_state="active", service_team_id=cls.team.id
        )
        cls.Shipment = cls.env["delivery.shipment"].with_user(cls.user_account_manager)
        cls.Exception = cls.env["delivery.shipment.exception"]

    def _ship(self, ref, customer=None, promised_in=-1.0, status="in_transit", **vals):
        """A job created two days ago, promised ``promised_in`` hours from now, by the
        account manager (by a manager for a customer not assigned to him)."""
        now = fields.Datetime.now()
        Shipment = self.Shipment
        if customer and customer != self.customer:
            Shipment = Shipment.with_user(self.user_manager)
        shipment = Shipment.create(
            {
                "name": ref,
                "partner_id": (customer or self.customer).id,
                "date": now - timedelta(days=2),
                "promised_datetime": now + timedelta(hours=promised_in),
                **vals,
            }
        )
        if status == "in_transit":
            shipment.action_in_transit()
        return shipment

    def _exceptions(self, shipment, kind=None):
        self.env.invalidate_all()
        domain = [("shipment_id", "=", shipment.id)]
        if kind:
            domain.append(("kind", "=", kind))
        return self.Exception.search(domain)

    def _mails(self, shipment):
        return shipment.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("mail.mt_comment")
        )

    def _sms(self, shipment):
        return self.env["sms.sms"].search([("body", "like", shipment.name)])


@tagged("post_install", "-at_install")
class TestDeliveryShipmentException(DeliveryExceptionCommon):
    def test_late_in_transit_detected_and_announced_once(self):
        shipment = self._ship("WB-LATE")
        on_time = self._ship("WB-FINE", promised_in=5)
        self.assertFalse(self._exceptions(shipment))
        self._run_cron(CRON)
        late = self._exceptions(shipment)
        self.assertEqual(late.kind, "late")
        self.assertFalse(self._exceptions(on_time))
        # owned by the customer's account manager, due by the company's deadline
        self.assertEqual(late.user_id, self.user_account_manager)
        self.assertEqual(late.deadline, late.detected_date + timedelta(hours=24))
        self.assertEqual(late.state, "open")
        activity = late.activity_ids
        self.assertEqual(activity.user_id, self.user_account_manager)
        self.assertEqual(activity.date_deadline, late.deadline.date())
        # the customer told at once, by mail and a queued SMS
        mails = self._mails(shipment)
        self.assertEqual(len(mails), 1)
        self.assertIn(self.customer, mails.partner_ids)
        self.assertIn("has not arrived by the promised time", mails.body)
        sms = self._sms(shipment)
        self.assertEqual((len(sms), sms.state), (1, "outgoing"))
        self.assertTrue(late.announced_date)
        self.assertTrue(late.announced_by_mail and late.announced_by_sms)
        self.assertTrue(shipment.exception_notified)
        self.assertEqual(self._cron_progress(CRON).done, 1)
        # a second run changes nothing
        self._run_cron(CRON)
        self.assertEqual(self._exceptions(shipment), late)
        self.assertEqual(len(self._mails(shipment)), 1)
        self.assertEqual(len(self._sms(shipment)), 1)
        # delivered late afterwards: the same kind, not told twice
        shipment.delivered_datetime = fields.Datetime.now()
        self.assertEqual(shipment.outcome, "late")
        self.assertEqual(self._exceptions(shipment), late)
        self.assertEqual(len(self._mails(shipment)), 1)

    def test_later_damage_still_announced(self):
        shipment = self._ship("WB-DMG")
        self._run_cron(CRON)
        self.assertEqual(len(self._mails(shipment)), 1)
        shipment.outcome = "damaged"
        damaged = self._exceptions(shipment, "damaged")
        self.assertEqual(len(damaged), 1)
        self.assertTrue(damaged.announced_date)
        mails = self._mails(shipment)
        self.assertEqual(len(mails), 2)
        self.assertIn("were damaged", mails[0].body)
        self.assertEqual(len(self._sms(shipment)), 2)
        # written again (the transport system resends it): nothing new
        shipment.write({"outcome": "damaged", "notes": "resent"})
        self.assertEqual(len(self._exceptions(shipment)), 2)
        self.assertEqual(len(self._mails(shipment)), 2)

    def test_failed_attempt_signal(self):
        shipment = self._ship("WB-ATTEMPT", promised_in=5)
        shipment.failed_attempt_datetime = fields.Datetime.now()
        failed = self._exceptions(shipment)
        self.assertEqual(failed.kind, "failed_attempt")
        self.assertEqual(shipment.status, "in_transit")
        self.assertIn("the delivery attempt failed", self._mails(shipment).body)
        shipment.failed_attempt_datetime = fields.Datetime.now() + timedelta(minutes=1)
        self.assertEqual(self._exceptions(shipment), failed)
        self.assertEqual(len(self._mails(shipment)), 1)

    def test_at_risk_off_by_default_and_on_with_setting(self):
        shipment = self._ship("WB-RISK", promised_in=2)
        self.assertEqual(self.company.delivery_exception_at_risk_hours, 0)
        self._run_cron(CRON)
        self.assertFalse(self._exceptions(shipment))
        settings = self.env["res.config.settings"].create(
            {"delivery_exception_at_risk_hours": 3, "delivery_exception_deadline_hours": 8}
        )
        settings.execute()
        self._run_cron(CRON)
        risk = self._exceptions(shipment)
        self.assertEqual(risk.kind, "at_risk")
        self.assertEqual(risk.deadline, risk.detected_date + timedelta(hours=8))
        self.assertIn("may arrive later than promised", self._mails(shipment).body)
        far = self._ship("WB-FAR", promised_in=5)
        self._run_cron(CRON)
        self.assertFalse(self._exceptions(far))

    def test_at_risk_closed_when_delivered_on_time(self):
        """A job flagged at risk that then arrives on time leaves nothing open for the
        desk (no escalation past the deadline); a late one stays a matter."""
        self.company.delivery_exception_at_risk_hours = 3
        shipment = self._ship("WB-RISK-OK", promised_in=2)
        self._run_cron(CRON)
        risk = self._exceptions(shipment, "at_risk")
        self.assertEqual(risk.state, "open")
        self.assertTrue(risk.sudo().activity_ids)
        shipment.write({"delivered_datetime": fields.Datetime.now()})
        risk = self._exceptions(shipment, "at_risk")
        self.assertEqual((shipment.outcome, risk.state), ("delivered", "resolved"))
        self.assertEqual(risk.resolution_note, "Delivered on time.")
        self.assertFalse(risk.sudo().activity_ids, "the owner's to-do is done")

    def test_old_backlog_not_announced_as_news(self):
        """Jobs whose promise passed long ago (a backlog the transport system never
        closed, the first run after an upgrade) are not flagged late by the job."""
        old = self._ship(
            "WB-OLD", promised_in=-24 * 10, date=fields.Datetime.now() - timedelta(days=12)
        )
        recent = self._ship("WB-RECENT", promised_in=-24 * 2)
        self.assertEqual(self.company.delivery_exception_lookback_days, 7)
        self._run_cron(CRON)
        self.assertFalse(self._exceptions(old))
        self.assertEqual(self._exceptions(recent).kind, "late")
        self.company.delivery_exception_lookback_days = 30
        self._run_cron(CRON)
        self.assertEqual(self._exceptions(old).kind, "late")

    def test_bad_settings_refused(self):
        for vals in (
            {"delivery_exception_at_risk_hours": -1},
            {"delivery_exception_deadline_hours": 0},
            {"delivery_exception_lookback_days": 0},
        ):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.company.write(vals)

    def test_owner_from_the_team_when_no_account_manager(self):
        shipment = self._ship("WB-TEAM", customer=self.customer_team)
        self._run_cron(CRON)
        late = self._exceptions(shipment)
        self.assertEqual((late.user_id, late.team_id), (self.user_manager, self.team))

    def test_pre_existing_row_no_duplicate_no_error(self):
        """A second worker (or write) finding the row made meanwhile: no error, no
        second row, no second notice."""
        shipment = self._ship("WB-RACE")
        original = type(self.Exception)._insert_rows
        raced = []

        def other_worker_first(model, kind, ids, now):
            if not raced:
                raced.append(original(model, kind, ids, now))  # the other worker's row
            return original(model, kind, ids, now)

        with patch.object(type(self.Exception), "_insert_rows", other_worker_first):
            self._run_cron(CRON)
        self.assertEqual(len(raced[0]), 1)
        self.assertEqual(self._exceptions(shipment), raced[0])
        # ours found it there: nothing announced by this run
        self.assertFalse(self._mails(shipment))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.Exception.sudo().create({"shipment_id": shipment.id, "kind": "late"})
            self.env.flush_all()

    def test_locked_delivery_left_for_the_next_run(self):
        """A delivery another transaction holds is skipped (SKIP LOCKED), not waited
        for, and taken by the next run."""
        held = self._ship("WB-HELD")
        free = self._ship("WB-FREE")
        Shipment = type(self.env["delivery.shipment"])
        original = Shipment.try_lock_for_update

        def held_elsewhere(records, **kwargs):
            return original(records - records.browse(held.id), **kwargs)

        with patch.object(Shipment, "try_lock_for_update", held_elsewhere):
            self._run_cron(CRON)
        self.assertTrue(self._exceptions(free))
        self.assertFalse(self._exceptions(held))
        self._run_cron(CRON)
        self.assertEqual(self._exceptions(held).kind, "late")

    def test_batch_resumable(self):
        shipments = [self._ship(f"WB-BATCH-{i}") for i in range(5)]
        Exception_ = type(self.Exception)
        original = Exception_._raise_for
        calls = []

        def killed_on_second_batch(model, kind, batch, now=None):
            calls.append(batch.ids)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(model, kind, batch, now)

        self.env.flush_all()
        killed = False
        try:
            with (
                patch.object(type(self.env["delivery.shipment"]), "_cron_batch_size", 2),
                patch.object(Exception_, "_raise_for", killed_on_second_batch),
                self.enter_registry_test_mode(),
                self.registry.cursor() as cr,
            ):
                api.Environment(cr, api.SUPERUSER_ID, {})[
                    "delivery.shipment.exception"
                ]._cron_detect()
        except RuntimeError:
            killed = True
        self.assertTrue(killed)
        self.env.invalidate_all()
        done = self.Exception.search([("shipment_id", "in", [s.id for s in shipments])])
        self.assertEqual(len(done), 2, "the first batch was committed")
        self._run_cron(CRON)
        done = self.Exception.search([("shipment_id", "in", [s.id for s in shipments])])
        self.assertEqual(len(done), 5)
        self.assertEqual(len(set(done.shipment_id.ids)), 5)
        for shipment in shipments:
            self.assertEqual(len(self._mails(shipment)), 1)

    def test_queue_as_the_desk(self):
        shipment = self._ship("WB-DESK")
        self._run_cron(CRON)
        late = self._exceptions(shipment)
        mine = late.with_user(self.user_account_manager)
        # the owner works it: a request for the customer, then resolved with a note
        action = mine.action_open_request()
        complaint = self.env["delivery.complaint"].browse(action["res_id"])
        self.assertEqual((complaint.partner_id, complaint.shipment_id), (self.customer, shipment))
        self.assertEqual(
            complaint.type_id, self.env.ref("delivery_crm.delivery_complaint_type_delay")
        )
        self.assertEqual(mine.complaint_id, complaint)
        self.assertEqual(mine.state, "in_progress")
        self.assertEqual(mine.action_open_request()["res_id"], complaint.id)
        with self.assertRaises(UserError):
            mine.action_resolve()
        mine.resolution_note = "Redelivered, apology call made"
        mine.action_resolve()
        self.assertEqual(mine.state, "resolved")
        self.assertTrue(mine.resolved_date)
        # what the module keeps is not set by hand
        with self.assertRaises(UserError):
            mine.write({"kind": "lost"})
        # exceptions are raised by the deliveries and the job only: nobody files or
        # deletes one by hand (they go with their delivery)
        with self.assertRaises(AccessError):
            late.with_user(self.user_manager).unlink()
        with self.assertRaises(AccessError):
            self.Exception.with_user(self.user_manager).create(
                {"shipment_id": shipment.id, "kind": "lost"}
            )

    def test_overdue_visible_and_escalated_once(self):
        shipment = self._ship("WB-OVERDUE", customer=self.customer_team)
        self._run_cron(CRON)
        late = self._exceptions(shipment)
        self.assertFalse(late.is_overdue)
        self.env.cr.execute(
            SQL(
                "UPDATE delivery_shipment_exception SET deadline = %s WHERE id = %s",
                fields.Datetime.now() - timedelta(hours=1),
                late.id,
            )
        )
        self.env.invalidate_all()
        self.assertTrue(late.is_overdue)
        overdue = self.Exception.with_user(self.user_manager).search([("is_overdue", "=", True)])
        self.assertIn(late, overdue)
        before = len(late.activity_ids)
        self._run_cron(CRON)
        self.assertTrue(late.escalated)
        self.assertEqual(len(late.activity_ids), before + 1)
        self.assertEqual(late.activity_ids.user_id, self.user_manager)
        self._run_cron(CRON)
        self.assertEqual(len(late.activity_ids), before + 1)

    def test_access(self):
        shipment = self._ship("WB-ACCESS")
        self._run_cron(CRON)
        late = self._exceptions(shipment)
        # the account manager (assigned) and managers see it; staff of other customers
        # do not; portal users and other employees never read the model
        self.assertEqual(
            self.Exception.with_user(self.user_account_manager).search([("id", "=", late.id)]),
            late,
        )
        self.assertTrue(self.Exception.with_user(self.user_auditor).search([("id", "=", late.id)]))
        other_staff = new_user(self.env, "staff", "dcrm_exc_other_staff", "Other Staff")
        self.assertFalse(self.Exception.with_user(other_staff).search([("id", "=", late.id)]))
        portal = new_user(self.env, "portal", "dcrm_exc_portal", "Portal Person")
        for user in (portal, self.user_employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Exception.with_user(user).search([])
        with self.assertRaises(AccessError):
            late.with_user(self.user_auditor).write({"resolution_note": "x"})


@tagged("post_install", "-at_install")
class TestDeliveryExceptionMigration(DeliveryExceptionCommon):
    """19.0.1.3.0: the flag of 19.0.1.2.0 becomes announced exception rows."""

    def test_migration_turns_the_flag_into_rows(self):
        customer = self.customer
        now = fields.Datetime.now()
        late = self._ship("WB-OLD-LATE", delivered_datetime=now)
        damaged = self._ship("WB-OLD-DMG", promised_in=5, outcome="damaged")
        untold = self._ship("WB-OLD-UNTOLD", promised_in=5)
        shipments = late | damaged | untold
        # the 19.0.1.2.0 layout: no exception rows, the flag on the told ones
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "DELETE FROM delivery_shipment_exception WHERE shipment_id IN %s",
                tuple(shipments.ids),
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE delivery_shipment SET exception_notified = (id IN %s) WHERE id IN %s",
                (late.id, damaged.id),
                tuple(shipments.ids),
            )
        )
        self.env.invalidate_all()
        migration = load_script(MIGRATION, "delivery_crm_post_exception_records_19_0_1_3_0")
        migration.migrate(self.env.cr, "19.0.1.2.0")
        migration.migrate(self.env.cr, "19.0.1.2.0")  # a second run adds nothing
        self.env.invalidate_all()
        self.assertEqual(self._exceptions(late).kind, "late")
        old = self._exceptions(damaged)
        self.assertEqual(old.kind, "damaged")
        self.assertEqual(old.state, "resolved")
        self.assertTrue(old.announced_date)
        self.assertTrue(old.announced_by_mail and old.announced_by_sms)
        self.assertEqual(old.partner_id, customer)
        self.assertFalse(self._exceptions(untold))
        # the job does not tell the migrated ones again
        mails_before = len(self._mails(late))
        self._run_cron(CRON)
        self.assertEqual(len(self._exceptions(late)), 1)
        self.assertEqual(len(self._mails(late)), mails_before)
