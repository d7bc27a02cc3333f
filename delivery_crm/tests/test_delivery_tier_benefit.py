"""Tier benefits that act (issue 16 item 5, 004 门店客户分级 §四): gifts and executive
reviews made by the daily cron, the discount and free-delivery flags the transport
system reads, points accrued from deliveries and redeemed by staff, and the portal page."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.migration import load_script
from odoo.tests import HttpCase, tagged

from .common import DeliveryCrmCommon, new_user

CRON_BENEFITS = "delivery_crm.ir_cron_tier_benefits"
CRON_POINTS = "delivery_crm.ir_cron_points_accrual"


@tagged("post_install", "-at_install")
class TestDeliveryTierBenefit(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._new_customer(
            "Benefit Co", customer_state="active", account_manager_id=cls.user_account_manager.id
        )
        cls.Move = cls.env["delivery.points.move"]
        cls.Grant = cls.env["delivery.benefit.grant"]

    def _deliver(self, ref, revenue, partner=None, when=None):
        when = when or fields.Datetime.now() - timedelta(days=1)
        # as the transport system reports them (its import runs as the system)
        return self.env["delivery.shipment"].create(
            {
                "name": ref,
                "partner_id": (partner or self.customer).id,
                "date": when - timedelta(hours=20),
                "promised_datetime": when + timedelta(hours=4),
                "delivered_datetime": when,
                "revenue": revenue,
            }
        )

    def _redeem(self, user, points, reference="Gift voucher", origin="redemption"):
        wizard = (
            self.env["delivery.points.wizard"]
            .with_user(user)
            .create(
                {
                    "partner_id": self.customer.id,
                    "points": points,
                    "reference": reference,
                    "origin": origin,
                }
            )
        )
        return wizard.action_confirm()

    # ------------------------------------------------------------------ configuration
    def test_shipped_benefits_have_kinds(self):
        ref = self.env.ref
        self.assertEqual(ref("delivery_crm.delivery_tier_benefit_member_price").kind, "discount")
        self.assertEqual(ref("delivery_crm.delivery_tier_benefit_points").kind, "points")
        self.assertEqual(ref("delivery_crm.delivery_tier_benefit_birthday_gift").kind, "gift")
        self.assertEqual(
            ref("delivery_crm.delivery_tier_benefit_annual_gift").gift_occasion, "year_end"
        )
        self.assertEqual(ref("delivery_crm.delivery_tier_benefit_executive_review").kind, "review")
        self.assertEqual(
            ref("delivery_crm.delivery_tier_benefit_free_delivery").kind, "free_delivery"
        )

    def test_shipped_benefit_kinds_on_existing_databases(self):
        """The shipped benefits are noupdate data: the 19.0.1.3.0 migration gives them
        their kinds on an existing database, and leaves a kind a manager chose alone."""
        member = self.env.ref("delivery_crm.delivery_tier_benefit_member_price")
        review = self.env.ref("delivery_crm.delivery_tier_benefit_executive_review")
        member.write({"kind": "other", "points_rate": 0.0})
        review.write({"kind": "discount", "discount_percent": 3.0})
        migration = load_script(
            "delivery_crm/migrations/19.0.1.3.0/post-ben-benefit-kinds.py",
            "delivery_crm_post_ben_benefit_kinds",
        )
        migration.migrate(self.env.cr, "19.0.1.2.0")
        self.assertEqual((member.kind, member.points_rate), ("points", 1.0))
        self.assertEqual(review.kind, "discount")

    def test_bad_benefit_values_refused(self):
        benefit = self.env.ref("delivery_crm.delivery_tier_benefit_points").with_user(
            self.user_manager
        )
        for vals in (
            {"points_rate": -1.0},
            {"points_rate": 0.0},
            {"kind": "discount", "discount_percent": 150.0},
            {"kind": "review", "review_interval_months": 0},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaises(ValidationError),
                self.env.cr.savepoint(),
            ):
                benefit.write(vals)
        benefit.invalidate_recordset()
        self.assertEqual((benefit.kind, benefit.points_rate), ("points", 1.0))

    # ------------------------------------------------------------------ flags
    def test_flags_read_by_the_transport_system(self):
        transport = new_user(
            self.env,
            "employee",
            "dcrm_transport_benefit",
            extra_groups="delivery_crm.group_delivery_crm_transport",
        )
        self._give_tier(self.customer, self.tier_regular)
        discount = (
            self.env["delivery.tier.benefit"]
            .with_user(self.user_manager)
            .create({"name": "Member discount", "kind": "discount", "discount_percent": 8.0})
        )
        self.tier_regular.with_user(self.user_manager).benefit_ids = [Command.link(discount.id)]
        as_transport = self.customer.with_user(transport)
        self.assertEqual(as_transport.benefit_discount_percent, 8.0)
        self.assertFalse(as_transport.benefit_free_delivery)
        self._give_tier(self.customer, self.tier_gold)
        as_transport.invalidate_recordset()
        # Gold gives free delivery and keeps the lower tiers' discount
        self.assertTrue(as_transport.benefit_free_delivery)
        self.assertEqual(as_transport.benefit_discount_percent, 8.0)
        # an employee outside the CRM and the transport system does not read them
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_employee).read(["benefit_free_delivery"])

    # ------------------------------------------------------------------ points
    def test_points_accrue_once_per_delivery(self):
        self._give_tier(self.customer, self.tier_regular)  # member prices and points: 1/unit
        other = self._new_customer("No Points Co", customer_state="active")
        self._give_tier(other, self.tier_new)
        self._deliver("WB-P1", 120.5)
        self._deliver("WB-P2", 30.0)
        self._deliver("WB-NP", 99.0, partner=other)
        self._run_cron(CRON_POINTS)
        moves = self.Move.search([("partner_id", "in", (self.customer | other).ids)])
        self.assertEqual(
            sorted(moves.mapped(lambda m: (m.reference, m.points, m.origin))),
            [("WB-P1", 120.5, "delivery"), ("WB-P2", 30.0, "delivery")],
        )
        self._run_cron(CRON_POINTS)
        self.assertEqual(self.Move.search_count([("partner_id", "=", self.customer.id)]), 2)
        as_manager = self.customer.with_user(self.user_account_manager)
        self.assertEqual(as_manager.points_balance, 150.5)
        self.assertEqual(len(as_manager.points_move_ids), 2)

    def test_redemption_within_the_balance_only(self):
        self._give_tier(self.customer, self.tier_regular)
        self._deliver("WB-R1", 100.0)
        self._run_cron(CRON_POINTS)
        # beyond the balance: a clear error, nothing written
        with self.assertRaisesRegex(UserError, "100.0 points"):
            self._redeem(self.user_account_manager, 150.0)
        for points in (0.0, -5.0):
            with self.subTest(points=points), self.assertRaises(UserError):
                self._redeem(self.user_account_manager, points)
        mine = [("partner_id", "=", self.customer.id)]
        self.assertEqual(self.Move.search_count([*mine, ("origin", "!=", "delivery")]), 0)
        self._redeem(self.user_account_manager, 40.0, "Free pick-up")
        move = self.Move.search([*mine, ("origin", "=", "redemption")])
        self.assertEqual(
            (move.points, move.reference, move.user_id),
            (-40.0, "Free pick-up", self.user_account_manager),
        )
        self.assertEqual(self.customer.with_user(self.user_account_manager).points_balance, 60.0)
        # an adjustment is a manager's; nobody writes the ledger directly
        with self.assertRaises(AccessError):
            self._redeem(self.user_account_manager, 10.0, "Goodwill", origin="adjustment")
        self._redeem(self.user_manager, -10.0, "Correction", origin="adjustment")
        self.assertEqual(self.customer.with_user(self.user_manager).points_balance, 50.0)
        with self.assertRaises(AccessError):
            self.Move.with_user(self.user_manager).create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "date": date.today(),
                    "points": 1000.0,
                    "origin": "adjustment",
                }
            )
        with self.assertRaises(AccessError):
            move.with_user(self.user_manager).write({"points": -1.0})
        # an employee outside the CRM, or staff the customer is not assigned to, cannot
        # redeem its points
        with self.assertRaises(AccessError):
            self._redeem(self.user_employee, 1.0)
        with self.assertRaisesRegex(AccessError, "assigned to you"):
            self._redeem(self.user_staff, 1.0)
        self.assertEqual(self.Move.search_count([*mine, ("origin", "=", "redemption")]), 1)

    # ------------------------------------------------------------------ gifts, reviews
    def test_birthday_gift_before_the_birthday_once(self):
        self._give_tier(self.customer, self.tier_silver)  # birthday gift, 7 days before
        today = fields.Date.context_today(self.customer)
        soon = self.env["res.partner"].create(
            {
                "name": "Wang Fang",
                "parent_id": self.customer.id,
                "birthday": (today + timedelta(days=3)).replace(year=1985),
            }
        )
        self.env["res.partner"].create(
            {
                "name": "Li Lei",
                "parent_id": self.customer.id,
                "birthday": (today + timedelta(days=30)).replace(year=1990),
            }
        )
        self._run_cron(CRON_BENEFITS)
        grant = self.Grant.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(grant), 1)
        self.assertEqual((grant.kind, grant.contact_id), ("gift", soon))
        gift = grant.care_event_id
        self.assertEqual(
            (gift.kind, gift.state, gift.user_id), ("gift", "planned", self.user_account_manager)
        )
        self.assertEqual(gift.date, today + timedelta(days=3))
        self.assertEqual(gift.contact_ids, soon)
        activity = gift.activity_ids
        self.assertEqual(activity.user_id, self.user_account_manager)
        self.assertIn("Birthday gift", activity.summary)
        # the account manager sees the gift and the grant on the customer
        as_manager = self.customer.with_user(self.user_account_manager)
        self.assertEqual(as_manager.benefit_grant_ids, grant)
        self._run_cron(CRON_BENEFITS)
        self.assertEqual(self.Grant.search_count([("partner_id", "=", self.customer.id)]), 1)
        self.assertEqual(
            self.env["delivery.care.event"].search_count([("partner_id", "=", self.customer.id)]), 1
        )

    def test_year_end_gift(self):
        self._give_tier(self.customer, self.tier_diamond)  # annual gift, 20 days before
        with freeze_time("2026-12-01 09:00:00"):
            self._run_cron(CRON_BENEFITS)
            self.assertFalse(
                self.Grant.search([("kind", "=", "gift"), ("partner_id", "=", self.customer.id)])
            )
        with freeze_time("2026-12-12 09:00:00"):
            self._run_cron(CRON_BENEFITS)
            self._run_cron(CRON_BENEFITS)
        gifts = self.Grant.search([("kind", "=", "gift"), ("partner_id", "=", self.customer.id)])
        self.assertEqual(gifts.mapped("occasion_date"), [date(2026, 12, 31)])
        self.assertEqual(gifts.care_event_id.kind, "gift")

    def test_executive_review_once_per_period(self):
        review = self.env.ref("delivery_crm.delivery_tier_benefit_executive_review")
        tier = self.env["delivery.tier"].search([("benefit_ids", "in", review.ids)], limit=1)
        self._give_tier(self.customer, tier)
        with freeze_time("2026-04-02 09:00:00"):
            self._run_cron(CRON_BENEFITS)
            self._run_cron(CRON_BENEFITS)
        with freeze_time("2026-06-20 09:00:00"):
            self._run_cron(CRON_BENEFITS)
        visits = self.env["delivery.visit"].search(
            [("partner_id", "=", self.customer.id), ("visit_type", "=", "review")]
        )
        self.assertEqual(len(visits), 1)
        self.assertEqual(
            (visits.origin, visits.state, visits.user_id),
            ("benefit", "planned", self.user_account_manager),
        )
        self.assertTrue(visits.activity_ids)
        with freeze_time("2026-07-01 09:00:00"):
            self._run_cron(CRON_BENEFITS)
        grants = self.Grant.search([("partner_id", "=", self.customer.id), ("kind", "=", "review")])
        self.assertEqual(len(grants), 2)
        self.assertEqual(len(grants.visit_id), 2)

    # ------------------------------------------------------------------ task fix16
    def _transport_user(self):
        return new_user(
            self.env,
            "employee",
            "dcrm_transport_fix16",
            extra_groups="delivery_crm.group_delivery_crm_transport",
        )

    def test_first_order_flag_until_the_first_delivery(self):
        """新客户：享受首次消费优惠 — the transport system reads a first-order flag (and
        its percent) until the customer's first delivery that counts."""
        transport = self._transport_user()
        self._give_tier(self.customer, self.tier_new)
        first_order = self.env.ref("delivery_crm.delivery_tier_benefit_first_order")
        self.assertEqual(first_order.kind, "first_order")
        as_transport = self.customer.with_user(transport)
        self.assertTrue(as_transport.benefit_first_order)
        self.assertEqual(as_transport.benefit_first_order_percent, first_order.discount_percent)
        self.assertGreater(as_transport.benefit_first_order_percent, 0)
        # a cancelled order is no first order
        cancelled = self._deliver("WB-FO0", 50.0)
        cancelled.write({"status": "cancelled", "outcome": "cancelled"})
        as_transport.invalidate_recordset()
        self.assertTrue(as_transport.benefit_first_order)
        self._deliver("WB-FO1", 80.0)
        as_transport.invalidate_recordset()
        self.assertFalse(as_transport.benefit_first_order)
        self.assertEqual(as_transport.benefit_first_order_percent, 0.0)

    def test_shipped_benefits_act(self):
        """普通客户：会员价格 is a discount the transport system reads, 积分累计 a points
        benefit; 优先预约 a priority flag; 专属客服 and 定制服务 say they are labels."""
        transport = self._transport_user()
        ref = self.env.ref
        member = ref("delivery_crm.delivery_tier_benefit_member_price")
        self.assertEqual(member.kind, "discount")
        self.assertGreater(member.discount_percent, 0)
        self.assertEqual(ref("delivery_crm.delivery_tier_benefit_points").kind, "points")
        self.assertEqual(
            ref("delivery_crm.delivery_tier_benefit_priority_delivery").kind, "priority"
        )
        self._give_tier(self.customer, self.tier_regular)
        as_transport = self.customer.with_user(transport)
        self.assertEqual(as_transport.benefit_discount_percent, member.discount_percent)
        self.assertFalse(as_transport.benefit_priority)
        self.assertEqual(as_transport.with_user(self.user_account_manager).points_rate, 1.0)
        self._give_tier(self.customer, self.tier_silver)
        as_transport.invalidate_recordset()
        self.assertTrue(as_transport.benefit_priority)

    def test_shipped_benefits_on_existing_databases(self):
        """The shipped benefits are noupdate data: the 19.0.1.4.0 migration gives an
        existing database the first-order, member-price, points and priority kinds and
        links the points benefit to the Regular tier; a manager's choice is kept."""
        ref = self.env.ref
        first_order = ref("delivery_crm.delivery_tier_benefit_first_order")
        member = ref("delivery_crm.delivery_tier_benefit_member_price")
        points = ref("delivery_crm.delivery_tier_benefit_points")
        priority = ref("delivery_crm.delivery_tier_benefit_priority_delivery")
        # as 19.0.1.3.0 shipped them
        first_order.write({"kind": "other", "discount_percent": 0.0})
        member.write({"kind": "points", "points_rate": 1.0, "discount_percent": 0.0})
        priority.write({"kind": "other"})
        self.tier_regular.benefit_ids = [Command.set(member.ids)]
        points.unlink()
        migration = load_script(
            "delivery_crm/migrations/19.0.1.4.0/post-fix16-benefit-kinds.py",
            "delivery_crm_post_fix16_benefit_kinds",
        )
        migration.migrate(self.env.cr, "19.0.1.3.0")
        self.env.invalidate_all()
        self.assertEqual(first_order.kind, "first_order")
        self.assertEqual(member.kind, "discount")
        self.assertGreater(member.discount_percent, 0)
        self.assertEqual(priority.kind, "priority")
        points = ref("delivery_crm.delivery_tier_benefit_points")
        self.assertEqual((points.kind, points.points_rate), ("points", 1.0))
        self.assertEqual(self.tier_regular.benefit_ids, member | points)
        # run again: nothing changes; a kind a manager chose is left alone
        priority.write({"kind": "free_delivery"})
        migration.migrate(self.env.cr, "19.0.1.3.0")
        self.env.invalidate_all()
        self.assertEqual(priority.kind, "free_delivery")
        self.assertEqual(self.tier_regular.benefit_ids, member | points)
        self.assertEqual(
            self.env["delivery.tier.benefit"].search_count([("kind", "=", "points")]), 1
        )

    def test_flags_only_while_in_cooperation(self):
        """A terminated (or suspended) Gold customer gets no free delivery, no discount
        and no points any more."""
        transport = self._transport_user()
        self._give_tier(self.customer, self.tier_gold)
        as_transport = self.customer.with_user(transport)
        self.assertTrue(as_transport.benefit_free_delivery)
        self.assertTrue(as_transport.benefit_priority)
        self.customer.with_user(self.user_account_manager).write(
            {"customer_state": "suspended", "state_reason": "Unpaid invoices"}
        )
        as_transport.invalidate_recordset()
        self.assertFalse(as_transport.benefit_free_delivery)
        self.assertEqual(as_transport.benefit_discount_percent, 0.0)
        self._deliver("WB-SUSP", 100.0)
        self._run_cron(CRON_POINTS)
        self.assertFalse(self.Move.search([("partner_id", "=", self.customer.id)]))
        self.customer.with_user(self.user_manager).write(
            {"customer_state": "terminated", "state_reason": "Contract ended"}
        )
        as_transport.invalidate_recordset()
        self.assertFalse(as_transport.benefit_free_delivery)
        self.assertFalse(as_transport.benefit_priority)
        self.assertFalse(as_transport.benefit_first_order)

    def test_points_reversed_when_a_delivery_is_cancelled_or_corrected(self):
        """A credited delivery cancelled later by the transport system is reversed by the
        next run, once; a corrected revenue is adjusted."""
        transport = self._transport_user()
        self.customer.ref = "FIX16-PTS"
        self._give_tier(self.customer, self.tier_regular)  # 1 point per unit
        Shipment = self.env["delivery.shipment"].with_user(transport)

        def upsert(name, **values):
            row = {
                "name": name,
                "customer_ref": "FIX16-PTS",
                "date": fields.Datetime.to_string(fields.Datetime.now() - timedelta(days=2)),
                "promised_datetime": fields.Datetime.to_string(fields.Datetime.now()),
                "revenue": 200.0,
                "status": "delivered",
                "delivered_datetime": fields.Datetime.to_string(
                    fields.Datetime.now() - timedelta(days=1)
                ),
                **values,
            }
            result = Shipment.transport_upsert([row])
            self.assertFalse(result["errors"], result)

        upsert("WB-RET")
        upsert("WB-FIX")
        self._run_cron(CRON_POINTS)
        balance = self.customer.with_user(self.user_account_manager)
        self.assertEqual(balance.points_balance, 400.0)
        # returned: the transport system cancels it; the revenue of the other is corrected
        upsert("WB-RET", status="cancelled", outcome="cancelled")
        upsert("WB-FIX", revenue=150.0)
        self._run_cron(CRON_POINTS)
        balance.invalidate_recordset()
        self.assertEqual(balance.points_balance, 150.0)
        reversals = self.Move.search(
            [("partner_id", "=", self.customer.id), ("origin", "=", "reversal")]
        )
        self.assertEqual(
            sorted(reversals.mapped(lambda m: (m.reference, m.points))),
            [("WB-FIX", -50.0), ("WB-RET", -200.0)],
        )
        self._run_cron(CRON_POINTS)
        self.assertEqual(
            self.Move.search_count([("partner_id", "=", self.customer.id)]), 4, "nothing more"
        )

    def test_points_revenue_on_existing_databases(self):
        """The 19.0.1.4.0 migration gives the credits made before it the revenue they
        counted; the next run then reverses a credited delivery cancelled since."""
        self._give_tier(self.customer, self.tier_regular)
        shipment = self._deliver("WB-MIG", 70.0)
        self._run_cron(CRON_POINTS)
        credit = self.Move.search([("shipment_id", "=", shipment.id)])
        self.env.cr.execute(
            "UPDATE delivery_points_move SET revenue = NULL WHERE id = %s", [credit.id]
        )
        load_script(
            "delivery_crm/migrations/19.0.1.4.0/post-fix16-points-revenue.py",
            "delivery_crm_post_fix16_points_revenue",
        ).migrate(self.env.cr, "19.0.1.3.0")
        credit.invalidate_recordset()
        self.assertEqual(credit.revenue, 70.0)
        shipment.write({"status": "cancelled", "outcome": "cancelled"})
        self._run_cron(CRON_POINTS)
        self.assertEqual(self.customer.with_user(self.user_manager).points_balance, 0.0)

    def test_points_catch_up_days_are_a_setting(self):
        self._give_tier(self.customer, self.tier_regular)
        self._deliver("WB-OLD", 100.0, when=fields.Datetime.now() - timedelta(days=40))
        self._run_cron(CRON_POINTS)
        self.assertFalse(self.Move.search([("partner_id", "=", self.customer.id)]))
        self.company.delivery_points_catch_up_days = 60
        self._run_cron(CRON_POINTS)
        self.assertEqual(
            self.Move.search([("partner_id", "=", self.customer.id)]).mapped("points"), [100.0]
        )
        admin = new_user(self.env, "admin", "dcrm_fix16_admin", extra_groups="base.group_system")
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].with_user(admin).create(
                {"delivery_points_catch_up_days": 0}
            ).execute()
        self.assertEqual(self.company.delivery_points_catch_up_days, 60)


@tagged("post_install", "-at_install")
class TestDeliveryBenefitPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        manager = new_user(cls.env, "account_manager", "benefit_portal_am")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Portal Benefit Co",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_state": "active",
                "account_manager_id": manager.id,
            }
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Other Benefit Co", "is_company": True, "is_delivery_customer": True}
        )
        tier = cls.env.ref("delivery_crm.delivery_tier_gold")
        cls.env["delivery.tier.change"]._move_tiers(
            [(p.id, tier.id) for p in cls.customer | cls.other], "manual"
        )
        # sudo: the ledger is written by the system only; the test sets the balances
        Move = cls.env["delivery.points.move"].sudo()
        for partner, points, ref in (
            (cls.customer, 75.0, "WB-MINE"),
            (cls.other, 999.0, "WB-THEIRS"),
        ):
            Move.create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.env.company.id,
                    "date": date.today(),
                    "points": points,
                    "origin": "adjustment",
                    "reference": ref,
                }
            )
        contact = cls.env["res.partner"].create(
            {"name": "Zhao Min", "parent_id": cls.customer.id, "email": "zhao@example.com"}
        )
        cls.portal = new_user(
            cls.env, "portal", "benefit_portal", password="benefit_portal-pw", partner_id=contact.id
        )

    def test_portal_shows_tier_benefits_and_points(self):
        self.authenticate("benefit_portal", "benefit_portal-pw")
        response = self.url_open("/my/benefits")
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("Gold", page)
        self.assertIn("Free delivery", page)
        self.assertIn("Member prices", page)  # a lower tier's benefit
        self.assertIn("75.00", page)
        self.assertIn("WB-MINE", page)
        self.assertNotIn("WB-THEIRS", page)
        # the other customer's balance (a bare "999" can be part of an asset hash)
        self.assertNotIn("999.00", page)
        # the portal user reads its own ledger only, and writes nothing
        Move = self.env["delivery.points.move"].with_user(self.portal)
        self.assertEqual(Move.search([]).mapped("reference"), ["WB-MINE"])
        with self.assertRaises(AccessError):
            Move.create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.env.company.id,
                    "date": date.today(),
                    "points": 1000.0,
                    "origin": "adjustment",
                }
            )
