from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DeliveryCrmCommon, new_user

CRON = "delivery_crm.ir_cron_care_greetings"


@tagged("post_install", "-at_install")
class TestDeliveryCare(DeliveryCrmCommon):
    """Customer care (R6): greetings, care events, rewards and news mailings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.birthday = cls.env.ref("delivery_crm.delivery_care_occasion_birthday")
        cls.spring_festival = cls.env.ref("delivery_crm.delivery_care_occasion_spring_festival")
        cls.national_day = cls.env.ref("delivery_crm.delivery_care_occasion_national_day")
        # greetings go out in the company's time zone; a mainland company
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.company.country_id = cls.env.ref("base.cn")
        cls.customer = cls._new_customer(
            "Key Customer 重点客户",
            customer_state="active",
            customer_class="key",
            account_manager_id=cls.user_account_manager.id,
            email="key@customer.example.com",
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Li Wei 李伟",
                "parent_id": cls.customer.id,
                "email": "li.wei@customer.example.com",
                "birthday": date(1985, 5, 20),
            }
        )

    # ------------------------------------------------------------------ helpers
    def _greet_on(self, day):
        with freeze_time(f"{day} 02:00:00"):  # 10:00 in Shanghai
            self._run_cron(CRON)

    def _logs(self, partner, occasion=None):
        domain = [("partner_id", "=", partner.id)]
        if occasion:
            domain.append(("occasion_id", "=", occasion.id))
        return self.env["delivery.greeting.log"].search(domain)

    def _comments(self, partner):
        """The greetings mailed to ``partner``: the messages of its greeting logs."""
        return self.env["mail.message"].search(
            [
                ("model", "=", "delivery.greeting.log"),
                ("res_id", "in", self._logs(partner).ids),
            ]
        )

    def _chatter(self, partner):
        """What is posted in ``partner``'s own chatter (every employee reads it)."""
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )

    def _notes(self, event):
        """The notes of a care event's own chatter."""
        return self.env["mail.message"].search(
            [
                ("model", "=", "delivery.care.event"),
                ("res_id", "=", event.id),
                ("message_type", "=", "notification"),
                ("tracking_value_ids", "=", False),
            ]
        )

    def _contact(self, birthday, **vals):
        return self.env["res.partner"].create(
            {
                "name": "Contact",
                "parent_id": self.customer.id,
                "email": "contact@customer.example.com",
                "birthday": birthday,
                **vals,
            }
        )

    # ------------------------------------------------------------------ greetings
    def test_birthday_greeted_once(self):
        other = self._contact(date(1990, 5, 21), name="Zhang Min")
        self._greet_on("2026-05-20")
        self._greet_on("2026-05-20")  # a second run the same day sends nothing more
        log = self._logs(self.contact)
        self.assertEqual(len(log), 1)
        self.assertEqual(
            (log.occasion_id, log.year, log.date, log.customer_id),
            (self.birthday, 2026, date(2026, 5, 20), self.customer),
        )
        message = self._comments(self.contact)
        self.assertEqual(len(message), 1)
        self.assertEqual(log.message_id, message)
        self.assertIn("Happy birthday", message.subject)
        # queued for the mail queue, addressed to the contact
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.recipient_ids, self.contact)
        self.assertEqual(mail.state, "outgoing")
        # the customer's greetings show the care action (its log), not the chatter of the
        # contact or of the customer, which every employee reads (security review M7)
        self.assertEqual(
            self.env["delivery.greeting.log"].search([("customer_id", "=", self.customer.id)]),
            log,
        )
        self.assertFalse(self._chatter(self.contact) & message)
        self.assertFalse(self._chatter(self.customer).filtered(lambda m: "Li Wei" in str(m.body)))
        # not a birthday: nothing
        self.assertFalse(self._logs(other))
        self.assertFalse(self._comments(other))
        # the next day the other contact is greeted, the first one is not greeted again
        self._greet_on("2026-05-21")
        self.assertEqual(len(self._logs(other)), 1)
        self.assertEqual(len(self._logs(self.contact)), 1)
        # next year: greeted again
        self._greet_on("2027-05-20")
        self.assertEqual(self._logs(self.contact).mapped("year"), [2027, 2026])

    def test_individual_customer_birthday(self):
        person = self._new_customer(
            "Wang Fang 王芳",
            is_company=False,
            customer_state="active",
            customer_class="general",
            account_manager_id=self.user_account_manager.id,
            email="wang.fang@example.com",
            birthday=date(1979, 11, 3),
        )
        self._greet_on("2026-11-03")
        self.assertEqual(self._logs(person).customer_id, person)
        self.assertEqual(len(self._comments(person)), 1)
        self.assertFalse(self._chatter(person).filtered(lambda m: "birthday" in str(m.subject)))

    def test_greeting_log_unique(self):
        """What stops a second worker: one log row per person, occasion and year."""
        Log = self.env["delivery.greeting.log"]
        vals = {
            "partner_id": self.contact.id,
            "occasion_id": self.birthday.id,
            "year": 2026,
            "date": date(2026, 5, 20),
        }
        Log.create(vals)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            Log.create(vals)
            self.env.flush_all()

    def test_leap_day_birthday(self):
        leap = self._contact(date(2000, 2, 29), name="Leap Day")
        self._greet_on("2027-02-28")  # 2027 has no 29 February
        self.assertEqual(self._logs(leap).date, date(2027, 2, 28))
        self._greet_on("2027-03-01")
        self.assertEqual(len(self._logs(leap)), 1)
        self._greet_on("2028-02-28")  # 2028 has one: wait for it
        self.assertEqual(len(self._logs(leap)), 1)
        self._greet_on("2028-02-29")
        logs = self._logs(leap)
        self.assertEqual(logs.mapped("date"), [date(2028, 2, 29), date(2027, 2, 28)])
        self.assertEqual(len(self._comments(leap)), 2)

    def test_lunar_holiday_date_per_year(self):
        # 6 February is the Spring Festival (lunar 1/1) in 2027, not in 2026
        self._greet_on("2026-02-06")
        self.assertFalse(self._logs(self.customer, self.spring_festival))
        self._greet_on("2027-02-06")
        log = self._logs(self.customer, self.spring_festival)
        self.assertEqual((log.year, log.date), (2027, date(2027, 2, 6)))
        message = self._comments(self.customer)
        self.assertEqual(log.message_id, message)
        self.assertIn("Spring Festival", message.subject)
        self.assertIn("Spring Festival", message.body)
        # the holiday greets the customer itself, not each contact
        self.assertFalse(self._logs(self.contact, self.spring_festival))

    def test_lunar_holidays_never_stop(self):
        """The shipped lunar holidays get their day in any year the lunar tables cover,
        with no date to enter (the greetings used to stop after the last year shipped)."""
        mid_autumn = self.env.ref("delivery_crm.delivery_care_occasion_mid_autumn")
        expected = {
            self.spring_festival: {
                2029: date(2029, 2, 13),
                2035: date(2035, 2, 8),
                2050: date(2050, 1, 23),
                2099: date(2099, 1, 21),
            },
            mid_autumn: {
                2029: date(2029, 9, 22),
                2035: date(2035, 9, 16),
                2050: date(2050, 9, 30),
            },
        }
        for occasion, days in expected.items():
            for year, day in days.items():
                with self.subTest(occasion=occasion.name, year=year):
                    self.assertEqual(occasion._day_in(year), day)
        # the daily job greets on the computed day, years after the last shipped date
        self._greet_on("2035-02-07")
        self.assertFalse(self._logs(self.customer, self.spring_festival))
        self._greet_on("2035-02-08")
        log = self._logs(self.customer, self.spring_festival)
        self.assertEqual((log.year, log.date), (2035, date(2035, 2, 8)))
        with freeze_time("2040-12-01"):
            self.spring_festival.invalidate_recordset(["next_date"])
            self.assertEqual(self.spring_festival.next_date, date(2041, 2, 1))
        # beyond the tables: no day rather than a wrong one
        self.assertIsNone(self.spring_festival._day_in(2100))

    def test_lunar_holiday_date_entered_for_a_year_wins(self):
        """A manager moves one year's greeting (e.g. the company greets the day
        before): the date entered for that year replaces the computed one, the other
        years stay computed."""
        self.spring_festival.with_user(self.user_manager).write(
            {"date_ids": [(0, 0, {"date": date(2029, 2, 12)})]}
        )
        self.assertEqual(self.spring_festival._day_in(2029), date(2029, 2, 12))
        self.assertEqual(self.spring_festival._day_in(2030), date(2030, 2, 3))
        self._greet_on("2029-02-12")
        log = self._logs(self.customer, self.spring_festival)
        self.assertEqual(log.date, date(2029, 2, 12))
        self._greet_on("2029-02-13")
        self.assertEqual(len(self._logs(self.customer, self.spring_festival)), 1)

    def test_lunar_holidays_computed_on_existing_databases(self):
        """19.0.1.3.0 switches the shipped lunar holidays (noupdate data) of an
        existing database, which had dates entered up to 2028, to computed dates; an
        occasion a manager switched to another mode is left alone."""
        mid_autumn = self.env.ref("delivery_crm.delivery_care_occasion_mid_autumn")
        old = {"date_mode": "yearly", "month": 0, "day": 0}
        self.spring_festival.write({**old, "date_ids": [(0, 0, {"date": date(2027, 2, 6)})]})
        mid_autumn.write({"date_mode": "fixed", "month": 9, "day": 15})
        self.assertIsNone(self.spring_festival._day_in(2029))  # the greetings stopped
        migration = load_script(
            "delivery_crm/migrations/19.0.1.3.0/post-lunar-occasions.py",
            "delivery_crm_post_lunar_occasions",
        )
        migration.migrate(self.env.cr, "19.0.1.2.0")
        self.assertEqual(
            (self.spring_festival.date_mode, self.spring_festival.month, self.spring_festival.day),
            ("lunar", 1, 1),
        )
        self.assertEqual(self.spring_festival._day_in(2027), date(2027, 2, 6))
        self.assertEqual(self.spring_festival._day_in(2029), date(2029, 2, 13))
        self.assertEqual((mid_autumn.date_mode, mid_autumn.month), ("fixed", 9))

    def test_lunar_new_years_eve_on_the_last_day_of_the_month(self):
        """Lunar 12/30 is New Year's Eve; in a year whose 12th month has 29 days it
        falls on the 29th, so the greeting is never skipped."""
        eve = (
            self.env["delivery.care.occasion"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "New Year's Eve",
                    "date_mode": "lunar",
                    "month": 12,
                    "day": 30,
                    "mail_template_id": self.env.ref(
                        "delivery_crm.mail_template_holiday_greeting"
                    ).id,
                }
            )
        )
        # the 12th month of lunar 2025 has 29 days: the eve is 16 February 2026,
        # the day before the Spring Festival; that of lunar 2029 has 30: 2 February
        # 2030, the day before 3 February
        self.assertEqual(eve._day_in(2026), date(2026, 2, 16))
        self.assertEqual(eve._day_in(2030), date(2030, 2, 2))
        self.assertEqual(self.spring_festival._day_in(2030), date(2030, 2, 3))

    def test_fixed_holiday_and_audience(self):
        general = self._new_customer(
            "General Customer",
            customer_state="active",
            customer_class="general",
            account_manager_id=self.user_account_manager.id,
            email="general@customer.example.com",
        )
        prospect = self._new_customer(
            "Prospect", customer_class="key", email="prospect@example.com"
        )
        suspended = self._new_customer(
            "Suspended",
            customer_state="suspended",
            state_reason="Unpaid invoices",
            customer_class="key",
            email="suspended@example.com",
        )
        self.national_day.write({"for_general": False, "for_potential": False})
        self._greet_on("2026-10-01")
        self.assertEqual(len(self._logs(self.customer, self.national_day)), 1)
        self.assertIn("National Day", self._comments(self.customer).subject)
        for partner in (general, prospect, suspended):
            with self.subTest(partner=partner.name):
                self.assertFalse(self._logs(partner))
                self.assertFalse(self._comments(partner))

    def test_national_day_by_country(self):
        """1 October is the National Day of mainland China, 10 October (雙十節) that of
        Taiwan: each customer is greeted on its own, by the country of its address or,
        without one, by the country of its company."""
        cn, tw = self.env.ref("base.cn"), self.env.ref("base.tw")
        tw_company = self.env["res.company"].create(
            {"name": "Taiwan Delivery 台灣配送", "country_id": tw.id}
        )
        user_tw = new_user(
            self.env, "account_manager", "dcrm_tw", "Taipei Account Manager", company=tw_company
        )
        active = {"customer_state": "active", "customer_class": "key"}
        # a customer of the Taiwan company, without a country on its address
        of_tw_company = self._new_customer(
            "Taipei Boutique 台北精品",
            user=user_tw,
            company_id=tw_company.id,
            account_manager_id=user_tw.id,
            email="boutique@taipei.example.com",
            **active,
        )
        # a customer of the mainland company whose address is in Taiwan
        in_taiwan = self._new_customer(
            "Kaohsiung Trading 高雄貿易",
            country_id=tw.id,
            account_manager_id=self.user_account_manager.id,
            email="trading@kaohsiung.example.com",
            **active,
        )
        # mainland customers: by address, and by the company's country
        in_mainland = self._new_customer(
            "Wuhan Retail 武汉零售",
            country_id=cn.id,
            account_manager_id=self.user_account_manager.id,
            email="retail@wuhan.example.com",
            **active,
        )
        taiwanese = of_tw_company | in_taiwan
        mainland = in_mainland | self.customer

        self._greet_on("2026-10-01")
        for partner in mainland:
            with self.subTest(partner=partner.name, day="10/1"):
                self.assertEqual(len(self._logs(partner, self.national_day)), 1)
                self.assertIn("National Day", self._comments(partner).subject)
        for partner in taiwanese:
            with self.subTest(partner=partner.name, day="10/1"):
                self.assertFalse(self._logs(partner))
                self.assertFalse(self._comments(partner))

        double_tenth = self.env.ref("delivery_crm.delivery_care_occasion_double_tenth")
        self._greet_on("2026-10-10")
        for partner in taiwanese:
            with self.subTest(partner=partner.name, day="10/10"):
                log = self._logs(partner)
                self.assertEqual((log.occasion_id, log.date), (double_tenth, date(2026, 10, 10)))
                self.assertEqual(log.message_id, self._comments(partner))
                self.assertIn("Double Tenth Day", log.message_id.subject)
        for partner in mainland:
            with self.subTest(partner=partner.name, day="10/10"):
                self.assertFalse(self._logs(partner, double_tenth))
                self.assertEqual(len(self._comments(partner)), 1)
        # the log of the Taiwan company's customer belongs to that company
        self.assertEqual(self._logs(of_tw_company).company_id, tw_company)

    def test_no_email_or_opted_out_skipped(self):
        no_email = self._contact(date(1970, 7, 1), name="No Email", email=False)
        opted_out = self._contact(date(1970, 7, 1), name="Opted Out", email="out@example.com")
        self.env["mail.blacklist"]._add("out@example.com")
        self._greet_on("2026-07-01")
        self.assertFalse(self._logs(no_email))
        self.assertFalse(self._comments(no_email))
        self.assertFalse(self._logs(opted_out))
        # not logged as greeted: given an address the same day, they are greeted
        no_email.email = "found@example.com"
        self._greet_on("2026-07-01")
        self.assertEqual(len(self._logs(no_email)), 1)
        self.assertEqual(len(self._comments(no_email)), 1)

    def test_occasion_validation(self):
        Occasion = self.env["delivery.care.occasion"].with_user(self.user_manager)
        template = self.env.ref("delivery_crm.mail_template_holiday_greeting")
        base = {"name": "Test day", "mail_template_id": template.id}
        for month, day in ((2, 30), (13, 1), (4, 31), (0, 0)):
            with self.subTest(month=month, day=day), self.assertRaises(ValidationError):
                Occasion.create({**base, "month": month, "day": day})
        for month, day in ((13, 1), (0, 1), (1, 31), (1, 0)):
            with self.subTest(lunar=(month, day)), self.assertRaises(ValidationError):
                Occasion.create({**base, "date_mode": "lunar", "month": month, "day": day})
        leap = Occasion.create({**base, "month": 2, "day": 29})
        with freeze_time("2027-01-01"):
            self.assertEqual(leap.next_date, date(2027, 2, 28))
        with self.assertRaises(ValidationError):
            Occasion.create(
                {
                    **base,
                    "month": 5,
                    "day": 1,
                    "for_key": False,
                    "for_general": False,
                    "for_potential": False,
                }
            )
        with self.assertRaises(ValidationError):
            Occasion.create({**base, "kind": "birthday"})  # one birthday occasion already
        with self.assertRaises(ValidationError):
            Occasion.create(
                {
                    **base,
                    "month": 5,
                    "day": 1,
                    "mail_template_id": self.env.ref("delivery_crm.mail_template_tier_change").id,
                }
            )
        lunar = Occasion.create(
            {**base, "date_mode": "yearly", "date_ids": [(0, 0, {"date": date(2026, 6, 19)})]}
        )
        self.assertEqual(lunar._day_in(2026), date(2026, 6, 19))
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            lunar.write({"date_ids": [(0, 0, {"date": date(2026, 6, 20)})]})
            self.env.flush_all()

    # ------------------------------------------------------------------ care events
    def test_care_event_in_customer_history(self):
        Event = self.env["delivery.care.event"].with_user(self.user_account_manager)
        event = Event.create(
            {
                "name": "Annual appreciation dinner",
                "kind": "appreciation",
                "partner_id": self.customer.id,
                "contact_ids": [(6, 0, self.contact.ids)],
                "date": date(2026, 12, 20),
                "cost": 300.0,
            }
        )
        self.assertEqual(event.state, "planned")
        self.assertEqual(event.user_id, self.user_account_manager)
        notes = self._notes(event).filtered(lambda m: "Annual appreciation" in m.body)
        self.assertEqual(len(notes), 1)
        self.assertIn("planned", notes.body)
        event.action_done()
        self.assertEqual(event.state, "done")
        notes = self._notes(event).filtered(lambda m: "Annual appreciation" in m.body)
        self.assertEqual(len(notes), 2)
        self.assertIn("done", notes[0].body)
        self.assertIn("300.00", notes[0].body)
        # on the event, never in the customer's chatter (security review M7)
        self.assertFalse(
            self._chatter(self.customer).filtered(lambda m: "Annual appreciation" in str(m.body))
        )
        with self.assertRaises(UserError):
            event.action_cancel()
        # staff keep the history: no deletion
        with self.assertRaises(AccessError):
            event.unlink()
        with self.assertRaises(ValidationError):
            Event.create({"name": "Gift", "partner_id": self.customer.id, "cost": -1})

    # ------------------------------------------------------------------ rewards
    def test_reward_wizard(self):
        self.customer.reward_candidate = True
        wizard = (
            self.env["delivery.reward.wizard"]
            .with_user(self.user_manager)
            .create(
                {
                    "partner_id": self.customer.id,
                    "description": "Excellent customer certificate",
                    "value": 500.0,
                    "date": date(2026, 4, 1),
                }
            )
        )
        wizard.action_confirm()
        self.assertFalse(self.customer.reward_candidate)
        event = self.env["delivery.care.event"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            (event.kind, event.state, event.cost, event.date, event.name),
            ("reward", "done", 500.0, date(2026, 4, 1), "Excellent customer certificate"),
        )
        note = self._notes(event).filtered(lambda m: "Excellent customer" in m.body)
        self.assertEqual(len(note), 1)
        self.assertIn("Reward", note.body)

    def test_reward_wizard_needs_description(self):
        self.customer.reward_candidate = True
        wizard = (
            self.env["delivery.reward.wizard"]
            .with_user(self.user_manager)
            .create({"partner_id": self.customer.id, "description": "  "})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertTrue(self.customer.reward_candidate)
        self.assertFalse(
            self.env["delivery.care.event"].search([("partner_id", "=", self.customer.id)])
        )

    # ------------------------------------------------------------------ access
    def test_staff_access(self):
        template = self.env.ref("delivery_crm.mail_template_holiday_greeting")
        with self.assertRaises(AccessError):
            self.env["delivery.care.occasion"].with_user(self.user_account_manager).create(
                {"name": "Dragon Boat", "month": 6, "day": 1, "mail_template_id": template.id}
            )
        with self.assertRaises(AccessError):
            self.national_day.with_user(self.user_account_manager).write({"day": 2})
        self.assertTrue(self.national_day.with_user(self.user_account_manager).name)
        self.customer.reward_candidate = True
        with self.assertRaises(AccessError):
            self.env["delivery.reward.wizard"].with_user(self.user_account_manager).create(
                {"partner_id": self.customer.id, "description": "Gift"}
            )
        self.assertTrue(self.customer.reward_candidate)
        Event = self.env["delivery.care.event"].with_user(self.user_account_manager)
        with self.assertRaises(AccessError):
            Event.create({"name": "Reward", "kind": "reward", "partner_id": self.customer.id})
        gift = Event.create({"name": "Gift", "kind": "gift", "partner_id": self.customer.id})
        with self.assertRaises(AccessError):
            gift.kind = "reward"
        with self.assertRaises(AccessError):
            self.env["delivery.news.mailing.wizard"].with_user(self.user_account_manager).create(
                {"subject": "News"}
            )
        # the greeting log is append-only, for managers too
        log = self.env["delivery.greeting.log"].create(
            {
                "partner_id": self.contact.id,
                "occasion_id": self.birthday.id,
                "year": 2026,
                "date": date(2026, 5, 20),
            }
        )
        for user in (self.user_account_manager, self.user_manager):
            with self.subTest(user=user.login):
                self.assertEqual(log.with_user(user).year, 2026)
                with self.assertRaises(AccessError):
                    log.with_user(user).write({"year": 2025})
                with self.assertRaises(AccessError):
                    log.with_user(user).unlink()

    # ------------------------------------------------------------------ news
    def test_news_mailing(self):
        self.user_manager.group_ids += self.env.ref("mass_mailing.group_mass_mailing_user")
        mk = self._new_customer
        general = mk(
            "General",
            customer_class="general",
            email="general@news.example.com",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
        )
        prospect = mk("Prospect", customer_class="potential", email="prospect@news.example.com")
        key = mk("Key", customer_class="key", email="key@news.example.com")
        ended = mk(
            "Ended",
            customer_class="general",
            email="ended@news.example.com",
            customer_state="terminated",
            state_reason="Closed",
        )
        no_email = mk("No email", customer_class="general", email=False)
        blocked = mk("Blocked", customer_class="general", email="blocked@news.example.com")
        self.env["mail.blacklist"]._add("blocked@news.example.com")
        Wizard = self.env["delivery.news.mailing.wizard"].with_user(self.user_manager)

        wizard = Wizard.create({"subject": "Same-day delivery in your city"})
        ours = general | prospect | key | ended | no_email | blocked
        action = wizard.action_create_mailing()
        mailing = self.env["mailing.mailing"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "mailing.mailing")
        self.assertEqual(mailing.state, "draft")
        self.assertEqual(mailing.mailing_model_real, "res.partner")
        self.assertEqual(mailing.subject, "Same-day delivery in your city")
        selected = self.env["res.partner"].search(mailing._get_recipients_domain()) & ours
        self.assertEqual(selected, general | prospect | blocked)
        expected = self.env["res.partner"].search_count(mailing._parse_mailing_domain())
        self.assertEqual(wizard.recipient_count, expected)

        # a tier narrows the choice
        wizard_tier = Wizard.create(
            {"subject": "Gold news", "tier_ids": [(6, 0, self.tier_gold.ids)]}
        )
        mailing_tier = self.env["mailing.mailing"].browse(
            wizard_tier.action_create_mailing()["res_id"]
        )
        self.assertFalse(
            self.env["res.partner"].search(mailing_tier._get_recipients_domain()) & ours
        )

        # sending: the blacklisted customer gets nothing
        mailing.body_html = "<p>Our new service</p>"
        mailing.with_user(self.user_manager).action_send_mail()
        traces = self.env["mailing.trace"].search(
            [("mass_mailing_id", "=", mailing.id), ("res_id", "in", ours.ids)]
        )
        by_partner = {trace.res_id: trace for trace in traces}
        self.assertEqual(set(by_partner), set((general | prospect | blocked).ids))
        self.assertEqual(by_partner[blocked.id].trace_status, "cancel")
        self.assertEqual(by_partner[blocked.id].failure_type, "mail_bl")
        self.assertNotEqual(by_partner[general.id].trace_status, "cancel")
        self.assertFalse(
            self.env["mail.mail"].search(
                [
                    ("mailing_id", "=", mailing.id),
                    ("email_to", "ilike", "blocked@news"),
                    ("state", "!=", "cancel"),
                ]
            )
        )

    def test_news_mailing_needs_a_choice(self):
        self.user_manager.group_ids += self.env.ref("mass_mailing.group_mass_mailing_user")
        Wizard = self.env["delivery.news.mailing.wizard"].with_user(self.user_manager)
        count = self.env["mailing.mailing"].search_count([])
        for vals in (
            {"for_general": False, "for_potential": False},
            {"state_potential": False, "state_active": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                Wizard.create({"subject": "News", **vals}).action_create_mailing()
        self.assertEqual(self.env["mailing.mailing"].search_count([]), count)
