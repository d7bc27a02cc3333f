"""Status push by preference (issue 15 item 2, 003 §5.2): each customer and contact
chooses what it is told of its deliveries (all status changes, exceptions only, nothing)
and how (mail, SMS); a contact without its own choice follows its company."""

from lxml import html

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import new_user
from .test_delivery_shipment_exception import DeliveryExceptionCommon


@tagged("post_install", "-at_install")
class TestDeliveryStatusPush(DeliveryExceptionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Dora Dispatch",
                "parent_id": cls.customer.id,
                "email": "dora@example.com",
                "phone": "+86 139 1111 2222",
            }
        )

    def _notices(self, shipment, partner):
        """The mails posted to ``partner`` and the SMS queued for it on ``shipment``."""
        self.env.invalidate_all()
        mails = shipment.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("mail.mt_comment") and partner in m.partner_ids
        )
        sms = self.env["sms.sms"].search(
            [("partner_id", "=", partner.id), ("body", "like", shipment.name)]
        )
        return len(mails), len(sms)

    def _prefs(self, partner, scope, channel=False):
        partner.with_user(self.user_account_manager).write(
            {"delivery_notify_scope": scope, "delivery_notify_channel": channel}
        )

    def test_exceptions_only_by_default(self):
        shipment = self._ship("WB-DEF", promised_in=5)
        self.assertEqual(self._notices(shipment, self.customer), (0, 0))  # in transit
        shipment.outcome = "lost"
        self.assertEqual(self._notices(shipment, self.customer), (1, 1))
        # a contact without its own choice is not told in its own right
        self.assertEqual(self._notices(shipment, self.contact), (0, 0))

    def test_none_tells_nothing(self):
        self._prefs(self.customer, "none")
        shipment = self._ship("WB-NONE")
        self._run_cron("delivery_crm.ir_cron_delivery_exception_detection")
        late = self._exceptions(shipment)
        self.assertEqual(late.kind, "late")  # the desk still gets it
        self.assertEqual(self._notices(shipment, self.customer), (0, 0))
        self.assertFalse(late.announced_date)
        self.assertFalse(shipment.exception_notified)

    def test_all_tells_each_status_change(self):
        self._prefs(self.customer, "all", "mail")
        shipment = self._ship("WB-ALL", promised_in=5, status="created")
        self.assertEqual(self._notices(shipment, self.customer), (0, 0))
        shipment.action_in_transit()
        self.assertEqual(self._notices(shipment, self.customer), (1, 0))
        shipment.action_delivered()
        self.assertEqual(shipment.status, "delivered")
        self.assertEqual(self._notices(shipment, self.customer), (2, 0))
        cancelled = self._ship("WB-ALL-C", promised_in=5)
        self.assertEqual(self._notices(cancelled, self.customer), (1, 0))
        cancelled.action_cancel()
        self.assertEqual(self._notices(cancelled, self.customer), (2, 0))
        # an exception: one notice (the exception's), not one more for the status
        damaged = self._ship("WB-ALL-D", promised_in=5)
        damaged.outcome = "damaged"
        self.assertEqual(damaged.status, "exception")
        self.assertEqual(self._notices(damaged, self.customer), (2, 0))

    def test_sms_only(self):
        self._prefs(self.customer, "exceptions", "sms")
        shipment = self._ship("WB-SMS", promised_in=5)
        shipment.outcome = "damaged"
        self.assertEqual(self._notices(shipment, self.customer), (0, 1))
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(sms.state, "outgoing")  # queued, not sent inline

    def test_contact_follows_its_company(self):
        # the contact chose to be told of everything; how, it leaves to its company
        self._prefs(self.customer, "exceptions", "sms")
        self._prefs(self.contact, "all")
        self.assertEqual(self.contact._delivery_notice_prefs()[self.contact.id], ("all", "sms"))
        shipment = self._ship("WB-CONTACT", promised_in=5)
        self.assertEqual(self._notices(shipment, self.contact), (0, 1))
        self.assertEqual(self._notices(shipment, self.customer), (0, 0))
        shipment.outcome = "lost"
        self.assertEqual(self._notices(shipment, self.contact), (0, 2))
        self.assertEqual(self._notices(shipment, self.customer), (0, 1))
        # the company changes its channel: the contact follows
        self._prefs(self.customer, "exceptions", "mail")
        other = self._ship("WB-CONTACT-2", promised_in=5)
        self.assertEqual(self._notices(other, self.contact), (1, 0))
        # a contact that wants nothing is not told, whatever its company wants
        self._prefs(self.contact, "none")
        third = self._ship("WB-CONTACT-3", promised_in=5)
        third.outcome = "lost"
        self.assertEqual(self._notices(third, self.contact), (0, 0))
        self.assertEqual(self._notices(third, self.customer), (1, 0))

    def test_contact_choosing_only_the_channel_is_told(self):
        """A contact that keeps its company's choice of what, but wants it by SMS only,
        is told in its own right (the portal offers that choice)."""
        self._prefs(self.customer, "exceptions", "mail")
        self._prefs(self.contact, False, "sms")
        shipment = self._ship("WB-CHANNEL", promised_in=5)
        shipment.outcome = "lost"
        self.assertEqual(self._notices(shipment, self.contact), (0, 1))
        self.assertEqual(self._notices(shipment, self.customer), (1, 0))

    def test_notice_in_the_recipients_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["delivery_crm"], ["zh_CN"], overwrite=True)
        self._prefs(self.customer, "all", "mail")
        self._prefs(self.contact, "all", "mail")
        self.contact.lang = "zh_CN"
        self.customer.lang = "en_US"
        shipment = self._ship("WB-LANG", promised_in=5)
        mails = shipment.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("mail.mt_comment")
        )
        # one message per language, each to its own recipients
        self.assertEqual(len(mails), 2)
        self.assertEqual(
            {tuple(m.partner_ids.ids) for m in mails},
            {(self.customer.id,), (self.contact.id,)},
        )
        subjects = {m.partner_ids.id: m.subject for m in mails}
        self.assertIn("In transit", subjects[self.customer.id])
        self.assertIn("运输中", subjects[self.contact.id])

    def test_staff_set_the_preference_of_their_customers_only(self):
        other_staff = new_user(self.env, "staff", "dcrm_push_staff", "Other Staff")
        with self.assertRaises(AccessError):
            self.customer.with_user(other_staff).write({"delivery_notify_scope": "none"})
        self.customer.with_user(self.user_account_manager).write({"delivery_notify_scope": "none"})
        self.assertEqual(self.customer.delivery_notify_scope, "none")

    def test_bad_values_refused(self):
        for scope, channel in (("sometimes", "mail"), ("all", "fax"), ("company", "mail")):
            with self.subTest(scope=scope, channel=channel), self.assertRaises(UserError):
                # the customer itself has no company to follow
                self.customer._delivery_set_notice_prefs(scope, channel)
        self.assertFalse(self.customer.delivery_notify_scope)


@tagged("post_install", "-at_install")
class TestDeliveryStatusPushPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer_a, cls.customer_b = Partner.create(
            [
                {"name": "Alpha Co", "is_company": True, "is_delivery_customer": True},
                {"name": "Bravo Co", "is_company": True, "is_delivery_customer": True},
            ]
        )
        cls.contact_a, cls.contact_b = Partner.create(
            [
                {"name": "Anna Alpha", "parent_id": cls.customer_a.id, "email": "a@example.com"},
                {"name": "Bob Bravo", "parent_id": cls.customer_b.id, "email": "b@example.com"},
            ]
        )
        cls.portal_a = new_user(
            cls.env, "portal", "push_alpha", password="push_alpha-pw", partner_id=cls.contact_a.id
        )

    def _post(self, data):
        page = self.url_open("/my/notifications")
        self.assertEqual(page.status_code, 200)
        token = html.fromstring(page.content).xpath("//form//input[@name='csrf_token']/@value")[0]
        return self.url_open("/my/notifications", data=dict(data, csrf_token=token))

    def test_portal_user_changes_own_preference_only(self):
        self.authenticate("push_alpha", "push_alpha-pw")
        page = self.url_open("/my/notifications")
        self.assertIn("As my company", page.text)
        response = self._post(
            {
                "scope": "all",
                "channel": "mail",
                # no mass-assign: another partner, another field
                "partner_id": self.contact_b.id,
                "delivery_notify_scope": "none",
                "email": "hijack@example.com",
            }
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your choice is saved", response.text)
        self.env.invalidate_all()
        self.assertEqual(
            (self.contact_a.delivery_notify_scope, self.contact_a.delivery_notify_channel),
            ("all", "mail"),
        )
        self.assertEqual(self.contact_a.email, "a@example.com")
        self.assertFalse(self.contact_b.delivery_notify_scope)
        self.assertFalse(self.customer_a.delivery_notify_scope)
        # back to the company's choice
        self._post({"scope": "company", "channel": "company"})
        self.env.invalidate_all()
        self.assertFalse(self.contact_a.delivery_notify_scope)
        # a bad value: refused with a message, nothing written
        self._post({"scope": "all", "channel": "mail"})
        response = self._post({"scope": "everything", "channel": "mail"})
        self.assertIn("Choose what you want to be told of", response.text)
        self.env.invalidate_all()
        self.assertEqual(self.contact_a.delivery_notify_scope, "all")

    def test_portal_user_cannot_write_the_fields_over_rpc(self):
        self.authenticate("push_alpha", "push_alpha-pw")
        for partner in (self.contact_a, self.contact_b):
            with self.subTest(partner=partner.name), self.assertRaises(AccessError):
                self.env["res.partner"].with_user(self.portal_a).browse(partner.id).write(
                    {"delivery_notify_scope": "none"}
                )
        self.assertFalse(self.contact_a.delivery_notify_scope)

    def test_anonymous_redirected(self):
        response = self.url_open("/my/notifications", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers.get("Location", ""))
