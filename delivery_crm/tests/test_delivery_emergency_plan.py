"""Emergency plans (issue 17 item 5; 002 §三.2.3 应急预案): an internal plan with steps,
roles and contacts, activated on a request or a delivery exception (one activity per step
for the role's user, the activation logged), never mailed to a customer; canned answers
of the request's type offered first in the reply wizard."""

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.sql import column_exists

from .common import new_user
from .test_delivery_complaint import DeliveryComplaintCommon

MIGRATION = "delivery_crm/migrations/19.0.1.4.0/post-inq-emergency-plans.py"
STEP_TYPE = "delivery_crm.mail_activity_type_emergency_step"


@tagged("post_install", "-at_install")
class TestEmergencyPlan(DeliveryComplaintCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.head = new_user(cls.env, "manager", "dcrm_head", "Centre Head")
        cls.company.delivery_complaint_manager_id = cls.head
        cls.dept_head = new_user(cls.env, "staff", "dcrm_dept_head", "Transport Head")
        cls.department.manager_id = cls.dept_head
        cls.plan_loss = cls.env.ref("delivery_crm.delivery_emergency_plan_loss")
        cls.type_loss = cls.env.ref("delivery_crm.delivery_complaint_type_loss")
        cls.Wizard = cls.env["delivery.emergency.activate.wizard"]

    def _activate(self, user, plan, record, note="Parcel WB-1 missing since yesterday"):
        """Press *Emergency plan* on the form of ``record`` as ``user``, choose ``plan``
        and *Activate*."""
        field = (
            "default_complaint_id"
            if record._name == "delivery.complaint"
            else ("default_exception_id")
        )
        wizard = (
            self.Wizard.with_user(user)
            .with_context(**{field: record.id})
            .create({"plan_id": plan.id, "note": note})
        )
        return wizard.action_activate()

    def _step_activities(self, record):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref(STEP_TYPE).id),
            ],
            order="id",
        )

    def test_activation_gives_each_role_its_step(self):
        """The shipped plan *Lost shipment* activated on a complaint by its owner: the
        owner, the account manager, the team leader and the service-centre head each get
        their step as an activity (due within its hours), the activation is logged on the
        request, and nothing goes to the customer."""
        complaint = self._complaint(
            type_id=self.type_loss.id, subject="Parcel lost", team_id=self.team.id
        )
        messages_before = complaint.message_ids
        self._activate(self.user_account_manager, self.plan_loss, complaint)
        activities = self._step_activities(complaint)
        self.assertEqual(len(activities), 4)
        self.assertEqual(
            activities.mapped("user_id"),
            self.user_account_manager  # the owner (staff), then the account manager
            | self.user_manager  # the team leader
            | self.head,
        )
        by_user = {a.user_id: a for a in activities}
        self.assertIn("Confirm the last scan", str(activities[0].note))
        self.assertEqual(activities[0].user_id, complaint.user_id)
        self.assertIn("open the claim", str(by_user[self.user_manager].note))
        self.assertIn("root cause", str(by_user[self.head].note))
        self.assertIn("Lost shipment", activities[0].summary)
        log = complaint.emergency_activation_ids
        self.assertEqual(len(log), 1)
        self.assertEqual((log.plan_id, log.user_id), (self.plan_loss, self.user_account_manager))
        self.assertTrue(log.date)
        self.assertEqual(log.activity_count, 4)
        self.assertEqual(log.note, "Parcel WB-1 missing since yesterday")
        # logged on the request as an internal note, sent to nobody outside
        new = complaint.message_ids - messages_before
        note = new.filtered(lambda m: "Lost shipment" in str(m.body))
        self.assertEqual(len(note), 1)
        self.assertTrue(note.subtype_id.internal)
        self.assertIn("activated by Account Manager", str(note.body))
        customer_side = self.customer | self.contact
        self.assertFalse(new.notified_partner_ids & customer_side)
        self.assertFalse(new.partner_ids & customer_side)
        self.assertFalse(self.env["mail.mail"].search([("recipient_ids", "in", customer_side.ids)]))
        # the log is the system's
        with self.assertRaises(AccessError):
            log.with_user(self.user_manager).write({"note": "forged"})
        with self.assertRaises(AccessError):
            self.env["delivery.emergency.activation"].with_user(self.user_manager).create(
                {"plan_id": self.plan_loss.id, "user_id": self.user_manager.id, "date": log.date}
            )

    def test_department_role_contacts_and_missing_roles(self):
        """A manager's plan: the department step goes to the head of the request's
        department, a step names its contact and phone; a role nobody holds on the request
        (no team leader) goes to the service-centre head, with a word saying so."""
        carrier = self.env["res.partner"].create(
            {"name": "Carrier dispatch", "phone": "+86 21 5555 0000"}
        )
        plan = (
            self.env["delivery.emergency.plan"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "Depot flooded",
                    "trigger": "The depot cannot dispatch",
                    "step_ids": [
                        Command.create(
                            {
                                "action": "Reroute through the north depot",
                                "role": "department",
                                "contact_partner_id": carrier.id,
                                "deadline_hours": 2,
                            }
                        ),
                        Command.create(
                            {
                                "action": "Check the driver's list",
                                "role": "team_leader",
                                "contact_user_id": self.user_staff.id,
                                "deadline_hours": 48,
                            }
                        ),
                    ],
                }
            )
        )
        complaint = self._complaint(subject="No delivery today")
        complaint.write({"department_id": self.department.id, "team_id": False})
        self.assertFalse(complaint.team_id.leader_id)
        self._activate(self.user_account_manager, plan, complaint, note=False)
        first, second = self._step_activities(complaint)
        self.assertEqual(first.user_id, self.dept_head)
        self.assertIn("Carrier dispatch (+86 21 5555 0000)", str(first.note))
        self.assertEqual(second.user_id, self.head)
        self.assertIn("Nobody holds the role Team leader here", str(second.note))
        self.assertIn("Service Staff", str(second.note))
        self.assertEqual((second.date_deadline - first.date_deadline).days, 2)

    def test_plan_on_a_delivery_exception(self):
        """A lost delivery's exception: *Emergency plan* on the exception gives the
        steps to its owner's roles and logs the activation on the exception."""
        shipment = (
            self.env["delivery.shipment"]
            .with_user(self.user_account_manager)
            .create({"name": "WB-EMERG", "partner_id": self.customer.id})
        )
        shipment.outcome = "lost"
        exception = self.env["delivery.shipment.exception"].search(
            [("shipment_id", "=", shipment.id), ("kind", "=", "lost")]
        )
        self.assertEqual(len(exception), 1)
        plan = self.env.ref("delivery_crm.delivery_emergency_plan_disruption")
        self._activate(self.user_account_manager, plan, exception)
        activities = self._step_activities(exception)
        self.assertEqual(len(activities), 3)
        self.assertEqual(activities[2].user_id, self.user_account_manager)  # account manager
        self.assertEqual(activities[1].user_id, self.head)
        log = self.env["delivery.emergency.activation"].search(
            [("exception_id", "=", exception.id)]
        )
        self.assertEqual((log.plan_id, log.complaint_id.id), (plan, False))
        self.assertIn("activated by", str(exception.message_ids[0].body))

    def test_bad_plans_and_activations_refused(self):
        """A plan without steps, archived, on a closed request or on nothing cannot be
        activated; a step without role or action, or with a department for another role,
        is refused; staff cannot write plans. Nothing is written."""
        complaint = self._complaint()
        Plan = self.env["delivery.emergency.plan"].with_user(self.user_manager)
        empty = Plan.create({"name": "Empty plan"})
        with self.assertRaisesRegex(UserError, "has no steps"):
            self._activate(self.user_account_manager, empty, complaint)
        with self.assertRaises(AccessError):
            self.env["delivery.emergency.plan"].with_user(self.user_staff).create({"name": "Mine"})
        with self.assertRaisesRegex(ValidationError, "Department head"):
            Plan.create(
                {
                    "name": "Bad department",
                    "step_ids": [
                        Command.create(
                            {
                                "action": "Call",
                                "role": "head",
                                "department_id": self.department.id,
                            }
                        )
                    ],
                }
            )
        for missing in ("role", "action"):
            values = {"plan_id": empty.id, "action": "Call", "role": "head"}
            del values[missing]
            with (
                self.subTest(missing=missing),
                mute_logger("odoo.sql_db"),
                self.assertRaises(IntegrityError),
                self.env.cr.savepoint(),
            ):
                self.env["delivery.emergency.plan.step"].with_user(self.user_manager).create(values)
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env["delivery.emergency.plan.step"].with_user(self.user_manager).create(
                {"plan_id": empty.id, "action": "Call", "role": "head", "deadline_hours": -1}
            )
        self.assertFalse(empty.step_ids)
        archived = self.plan_loss.copy({"name": "Old loss plan"})
        archived.action_archive()
        with self.assertRaisesRegex(UserError, "archived"):
            self._activate(self.user_account_manager, archived, complaint)
        with self.assertRaisesRegex(UserError, "one request or one delivery exception"):
            self.Wizard.with_user(self.user_account_manager).create({"plan_id": self.plan_loss.id})
        # a request of a customer the user does not serve
        with self.assertRaises(AccessError):
            self._activate(self.user_staff, self.plan_loss, complaint)
        self.assertFalse(self._step_activities(complaint))
        self.assertFalse(complaint.emergency_activation_ids)

    def test_reply_wizard_offers_the_request_types_answers_first(self):
        """In *Answer*, the canned answers of the complaint's type come first, then the
        other complaint answers, then the general ones; an inquiry gets the inquiry
        answers then the general ones. No emergency plan is a canned answer any more."""
        Canned = self.env["delivery.canned.response"].with_user(self.user_manager)
        general = Canned.create({"name": "ZZ Thank you", "body": "<p>Thank you.</p>"})
        lost = Canned.create(
            {
                "name": "ZZ Lost parcel: search",
                "body": "<p>We are searching.</p>",
                "request_type": "complaint",
                "type_ids": [Command.link(self.type_loss.id)],
                "sequence": 99,
            }
        )
        complaint = self._complaint(type_id=self.type_loss.id, subject="Lost")
        wizard = (
            self.env["delivery.complaint.reply.wizard"]
            .with_user(self.user_account_manager)
            .with_context(default_complaint_id=complaint.id)
            .create({})
        )
        self.assertEqual((wizard.request_type, wizard.type_id), ("complaint", self.type_loss))
        found = [
            rid
            for rid, _name in self.env["delivery.canned.response"]
            .with_user(self.user_account_manager)
            .with_context(delivery_complaint_type_id=complaint.type_id.id)
            .name_search("", [("request_type", "in", ["complaint", False])])
        ]
        self.assertEqual(found[0], lost.id)  # its type's, though last by sequence
        delay = self.env.ref("delivery_crm.delivery_canned_response_delay")
        self.assertLess(found.index(delay.id), found.index(general.id))
        inquiry_found = [
            rid
            for rid, _name in self.env["delivery.canned.response"]
            .with_user(self.user_account_manager)
            .name_search("", [("request_type", "in", ["inquiry", False])])
        ]
        tracking = self.env.ref("delivery_crm.delivery_canned_response_tracking")
        self.assertLess(inquiry_found.index(tracking.id), inquiry_found.index(general.id))
        self.assertNotIn(lost.id, inquiry_found)
        self.assertNotIn("kind", self.env["delivery.canned.response"]._fields)
        shipped = self.env.ref("delivery_crm.delivery_canned_response_emergency_loss", False)
        self.assertFalse(shipped and shipped.active)

    def test_migration_archives_the_canned_emergency_plans(self):
        """19.0.1.4.0 on an existing database: the canned "emergency plans" are archived;
        the shipped one is replaced by the shipped plan, another becomes a plan without
        steps (it cannot be activated until a manager writes them); FAQ answers stay."""
        self.env.cr.execute(
            SQL("ALTER TABLE delivery_canned_response ADD COLUMN IF NOT EXISTS kind varchar")
        )
        Canned = self.env["delivery.canned.response"]
        shipped = self.env.ref("delivery_crm.delivery_canned_response_emergency_loss", False)
        if not shipped:  # a database installed after 19.0.1.4.0
            shipped = Canned.create({"name": "Emergency plan: lost shipment", "body": "<p>1.</p>"})
            self.env["ir.model.data"].create(
                {
                    "module": "delivery_crm",
                    "name": "delivery_canned_response_emergency_loss",
                    "model": shipped._name,
                    "res_id": shipped.id,
                }
            )
        shipped.active = True
        own = Canned.create(
            {
                "name": "Emergency: depot fire",
                "body": "<p>1. Call the fire brigade.<br/>2. Tell the head.</p>",
                "request_type": "complaint",
            }
        )
        faq = self.env.ref("delivery_crm.delivery_canned_response_delay")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE delivery_canned_response SET kind = CASE WHEN id IN %s "
                "THEN 'emergency' ELSE 'faq' END",
                (shipped.id, own.id),
            )
        )
        plans_before = self.env["delivery.emergency.plan"].search([])
        load_script(MIGRATION, "delivery_crm_post_inq_emergency_plans").migrate(
            self.env.cr, "19.0.1.3.0"
        )
        self.env.invalidate_all()
        # the removed field's column is dropped once used (Odoo never drops it)
        self.assertFalse(column_exists(self.env.cr, "delivery_canned_response", "kind"))
        self.assertFalse(shipped.active)
        self.assertFalse(own.active)
        self.assertTrue(faq.active)
        converted = self.env["delivery.emergency.plan"].search([]) - plans_before
        self.assertEqual(len(converted), 1)
        self.assertEqual(converted.name, "Emergency: depot fire")
        self.assertIn("Call the fire brigade", converted.trigger)
        self.assertEqual(converted.request_type, "complaint")
        with self.assertRaisesRegex(UserError, "has no steps"):
            self._activate(self.user_account_manager, converted, self._complaint())
