from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools import SQL

from .common import DeliveryCrmCommon


@tagged("post_install", "-at_install")
class TestDeliveryTierChange(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._new_customer(
            customer_state="active", account_manager_id=cls.user_account_manager.id
        )

    def _tier_mails(self, change):
        return self.env["mail.mail"].search(
            [("model", "=", "delivery.tier.change"), ("res_id", "in", change.ids)]
        )

    def _override(self, user, tier, reason="Strategic account", expiry=None):
        expiry = expiry or date.today() + timedelta(days=30)
        wizard = (
            self.env["delivery.tier.override.wizard"]
            .with_user(user)
            .create(
                {
                    "partner_id": self.customer.id,
                    "tier_id": tier.id,
                    "reason": reason,
                    "expiry": expiry,
                }
            )
        )
        return wizard.action_confirm()

    def test_evaluation_changes_tier_logs_and_notifies(self):
        changes = self._grade_tier(self.customer, self.tier_gold, "Q3 evaluation: 82 points")
        self.assertEqual(self.customer.tier_id, self.tier_gold)
        self.assertEqual(self.customer.evaluated_tier_id, self.tier_gold)
        self.assertEqual(len(changes), 1)
        self.assertRecordValues(
            changes,
            [
                {
                    "partner_id": self.customer.id,
                    "old_tier_id": self.tier_new.id,
                    "new_tier_id": self.tier_gold.id,
                    "origin": "evaluation",
                    "direction": "up",
                    "reason": "Q3 evaluation: 82 points",
                }
            ],
        )
        mail = self._tier_mails(changes)
        self.assertEqual(len(mail), 1)
        self.assertIn("Gold", mail.subject)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("Free delivery", mail.body_html)  # its own benefit
        self.assertIn("Member prices", mail.body_html)  # a lower tier's benefit
        # and a text message where the customer has a phone number
        self.customer.phone = "+86 139 0000 0001"
        self._grade_tier(self.customer, self.tier_diamond)
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn("Diamond", sms.body)
        self.assertEqual(sms.state, "outgoing")
        self._grade_tier(self.customer, self.tier_gold)
        # the same tier again changes nothing and notifies nobody
        self.assertFalse(self._grade_tier(self.customer, self.tier_gold))
        self.assertEqual(len(self.customer.tier_change_ids), 4)

    def test_downgrade_direction_and_ladder_opt_out(self):
        self._grade_tier(self.customer, self.tier_gold)
        self.ladder.notify_customer = False
        change = self._grade_tier(self.customer, self.tier_silver)
        self.assertEqual(change.direction, "down")
        self.assertFalse(self._tier_mails(change))

    def test_notice_by_sms_without_email(self):
        """A customer with a phone number and no e-mail address is told by SMS."""
        self.customer.write({"email": False, "phone": "+86 139 0000 0003"})
        self._override(self.user_manager, self.tier_gold)
        change = self._last_change(self.customer)
        self.assertEqual(change.new_tier_id, self.tier_gold)
        self.assertFalse(self._tier_mails(change))
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn("Gold", sms.body)
        self.assertEqual(sms.state, "outgoing")

    def test_no_sms_to_an_invalid_number(self):
        """A number kept from before phone numbers were validated (written past the
        ORM, as an old database holds it) gets no text message; the notice is not lost
        for a valid one."""
        self.customer.write({"email": False})
        self.env.cr.execute(
            "UPDATE res_partner SET phone = '+86 1234' WHERE id = %s", [self.customer.id]
        )
        self.customer.invalidate_recordset(["phone", "phone_sanitized"])
        self._override(self.user_manager, self.tier_gold)
        self.assertEqual(self._last_change(self.customer).new_tier_id, self.tier_gold)
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertFalse(sms.filtered(lambda s: s.state == "outgoing"))

    def test_direction_is_history(self):
        """The direction a change recorded stays when the ladder's levels change."""
        ladder = self.env["delivery.tier.ladder"].create({"name": "Two steps"})
        low, high = self.env["delivery.tier"].create(
            [
                {"name": "Low", "ladder_id": ladder.id, "level": 1},
                {"name": "High", "ladder_id": ladder.id, "level": 2, "min_score": 50.0},
            ]
        )
        self.customer.with_user(self.user_account_manager).write({"tier_ladder_id": ladder.id})
        self.assertEqual(self.customer.tier_id, low)
        self._override(self.user_manager, high)
        change = self._last_change(self.customer)
        self.assertEqual(change.direction, "up")
        # the manager turns the ladder upside down afterwards
        low.with_user(self.user_manager).min_score = 10.0
        high.with_user(self.user_manager).write({"level": 0, "min_score": 5.0})
        self.env.flush_all()
        change.invalidate_recordset()
        self.assertEqual(change.direction, "up")
        self.assertEqual(
            self.env["delivery.tier.change"].search_count(
                [("id", "=", change.id), ("direction", "=", "up")]
            ),
            1,
        )

    def test_override_refused_to_staff(self):
        with self.assertRaises(AccessError):
            self._override(self.user_account_manager, self.tier_diamond)
        with self.assertRaises(AccessError):
            self.env["delivery.tier.change"].with_user(self.user_account_manager)._start_override(
                self.customer, self.tier_diamond, "x", date.today() + timedelta(days=5)
            )
        self.assertEqual(self.customer.tier_id, self.tier_new)
        self.assertFalse(self.customer.tier_override_tier_id)

    def test_override_bad_input_refused(self):
        bad = [
            {"reason": "   "},
            {"expiry": date.today()},
            {"expiry": date.today() - timedelta(days=1)},
            {"tier": self.tier_ka2},
        ]
        for kwargs in bad:
            with self.subTest(kwargs=kwargs), self.assertRaises(UserError):
                self._override(self.user_manager, kwargs.pop("tier", self.tier_diamond), **kwargs)
        self.assertEqual(self.customer.tier_id, self.tier_new)
        self.assertFalse(self.customer.tier_override_tier_id)
        self.assertEqual(len(self.customer.tier_change_ids), 1)

    def test_override_survives_evaluation_until_expiry(self):
        today = date.today()
        self._override(self.user_manager, self.tier_diamond, expiry=today + timedelta(days=10))
        self.assertEqual(self.customer.tier_id, self.tier_diamond)
        self.assertEqual(self.customer.tier_override_user_id, self.user_manager)
        log = self._last_change(self.customer)
        self.assertEqual(
            (log.origin, log.override_expiry), ("override", today + timedelta(days=10))
        )
        self.assertEqual(log.user_id, self.user_manager)

        # the automatic run records its own result but keeps the override
        self.assertFalse(self._grade_tier(self.customer, self.tier_silver))
        self.assertEqual(self.customer.tier_id, self.tier_diamond)
        self.assertEqual(self.customer.evaluated_tier_id, self.tier_silver)

        cron = "delivery_crm.ir_cron_tier_override_expiry"
        with freeze_time(today + timedelta(days=10)):  # last day of the override
            self._run_cron(cron)
        self.assertEqual(self.customer.tier_id, self.tier_diamond)
        with freeze_time(today + timedelta(days=11)):
            self._run_cron(cron)
            self.assertEqual(self._cron_progress(cron).done, 1)
            self._run_cron(cron)
            self.assertEqual(self._cron_progress(cron).done, 0, "idempotent")
        self.assertEqual(self.customer.tier_id, self.tier_silver)
        self.assertFalse(self.customer.tier_override_tier_id)
        self.assertFalse(self.customer.tier_override_reason)
        end = self._last_change(self.customer)
        self.assertEqual(
            (end.origin, end.old_tier_id, end.new_tier_id),
            ("override_end", self.tier_diamond, self.tier_silver),
        )
        self.assertEqual(
            len(self.customer.tier_change_ids.filtered(lambda c: c.origin == "override_end")), 1
        )

    def test_expired_override_yields_to_evaluation(self):
        today = date.today()
        self._override(self.user_manager, self.tier_gold, expiry=today + timedelta(days=2))
        with freeze_time(today + timedelta(days=5)):  # expired, cron not run yet
            self._grade_tier(self.customer, self.tier_regular)
        self.assertEqual(self.customer.tier_id, self.tier_regular)
        self.assertFalse(self.customer.tier_override_tier_id)

    def test_running_override_is_one_rule(self):
        """The ORM domain (customer views, expiry cron) and the set-based moves agree
        on which overrides still run, on the expiry day and the day after."""
        today = date.today()
        Change = self.env["delivery.tier.change"]
        self._override(self.user_manager, self.tier_gold, expiry=today + timedelta(days=3))
        self.env.flush_all()

        def running():
            by_domain = self.env["res.partner"].search(
                [("id", "=", self.customer.id), *Change._running_override_domain()]
            )
            by_sql = self.env.execute_query(
                SQL(
                    "SELECT p.id FROM res_partner p WHERE p.id = %s AND %s",
                    self.customer.id,
                    Change._running_override_sql("p"),
                )
            )
            self.assertEqual(bool(by_domain), bool(by_sql))
            return bool(by_domain)

        with freeze_time(today + timedelta(days=3)):  # last day: still runs
            self.assertTrue(running())
            self._grade_tier(self.customer, self.tier_regular)
            self.assertEqual(self.customer.tier_id, self.tier_gold)
        with freeze_time(today + timedelta(days=4)):
            self.assertFalse(running())
            self._grade_tier(self.customer, self.tier_regular)
            self.assertEqual(self.customer.tier_id, self.tier_regular)

    def test_expiry_cron_moved_to_tier_changes_on_existing_databases(self):
        """19.0.1.2.0 points the shipped expiry job (noupdate data) of an existing
        database at its new owner, delivery.tier.change; the job then ends expired
        overrides as before."""
        cron = self.env.ref("delivery_crm.ir_cron_tier_override_expiry")
        cron.write(
            {
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "code": "model._cron_expire_tier_overrides()",
            }
        )
        migration = load_script(
            "delivery_crm/migrations/19.0.1.2.0/post-tier-override-cron.py",
            "delivery_crm_post_tier_override_cron",
        )
        migration.migrate(self.env.cr, "19.0.1.1.0")
        self.assertEqual(
            (cron.model_id.model, cron.code),
            ("delivery.tier.change", "model._cron_expire_overrides()"),
        )
        today = date.today()
        self._override(self.user_manager, self.tier_gold, expiry=today + timedelta(days=1))
        with freeze_time(today + timedelta(days=2)):
            self._run_cron("delivery_crm.ir_cron_tier_override_expiry")
        self.assertFalse(self.customer.tier_override_tier_id)
        self.assertEqual(self._last_change(self.customer).origin, "override_end")

    def test_manager_ends_override(self):
        self._grade_tier(self.customer, self.tier_silver)
        self._override(self.user_manager, self.tier_gold)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_account_manager).action_end_tier_override()
        self.customer.with_user(self.user_manager).action_end_tier_override()
        self.assertEqual(self.customer.tier_id, self.tier_silver)
        self.assertEqual(self._last_change(self.customer).origin, "override_end")

    def test_log_is_append_only(self):
        log = self.customer.tier_change_ids
        for user in (self.user_account_manager, self.user_manager):
            with self.subTest(user=user.login):
                self.assertEqual(log.with_user(user).new_tier_id, self.tier_new)
                with self.assertRaises(AccessError):
                    log.with_user(user).write({"reason": "rewritten"})
                with self.assertRaises(AccessError):
                    log.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self.env["delivery.tier.change"].with_user(user).create(
                        {"partner_id": self.customer.id, "origin": "manual"}
                    )
        with self.assertRaises(AccessError):
            log.with_user(self.user_employee).read(["reason"])

    def test_view_tier_changes_action(self):
        action = self.customer.action_view_tier_changes()
        self.assertEqual(action["res_model"], "delivery.tier.change")
        found = self.env["delivery.tier.change"].search(action["domain"])
        self.assertEqual(found, self.customer.tier_change_ids)

    def test_log_cannot_be_forged_through_context_defaults(self):
        """Security review M2: a ladder change with default_user_id / default_date in the
        context logged a tier change "by" a manager, back-dated."""
        ladder = self.env["delivery.tier.ladder"].create({"name": "Forged"})
        self.env["delivery.tier"].create({"name": "Only", "ladder_id": ladder.id, "level": 1})
        self.customer.with_user(self.user_account_manager).with_context(
            default_user_id=self.user_manager.id,
            default_date="2023-01-01 00:00:00",
            default_override_expiry="2099-01-01",
        ).write({"tier_ladder_id": ladder.id})
        change = self._last_change(self.customer)
        self.assertEqual(change.user_id, self.user_account_manager)
        self.assertGreater(change.date.year, 2023)
        self.assertFalse(change.override_expiry)

    def test_staff_cannot_edit_the_templates_sent_with_sudo(self):
        """Security review L7: the tier-change, survey and greeting templates are
        rendered and sent with sudo. With "Restrict Template Rendering" off, every
        employee is a template editor: service staff could add a copy address or a
        credit placeholder and receive what the system sends. The module's templates
        are edited by Delivery CRM managers only."""
        self.env["ir.config_parameter"].set_param("mail.restrict.template.rendering", False)
        self.assertTrue(self.user_staff.has_group("mail.group_mail_template_editor"))
        Template = self.env["mail.template"]
        # a greeting template of the manager's, used by an occasion
        custom = Template.with_user(self.user_manager).create(
            {
                "name": "Lantern Festival greeting",
                "model_id": self.env.ref("base.model_res_partner").id,
                "subject": "Happy Lantern Festival",
                "body_html": "<p>Best wishes</p>",
            }
        )
        self.env["delivery.care.occasion"].with_user(self.user_manager).create(
            {"name": "Lantern Festival", "month": 2, "day": 12, "mail_template_id": custom.id}
        )
        tier_template = self.env.ref("delivery_crm.mail_template_tier_change")
        templates = (
            tier_template
            | self.env.ref("delivery_crm.mail_template_satisfaction_survey")
            | self.env.ref("delivery_crm.mail_template_birthday_greeting")
            | self.env.ref("delivery_crm.mail_template_holiday_greeting")
            | self.env.ref("delivery_crm.mail_template_complaint_resolved")
            | custom
        )
        for template in templates:
            with self.subTest(template=template.name):
                with self.assertRaises(AccessError):
                    template.with_user(self.user_staff).write({"email_cc": "spy@example.com"})
                with self.assertRaises(AccessError):
                    template.with_user(self.user_staff).write(
                        {"body_html": '<p t-out="object.partner_id.credit_level"/>'}
                    )
                with self.assertRaises(AccessError):
                    template.with_user(self.user_staff).unlink()
                self.assertFalse(template.email_cc)
        # the staff's own templates of other documents stay theirs
        own = Template.with_user(self.user_staff).create(
            {
                "name": "My signature",
                "model_id": self.env.ref("base.model_res_partner").id,
                "subject": "Hello",
            }
        )
        own.with_user(self.user_staff).write({"subject": "Hello again"})
        # a manager edits them, and the cron's sudo sends the edited notice
        tier_template.with_user(self.user_manager).write(
            {"body_html": "<p>Your tier changed. Questions? Call the service desk.</p>"}
        )
        changes = self._grade_tier(self.customer, self.tier_gold, "Q3 evaluation: 82 points")
        mail = self._tier_mails(changes)
        self.assertEqual(len(mail), 1)
        self.assertIn("Call the service desk", mail.body_html)

    def test_staff_cannot_edit_the_templates_by_default(self):
        """With Odoo's default ("Restrict Template Rendering" on), staff were never
        template editors; the module's rule keeps it so, and the notice goes out."""
        template = self.env.ref("delivery_crm.mail_template_tier_change")
        self.assertFalse(self.user_staff.has_group("mail.group_mail_template_editor"))
        with self.assertRaises(AccessError):
            template.with_user(self.user_staff).write({"email_cc": "spy@example.com"})
        changes = self._grade_tier(self.customer, self.tier_gold, "Q3 evaluation: 82 points")
        self.assertEqual(len(self._tier_mails(changes)), 1)
