"""Policy clauses of customer care, checked on their outcome (docs/traceability.md rows
17, 18, 73, 75 and 124): care actions in the customer's history (000 §三(五).2, 001
§八.1, §八.3), feedback collected through care (000 §三(五).3), news and benefits by
tier (004 门店 §六.2)."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DeliveryCrmCommon


@tagged("post_install", "-at_install")
class TestClauseCare(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["delivery.service.team"].create(
            {"name": "Care desk 关怀组", "leader_id": cls.user_manager.id}
        )
        cls.customer = cls._new_customer(
            "Dongfang Pharma 东方医药",
            customer_class="key",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
            service_team_id=cls.team.id,
        )
        cls.contacts = cls.env["res.partner"].create(
            [
                {"name": "Sun Hua 孙华", "parent_id": cls.customer.id, "email": "sun@example.com"},
                {"name": "Ma Lin 马琳", "parent_id": cls.customer.id, "email": "ma@example.com"},
            ]
        )

    def _history(self, text):
        """The notes of the customer's history that mention ``text``: the chatter of its
        care events and visits (not the customer's own chatter, which every employee
        reads: security review M7)."""
        records = {
            model: self.env[model].search([("partner_id", "=", self.customer.id)]).ids
            for model in ("delivery.care.event", "delivery.visit")
        }
        messages = self.env["mail.message"].search(
            [
                "|",
                "&",
                ("model", "=", "delivery.care.event"),
                ("res_id", "in", records["delivery.care.event"]),
                "&",
                ("model", "=", "delivery.visit"),
                ("res_id", "in", records["delivery.visit"]),
            ]
        )
        self.assertFalse(
            self.customer.message_ids.filtered(lambda m: text in str(m.body)),
            "CRM history in the customer's chatter",
        )
        return messages.filtered(lambda m: m.message_type == "notification" and text in str(m.body))

    # ------------------------------------------------------------------ rows 17, 73, 75
    def test_care_actions_planned_and_done_in_the_history(self):
        """000 §三(五).2, 001 §八.1 and §八.3: a health check, a product training and a
        delivery plan made for the customer are planned for their people by the
        account manager, and each step is part of the customer's history."""
        Event = self.env["delivery.care.event"].with_user(self.user_account_manager)
        events = Event.create(
            [
                {
                    "name": "Health check at Ruijin hospital 健康体检",
                    "kind": "invitation",
                    "partner_id": self.customer.id,
                    "contact_ids": [Command.set(self.contacts.ids)],
                    "date": date(2026, 5, 12),
                    "cost": 1600.0,
                },
                {
                    "name": "Training: booking pick-ups online 产品培训",
                    "kind": "training",
                    "partner_id": self.customer.id,
                    "contact_ids": [Command.set(self.contacts[:1].ids)],
                    "date": date(2026, 5, 20),
                },
                {
                    "name": "Cold-chain delivery plan for vaccines 定制配送方案",
                    "kind": "custom_service",
                    "partner_id": self.customer.id,
                    "date": date(2026, 6, 1),
                },
            ]
        )
        self.assertEqual(events.user_id, self.user_account_manager)
        for event in events:
            self.assertEqual(len(self._history(event.name)), 1, event.name)
            self.assertIn("planned", str(self._history(event.name).body))
        events.action_done()
        for event in events:
            notes = self._history(event.name)
            self.assertEqual(len(notes), 2, event.name)
            self.assertIn("done", str(notes[0].body))
        self.assertIn("1,600.00", str(self._history(events[0].name)[0].body))
        # the account manager finds them all on the customer
        mine = Event.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(set(mine.mapped("kind")), {"invitation", "training", "custom_service"})
        self.assertEqual(mine.filtered(lambda e: e.kind == "invitation").contact_ids, self.contacts)

    # ------------------------------------------------------------------ row 18
    def test_feedback_of_a_care_visit_is_kept_and_acted_on(self):
        """000 §三(五).3: the feedback the customer gives at a care visit is recorded, and
        a poor score opens an investigation for the team leader."""
        visit = (
            self.env["delivery.visit"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": "Mid-autumn visit 中秋拜访",
                    "visit_type": "care",
                    "partner_id": self.customer.id,
                    "contact_ids": [Command.set(self.contacts.ids)],
                    "planned_date": datetime(2026, 9, 24, 2, 0),
                }
            )
        )
        visit.write(
            {
                "content": "<p>Mooncakes; talked about the autumn volumes.</p>",
                "feedback": "Drivers arrive without calling first 司机到前不打电话",
                "satisfaction_score": "2",
            }
        )
        with freeze_time("2026-09-24 06:00:00"):
            visit.action_done()
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.feedback, "Drivers arrive without calling first 司机到前不打电话")
        self.assertEqual(len(self._history("Mid-autumn visit")), 1)
        investigation = visit.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("delivery_crm.mail_activity_type_complaint_investigation")
            )
        )
        self.assertEqual(investigation.user_id, self.user_manager)
        self.assertIn("without calling", str(investigation.note))

    # ------------------------------------------------------------------ row 124
    def test_news_and_benefits_follow_the_tier(self):
        """004 门店 §六.2: the benefits shown on a customer are those of its tier, and
        news can be sent to the customers of one tier only."""
        self.user_manager.group_ids += self.env.ref("mass_mailing.group_mass_mailing_user")
        gold = self._new_customer(
            "Gold shop 金卡", customer_class="general", customer_state="active"
        )
        silver = self._new_customer(
            "Silver shop 银卡", customer_class="general", customer_state="active"
        )
        self._grade_tier(gold, self.tier_gold)
        self._grade_tier(silver, self.tier_silver)
        free_delivery = self.env.ref("delivery_crm.delivery_tier_benefit_free_delivery")
        birthday_gift = self.env.ref("delivery_crm.delivery_tier_benefit_birthday_gift")
        self.assertIn(free_delivery, gold.with_user(self.user_manager).tier_benefit_ids)
        self.assertIn(birthday_gift, gold.with_user(self.user_manager).tier_benefit_ids)
        self.assertNotIn(free_delivery, silver.with_user(self.user_manager).tier_benefit_ids)

        wizard = (
            self.env["delivery.news.mailing.wizard"]
            .with_user(self.user_manager)
            .create(
                {
                    "subject": "Free same-day delivery for Gold",
                    "tier_ids": [Command.set(self.tier_gold.ids)],
                }
            )
        )
        action = wizard.action_create_mailing()
        mailing = self.env["mailing.mailing"].browse(action["res_id"])
        recipients = self.env["res.partner"].search(mailing._get_recipients_domain())
        self.assertIn(gold, recipients)
        self.assertNotIn(silver, recipients)
        self.assertEqual(set(recipients.mapped("tier_id")), {self.tier_gold})
