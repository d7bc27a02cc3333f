from odoo.exceptions import ValidationError
from odoo.modules.module import load_script
from odoo.tests import tagged

from .common import DeliveryCrmCommon


@tagged("post_install", "-at_install")
class TestPartnerPhone(DeliveryCrmCommon):
    """Phone numbers of delivery customers and their contacts are validated and stored
    in E.164 (Odoo's phone_validation with the phonenumbers library), so the SMS
    notices go to numbers the gateway can dial."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.china = cls.env.ref("base.cn")
        cls.taiwan = cls.env.ref("base.tw")

    def _customer(self, **vals):
        return (
            self.env["res.partner"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": "Phone Co",
                    "is_company": True,
                    "is_delivery_customer": True,
                    "account_manager_id": self.user_account_manager.id,
                    **vals,
                }
            )
        )

    def test_stored_in_e164(self):
        customer = self._customer(country_id=self.china.id, phone="021 5555 0000")
        self.assertEqual(customer.phone, "+862155550000")
        # a contact without an address of its own reads as its customer's country
        contact = (
            self.env["res.partner"]
            .with_user(self.user_account_manager)
            .create({"name": "Wang Lei", "parent_id": customer.id, "phone": "139 0000 0003"})
        )
        self.assertEqual(contact.phone, "+8613900000003")
        taipei = self._customer(country_id=self.taiwan.id, phone="02 2345 6789")
        self.assertEqual(taipei.phone, "+886223456789")
        # an international number is read as such, whatever the country
        taipei.with_user(self.user_account_manager).write({"phone": "+86 21 6666 0000"})
        self.assertEqual(taipei.phone, "+862166660000")

    def test_invalid_number_refused_nothing_written(self):
        customer = self._customer(country_id=self.china.id, phone="+86 21 5555 0000")
        for number in ("+86 1", "12345", "not a number", "+999 1234 5678"):
            with self.subTest(number=number):
                with (
                    self.assertRaisesRegex(ValidationError, "not a valid phone number"),
                    self.cr.savepoint(),
                ):
                    customer.with_user(self.user_account_manager).write({"phone": number})
                customer.invalidate_recordset(["phone"])
                self.assertEqual(customer.phone, "+862155550000")
        with (
            self.assertRaisesRegex(ValidationError, "not a valid phone number"),
            self.cr.savepoint(),
        ):
            self._customer(name="Bad Phone Co", phone="+86 1")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Bad Phone Co")]))

    def test_partners_outside_the_crm_kept_as_typed(self):
        """Only delivery customers and their contacts: the other apps' partners keep
        Odoo's behaviour."""
        supplier = self.env["res.partner"].create({"name": "Supplier", "phone": "555-0100"})
        self.assertEqual(supplier.phone, "555-0100")

    def test_number_brought_into_the_crm_is_normalised(self):
        """A contact moved under a customer, or a partner becoming one, has its number
        stored in E.164 (or refused) like a number typed in the profile."""
        customer = self._customer(country_id=self.china.id)
        person = self.env["res.partner"].create({"name": "Zhou Yu", "phone": "139 0000 0005"})
        person.write({"parent_id": customer.id})
        self.assertEqual(person.phone, "+8613900000005")
        shop = self.env["res.partner"].create(
            {
                "name": "Corner Shop",
                "is_company": True,
                "country_id": self.china.id,
                "phone": "021 5555 0009",
            }
        )
        shop.with_user(self.user_account_manager).write({"is_delivery_customer": True})
        self.assertEqual(shop.phone, "+862155550009")
        stranger = self.env["res.partner"].create({"name": "Stranger", "phone": "12"})
        with (
            self.assertRaisesRegex(ValidationError, "not a valid phone number"),
            self.cr.savepoint(),
        ):
            stranger.write({"parent_id": customer.id})
        stranger.invalidate_recordset(["parent_id"])
        self.assertFalse(stranger.parent_id)

    def test_existing_numbers_migrated(self):
        """19.0.1.3.0 rewrites the valid numbers an existing database holds in E.164,
        keeps an invalid one as typed (it gets no SMS) and leaves the other apps'
        partners alone."""
        customer = self._customer(country_id=self.china.id)
        contact = self.env["res.partner"].create({"name": "Li Na", "parent_id": customer.id})
        broken = self._customer(name="Broken Co", country_id=self.china.id)
        supplier = self.env["res.partner"].create({"name": "Supplier"})
        old = {
            customer: "021 5555 0000",
            contact: "139-0000-0003",
            broken: "+86 1",
            supplier: "021 5555 0000",
        }
        self.env.flush_all()
        for partner, phone in old.items():
            self.env.cr.execute(
                "UPDATE res_partner SET phone = %s WHERE id = %s", [phone, partner.id]
            )
        migration = load_script(
            "delivery_crm/migrations/19.0.1.3.0/post-phone-e164.py",
            "delivery_crm_post_phone_e164",
        )
        migration.migrate(self.env.cr, "19.0.1.2.0")
        self.assertEqual(
            [p.phone for p in old],
            ["+862155550000", "+8613900000003", "+86 1", "021 5555 0000"],
        )
