"""Duty, shift hand-over and major incidents (issue 17 item 3; 004 客户服务部 值班管理规定,
交接班管理规定): the roster and who is on duty, the hand-over record listing the open
matters and acknowledged by the next shift, its escalation by the job, and the major
incidents told at once to the service-centre head and the staff on duty."""

from datetime import date, datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import new_user
from .test_delivery_complaint import DeliveryComplaintCommon

CRON_HANDOVERS = "delivery_crm.ir_cron_shift_handovers"
CRON_ESCALATE = "delivery_crm.ir_cron_complaint_sla_escalation"
DAY = date(2026, 3, 2)
STEP_TYPE = "delivery_crm.mail_activity_type_emergency_step"


class DutyCommon(DeliveryComplaintCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.head = new_user(cls.env, "manager", "dcrm_duty_head", "Centre Head")
        cls.company.delivery_complaint_manager_id = cls.head
        cls.user_evening = new_user(cls.env, "staff", "dcrm_duty_evening", "Evening Staff")
        Shift = cls.env["delivery.duty.shift"].with_user(cls.user_manager)
        cls.morning = Shift.create(
            {"name": "Morning", "start_hour": 8.0, "end_hour": 16.0, "tz": "UTC"}
        )
        cls.evening = Shift.create(
            {
                "name": "Evening",
                "start_hour": 16.0,
                "end_hour": 0.0,
                "ends_next_day": True,
                "tz": "UTC",
            }
        )
        Roster = cls.env["delivery.duty.roster"].with_user(cls.user_manager)
        cls.roster_morning = Roster.create(
            {"date": DAY, "shift_id": cls.morning.id, "user_id": cls.user_staff.id}
        )
        cls.roster_evening = Roster.create(
            {"date": DAY, "shift_id": cls.evening.id, "user_id": cls.user_evening.id}
        )

    def _handover(self, user=None, **vals):
        return (
            self.env["delivery.duty.handover"]
            .with_user(user or self.user_staff)
            .create({"shift_id": self.morning.id, "date": DAY, **vals})
        )

    def _activities(self, record, xmlid, user=None):
        kind = self.env.ref(xmlid)
        return record.activity_ids.filtered(
            lambda a: a.activity_type_id == kind and (not user or a.user_id == user)
        )

    def _told(self, record, user):
        """Messages of ``record`` sent to ``user`` (mailed as a comment)."""
        return record.message_ids.filtered(
            lambda m: (
                user.partner_id in m.partner_ids and m.subtype_id == self.env.ref("mail.mt_comment")
            )
        )


@tagged("post_install", "-at_install")
class TestDutyRoster(DutyCommon):
    def test_shift_ending_before_it_starts_refused(self):
        Shift = self.env["delivery.duty.shift"].with_user(self.user_manager)
        before = Shift.search_count([])
        with (
            self.assertRaisesRegex(ValidationError, r"ends \(08:00\) before it starts \(16:00\)"),
            self.env.cr.savepoint(),
        ):
            Shift.create({"name": "Bad", "start_hour": 16.0, "end_hour": 8.0})
        with self.assertRaisesRegex(ValidationError, "more than 24 hours"), self.env.cr.savepoint():
            Shift.create({"name": "Bad", "start_hour": 8.0, "end_hour": 9.0, "ends_next_day": True})
        with (
            self.assertRaisesRegex(ValidationError, "between 00:00 and 23:59"),
            self.env.cr.savepoint(),
        ):
            Shift.create({"name": "Bad", "start_hour": 8.0, "end_hour": 25.0})
        with self.assertRaisesRegex(ValidationError, "before it starts"), self.env.cr.savepoint():
            self.morning.with_user(self.user_manager).write({"end_hour": 7.0})
        self.assertEqual(Shift.search_count([]), before)
        self.morning.invalidate_recordset()
        self.assertEqual(self.morning.end_hour, 16.0)
        # the service staff read the shifts, the managers set them
        with self.assertRaises(AccessError):
            self.env["delivery.duty.shift"].with_user(self.user_staff).create(
                {"name": "Mine", "start_hour": 8.0, "end_hour": 9.0}
            )

    def test_night_shift_in_the_shift_time_zone(self):
        night = (
            self.env["delivery.duty.shift"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "Night",
                    "start_hour": 22.0,
                    "end_hour": 8.0,
                    "ends_next_day": True,
                    "tz": "Asia/Shanghai",
                }
            )
        )
        row = (
            self.env["delivery.duty.roster"]
            .with_user(self.user_manager)
            .create({"date": DAY, "shift_id": night.id, "user_id": self.user_staff.id})
        )
        # 22:00 to 08:00 the next day in Shanghai (UTC+8)
        self.assertEqual(row.start_datetime, datetime(2026, 3, 2, 14, 0))
        self.assertEqual(row.end_datetime, datetime(2026, 3, 3, 0, 0))

    def test_same_person_twice_on_a_shift_refused(self):
        Roster = self.env["delivery.duty.roster"].with_user(self.user_manager)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            Roster.create({"date": DAY, "shift_id": self.morning.id, "user_id": self.user_staff.id})
        with (
            self.assertRaisesRegex(ValidationError, "only service-desk users are rostered"),
            self.env.cr.savepoint(),
        ):
            Roster.create(
                {"date": DAY, "shift_id": self.morning.id, "user_id": self.user_employee.id}
            )
        self.assertEqual(
            Roster.search_count([("date", "=", DAY), ("shift_id", "=", self.morning.id)]), 1
        )
        # the staff read the roster; the managers plan it
        with self.assertRaises(AccessError):
            self.env["delivery.duty.roster"].with_user(self.user_staff).create(
                {"date": DAY, "shift_id": self.evening.id, "user_id": self.user_staff.id}
            )

    def test_who_is_on_duty_now(self):
        Roster = self.env["delivery.duty.roster"].with_user(self.user_staff)
        with freeze_time("2026-03-02 10:00:00"):
            self.assertEqual(Roster._on_duty_users(), self.user_staff)
            self.assertEqual(Roster.search([("is_on_duty_now", "=", True)]), self.roster_morning)
        with freeze_time("2026-03-02 16:30:00"):
            # the morning shift stays on duty until the evening acknowledged its hand-over
            self.assertEqual(Roster._on_duty_users(), self.user_staff | self.user_evening)
            handover = self._handover(notes="<p>Two callbacks left</p>")
            handover.action_hand_over()
            handover.with_user(self.user_evening).action_acknowledge()
            self.assertEqual(Roster._on_duty_users(), self.user_evening)
            self.assertEqual(Roster.search([("is_on_duty_now", "=", True)]), self.roster_evening)


@tagged("post_install", "-at_install")
class TestShiftHandover(DutyCommon):
    def test_handover_lists_open_matters_and_is_acknowledged(self):
        with freeze_time("2026-03-02 15:00:00"):
            open_request = self._complaint()
            done_request = self._resolve_complaint(self._complaint())
            callback = self.env["delivery.visit"].create(
                {
                    "name": "Call back Huadong",
                    "visit_type": "return",
                    "partner_id": self.customer.id,
                    "user_id": self.user_account_manager.id,
                    "planned_date": datetime(2026, 3, 3, 1, 0),
                }
            )
            later = callback.copy({"planned_date": datetime(2026, 3, 10, 1, 0)})
        with freeze_time("2026-03-02 15:45:00"):
            # the outgoing staff open the record: the open matters are listed
            handover = self._handover()
            self.assertEqual(handover.outgoing_user_ids, self.user_staff)
            self.assertEqual(handover.incoming_user_ids, self.user_evening)
            # every open request of the company, none resolved or closed
            open_requests = self.env["delivery.complaint"].search(
                [("state", "not in", ["resolved", "closed"])]
            )
            self.assertIn(open_request, open_requests)
            self.assertEqual(handover.line_ids.complaint_id, open_requests)
            self.assertNotIn(done_request, handover.line_ids.complaint_id)
            # the callbacks due by the end of the next day
            self.assertIn(callback, handover.line_ids.visit_id)
            self.assertNotIn(later, handover.line_ids.visit_id)
            line = handover.line_ids.filtered(lambda x: x.complaint_id == open_request)
            self.assertEqual(line.partner_id, self.customer)
            self.assertEqual(line.deadline, open_request.sla_response_deadline)
            self.assertEqual(handover.request_count, len(open_requests))
            self.assertEqual(handover.callback_count, len(handover.line_ids.visit_id))
            # nothing written: no hand-over
            with self.assertRaisesRegex(ValidationError, "Write the duty record"):
                handover.action_hand_over()
            # nobody else signs for the shift
            handover.notes = "<p>Huadong waits for the claim form</p>"
            with self.assertRaisesRegex(UserError, "Only the staff on duty"):
                handover.with_user(self.user_account_manager).action_hand_over()
            handover.action_hand_over()
            self.assertEqual((handover.state, handover.handed_by_id), ("handed", self.user_staff))
            self.assertTrue(
                self._activities(
                    handover, "delivery_crm.mail_activity_type_shift_handover", self.user_evening
                )
            )
            # what the outgoing shift signed is frozen
            with self.assertRaisesRegex(UserError, "was handed over"):
                handover.notes = "<p>changed</p>"
        with freeze_time("2026-03-02 16:05:00"):
            with self.assertRaisesRegex(UserError, "Only the staff on duty on the next shift"):
                handover.with_user(self.user_account_manager).action_acknowledge()
            handover.with_user(self.user_evening).action_acknowledge()
        self.assertEqual(handover.state, "acknowledged")
        self.assertEqual(handover.acknowledged_by_id, self.user_evening)
        self.assertEqual(handover.acknowledged_date, datetime(2026, 3, 2, 16, 5))
        self.assertEqual(handover.line_ids.taken_over_by_id, self.user_evening)
        self.assertFalse(
            self._activities(handover, "delivery_crm.mail_activity_type_shift_handover")
        )
        # closed: what it did not note is the incoming shift's
        with self.assertRaisesRegex(UserError, "record is closed"):
            handover.with_user(self.user_evening).incoming_remarks = "A phone is missing"

    def test_signatures_cannot_be_forged(self):
        with self.assertRaisesRegex(UserError, "kept by the system"):
            self._handover(acknowledged_by_id=self.user_evening.id, state="acknowledged")
        handover = self._handover()
        with self.assertRaisesRegex(UserError, "kept by the system"):
            handover.write({"acknowledged_by_id": self.user_staff.id})
        with self.assertRaisesRegex(UserError, "kept by the system"):
            handover.write({"state": "acknowledged"})
        self.assertEqual(handover.state, "draft")
        self.assertFalse(handover.acknowledged_by_id)
        with self.assertRaises(AccessError):
            handover.line_ids.with_user(self.user_staff).create(
                {"handover_id": handover.id, "kind": "request", "name": "forged"}
            )
        # one record per shift and day
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self._handover()

    def test_refused_handover_goes_back_to_the_outgoing_shift(self):
        with freeze_time("2026-03-02 15:50:00"):
            handover = self._handover(notes="<p>All calm</p>")
            handover.action_hand_over()
        with freeze_time("2026-03-02 16:02:00"):
            incoming = handover.with_user(self.user_evening)
            with self.assertRaisesRegex(ValidationError, "Say why"):
                incoming.action_refuse()
            incoming.incoming_remarks = "Record unclear, the hotline phone is broken"
            incoming.action_refuse()
            self.assertEqual(handover.state, "draft")
            self.assertFalse(handover.handed_by_id)
            self.assertTrue(
                self._activities(
                    handover, "delivery_crm.mail_activity_type_shift_handover", self.user_staff
                )
            )
            # not acknowledged: the morning shift is still on duty
            self.assertIn(self.user_staff, self.env["delivery.duty.roster"]._on_duty_users())

    def test_job_opens_the_missing_handover_and_escalates_once(self):
        self.company.delivery_handover_escalation_minutes = 30
        request = self._complaint()
        with freeze_time("2026-03-02 16:10:00"):
            self._run_cron(CRON_HANDOVERS)
            handover = self.env["delivery.duty.handover"].search(
                [("shift_id", "=", self.morning.id), ("date", "=", DAY)]
            )
            self.assertEqual(handover.origin, "job")
            self.assertIn(request, handover.line_ids.complaint_id)
            self.assertFalse(handover.escalated)  # 10 minutes only
        with freeze_time("2026-03-02 16:31:00"):
            self._run_cron(CRON_HANDOVERS)
            self.assertTrue(handover.escalated)
            head_activities = self._activities(
                handover, "delivery_crm.mail_activity_type_shift_handover", self.head
            )
            self.assertEqual(len(head_activities), 1)
            mails = self._told(handover, self.head)
            self.assertEqual(len(mails), 1)
            self.assertIn("not acknowledged", mails.subject)
            # once
            self._run_cron(CRON_HANDOVERS)
            self.assertEqual(
                len(
                    self._activities(
                        handover, "delivery_crm.mail_activity_type_shift_handover", self.head
                    )
                ),
                1,
            )
            self.assertEqual(len(self._told(handover, self.head)), 1)
            self.assertEqual(
                self.env["delivery.duty.handover"].search_count(
                    [("shift_id", "=", self.morning.id)]
                ),
                1,
            )

    def test_outgoing_person_cannot_take_over_their_own_handover(self):
        """Finding 3 (交接班 五: both parties sign): a user rostered on the morning and
        the evening hands the morning over and cannot take it over themself."""
        self.env["delivery.duty.roster"].with_user(self.user_manager).create(
            {"date": DAY, "shift_id": self.evening.id, "user_id": self.user_staff.id}
        )
        with freeze_time("2026-03-02 15:50:00"):
            handover = self._handover(notes="<p>All calm</p>")
            handover.action_hand_over()
            self.assertIn(self.user_staff, handover.incoming_user_ids)
        with freeze_time("2026-03-02 16:02:00"):
            with self.assertRaisesRegex(UserError, "someone else of the next shift"):
                handover.with_user(self.user_staff).action_acknowledge()
            self.assertEqual(handover.state, "handed")
            self.assertFalse(handover.acknowledged_by_id)
            self.assertFalse(handover.line_ids.taken_over_by_id)
            # another person of the next shift takes it over
            handover.with_user(self.user_evening).action_acknowledge()
            self.assertEqual(handover.acknowledged_by_id, self.user_evening)
        # a manager who handed a shift over does not take it over either
        with freeze_time("2026-03-03 15:50:00"):
            other = self._handover(user=self.head, date=DAY + timedelta(days=1), notes="<p>x</p>")
            other.with_user(self.head).action_hand_over()
            with self.assertRaisesRegex(UserError, "another manager"):
                other.with_user(self.head).action_acknowledge()
            self.assertEqual(other.state, "handed")

    def test_staff_cannot_open_a_handover_ahead(self):
        """Finding 10: the staff open the record of their own shift, near its end or
        after it; not 30 days ahead (it would take the shift's one record)."""
        Handover = self.env["delivery.duty.handover"]
        ahead = DAY + timedelta(days=30)
        self.env["delivery.duty.roster"].with_user(self.user_manager).create(
            {"date": ahead, "shift_id": self.morning.id, "user_id": self.user_staff.id}
        )
        before = Handover.search_count([])
        with freeze_time("2026-03-02 10:00:00"):
            with self.assertRaisesRegex(UserError, "within the hour before its end"):
                self._handover(date=ahead)
            # the morning of today ends at 16:00: not yet
            with self.assertRaisesRegex(UserError, "within the hour before its end"):
                self._handover()
            # not on the shift's roster
            with self.assertRaisesRegex(UserError, "not on the roster"):
                self._handover(user=self.user_evening)
        self.assertEqual(Handover.search_count([]), before)
        with freeze_time("2026-03-02 15:10:00"):
            self.assertTrue(self._handover())
        # a manager opens any
        with freeze_time("2026-03-02 10:00:00"):
            self.assertTrue(self._handover(user=self.user_manager, date=ahead))

    def test_handover_list_is_capped_most_urgent_first(self):
        """Finding 4: at most the company's number of items, the requests nearest to
        their SLA deadline first, and the number left out; collecting does not cost
        more queries with more open requests."""
        self.company.delivery_handover_max_items = 3
        with freeze_time("2026-03-02 15:00:00"):
            for _i in range(4):
                self._complaint()
        with freeze_time("2026-03-02 15:45:00"):
            handover = self._handover()
            Complaint = self.env["delivery.complaint"]
            open_requests = Complaint.search(
                [("company_id", "=", self.company.id), ("state", "not in", ["resolved", "closed"])]
            )
            self.assertGreater(len(open_requests), 3)

            def urgency(request):
                deadline = (
                    request.sla_resolution_deadline
                    if request.first_response_date
                    else request.sla_response_deadline
                )
                return (not deadline, deadline or datetime.min, request.id)

            self.assertEqual(len(handover.line_ids), 3)
            self.assertEqual(handover.line_ids.complaint_id, open_requests.sorted(urgency)[:3])
            callbacks = self.env["delivery.visit"].search_count(
                [
                    ("company_id", "=", self.company.id),
                    ("visit_type", "=", "return"),
                    ("state", "=", "planned"),
                    ("planned_date", "<", handover.end_datetime + timedelta(days=1)),
                ]
            )
            exceptions = self.env["delivery.shipment.exception"].search_count(
                [("company_id", "=", self.company.id), ("state", "!=", "resolved")]
            )
            self.assertEqual(
                handover.left_out_count, len(open_requests) + callbacks + exceptions - 3
            )
            action = handover.action_open_left_out()
            self.assertEqual(Complaint.search(action["domain"]), open_requests)
            # the number of queries does not grow with the open requests
            self.env.invalidate_all()
            self.env.flush_all()
            count0 = self.cr.sql_log_count
            handover.with_user(self.user_staff).action_refresh_items()
            self.env.flush_all()
            queries = self.cr.sql_log_count - count0
        with freeze_time("2026-03-02 15:00:00"):
            for _i in range(5):
                self._complaint()
        with freeze_time("2026-03-02 15:46:00"):
            self.env.invalidate_all()
            with self.assertQueryCount(queries):
                handover.with_user(self.user_staff).action_refresh_items()
            self.assertEqual(len(handover.line_ids), 3)
            self.assertEqual(
                handover.left_out_count, len(open_requests) + 5 + callbacks + exceptions - 3
            )
        with self.assertRaisesRegex(ValidationError, "at least 1"), self.env.cr.savepoint():
            self.company.delivery_handover_max_items = 0

    def test_bad_escalation_setting_refused(self):
        with self.assertRaisesRegex(ValidationError, "must be at least 1"), self.env.cr.savepoint():
            self.company.delivery_handover_escalation_minutes = 0
        self.company.invalidate_recordset()
        with self.assertRaisesRegex(ValidationError, "must be at least 0"), self.env.cr.savepoint():
            self.company.delivery_incident_complaints_per_hour = -1
        self.company.invalidate_recordset()
        self.assertEqual(self.company.delivery_handover_escalation_minutes, 30)


@tagged("post_install", "-at_install")
class TestMajorIncident(DutyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.customer_class = "key"
        # the staff on duty now, whatever the time of the run
        now = fields.Datetime.now()
        cls.shift_now = (
            cls.env["delivery.duty.shift"]
            .with_user(cls.user_manager)
            .create(
                {
                    "name": "Around now",
                    "start_hour": 0.0,
                    "end_hour": 0.0,
                    "ends_next_day": True,
                    "tz": "UTC",
                }
            )
        )
        cls.env["delivery.duty.roster"].with_user(cls.user_manager).create(
            {"date": now.date(), "shift_id": cls.shift_now.id, "user_id": cls.user_evening.id}
        )

    def setUp(self):
        super().setUp()
        # the incidents of the database before the test (demo requests, other runs)
        self.floor = (
            self.env["delivery.major.incident"].search([], order="id desc", limit=1).id or 0
        )

    def _incidents(self, kind=None):
        """The incidents raised by this test: of its key account (the escalation job
        also sees the other requests of the database), or company-wide bursts."""
        domain = [("id", ">", self.floor)] + ([("kind", "=", kind)] if kind else [])
        domain += ["|", ("partner_id", "=", self.customer.id), ("kind", "=", "complaint_burst")]
        return self.env["delivery.major.incident"].search(domain)

    def test_key_account_sla_breach_told_at_once_and_once(self):
        complaint = self._complaint(received_date=fields.Datetime.now() - timedelta(hours=3))
        self.assertFalse(self._incidents())
        self._run_cron(CRON_ESCALATE)
        incident = self._incidents("sla_breach")
        self.assertEqual(len(incident), 1)
        self.assertEqual((incident.complaint_id, incident.partner_id), (complaint, self.customer))
        self.assertEqual(incident.notified_user_ids, self.head | self.user_evening)
        for user in (self.head, self.user_evening):
            self.assertTrue(
                self._activities(incident, "delivery_crm.mail_activity_type_major_incident", user)
            )
            self.assertTrue(self._told(incident, user))
        self.assertTrue(self.env["mail.mail"].search([("subject", "like", incident.name)]))
        self.assertIn("Major incident", complaint.message_ids[0].body)
        self._run_cron(CRON_ESCALATE)
        self.assertEqual(self._incidents(), incident)

    def test_breach_of_a_general_customer_or_rule_off_is_no_incident(self):
        self.customer.customer_class = "general"
        self._complaint(received_date=fields.Datetime.now() - timedelta(hours=3))
        self._run_cron(CRON_ESCALATE)
        self.assertFalse(self._incidents())
        self.customer.customer_class = "key"
        self.company.delivery_incident_key_sla_breach = False
        self._complaint(received_date=fields.Datetime.now() - timedelta(hours=3))
        self._run_cron(CRON_ESCALATE)
        self.assertFalse(self._incidents())

    def test_many_complaints_within_an_hour(self):
        # an hour of its own: no complaint nor burst of the database in it
        with freeze_time("2030-01-07 10:00:00"):
            Complaint = self.env["delivery.complaint"]
            recent = [
                ("request_type", "=", "complaint"),
                ("received_date", ">", fields.Datetime.now() - timedelta(hours=1)),
            ]
            self.company.delivery_incident_complaints_per_hour = Complaint.search_count(recent) + 3
            self._complaint()
            self._complaint(request_type="inquiry", type_id=False)
            self._complaint()
            self.assertFalse(self._incidents())
            # old complaints do not count
            self._complaint(received_date=fields.Datetime.now() - timedelta(hours=2))
            self.assertFalse(self._incidents())
            # the third within the hour: at once, in the filing transaction
            self._complaint()
            incident = self._incidents("complaint_burst")
            self.assertEqual(len(incident), 1)
            self.assertIn(f"{Complaint.search_count(recent)} complaints", incident.name)
            self.assertTrue(self._told(incident, self.head))
            self._complaint()
            self.assertEqual(self._incidents(), incident)

    def test_key_account_lost_or_damaged_delivery(self):
        other = self._new_customer("Small Shop", account_manager_id=self.user_account_manager.id)
        Shipment = self.env["delivery.shipment"].with_user(self.user_account_manager)
        now = fields.Datetime.now()
        for customer, ref in ((self.customer, "WB-KEY"), (other, "WB-GEN")):
            shipment = Shipment.create(
                {
                    "name": ref,
                    "partner_id": customer.id,
                    "date": now - timedelta(days=1),
                    "promised_datetime": now + timedelta(days=1),
                }
            )
            shipment.outcome = "damaged"
        incident = self._incidents("key_exception")
        self.assertEqual(len(incident), 1)
        self.assertEqual(incident.partner_id, self.customer)
        self.assertIn("WB-KEY", incident.name)
        self.assertTrue(self._told(incident, self.head))

    def test_nobody_raises_or_forges_an_incident_and_the_manager_closes_it(self):
        # an hour of its own: no complaint nor burst of the database in it
        with freeze_time("2030-01-07 10:00:00"):
            with self.assertRaises(AccessError):
                self.env["delivery.major.incident"].with_user(self.user_manager).create(
                    {"name": "x", "kind": "sla_breach", "key": "x", "company_id": self.company.id}
                )
            self.company.delivery_incident_complaints_per_hour = 1
            self._complaint()
            incident = self._incidents("complaint_burst").with_user(self.user_manager)
            with self.assertRaisesRegex(UserError, "kept by the system"):
                incident.write({"state": "closed"})
            with self.assertRaisesRegex(UserError, "Only a manager"):
                incident.with_user(self.user_staff).action_close()
            with self.assertRaisesRegex(UserError, "Say what was done"):
                incident.action_close()
            incident.resolution = "Extra staff on the hotline"
            incident.action_close()
            self.assertEqual((incident.state, incident.closed_by_id), ("closed", self.user_manager))

    def test_simultaneous_bursts_raise_one_incident(self):
        """Finding 11: two transactions checking the burst in the same hour, neither
        seeing the other's incident: the unique key (the hour) keeps one."""
        with freeze_time("2030-01-07 10:00:05"):
            self.company.delivery_incident_complaints_per_hour = 1
            complaint = self._complaint()
            incident = self._incidents("complaint_burst")
            self.assertEqual(len(incident), 1)
        Incident = self.env["delivery.major.incident"]
        # the other transaction does not see the first incident (not committed yet)
        with (
            freeze_time("2030-01-07 10:40:00"),
            patch.object(type(Incident), "search_count", return_value=0),
            mute_logger("odoo.sql_db"),
        ):
            Incident._check_complaint_burst(complaint)
        self.assertEqual(self._incidents("complaint_burst"), incident)

    def test_emergency_plan_activated_on_an_incident(self):
        """Finding 6 (Deliver 5: a plan activated on a request or an incident): the head
        activates a plan on a burst incident; each step has its activity, the staff on
        duty get the service staff's step, the activation is linked to the incident,
        nothing goes to a customer."""
        with freeze_time("2030-01-07 10:00:00"):
            self.company.delivery_incident_complaints_per_hour = 1
            self._complaint()
        incident = self._incidents("complaint_burst")
        plan = self.env.ref("delivery_crm.delivery_emergency_plan_loss")
        Wizard = self.env["delivery.emergency.activate.wizard"]
        # the service staff do not activate a plan on an incident
        with self.assertRaises(AccessError):
            Wizard.with_user(self.user_staff).with_context(default_incident_id=incident.id).create(
                {"plan_id": plan.id}
            )
        mails_before = self.env["mail.mail"].search([]).ids
        wizard = (
            Wizard.with_user(self.head)
            .with_context(default_incident_id=incident.id)
            .create({"plan_id": plan.id, "note": "Hotline flooded"})
        )
        wizard.action_activate()
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "delivery.major.incident"),
                ("res_id", "=", incident.id),
                ("activity_type_id", "=", self.env.ref(STEP_TYPE).id),
            ]
        )
        self.assertEqual(len(activities), len(plan.step_ids))
        roles = {step.role for step in plan.step_ids}
        self.assertIn("staff", roles)
        staff_steps = plan.step_ids.filtered(lambda s: s.role == "staff")
        staff_activities = activities.filtered(
            lambda a: any(str(s.action) in str(a.note) for s in staff_steps)
        )
        self.assertEqual(staff_activities.user_id, self.user_evening)  # on duty
        # no request: the owner's, team leader's roles go to the head
        self.assertEqual((activities - staff_activities).user_id, self.head)
        log = self.env["delivery.emergency.activation"].search([("incident_id", "=", incident.id)])
        self.assertEqual(len(log), 1)
        self.assertEqual((log.plan_id, log.user_id), (plan, self.head))
        self.assertEqual(log.activity_count, len(plan.step_ids))
        new_mails = self.env["mail.mail"].search([("id", "not in", mails_before)])
        customer_side = self.customer | self.contact
        self.assertFalse(new_mails.recipient_ids & customer_side)
        self.assertFalse(incident.message_ids.partner_ids & customer_side)
