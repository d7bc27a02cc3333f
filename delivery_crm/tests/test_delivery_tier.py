from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DeliveryCrmCommon

# a long-standing customer: the shipped cumulative revenue and cooperation minimums
# are met, so that the score and revenue of the period decide
LONG_HISTORY = {"cumulative_revenue": 99_999_999.0, "cooperation_months": 120}


@tagged("post_install", "-at_install")
class TestDeliveryTier(DeliveryCrmCommon):
    def test_match_tier_on_given_values(self):
        Tier = self.env["delivery.tier"]
        cases = [
            # (score, revenue) -> expected tier of the standard ladder
            ((None, 0.0), self.tier_new),
            ((None, 1_000_000.0), self.tier_new),  # no evaluation yet: only the entry tier
            ((39.99, 10_000.0), self.tier_new),
            ((40.0, 10_000.0), self.tier_regular),  # both minimums exactly met
            ((95.0, 100_000.0), self.tier_silver),  # score for Diamond, revenue for Silver
            ((80.0, 250_000.0), self.tier_gold),
            ((90.0, 500_000.0), self.tier_diamond),
            ((100.0, 9_999_999.0), self.tier_diamond),
        ]
        for (score, revenue), expected in cases:
            with self.subTest(score=score, revenue=revenue):
                self.assertEqual(
                    Tier._match_tier(self.ladder, score, revenue, **LONG_HISTORY), expected
                )

    def test_match_tier_or_logic(self):
        self.tier_gold.rule_logic = "or"
        Tier = self.env["delivery.tier"]
        # Gold by revenue alone, and by score alone, once its rule is "or"
        match = Tier._match_tier
        self.assertEqual(match(self.ladder, 10.0, 250_000.0, **LONG_HISTORY), self.tier_gold)
        self.assertEqual(match(self.ladder, 80.0, 0.0, **LONG_HISTORY), self.tier_gold)
        self.assertEqual(match(self.ladder, 10.0, 60_000.0, **LONG_HISTORY), self.tier_new)

    def test_match_tier_ignores_archived_and_empty_ladder(self):
        self.tier_diamond.action_archive()
        Tier = self.env["delivery.tier"]
        self.assertEqual(
            Tier._match_tier(self.ladder, 99.0, 9_999_999.0, **LONG_HISTORY), self.tier_gold
        )
        empty = self.env["delivery.tier.ladder"].create({"name": "Empty"})
        self.assertFalse(Tier._match_tier(empty, 99.0, 9_999_999.0, **LONG_HISTORY))

    def test_benefits_include_lower_tiers(self):
        gold_benefits = self.tier_gold.all_benefit_ids
        for tier in (self.tier_new, self.tier_regular, self.tier_silver, self.tier_gold):
            self.assertLessEqual(tier.benefit_ids, gold_benefits, tier.name)
        self.assertFalse(self.tier_diamond.benefit_ids & gold_benefits)
        self.assertEqual(self.tier_new.all_benefit_ids, self.tier_new.benefit_ids)
        self.assertEqual(
            self.tier_diamond.all_benefit_ids,
            self.ladder.tier_ids.benefit_ids,
        )
        # other ladders' benefits never leak in
        self.assertFalse(
            self.env.ref("delivery_crm.delivery_tier_benefit_executive_review")
            & self.tier_diamond.all_benefit_ids
        )

    def test_negative_minimum_refused(self):
        for field, value in (("min_score", -1.0), ("min_score", 100.5), ("min_revenue", -5.0)):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                self.env["delivery.tier"].create(
                    {"name": "Bad", "ladder_id": self.ladder.id, "level": 99, field: value}
                )
        self.assertFalse(self.env["delivery.tier"].search([("name", "=", "Bad")]))

    def test_invalid_service_levels_refused(self):
        bad_values = [
            {"visit_interval_days": -7},
            {"first_response_hours": 0.0},
            {"first_response_hours": 10.0, "resolution_hours": 4.0},
        ]
        for vals in bad_values:
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.tier_silver.write(vals)
        self.tier_silver.invalidate_recordset()
        self.assertEqual(self.tier_silver.visit_interval_days, 60)
        self.assertEqual(self.tier_silver.first_response_hours, 2.0)

    def test_overlapping_rules_refused(self):
        overlaps = [
            # a higher tier asking less score than the tier below
            {"name": "Platinum", "level": 6, "min_score": 80.0, "min_revenue": 900_000.0},
            # the same rule as Diamond
            {
                "name": "Platinum",
                "level": 6,
                "min_score": 90.0,
                "min_revenue": 500_000.0,
                "min_cumulative_revenue": 2_000_000.0,
                "min_cooperation_months": 36,
            },
            # a higher tier asking less cumulative revenue than the tier below
            {
                "name": "Platinum",
                "level": 6,
                "min_score": 95.0,
                "min_revenue": 900_000.0,
                "min_cooperation_months": 36,
            },
            # a tier squeezed below New asking more than New
            {"name": "Trial", "level": 0, "min_score": 10.0, "min_revenue": 0.0},
        ]
        for vals in overlaps:
            with self.subTest(vals=vals), self.assertRaises(ValidationError) as err:
                self.env["delivery.tier"].create({"ladder_id": self.ladder.id, **vals})
            self.assertIn("overlap", str(err.exception))
        with self.assertRaises(ValidationError):
            self.tier_gold.min_score = 95.0  # above Diamond's 90
        self.assertFalse(self.env["delivery.tier"].search([("name", "in", ("Platinum", "Trial"))]))
        # a consistent new top tier is accepted
        platinum = self.env["delivery.tier"].create(
            {
                "name": "Platinum",
                "ladder_id": self.ladder.id,
                "level": 6,
                "min_score": 95.0,
                "min_revenue": 2_000_000.0,
                "min_cumulative_revenue": 5_000_000.0,
                "min_cooperation_months": 60,
            }
        )
        self.assertEqual(
            self.env["delivery.tier"]._match_tier(self.ladder, 96.0, 3_000_000.0, **LONG_HISTORY),
            platinum,
        )

    def test_shipped_entry_rules_follow_the_policy(self):
        """004 门店§三: Regular, Silver and Gold by cumulative spending, Diamond also by a
        long cooperation (长期忠诚); no credit level asked; both ladders graded quarterly
        (§五.3)."""
        self.assertEqual(
            (self.ladder.grading_period_type, self.ladder_key.grading_period_type),
            ("quarterly", "quarterly"),
        )
        cumulative = self.ladder.tier_ids.sorted("level").mapped("min_cumulative_revenue")
        self.assertEqual(cumulative[0], 0.0)
        self.assertEqual(cumulative, sorted(set(cumulative)), "rising with the level")
        self.assertEqual(self.ladder.tier_ids.filtered("min_cooperation_months"), self.tier_diamond)
        self.assertFalse(self.ladder.tier_ids.filtered("min_credit_level"))
        # a big quarter alone is not enough for Diamond: the history is
        Tier = self.env["delivery.tier"]
        match = Tier._match_tier
        self.assertEqual(
            match(self.ladder, 95.0, 600_000.0, cumulative_revenue=600_000.0), self.tier_gold
        )
        self.assertEqual(
            match(
                self.ladder, 95.0, 600_000.0, cumulative_revenue=2_500_000.0, cooperation_months=12
            ),
            self.tier_gold,
        )
        self.assertEqual(
            match(
                self.ladder, 95.0, 600_000.0, cumulative_revenue=2_500_000.0, cooperation_months=36
            ),
            self.tier_diamond,
        )
        # unknown history meets no minimum
        self.assertEqual(match(self.ladder, 95.0, 600_000.0), self.tier_new)

    def test_match_tier_credit_level(self):
        """客户管理制度和分级: a tier may ask a minimum credit level; A is the best, D the
        worst, and a customer without a credit level does not qualify."""
        ladder = self.env["delivery.tier.ladder"].create({"name": "Credit"})
        base, trusted = self.env["delivery.tier"].create(
            [
                {"name": "Base", "ladder_id": ladder.id, "level": 1},
                {"name": "Trusted", "ladder_id": ladder.id, "level": 2, "min_credit_level": "b"},
            ]
        )
        cases = [("a", trusted), ("b", trusted), ("c", base), ("d", base), (None, base)]
        for level, expected in cases:
            with self.subTest(level=level):
                self.assertEqual(
                    self.env["delivery.tier"]._match_tier(ladder, 50.0, 0.0, credit_level=level),
                    expected,
                )
        # a higher tier asking a worse credit level than the one below is refused
        with self.assertRaises(ValidationError) as err:
            self.env["delivery.tier"].create(
                {
                    "name": "Top",
                    "ladder_id": ladder.id,
                    "level": 3,
                    "min_score": 80.0,
                    "min_credit_level": "c",
                }
            )
        self.assertIn("overlap", str(err.exception))
        # the levels are those of the customer's credit level, labels included
        self.assertEqual(
            self.env["delivery.tier"]._fields["min_credit_level"]._description_selection(self.env),
            self.env["res.partner"]._fields["credit_level"]._description_selection(self.env),
        )

    def test_negative_history_minimums_refused(self):
        for field, value in (("min_cumulative_revenue", -1.0), ("min_cooperation_months", -3)):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                self.tier_diamond.with_user(self.user_manager).write({field: value})
        self.tier_diamond.invalidate_recordset()
        self.assertEqual(self.tier_diamond.min_cooperation_months, 36)

    @mute_logger("odoo.sql_db")
    def test_duplicate_level_refused(self):
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["delivery.tier"].create(
                {
                    "name": "Gold bis",
                    "ladder_id": self.ladder.id,
                    "level": self.tier_gold.level,
                    "min_score": 76.0,
                    "min_revenue": 210_000.0,
                }
            )

    def test_configuration_is_managers_only(self):
        tier_as_user = self.tier_gold.with_user(self.user_account_manager)
        self.assertEqual(tier_as_user.name, "Gold")  # staff read the ladder
        with self.assertRaises(AccessError):
            tier_as_user.write({"min_score": 70.0})
        with self.assertRaises(AccessError):
            self.env["delivery.tier.benefit"].with_user(self.user_account_manager).create(
                {"name": "X"}
            )
        with self.assertRaises(AccessError):
            self.env["delivery.tier"].with_user(self.user_employee).search([])
        self.tier_gold.with_user(self.user_manager).write({"visit_interval_days": 21})
        self.assertEqual(self.tier_gold.visit_interval_days, 21)

    def test_partner_count(self):
        customer = self._new_customer()
        self.assertEqual(customer.tier_id, self.tier_new)
        before = self.tier_new.partner_count
        self._new_customer("Second")
        self.tier_new.invalidate_recordset(["partner_count"])
        self.assertEqual(self.tier_new.partner_count, before + 1)


@tagged("post_install", "-at_install")
class TestPartnerTierIntegrity(DeliveryCrmCommon):
    """Security review M5: a manager's tier override and the first tier do not escape
    the manager-only tier API."""

    def test_ladder_switch_does_not_end_a_managers_override(self):
        customer = self._new_customer("Overridden", account_manager_id=self.user_account_manager.id)
        expiry = fields.Date.today() + timedelta(days=60)
        self._override_tier(self.user_manager, customer, self.tier_gold, "Strategic tender", expiry)
        # the account manager of the customer may change its ladder, but not to end the
        # override (switching to another ladder and back cleared it)
        with self.assertRaisesRegex(AccessError, "override"):
            customer.with_user(self.user_account_manager).write(
                {"tier_ladder_id": self.ladder_key.id}
            )
        self.assertEqual(
            (customer.tier_ladder_id, customer.tier_id, customer.tier_override_user_id),
            (self.ladder, self.tier_gold, self.user_manager),
        )
        # writing the ladder it has changes nothing and is fine
        customer.with_user(self.user_account_manager).write({"tier_ladder_id": self.ladder.id})
        self.assertEqual(customer.tier_override_tier_id, self.tier_gold)
        # a manager may: the override ends with the old ladder
        customer.with_user(self.user_manager).write({"tier_ladder_id": self.ladder_key.id})
        self.assertEqual(customer.tier_id, self.tier_ka2)
        self.assertFalse(customer.tier_override_tier_id)
        # without an override running, account managers switch ladders as before
        customer.with_user(self.user_account_manager).write({"tier_ladder_id": self.ladder.id})
        self.assertEqual(customer.tier_id, self.tier_new)

    def test_first_tier_follows_the_ladder_unless_a_manager_sets_it(self):
        """Staff making a contact a customer chose any tier (logged as 'Initial tier',
        with that tier's service levels until the next evaluation)."""
        contact = self.env["res.partner"].create({"name": "Becoming", "is_company": True})
        for user in (self.user_staff, self.user_account_manager):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                contact.with_user(user).write(
                    {"is_delivery_customer": True, "tier_id": self.tier_diamond.id}
                )
            with self.subTest(user=user.login), self.assertRaises(UserError):
                self._new_customer(
                    "Diamond at once (module test)", user=user, tier_id=self.tier_diamond.id
                )
        self.assertFalse(contact.is_delivery_customer)
        self.assertFalse(
            self.env["res.partner"].search([("name", "=", "Diamond at once (module test)")]),
        )
        # the ladder's rule gives the first tier
        contact.with_user(self.user_staff).write({"is_delivery_customer": True})
        self.assertEqual(contact.tier_id, self.tier_new)
        # a manager importing existing customers gives their current tier
        imported = self._new_customer(
            "Imported Diamond", user=self.user_manager, tier_id=self.tier_diamond.id
        )
        self.assertEqual(imported.tier_id, self.tier_diamond)
        self.assertEqual(imported.tier_change_ids.reason, "Initial tier")
