"""Prospects (issue 16 item 4; 000 §二(五), 004 新客户管理制度 三): the acquisition channel
on Odoo's marketing sources, the follow-up cadence the developer is reminded of by the
daily cron, stale prospects, the conversion rate by channel and developer, the new
customers' evaluation scheme and the minimum volume of the developer's conversion
credit."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .common import DeliveryCrmCommon, new_user

CRON = "delivery_crm.ir_cron_prospect_followups"
FOLLOWUP = "delivery_crm.mail_activity_type_prospect_followup"


@tagged("post_install", "-at_install")
class TestDeliveryProspect(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "delivery_prospect_followup_days": 7,
                "delivery_prospect_stale_days": 30,
                "delivery_new_customer_months": 6,
                "delivery_conversion_min_revenue": 0.0,
                "delivery_conversion_min_deliveries": 0,
                "delivery_conversion_credit_days": 30,
            }
        )
        cls.followup_type = cls.env.ref(FOLLOWUP)
        cls.exhibition = cls.env.ref("delivery_crm.utm_source_exhibition")
        cls.website = cls.env.ref("delivery_crm.utm_source_website")

    def _prospect(self, name, **vals):
        """A prospect created (hence developed) by the account manager on 2026-03-02."""
        with freeze_time("2026-03-02 02:00:00"):
            return self._new_customer(
                name, **{"acquisition_channel_id": self.exhibition.id, **vals}
            )

    def _followups(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.followup_type.id),
            ]
        )

    # ------------------------------------------------------------------ cadence
    def test_due_followup_reminded_once_and_done_moves_the_next(self):
        """The developer gets one activity per due follow-up, however often the cron
        runs; marking it done records the follow-up and moves the next one."""
        prospect = self._prospect("Cadence Trading 节奏贸易")
        self.assertEqual(prospect.developer_id, self.user_account_manager)
        self.assertEqual(prospect.prospect_next_followup_date, date(2026, 3, 9))
        with freeze_time("2026-03-08 03:00:00"):
            self._run_cron(CRON)
        self.assertFalse(self._followups(prospect), "not due yet")
        with freeze_time("2026-03-09 03:00:00"):
            self._run_cron(CRON)
            self._run_cron(CRON)
        activity = self._followups(prospect)
        self.assertEqual(len(activity), 1, "once per due date")
        self.assertEqual(activity.user_id, self.user_account_manager)
        self.assertEqual(activity.date_deadline, date(2026, 3, 9))
        with freeze_time("2026-03-11 03:00:00"):
            self._run_cron(CRON)
            self.assertEqual(len(self._followups(prospect)), 1, "still once")
            activity.with_user(self.user_account_manager).action_feedback(feedback="Called")
        self.assertEqual(prospect.prospect_last_followup_date, date(2026, 3, 11))
        self.assertEqual(prospect.prospect_next_followup_date, date(2026, 3, 18))
        # a cadence of its own, as the account manager sets it
        prospect.with_user(self.user_account_manager).write({"prospect_followup_days": 3})
        self.assertEqual(prospect.prospect_next_followup_date, date(2026, 3, 14))
        with freeze_time("2026-03-14 03:00:00"):
            self._run_cron(CRON)
        self.assertEqual(self._followups(prospect).date_deadline, date(2026, 3, 14))
        # reminded for its due date: not due again until the next follow-up date
        self.assertFalse(
            self.env["res.partner"].search(
                [("id", "=", prospect.id), ("prospect_followup_due", "=", True)]
            )
        )

    def test_visit_and_communication_hook_count_as_followups(self):
        """A visit done, or a contact another record reports through the hook, is a
        follow-up: the next one moves and a stale prospect is no longer stale."""
        prospect = self._prospect("Visited Foods 拜访食品")
        with freeze_time("2026-04-10 03:00:00"):
            self._run_cron(CRON)
        self.assertTrue(prospect.prospect_stale, "39 days without a follow-up")
        stale = (
            self.env["res.partner"]
            .with_user(self.user_account_manager)
            .search([("prospect_stale", "=", True), ("id", "=", prospect.id)])
        )
        self.assertEqual(stale, prospect)
        with freeze_time("2026-04-10 03:00:00"):
            visit = (
                self.env["delivery.visit"]
                .with_user(self.user_account_manager)
                .create(
                    {
                        "name": "Follow-up 回访",
                        "visit_type": "first",
                        "partner_id": prospect.id,
                        "planned_date": datetime(2026, 4, 10, 2, 0),
                    }
                )
            )
            visit.write({"content": "<p>Met the buyer.</p>"})
            visit.action_done()
            self._run_cron(CRON)
        self.assertEqual(prospect.prospect_last_followup_date, date(2026, 4, 10))
        self.assertFalse(prospect.prospect_stale)
        # a communication record (or any contact) reports itself through the hook
        with freeze_time("2026-04-20 03:00:00"):
            prospect.with_user(self.user_account_manager)._register_prospect_followup()
        self.assertEqual(prospect.prospect_last_followup_date, date(2026, 4, 20))
        self.assertEqual(prospect.prospect_next_followup_date, date(2026, 4, 27))
        # an older contact reported late does not move the follow-up back
        prospect._register_prospect_followup(date(2026, 4, 1))
        self.assertEqual(prospect.prospect_last_followup_date, date(2026, 4, 20))

    def test_communication_record_is_a_followup(self):
        """A call the developer logs with a prospect (a communication record) is a
        follow-up: the next one moves and the stale flag goes."""
        prospect = self._prospect("Called Goods 来电货品")
        with freeze_time("2026-04-10 03:00:00"):
            self._run_cron(CRON)
        self.assertTrue(prospect.prospect_stale)
        with freeze_time("2026-04-12 03:00:00"):
            self.env["delivery.communication"].with_user(self.user_account_manager).create(
                {
                    "name": "Quotation follow-up 报价跟进",
                    "partner_id": prospect.id,
                    "channel": "phone",
                    "date": datetime(2026, 4, 12, 2, 0),
                    "content": "Asked about the cold-chain quotation.",
                }
            )
        self.assertEqual(prospect.prospect_last_followup_date, date(2026, 4, 12))
        self.assertEqual(prospect.prospect_next_followup_date, date(2026, 4, 19))
        self.assertFalse(prospect.prospect_stale)

    def test_bad_cadence_refused(self):
        """A negative cadence, or settings below their floor, are refused and change
        nothing."""
        prospect = self._prospect("Bad Input Co 错误输入")
        with self.assertRaises(ValidationError):
            prospect.with_user(self.user_account_manager).write({"prospect_followup_days": -3})
        self.assertEqual(prospect.prospect_followup_days, 0)
        admin = new_user(self.env, "admin", "dcrm_pros_admin", extra_groups="base.group_system")
        for field, value in (
            ("delivery_prospect_followup_days", 0),
            ("delivery_prospect_stale_days", -1),
            ("delivery_conversion_min_revenue", -5.0),
            ("delivery_new_customer_months", -1),
        ):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                self.env["res.config.settings"].with_user(admin).create({field: value}).execute()
        self.assertEqual(self.company.delivery_prospect_followup_days, 7)

    # ------------------------------------------------------------------ figures
    def test_conversion_rate_by_channel_and_developer(self):
        """Managers read the share of prospects converted per channel and developer
        from the shipped pivot's action."""
        other_developer = new_user(self.env, "account_manager", "dcrm_pros_am2", "Second AM")
        fair_a = self._prospect("Fair A 展会甲")
        self._prospect("Fair B 展会乙")
        web = self._prospect("Web A 网站甲", acquisition_channel_id=self.website.id)
        with freeze_time("2026-03-02 02:00:00"):
            other = self._new_customer(
                "Other dev 其他", user=other_developer, acquisition_channel_id=self.website.id
            )
        lost = self._prospect("Lost lead 流失")
        for partner in fair_a | web:
            partner.with_user(self.user_account_manager).write(
                {"account_manager_id": self.user_account_manager.id}
            )
            partner.with_user(self.user_account_manager).action_activate()
        lost.with_user(self.user_account_manager).write(
            {"customer_state": "terminated", "state_reason": "Chose a competitor"}
        )
        self.assertEqual(lost.prospect_outcome, "lost")
        self.assertEqual(other.prospect_outcome, "open")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "delivery_crm.res_partner_action_prospect_conversion"
        )
        self.assertIn("pivot", action["view_mode"])
        Partner = self.env["res.partner"].with_user(self.user_manager)
        ours = [
            (
                "name",
                "in",
                [
                    "Fair A 展会甲",
                    "Fair B 展会乙",
                    "Web A 网站甲",
                    "Other dev 其他",
                    "Lost lead 流失",
                ],
            )
        ]
        domain = list(safe_eval(action["domain"])) + ours
        by_channel = {
            channel.id: (count, rate)
            for channel, count, rate in Partner._read_group(
                domain, ["acquisition_channel_id"], ["__count", "prospect_conversion_rate:avg"]
            )
        }
        self.assertEqual(by_channel[self.exhibition.id][0], 3)
        self.assertAlmostEqual(by_channel[self.exhibition.id][1], 100 / 3, places=2)
        self.assertEqual(by_channel[self.website.id], (2, 50.0))
        by_developer = {
            user.id: rate
            for user, rate in Partner._read_group(
                domain, ["developer_id"], ["prospect_conversion_rate:avg"]
            )
        }
        self.assertEqual(by_developer[self.user_account_manager.id], 50.0)
        self.assertEqual(by_developer[other_developer.id], 0.0)

    def test_conversion_credit_needs_the_minimum_volume(self):
        """With a minimum volume set, the developer's conversion counts in Staff
        performance only once the new customer reached it within the window."""
        self.company.write(
            {"delivery_conversion_min_deliveries": 2, "delivery_conversion_min_revenue": 1000.0}
        )
        prospect = self._prospect("Volume Goods 量货")
        with freeze_time("2026-03-05 02:00:00"):
            prospect.with_user(self.user_account_manager).write(
                {"account_manager_id": self.user_account_manager.id}
            )
            prospect.with_user(self.user_account_manager).action_activate()
        self.assertEqual(prospect.conversion_date, date(2026, 3, 5))

        def developed():
            self.env.flush_all()
            self.env.invalidate_all()
            rows = (
                self.env["delivery.staff.kpi.report"]
                .with_user(self.user_manager)
                .search(
                    [("user_id", "=", self.user_account_manager.id), ("month", "=", "2026-03-01")]
                )
            )
            return sum(rows.mapped("customers_developed"))

        self.assertEqual(developed(), 0)
        self.assertFalse(prospect.conversion_credited)
        Shipment = self.env["delivery.shipment"]
        for day, revenue in ((10, 600.0), (20, 600.0), (12, 5000.0)):
            Shipment.create(
                {
                    "name": f"VOL-{day}-{revenue}",
                    "partner_id": prospect.id,
                    # the third one is past the 30-day window
                    "date": datetime(2026, 3 if day != 12 else 4, day, 2, 0),
                    "revenue": revenue,
                    "status": "cancelled" if revenue == 5000.0 else "created",
                }
            )
            if day == 10:
                self.assertEqual(developed(), 0, "one delivery is not the minimum")
        self.assertEqual(developed(), 1)
        self.assertTrue(prospect.conversion_credited)

    # ------------------------------------------------------------------ evaluation
    def test_new_customer_evaluated_with_the_new_customers_scheme(self):
        """A customer in its first months is evaluated by the quarterly run with the
        shipped 'New customers' scheme; an older one with its classification's."""
        new_scheme = self.env.ref("delivery_crm.delivery_evaluation_scheme_new")
        self.assertEqual(new_scheme.weight_total, 100.0)
        new = self._new_customer(
            "New Cooperation 新合作",
            customer_class="general",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date="2026-06-15",
        )
        old = self._new_customer(
            "Old Cooperation 老合作",
            customer_class="general",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date="2024-01-01",
        )
        for partner in new | old:
            when = datetime(2026, 8, 10, 2, 0)
            self.env["delivery.shipment"].create(
                {
                    "name": f"NEW-{partner.id}",
                    "partner_id": partner.id,
                    "date": when,
                    "promised_datetime": when.replace(hour=20),
                    "delivered_datetime": when.replace(hour=18),
                    "revenue": 3000.0,
                }
            )
        with freeze_time("2026-10-02"):
            self._run_cron("delivery_crm.ir_cron_evaluation_quarterly")
        found = (
            self.env["delivery.evaluation"]
            .with_user(self.user_account_manager)
            .search([("partner_id", "in", (new | old).ids), ("period_start", "=", "2026-07-01")])
        )
        schemes = {evaluation.partner_id: evaluation.scheme_id for evaluation in found}
        self.assertEqual(schemes[new], new_scheme)
        self.assertEqual(
            schemes[old], self.env.ref("delivery_crm.delivery_evaluation_scheme_general")
        )
        # with the setting at 0, nobody is a new customer any more
        self.company.delivery_new_customer_months = 0
        run = found[:1].run_id
        partner_rows = self.env["delivery.evaluation"]._fetch_partner_rows(new.ids)
        schemes_by_class = self.env["delivery.evaluation.scheme"]._get_schemes(self.company)
        self.assertEqual(
            run._scheme_for(partner_rows[new.id], schemes_by_class),
            self.env.ref("delivery_crm.delivery_evaluation_scheme_general"),
        )

    # ------------------------------------------------------------------ migration
    def test_selection_channels_migrated_to_utm_sources(self):
        """An existing database keeps each customer's channel: the former selection
        value becomes the shipped source, an unknown one "Other"."""
        a = self._prospect("Migrated A 迁移甲", acquisition_channel_id=False)
        b = self._prospect("Migrated B 迁移乙", acquisition_channel_id=False)
        c = self._prospect("Migrated C 迁移丙", acquisition_channel_id=False)
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("ALTER TABLE res_partner ADD COLUMN acquisition_channel varchar"))
        for partner, value in ((a, "cold_visit"), (b, "association"), (c, "fax")):
            cr.execute(
                SQL(
                    "UPDATE res_partner SET acquisition_channel = %s, acquisition_channel_id = NULL"
                    " WHERE id = %s",
                    value,
                    partner.id,
                )
            )
        migration = load_script(
            "delivery_crm/migrations/19.0.1.3.0/post-acquisition-channel.py",
            "delivery_crm_post_acquisition_channel",
        )
        migration.migrate(cr, "19.0.1.2.0")
        self.env.invalidate_all()
        ref = self.env.ref
        self.assertEqual(a.acquisition_channel_id, ref("delivery_crm.utm_source_cold_visit"))
        self.assertEqual(b.acquisition_channel_id, ref("delivery_crm.utm_source_association"))
        self.assertEqual(c.acquisition_channel_id, ref("delivery_crm.utm_source_other"))
        cr.execute(
            "SELECT 1 FROM information_schema.columns"
            " WHERE table_name = 'res_partner' AND column_name = 'acquisition_channel'"
        )
        self.assertFalse(cr.fetchall(), "the old column is dropped")
        migration.migrate(cr, "19.0.1.2.0")  # idempotent
