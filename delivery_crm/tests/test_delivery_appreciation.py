"""Appreciation events (issue 16 item 7, 001 §八.2 客户答谢会): a guest list of the
customers' people, invitations mailed with reply links, replies and attendance, and the
event in each guest customer's care history."""

import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import DeliveryCrmCommon, new_user

REPLY_LINK = re.compile(r"/appreciation/(\d+)/(\w+)/(accepted|declined)")


def make_world(cls):
    cls.customer = cls.env["res.partner"].create(
        {
            "name": "Dinner Guest Co",
            "is_company": True,
            "is_delivery_customer": True,
            "customer_state": "active",
            "account_manager_id": cls.user_account_manager.id,
        }
    )
    cls.other = cls.env["res.partner"].create(
        {
            "name": "Second Guest Co",
            "is_company": True,
            "is_delivery_customer": True,
            "customer_state": "active",
            "account_manager_id": cls.user_account_manager.id,
        }
    )
    Partner = cls.env["res.partner"]
    cls.wang = Partner.create(
        {"name": "Wang Fang", "parent_id": cls.customer.id, "email": "wang@example.com"}
    )
    cls.li = Partner.create(
        {"name": "Li Lei", "parent_id": cls.customer.id, "email": "li@example.com"}
    )
    cls.zhao = Partner.create(
        {"name": "Zhao Min", "parent_id": cls.other.id, "email": "zhao@example.com"}
    )
    cls.no_mail = Partner.create({"name": "Sun Wu", "parent_id": cls.other.id})


@tagged("post_install", "-at_install")
class TestDeliveryAppreciation(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        make_world(cls)
        cls.start = fields.Datetime.now().replace(microsecond=0) + timedelta(days=10)

    def _event(self, contacts, user=None):
        user = user or self.user_account_manager
        return (
            self.env["delivery.appreciation.event"]
            .with_user(user)
            .create(
                {
                    "name": "Year-end customer dinner",
                    "date_begin": self.start,
                    "location": "Shanghai",
                    "guest_ids": [
                        Command.create(
                            {"partner_id": c.commercial_partner_id.id, "contact_id": c.id}
                        )
                        for c in contacts
                    ],
                }
            )
        )

    def _guest(self, event, contact):
        return event.guest_ids.filtered(lambda g: g.contact_id == contact)

    def _invitations(self, event):
        return self.env["mail.mail"].search(
            [("model", "=", "delivery.appreciation.guest"), ("res_id", "in", event.guest_ids.ids)]
        )

    def test_invitations_replies_attendance_and_history(self):
        event = self._event(self.wang | self.li | self.zhao)
        event.action_send_invitations()
        self.assertEqual(event.state, "invited")
        self.assertEqual(set(event.guest_ids.mapped("state")), {"invited"})
        mails = self._invitations(event)
        self.assertEqual(len(mails), 3)
        wang_mail = mails.filtered(lambda m: m.res_id == self._guest(event, self.wang).id)
        recipients = [wang_mail.email_to or "", *wang_mail.recipient_ids.mapped("email")]
        self.assertIn("wang@example.com", " ".join(recipients))
        self.assertIn("Year-end customer dinner", wang_mail.subject)
        self.assertEqual(len(REPLY_LINK.findall(str(wang_mail.body_html))), 2)
        # one care event per customer (its care history), for the account manager
        cares = event.guest_ids.care_event_id
        self.assertEqual(cares.partner_id, self.customer | self.other)
        self.assertEqual(set(cares.mapped("kind")), {"appreciation"})
        self.assertEqual(set(cares.mapped("state")), {"planned"})
        self.assertEqual(cares.user_id, self.user_account_manager)
        # replies recorded by the account manager
        self._guest(event, self.wang).action_accept()
        self._guest(event, self.zhao).action_decline()
        self.assertEqual((event.accepted_count, event.declined_count), (1, 1))
        # attendance is recorded at the event, not before
        with self.assertRaises(UserError):
            self._guest(event, self.wang).action_attended()
        with freeze_time(self.start + timedelta(hours=3)):
            self._guest(event, self.wang).action_attended()
            event.action_done()
        self.assertEqual(event.attended_count, 1)
        customer_care = cares.filtered(lambda c: c.partner_id == self.customer)
        other_care = cares - customer_care
        self.assertEqual((customer_care.state, other_care.state), ("done", "cancelled"))
        bodies = " ".join(customer_care.message_ids.mapped("body"))
        self.assertIn("Wang Fang accepted the invitation", bodies)
        self.assertIn("Wang Fang attended", bodies)
        # the customer's form: a smart button on its invitations
        as_manager = self.customer.with_user(self.user_account_manager)
        self.assertEqual(as_manager.appreciation_guest_count, 2)
        action = as_manager.action_view_appreciation_guests()
        self.assertEqual(
            self.env["delivery.appreciation.guest"].search(action["domain"]),
            event.guest_ids.filtered(lambda g: g.partner_id == self.customer),
        )

    def test_bad_input_refused(self):
        # a guest without an email address: nothing is sent, nobody is invited
        event = self._event(self.wang | self.no_mail)
        with self.assertRaisesRegex(UserError, "Sun Wu"):
            event.action_send_invitations()
        self.assertEqual(event.state, "draft")
        self.assertEqual(set(event.guest_ids.mapped("state")), {"to_invite"})
        self.assertFalse(self._invitations(event))
        self.assertFalse(event.guest_ids.care_event_id)
        # a person of another customer
        with self.assertRaises(ValidationError):
            event.write(
                {
                    "guest_ids": [
                        Command.create({"partner_id": self.customer.id, "contact_id": self.zhao.id})
                    ]
                }
            )
        # a reply before the invitation
        with self.assertRaises(UserError):
            self._guest(event, self.wang).action_accept()
        self._guest(event, self.no_mail).unlink()
        event.action_send_invitations()
        # an invited guest stays on the list
        with self.assertRaises(UserError):
            self._guest(event, self.wang).unlink()
        # invitations to an event that has started
        late = self._event(self.li)
        with freeze_time(self.start + timedelta(minutes=5)), self.assertRaises(UserError):
            late.action_send_invitations()
        # an event not yet held cannot be marked held
        with self.assertRaises(UserError):
            event.action_done()

    def test_replies_and_status_not_forged(self):
        """Invitations, replies, attendance and the event's status follow the buttons:
        written directly (RPC), they are refused and nothing changes."""
        event = self._event(self.wang)
        guest = self._guest(event, self.wang)
        for vals in ({"state": "accepted"}, {"attended": True}, {"reply_date": self.start}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                guest.write(vals)
        with self.assertRaises(AccessError):
            event.write({"state": "done"})
        with self.assertRaises(AccessError):
            event.guest_ids.create(
                {
                    "event_id": event.id,
                    "partner_id": self.customer.id,
                    "contact_id": self.li.id,
                    "state": "accepted",
                    "attended": True,
                }
            )
        self.assertEqual((event.state, guest.state, guest.attended), ("draft", "to_invite", False))

    def test_guest_list_follows_the_customer_rules(self):
        """Staff see the guests of their assigned customers and of their own events."""
        outsider = new_user(self.env, "staff", "dcrm_staff_appreciation")
        event = self._event(self.wang | self.zhao)
        Guest = self.env["delivery.appreciation.guest"].with_user(outsider)
        self.assertFalse(Guest.search([("event_id", "=", event.id)]))
        mine = self.env["res.partner"].create(
            {
                "name": "Outsider Guest Co",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_state": "active",
                "account_manager_id": outsider.id,
            }
        )
        chen = self.env["res.partner"].create({"name": "Chen Jie", "parent_id": mine.id})
        own = self._event(chen, user=outsider)
        self.assertEqual(Guest.search([("event_id", "=", own.id)]).contact_id, chen)

    def test_staff_invite_their_own_customers_only(self):
        """task fix16: staff organising an event invite the people of the customers
        assigned to them; a manager invites anyone's."""
        outsider = new_user(self.env, "staff", "dcrm_staff_appreciation2")
        Event = self.env["delivery.appreciation.event"]
        before = Event.search_count([])
        with (
            self.assertRaisesRegex(AccessError, "not assigned to you"),
            self.env.cr.savepoint(),
        ):
            self._event(self.wang, user=outsider)
        self.assertEqual(Event.search_count([]), before)
        event = self._event(self.env["res.partner"], user=outsider)
        with self.assertRaisesRegex(AccessError, "not assigned to you"), self.env.cr.savepoint():
            self.env["delivery.appreciation.guest"].with_user(outsider).create(
                {"event_id": event.id, "partner_id": self.customer.id, "contact_id": self.li.id}
            )
        self.assertFalse(event.guest_ids)
        by_manager = self._event(self.wang | self.zhao, user=self.user_manager)
        self.assertEqual(len(by_manager.guest_ids), 2)

    def test_new_date_or_place_told_to_the_guests(self):
        """task fix16: the date or the place changed after the invitations: each invited
        guest gets a notice and the care events move to the new day."""
        event = self._event(self.wang | self.zhao)
        event.action_send_invitations()
        self._guest(event, self.zhao).action_decline()
        cares = event.guest_ids.care_event_id
        invitations = self._invitations(event)
        event.write({"description": "<p>Menu</p>"})
        self.assertEqual(self._invitations(event), invitations, "no notice for the programme")
        new_start = self.start + timedelta(days=2)
        event.write({"date_begin": new_start, "location": "Hangzhou"})
        notices = self._invitations(event) - invitations
        self.assertEqual(len(notices), 2)
        wang_notice = notices.filtered(lambda m: m.res_id == self._guest(event, self.wang).id)
        self.assertIn("Hangzhou", str(wang_notice.body_html))
        self.assertIn("Change", wang_notice.subject)
        self.assertEqual(len(REPLY_LINK.findall(str(wang_notice.body_html))), 2)
        self.assertEqual(set(cares.mapped("date")), {fields.Date.context_today(event, new_start)})
        self.assertIn("Hangzhou", " ".join(cares.message_ids.mapped("body")))
        # the replies are kept; a guest may answer again through the links
        self.assertEqual(self._guest(event, self.zhao).state, "declined")


@tagged("post_install", "-at_install")
class TestDeliveryAppreciationReply(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_account_manager = new_user(cls.env, "account_manager", "appreciation_am")
        make_world(cls)

    def test_guest_replies_through_the_link(self):
        event = (
            self.env["delivery.appreciation.event"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": "Spring tea party",
                    "date_begin": fields.Datetime.now() + timedelta(days=5),
                    "guest_ids": [
                        Command.create({"partner_id": self.customer.id, "contact_id": self.wang.id})
                    ],
                }
            )
        )
        event.action_send_invitations()
        guest = event.guest_ids
        mail = self.env["mail.mail"].search(
            [("model", "=", "delivery.appreciation.guest"), ("res_id", "=", guest.id)]
        )
        links = {
            answer: f"/appreciation/{gid}/{token}/{answer}"
            for gid, token, answer in REPLY_LINK.findall(str(mail.body_html))
        }
        # opening the link (a mail scanner does) answers nothing
        response = self.url_open(links["accepted"])
        self.assertEqual(response.status_code, 200)
        guest.invalidate_recordset()
        self.assertEqual(guest.state, "invited")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
        response = self.url_open(links["accepted"], data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.assertIn("we look forward to seeing you", response.text)
        guest.invalidate_recordset()
        self.assertEqual(guest.state, "accepted")
        self.assertTrue(guest.reply_date)
        # a forged token is refused and changes nothing
        forged = links["declined"].rsplit("/", 2)[0] + "/" + "0" * 32 + "/declined"
        self.assertEqual(self.url_open(forged).status_code, 404)
        guest.invalidate_recordset()
        self.assertEqual(guest.state, "accepted")
