"""The SLA clocks as their own unit (issue 14 item 3), the module's bookkeeping through
``write`` and the workflow written once (issue 14 item 9)."""

from datetime import datetime, timedelta
from unittest.mock import patch

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.delivery_crm.models.delivery_complaint import FLOWS, STATES, TRANSITION_ACTIONS

from .test_delivery_complaint import DeliveryComplaintCommon

CRON_ESCALATE = "delivery_crm.ir_cron_complaint_sla_escalation"
MIGRATION = "delivery_crm/migrations/19.0.1.2.0/post-migration.py"


@tagged("post_install", "-at_install")
class TestSlaClocks(DeliveryComplaintCommon):
    def _clock(self, complaint, clock):
        return complaint._sla_clocks(clock)

    def _escalations(self, complaint):
        escalation = self.env.ref("delivery_crm.mail_activity_type_sla_escalation")
        return complaint.activity_ids.filtered(lambda a: a.activity_type_id == escalation)

    def test_one_row_per_clock_shown_on_the_request(self):
        received = datetime(2026, 3, 2, 23, 0)
        complaint = self._complaint(received_date=received)
        clocks = self.env["delivery.complaint.sla"].search([("complaint_id", "=", complaint.id)])
        self.assertEqual(sorted(clocks.mapped("clock")), ["resolution", "response"])
        response = self._clock(complaint, "response")
        self.assertEqual(
            (response.hours, response.start_date, response.deadline, response.status),
            (2.0, received, datetime(2026, 3, 3, 1, 0), "on_time"),
        )
        self.assertEqual(response.warning_date, datetime(2026, 3, 3, 0, 36))
        # the request's fields are the clocks'
        self.assertEqual(complaint.sla_response_deadline, response.deadline)
        self.assertEqual(
            complaint.sla_resolution_deadline, self._clock(complaint, "resolution").deadline
        )
        self.assertEqual(complaint.sla_response_hours, 2.0)
        self.assertEqual(complaint.sla_status, "on_time")

    def test_escalation_job_searches_the_clocks(self):
        now = fields.Datetime.now()
        complaint = self._complaint(received_date=now - timedelta(hours=3))
        Sla = self.env["delivery.complaint.sla"]
        due = Sla.search(Sla._escalation_domain(now) & Domain("complaint_id", "=", complaint.id))
        self.assertEqual(due, self._clock(complaint, "response"))
        self._run_cron(CRON_ESCALATE)
        response = self._clock(complaint, "response")
        self.assertEqual((response.status, response.escalation), ("breached", "breach"))
        self.assertEqual(complaint.sla_response_status, "breached")
        self.assertEqual(complaint.sla_status, "breached")
        # once: the next run finds nothing
        self.assertFalse(
            Sla.search(Sla._escalation_domain(now)).filtered_domain(
                [("complaint_id", "=", complaint.id)]
            )
        )
        escalated = self._escalations(complaint)
        self.assertEqual(escalated.user_id, self.user_account_manager | self.user_manager)
        self._run_cron(CRON_ESCALATE)
        self.assertEqual(self._escalations(complaint), escalated)
        # a first response stops the clock, missed
        complaint.with_user(self.user_account_manager).action_acknowledge()
        self.assertEqual(response.status, "missed")
        self.assertTrue(response.reached_date)

    def test_escalation_leaves_a_request_another_transaction_holds(self):
        now = fields.Datetime.now()
        complaint = self._complaint(received_date=now - timedelta(hours=3))
        Complaint = type(self.env["delivery.complaint"])
        # the request's row is locked elsewhere: its clocks wait for the next run
        with patch.object(
            Complaint, "try_lock_for_update", autospec=True, side_effect=lambda self: self[:0]
        ):
            self._run_cron(CRON_ESCALATE)
        self.assertEqual(complaint.sla_response_status, "on_time")
        self.assertFalse(self._escalations(complaint))
        self._run_cron(CRON_ESCALATE)
        self.assertEqual(complaint.sla_response_status, "breached")
        self.assertTrue(self._escalations(complaint))

    def test_clocks_are_system_rows(self):
        complaint = self._complaint()
        clock = self._clock(complaint, "response")
        for user in (self.user_account_manager, self.user_manager):
            with self.subTest(user=user.login):
                # read: yes
                self.assertTrue(clock.with_user(user).read(["deadline", "status"]))
                with self.assertRaises(AccessError):
                    clock.with_user(user).write({"status": "met"})
                with self.assertRaises(AccessError):
                    clock.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self.env["delivery.complaint.sla"].with_user(user).create(
                        {"complaint_id": complaint.id, "clock": "response"}
                    )
        self.assertEqual(clock.status, "on_time")
        with self.assertRaises(AccessError):
            clock.with_user(self.user_employee).read(["deadline"])

    def test_reopening_restarts_the_resolution_clock(self):
        received = fields.Datetime.now() - timedelta(hours=2)
        complaint = self._complaint(received_date=received)
        self._resolve_complaint(complaint)
        resolution = self._clock(complaint, "resolution")
        self.assertEqual((resolution.status, resolution.start_date), ("met", received))
        first_target = resolution.hours
        complaint.with_user(self.user_account_manager).action_reopen()
        self.assertEqual(complaint.state, "investigating")
        self.assertEqual(resolution.status, "on_time")
        self.assertFalse(resolution.reached_date)
        self.assertGreater(resolution.start_date, received)  # runs from the reopening
        self.assertGreater(resolution.deadline, fields.Datetime.now())
        self.assertEqual(resolution.hours, first_target)
        self.assertEqual(complaint.sla_resolution_status, "on_time")


@tagged("post_install", "-at_install")
class TestBookkeepingThroughWrite(DeliveryComplaintCommon):
    """What the module keeps goes through ``write``: another module's override of
    ``write`` sees it (issue 14 item 9); users are still refused it."""

    def _spy(self, model):
        cls = type(self.env[model])
        return patch.object(cls, "write", autospec=True, side_effect=cls.write)

    def _written(self, spy, name):
        return [call.args[1][name] for call in spy.call_args_list if name in call.args[1]]

    def test_a_write_override_sees_hand_over_and_sla_dates(self):
        complaint = self._complaint()
        with self._spy("delivery.complaint") as spy:
            complaint.with_user(self.user_account_manager)._handover(self.user_manager, "On leave")
        self.assertEqual(self._written(spy, "user_id"), [self.user_manager.id])
        with self._spy("delivery.complaint") as spy:
            complaint.with_user(self.user_manager).action_acknowledge()
        self.assertEqual(self._written(spy, "first_response_date"), [complaint.first_response_date])
        self.assertEqual(complaint.acknowledged_uid, self.user_manager)
        # a re-triage moves the clocks through their write too
        with self._spy("delivery.complaint.sla") as spy:
            complaint.with_user(self.user_manager).write({"urgency": "urgent"})
        self.assertIn(complaint.sla_resolution_deadline, self._written(spy, "deadline"))

    def test_users_still_cannot_write_what_the_module_keeps(self):
        complaint = self._complaint()
        for vals in (
            {"first_response_date": fields.Datetime.now()},
            {"sla_response_status": "met"},
            {"sla_response_deadline": datetime(2099, 1, 1)},
            {"sla_ids": [(2, complaint.sla_ids[:1].id)]},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                complaint.with_user(self.user_account_manager).write(vals)
        with self.assertRaises(UserError):
            complaint.with_user(self.user_account_manager).write({"user_id": self.user_manager.id})
        self.assertEqual(complaint.user_id, self.user_account_manager)
        self.assertEqual(len(complaint.sla_ids), 2)
        self.assertEqual(complaint.sla_response_status, "on_time")
        # and a reopening is the customer's only
        self._resolve_complaint(complaint)
        with self.assertRaises(UserError):
            complaint.with_user(self.user_account_manager).write({"state": "reopened"})
        self.assertEqual(complaint.state, "resolved")


@tagged("post_install", "-at_install")
class TestWorkflowWrittenOnce(DeliveryComplaintCommon):
    """FLOWS drives both the transitions and the form's buttons."""

    def _workflow_buttons(self):
        arch = (
            self.env["delivery.complaint"]
            .with_user(self.user_manager)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        close_wizard = self.env.ref("delivery_crm.delivery_complaint_close_wizard_action")
        targets = {
            **{action: state for state, action in TRANSITION_ACTIONS.items()},
            str(close_wizard.id): "closed",
            "action_resume": "resume",
            "action_reopen": "reopen",
        }
        return [
            (targets[button.get("name")], button.get("invisible") or "False")
            for button in etree.fromstring(arch).iterfind(".//header/button")
            if button.get("name") in targets
        ]

    def _visible_targets(self, buttons, record):
        context = {
            "state": record.state,
            "request_type": record.request_type,
            # (an empty list is stored as False; the web client finds nothing in it)
            "workflow_actions": record.workflow_actions or [],
            "user_id": self.user_manager.id,
            "id": 1,
            "active": True,
        }
        targets = set()
        for target, invisible in buttons:
            if safe_eval(invisible, context):
                continue
            if target == "resume":
                target = record.resume_state
            elif target == "reopen":
                target = next(s for s in FLOWS[record.request_type]["closed"] if s != "closed")
            targets.add(target)
        return targets

    def test_visible_buttons_are_the_flows(self):
        buttons = self._workflow_buttons()
        Complaint = self.env["delivery.complaint"].with_user(self.user_manager)
        for request_type, flow in FLOWS.items():
            for state, _label in STATES:
                with self.subTest(request_type=request_type, state=state):
                    if state == "waiting":
                        for resume in flow:
                            if "waiting" not in flow[resume]:
                                continue
                            record = Complaint.new({"request_type": request_type, "state": state})
                            record.resume_state = resume
                            self.assertEqual(self._visible_targets(buttons, record), {resume})
                        continue
                    record = Complaint.new({"request_type": request_type, "state": state})
                    self.assertEqual(
                        self._visible_targets(buttons, record), set(flow.get(state, ()))
                    )

    def test_transitions_outside_the_flows_are_refused(self):
        Complaint = self.env["delivery.complaint"].with_user(self.user_account_manager)
        for request_type, flow in FLOWS.items():
            for state, targets in flow.items():
                for target, _label in STATES:
                    if target in targets or target == state:
                        continue
                    # (a new record each time: a refusal rolls the test's cache back)
                    record = Complaint.new({"request_type": request_type, "state": state})
                    with (
                        self.subTest(request_type=request_type, state=state, target=target),
                        self.assertRaises(UserError),
                    ):
                        record._check_transition(target)
        complaint = self._complaint()
        with self.assertRaises(UserError):
            complaint.with_user(self.user_account_manager).write({"state": "resolving"})
        self.assertEqual(complaint.state, "registered")


@tagged("post_install", "-at_install")
class TestSlaMigration(DeliveryComplaintCommon):
    """19.0.1.2.0: a database of 19.0.1.1.0 keeps its requests' clocks."""

    OLD_COLUMNS = {
        "sla_response_hours": "float8",
        "sla_resolution_hours": "float8",
        "sla_response_warning": "timestamp",
        "sla_resolution_warning": "timestamp",
        "sla_resolution_start": "timestamp",
        "sla_resolution_paused_base": "float8",
        "response_escalation": "varchar",
        "resolution_escalation": "varchar",
    }

    def _old_layout(self, columns):
        """The request table as an earlier version had it: ``columns`` (name: type)."""
        for column, kind in columns.items():
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE delivery_complaint ADD COLUMN IF NOT EXISTS %s %s",
                    SQL.identifier(column),
                    SQL(kind),
                )
            )
        self.env.flush_all()

    def test_migration_gives_requests_their_clocks(self):
        received = datetime(2026, 3, 2, 8, 0)
        complaint = self._complaint(received_date=received)
        self._resolve_complaint(complaint)
        open_one = self._complaint(received_date=received)
        requests = complaint | open_one
        # the 19.0.1.1.0 layout: the clocks in columns of the request, no clock rows
        self._old_layout(self.OLD_COLUMNS)
        self.env.cr.execute(
            SQL(
                """
                UPDATE delivery_complaint
                   SET sla_response_hours = 2, sla_resolution_hours = 24,
                       sla_response_deadline = %(received)s + interval '2 hours',
                       sla_response_warning = %(received)s + interval '96 minutes',
                       sla_resolution_deadline = %(received)s + interval '30 hours',
                       sla_resolution_warning = %(received)s + interval '25 hours',
                       sla_resolution_start = %(received)s + interval '6 hours',
                       sla_resolution_paused_base = 1.5,
                       sla_response_status = CASE WHEN id = %(open)s THEN 'breached'
                                                  ELSE 'met' END,
                       response_escalation = CASE WHEN id = %(open)s THEN 'breach'
                                                  ELSE 'none' END,
                       resolution_escalation = 'none'
                 WHERE id IN %(ids)s
                """,
                received=received,
                open=open_one.id,
                ids=tuple(requests.ids),
            )
        )
        self.env.cr.execute(
            SQL("DELETE FROM delivery_complaint_sla WHERE complaint_id IN %s", tuple(requests.ids))
        )
        self.env.invalidate_all()
        migration = load_script(MIGRATION, "delivery_crm_post_migration_19_0_1_2_0")
        migration.migrate(self.env.cr, "19.0.1.1.0")
        migration.migrate(self.env.cr, "19.0.1.1.0")  # a second run adds nothing
        self.env.invalidate_all()
        self.assertEqual(len(requests.sla_ids), 4)
        response = open_one._sla_clocks("response")
        self.assertEqual(
            (response.hours, response.start_date, response.deadline, response.warning_date),
            (2.0, received, received + timedelta(hours=2), received + timedelta(minutes=96)),
        )
        self.assertEqual((response.status, response.escalation), ("breached", "breach"))
        self.assertFalse(response.reached_date)
        resolution = open_one._sla_clocks("resolution")
        self.assertEqual(
            (resolution.start_date, resolution.paused_base, resolution.deadline),
            (received + timedelta(hours=6), 1.5, received + timedelta(hours=30)),
        )
        self.assertEqual(resolution.status, "on_time")
        self.assertEqual(open_one.sla_response_status, "breached")
        self.assertEqual(open_one.response_escalation, "breach")
        # the resolved request's clocks are reached, with the old statuses
        self.assertEqual(
            complaint._sla_clocks("response").reached_date, complaint.first_response_date
        )
        self.assertEqual(complaint._sla_clocks("resolution").reached_date, complaint.resolved_date)
        self.assertEqual(complaint._sla_clocks("response").status, "met")
        # the escalation job goes on from there: the breach is not escalated again
        Sla = self.env["delivery.complaint.sla"]
        self.assertNotIn(response, Sla.search(Sla._escalation_domain(fields.Datetime.now())))

    def test_migration_from_the_first_release(self):
        """A database of 19.0.1.0.0 has no resolution-restart columns (added in
        19.0.1.1.0): its requests get their clocks too, the resolution clock running
        from the receipt with no pause before it."""
        received = datetime(2026, 3, 2, 8, 0)
        request = self._complaint(received_date=received)
        first_release = {
            column: kind
            for column, kind in self.OLD_COLUMNS.items()
            if column not in ("sla_resolution_start", "sla_resolution_paused_base")
        }
        self._old_layout(first_release)
        self.env.cr.execute(
            SQL(
                """
                UPDATE delivery_complaint
                   SET sla_response_hours = 2, sla_resolution_hours = 24,
                       sla_resolution_deadline = %(received)s + interval '24 hours',
                       response_escalation = 'none', resolution_escalation = 'none'
                 WHERE id = %(id)s
                """,
                received=received,
                id=request.id,
            )
        )
        self.env.cr.execute(
            SQL("DELETE FROM delivery_complaint_sla WHERE complaint_id = %s", request.id)
        )
        self.env.invalidate_all()
        migration = load_script(MIGRATION, "delivery_crm_post_migration_19_0_1_2_0")
        migration.migrate(self.env.cr, "19.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(len(request.sla_ids), 2)
        resolution = request._sla_clocks("resolution")
        self.assertEqual(
            (resolution.hours, resolution.start_date, resolution.paused_base, resolution.deadline),
            (24.0, received, 0.0, received + timedelta(hours=24)),
        )
        # the request goes on through its workflow (its clocks are there to be met)
        request.with_user(self.user_manager).action_acknowledge()
        self.assertTrue(request._sla_clocks("response").reached_date)
