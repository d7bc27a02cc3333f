from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import api
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import DeliveryCrmCommon

Q3 = date(2026, 7, 1)
Q2 = date(2026, 4, 1)


def utc(*args):
    return datetime(*args)


@tagged("post_install", "-at_install")
class TestDeliveryEvaluation(DeliveryCrmCommon):
    """Indicators, scores and the runs, on hand-made data. The company works in
    Asia/Shanghai (UTC+8): a period starts at local midnight, 16:00 UTC the day before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.scheme = cls.env.ref("delivery_crm.delivery_evaluation_scheme_general")
        cls.team = cls.env["delivery.service.team"].create(
            {"name": "Team", "leader_id": cls.user_manager.id}
        )

        def customer(name, start, **vals):
            return cls._new_customer(
                name,
                customer_state="active",
                customer_class="general",
                account_manager_id=cls.user_account_manager.id,
                service_team_id=cls.team.id,
                cooperation_start_date=start,
                **vals,
            )

        cls.cust_a = customer("Eval A", "2024-01-01")
        cls.cust_b = customer("Eval B (no deliveries)", "2025-01-01")
        cls.cust_c = customer("Eval C (joined mid-period)", "2026-08-10")
        cls.cust_d = customer("Eval D (excellent)", "2020-01-01")
        cls.ours = cls.cust_a | cls.cust_b | cls.cust_c | cls.cust_d
        Shipment = cls.env["delivery.shipment"]

        def ship(partner, ref, when, revenue, late=False, outcome=None):
            vals = {
                "name": ref,
                "partner_id": partner.id,
                "date": when,
                "promised_datetime": when.replace(hour=23),
                "revenue": revenue,
            }
            if outcome:
                vals["outcome"] = outcome
            else:
                vals["delivered_datetime"] = when.replace(hour=23, minute=30 if late else 0)
            return Shipment.create(vals)

        a = cls.cust_a
        ship(a, "A-Q2-1", utc(2026, 4, 10, 2), 1000)
        ship(a, "A-Q2-2", utc(2026, 5, 10, 2), 1000)
        ship(a, "A-EDGE-IN", utc(2026, 6, 30, 16, 30), 1000)  # 1 July 00:30 local: Q3
        ship(a, "A-EDGE-PREV", utc(2026, 6, 30, 15, 30), 500)  # 30 June 23:30 local: Q2
        ship(a, "A-AUG", utc(2026, 8, 15, 2), 1000, late=True)
        ship(a, "A-SEP", utc(2026, 9, 30, 15, 59), 500, outcome="damaged")  # 23:59 local
        ship(a, "A-OCT", utc(2026, 9, 30, 16, 0), 9999)  # 1 October 00:00 local: Q4
        ship(a, "A-CANCEL", utc(2026, 8, 20, 2), 300, outcome="cancelled")
        ship(cls.cust_c, "C-AUG", utc(2026, 8, 20, 2), 4000)
        for month in (4, 5, 6):
            ship(cls.cust_d, f"D-Q2-{month}", utc(2026, month, 5, 2), 90000)
        for month in (7, 8, 9):
            ship(cls.cust_d, f"D-Q3-{month}", utc(2026, month, 5, 2), 120000)
        # referrals: converted ones count, a prospect does not
        cls.env["res.partner"].create(
            {"name": "Referred 1", "referred_by_id": a.id, "conversion_date": "2026-05-01"}
        )
        cls.env["res.partner"].create({"name": "Referred 2", "referred_by_id": a.id})
        for i in range(3):
            cls.env["res.partner"].create(
                {
                    "name": f"D ref {i}",
                    "referred_by_id": cls.cust_d.id,
                    "conversion_date": "2025-01-01",
                }
            )

    def _raw(self, partners, start=Q3, period_type="quarterly"):
        return self.env["delivery.evaluation"]._compute_raw(
            partners, period_type, start, "Asia/Shanghai"
        )

    def _evaluation(self, partner, start=Q3, period_type="quarterly"):
        return self.env["delivery.evaluation"].search(
            [
                ("partner_id", "=", partner.id),
                ("period_type", "=", period_type),
                ("period_start", "=", start),
            ]
        )

    def _activities(self, partners, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _run_quarter(self, today="2026-10-02"):
        with freeze_time(today):
            self._run_cron("delivery_crm.ir_cron_evaluation_quarterly")

    # ------------------------------------------------------------------ indicators
    def test_indicators_on_hand_made_data(self):
        raw = self._raw(self.ours)
        a = raw[self.cust_a.id]
        self.assertEqual(a["revenue"], 2500.0)  # 1000 + 1000 + 500, not Q4, not cancelled
        self.assertEqual(a["revenue_previous"], 2500.0)  # Q2 incl. 30 June 23:30 local
        self.assertEqual((a["delivery_count"], a["delivery_count_previous"]), (3, 3))
        self.assertEqual(a["growth"], 0.0)
        self.assertEqual((a["on_time_count"], a["finished_count"]), (1, 3))
        self.assertAlmostEqual(a["on_time_rate"], 100 / 3)
        self.assertEqual((a["active_months"], a["effective_months"]), (3, 3))
        self.assertEqual(a["active_share"], 100.0)
        self.assertEqual(a["cooperation_months"], 33)  # 2024-01-01 .. 2026-09-30
        self.assertEqual(a["retention"], 100.0)
        self.assertEqual(a["referrals"], 1)
        self.assertIsNone(a["satisfaction"])
        self.assertEqual(a["complaint_rate"], 0.0)  # deliveries, and no complaint

        b = raw[self.cust_b.id]  # zero deliveries
        self.assertEqual((b["revenue"], b["delivery_count"]), (0.0, 0))
        self.assertIsNone(b["on_time_rate"])
        self.assertIsNone(b["growth"])
        self.assertIsNone(b["retention"])
        self.assertEqual(b["active_share"], 0.0)

        c = raw[self.cust_c.id]  # cooperation from 10 August: August and September
        self.assertEqual(c["effective_months"], 2)
        self.assertEqual(c["active_share"], 50.0)
        self.assertEqual(c["cooperation_months"], 1)

    def test_shipment_aggregate_is_read_by_column_name(self):
        """The shipment provider reads the aggregate's columns by name: the same query
        with its columns in another order, and one more, gives the same raw values."""
        expected = self._raw(self.ours)
        evaluation_class = type(self.env["delivery.evaluation"])
        aggregate = evaluation_class._shipment_aggregate_query

        def reordered(self, partner_ids, period):
            return SQL(
                """
                SELECT q.cumulative_revenue, q.active_months, q.damaged_count,
                       q.finished_count, q.on_time_count, q.delivery_count_previous,
                       q.delivery_count,
                       q.revenue_previous, q.revenue, 7 AS extra, q.partner_id
                  FROM (%s) q
                """,
                aggregate(self, partner_ids, period),
            )

        with patch.object(evaluation_class, "_shipment_aggregate_query", reordered):
            self.assertEqual(self._raw(self.ours), expected)

    def test_scores_and_weights(self):
        evaluation = self.env["delivery.evaluation"]
        raw = self._raw(self.cust_a)[self.cust_a.id]
        scores, weights, available, total = evaluation._score_raw(self.scheme, raw, "quarterly")
        self.assertEqual(
            available,
            ["volume", "stability", "loyalty", "complaint", "on_time", "damage", "claims"],
        )
        volume = (2500 / 90000 * 100 * 70 + 50 * 30) / 100  # growth 0 % is half-way
        stability = (33 / 36 * 100 + 100) / 2
        loyalty = (100 * 80 + 100 / 3 * 20) / 100
        self.assertAlmostEqual(scores["volume"], volume)
        self.assertAlmostEqual(scores["stability"], stability)
        self.assertAlmostEqual(scores["loyalty"], loyalty)
        self.assertEqual(scores["on_time"], 0.0)  # 33 % is below the 80 % floor
        # 1 damaged of 3 finished: 33 % is above the 3 % floor
        self.assertEqual(scores["damage"], 0.0)
        self.assertEqual(scores["complaint"], 100.0)  # no complaint: at the target
        self.assertIsNone(scores["satisfaction"])
        # the weights of the indicators without data go to the others
        self.assertAlmostEqual(sum(weights.values()), 100.0)
        self.assertAlmostEqual(weights["volume"], 30 / 80 * 100)
        # on-time 15 and damage/loss 5 (20 on-time before), both scoring 0: still 80
        expected = (volume * 30 + stability * 10 + loyalty * 10 + 100.0 * 10) / 80
        self.assertAlmostEqual(total, round(expected, 2))
        # the monthly review looks at satisfaction and complaints only
        self.assertEqual(
            evaluation._score_raw(self.scheme, raw, "monthly")[2:], (["complaint"], 100.0)
        )

    def test_weights_must_sum_to_100(self):
        with self.assertRaises(ValidationError):
            self.scheme.weight_volume = 35.0
        with self.assertRaises(ValidationError):
            self.scheme.write({"weight_volume": 40.0, "weight_on_time": -10.0})
        # general scheme: volume 30 -> 25, on-time 15 -> 20 (damage/loss keeps its 5)
        self.scheme.write({"weight_volume": 25.0, "weight_on_time": 20.0})
        self.assertEqual(self.scheme.weight_total, 100.0)
        with self.assertRaises(ValidationError):
            self.scheme.complaint_rate_target = 20.0  # must stay below the floor
        with self.assertRaises(AccessError):
            self.scheme.with_user(self.user_account_manager).write({"weight_volume": 20.0})

    # ------------------------------------------------------------------ runs
    def test_quarterly_run_end_to_end(self):
        self._grade_tier(self.cust_a, self.tier_silver)
        self._run_quarter()
        run = self.env["delivery.evaluation.run"].search(
            [("period_type", "=", "quarterly"), ("period_start", "=", Q3)]
        )
        self.assertEqual(run.state, "done")
        ev_a = self._evaluation(self.cust_a)
        self.assertEqual(len(ev_a), 1)
        self.assertEqual(ev_a.run_id, run)
        self.assertEqual(ev_a.period_end, date(2026, 9, 30))
        self.assertAlmostEqual(ev_a.revenue, 2500.0)
        self.assertTrue(ev_a.has_volume and ev_a.has_on_time and not ev_a.has_satisfaction)
        self.assertLess(ev_a.total_score, 60)
        self.assertEqual(ev_a.recommended_action, "improve")
        self.assertEqual((ev_a.tier_before_id, ev_a.tier_id), (self.tier_silver, self.tier_new))
        self.assertIn("Business volume", ev_a.explanation)
        # consequences
        self.assertEqual(self.cust_a.tier_id, self.tier_new)
        change = self.env["delivery.tier.change"].search([("evaluation_id", "=", ev_a.id)])
        self.assertEqual(
            (change.partner_id, change.origin, change.direction),
            (self.cust_a, "evaluation", "down"),
        )
        self.assertEqual(
            (change.old_tier_id, change.new_tier_id), (self.tier_silver, self.tier_new)
        )
        self.assertIn("score", change.reason)
        # the run's tier move is in the audit log too (R9), though made in SQL
        audit = self.env["delivery.audit.log"].search(
            [("partner_id", "=", self.cust_a.id), ("field_id.name", "=", "tier_id")],
            order="id desc",
            limit=1,
        )
        self.assertEqual((audit.old_value, audit.new_value), ("Silver", "New"))
        notice = self.env["mail.mail"].search(
            [("model", "=", "delivery.tier.change"), ("res_id", "=", change.id)]
        )
        self.assertEqual(len(notice), 1)
        self.assertIn("New", notice.subject)
        plan = self._activities(self.cust_a, "delivery_crm.mail_activity_type_improvement_plan")
        self.assertEqual(plan.user_id, self.user_account_manager)
        self.assertEqual(self.cust_a.kpi_date, date(2026, 9, 30))
        self.assertAlmostEqual(self.cust_a.kpi_score, ev_a.total_score)
        self.assertAlmostEqual(self.cust_a.kpi_on_time_rate, 100 / 3, places=2)
        self.assertEqual(self.cust_a.kpi_volume, 2500.0)
        # the excellent customer
        ev_d = self._evaluation(self.cust_d)
        self.assertEqual(ev_d.total_score, 100.0)
        self.assertEqual(ev_d.recommended_action, "reward")
        self.assertTrue(self.cust_d.reward_candidate)
        self.assertEqual(self.cust_d.tier_id, self.tier_gold)  # Diamond needs 500k revenue
        # every customer in scope once, nobody out of scope
        self.assertEqual(len(self._evaluation(self.cust_b)), 1)
        prospect = self._new_customer("Prospect")
        self.assertFalse(self._evaluation(prospect))

    def test_followup_activity_as_orm(self):
        """The run writes its follow-up activities in one INSERT: each row is what
        ``mail.activity.create`` writes from the same values (every stored column), its
        assignee follows the customer, and the account manager sees it in the activity
        menu (``web_search_read`` of the web client, as that user)."""
        self.user_account_manager.partner_id.tz = "Asia/Shanghai"
        self._run_quarter()
        plan = self._activities(self.cust_a, "delivery_crm.mail_activity_type_improvement_plan")
        self.assertEqual(len(plan), 1)
        self.assertIn(self.user_account_manager.partner_id, self.cust_a.message_partner_ids)
        orm = (
            self.env["mail.activity"]
            .with_context(mail_activity_quick_update=True)
            .create(
                {
                    "res_model_id": plan.res_model_id.id,
                    "res_id": plan.res_id,
                    "activity_type_id": plan.activity_type_id.id,
                    "user_id": plan.user_id.id,
                    "summary": plan.summary,
                    "date_deadline": plan.date_deadline,
                }
            )
        )
        self.env.flush_all()
        ignored = {"id", "create_date", "write_date"}
        columns = [
            name
            for name, field in self.env["mail.activity"]._fields.items()
            if field.store and field.column_type and name not in ignored
        ]
        self.assertIn("user_tz", columns)
        rows = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, to_jsonb(a) - %s::text[] FROM mail_activity a WHERE id IN %s",
                    sorted(ignored),
                    (plan.id, orm.id),
                )
            )
        )
        self.assertEqual(rows[plan.id], rows[orm.id])
        self.assertEqual(rows[plan.id]["user_tz"], "Asia/Shanghai")
        self.assertEqual(rows[plan.id]["res_name"], self.cust_a.display_name)
        seen = (
            self.env["mail.activity"]
            .with_user(self.user_account_manager)
            .web_search_read([("id", "=", plan.id)], {"summary": {}, "res_name": {}})
        )
        self.assertEqual(
            [(r["summary"], r["res_name"]) for r in seen["records"]],
            [(plan.summary, self.cust_a.display_name)],
        )

    def test_followup_followers_as_orm(self):
        """The run makes each assignee a follower of its customer in one statement: the
        follower has the subtypes ``message_subscribe`` gives the same partner, and a
        partner who already follows a customer keeps the subtypes they chose."""
        manager_partner = self.user_account_manager.partner_id
        note = self.env.ref("mail.mt_note")
        # the account manager follows their customers from the assignment on: not A
        self.cust_a.message_unsubscribe(partner_ids=manager_partner.ids)
        self.assertNotIn(manager_partner, self.cust_a.message_partner_ids)
        others = self.ours - self.cust_a
        others.message_subscribe(partner_ids=manager_partner.ids, subtype_ids=note.ids)
        self._run_quarter()
        plans = self._activities(self.ours, "delivery_crm.mail_activity_type_improvement_plan")
        self.assertIn(self.cust_a.id, plans.mapped("res_id"))
        kept = others.filtered(lambda p: p.id in plans.mapped("res_id"))
        self.assertTrue(kept, "another customer of the account manager gets a plan")

        def subtypes(partner):
            follower = partner.message_follower_ids.filtered(
                lambda f: f.partner_id == manager_partner
            )
            self.assertEqual(len(follower), 1)
            return follower.subtype_ids

        probe = self.env["res.partner"].create({"name": "Probe"})
        probe.message_subscribe(partner_ids=manager_partner.ids)
        self.assertTrue(subtypes(probe))
        self.assertEqual(subtypes(self.cust_a), subtypes(probe))
        for partner in kept:
            self.assertEqual(subtypes(partner), note)

    def test_run_twice_changes_nothing_more(self):
        self._run_quarter()
        evaluations = self.env["delivery.evaluation"].search([("period_start", "=", Q3)])
        snapshot = evaluations.read(["total_score", "computation_count", "write_date"])
        logs = self.env["delivery.tier.change"].search_count([])
        audits = self.env["delivery.audit.log"].search_count([])
        activities = self.env["mail.activity"].search_count([])
        self._run_quarter()
        self._run_quarter("2026-10-03")  # the next day: still Q3, still done
        again = self.env["delivery.evaluation"].search([("period_start", "=", Q3)])
        self.assertEqual(again, evaluations)
        self.assertEqual(again.read(["total_score", "computation_count", "write_date"]), snapshot)
        self.assertEqual(self.env["delivery.tier.change"].search_count([]), logs)
        self.assertEqual(self.env["delivery.audit.log"].search_count([]), audits)
        self.assertEqual(self.env["mail.activity"].search_count([]), activities)

    def test_manual_rerun_updates_in_place(self):
        self._run_quarter()
        before = self._evaluation(self.cust_a)
        activities = self._activities(self.ours, "delivery_crm.mail_activity_type_improvement_plan")
        # a late-arriving delivery, then the manager runs Q3 again from the wizard
        self.env["delivery.shipment"].create(
            {
                "name": "A-LATE-IMPORT",
                "partner_id": self.cust_a.id,
                "date": utc(2026, 9, 1),
                "revenue": 500,
            }
        )
        wizard = (
            self.env["delivery.evaluation.wizard"]
            .with_user(self.user_manager)
            .create({"period_type": "quarterly", "date": date(2026, 8, 15)})
        )
        self.assertEqual(wizard.period_start, Q3)
        self.assertTrue(wizard.existing_run_id)
        wizard.action_run()
        cron = self.env.ref("delivery_crm.ir_cron_evaluation_quarterly")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self._run_quarter()
        after = self._evaluation(self.cust_a)
        self.assertEqual(after, before)
        self.assertEqual(after.computation_count, 2)
        self.assertEqual(after.run_id.pass_no, 2)
        self.assertEqual(after.revenue, 3000.0)
        self.assertEqual(
            self._activities(self.ours, "delivery_crm.mail_activity_type_improvement_plan"),
            activities,
            "the same result does not plan the same improvement twice",
        )
        with self.assertRaises(AccessError):
            self.env["delivery.evaluation.wizard"].with_user(self.user_account_manager).create(
                {"period_type": "quarterly", "date": date(2026, 8, 15)}
            )

    def test_rerun_applies_an_evaluation_left_unapplied(self):
        """An evaluation whose consequences were never applied (unset booleans, NULL in
        the table, as the ORM stores a False boolean: an import, a restore) is applied by
        the next pass: the customer is graded, and the evaluation marked as grading."""
        self._run_quarter()
        evaluation = self._evaluation(self.cust_a)
        self.assertTrue(evaluation.tier_graded)
        self.assertEqual(self.cust_a.tier_id, self.tier_new)
        self.env.execute_query(
            SQL(
                "UPDATE delivery_evaluation SET action_done = NULL, tier_graded = NULL"
                " WHERE id = %s",
                evaluation.id,
            )
        )
        self.env["delivery.tier.change"]._move_tiers(
            [(self.cust_a.id, self.tier_silver.id)], "manual", graded=True
        )
        self.env.invalidate_all()
        self.assertEqual(self.cust_a.tier_id, self.tier_silver)
        self.env["delivery.evaluation.wizard"].with_user(self.user_manager).create(
            {"period_type": "quarterly", "date": date(2026, 8, 15)}
        ).action_run()
        self._run_quarter()
        self.env.invalidate_all()
        self.assertEqual(self.cust_a.tier_id, self.tier_new)
        self.assertTrue(evaluation.action_done)
        self.assertTrue(evaluation.tier_graded)

    def test_override_survives_evaluation(self):
        self._override_tier(
            self.user_manager, self.cust_b, self.tier_diamond, "Strategic", date(2027, 6, 30)
        )
        self._run_quarter()
        self.assertEqual(self.cust_b.tier_id, self.tier_diamond)
        self.assertEqual(self.cust_b.evaluated_tier_id, self.tier_new)
        self.assertEqual(self._evaluation(self.cust_b).tier_id, self.tier_new)

    def test_termination_review_after_improvement_plan(self):
        self._run_quarter("2026-07-02")  # Q2
        self.assertEqual(self._evaluation(self.cust_a, Q2).recommended_action, "improve")
        self._run_quarter()  # Q3: still poor
        self.assertEqual(self._evaluation(self.cust_a).recommended_action, "termination_review")
        review = self._activities(self.cust_a, "delivery_crm.mail_activity_type_termination_review")
        self.assertEqual(review.user_id, self.user_manager)  # the team leader

    def test_each_company_evaluates_its_customers(self):
        other = self.env["res.company"].create({"name": "Delivery South"})
        self.user_account_manager.company_ids |= other
        local = self._new_customer(
            "South Co",
            customer_state="active",
            customer_class="general",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date="2025-01-01",
            company_id=other.id,
        )
        self._run_quarter()
        runs = self.env["delivery.evaluation.run"].search(
            [("period_type", "=", "quarterly"), ("period_start", "=", Q3)]
        )
        self.assertEqual(set(runs.mapped("state")), {"done"})
        self.assertIn(other, runs.company_id)
        ev_local = self._evaluation(local)
        self.assertEqual((ev_local.company_id, ev_local.run_id.company_id), (other, other))
        # a customer shared by all companies is evaluated once, by the first company
        shared = self._evaluation(self.cust_a)
        self.assertEqual(len(shared), 1)
        self.assertEqual(
            shared.run_id.company_id, self.env["res.company"].search([], limit=1, order="id")
        )

    def test_customers_without_scheme_are_left_out(self):
        self.scheme.action_archive()  # no general scheme: general customers are not evaluated
        self._run_quarter()
        run = self.env["delivery.evaluation.run"].search(
            [("period_type", "=", "quarterly"), ("period_start", "=", Q3)]
        )
        self.assertEqual(run.state, "done")
        self.assertFalse(self._evaluation(self.cust_a))
        key = self._new_customer(
            "Key Co",
            customer_state="active",
            customer_class="key",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date="2025-01-01",
        )
        self.env["delivery.evaluation.wizard"].create(
            {"period_type": "quarterly", "date": Q3}
        ).action_run()
        self._run_quarter()
        self.assertEqual(len(self._evaluation(key)), 1)

    def test_monthly_run_key_customers_only(self):
        self.cust_a.customer_class = "key"
        # one complaint against one August delivery: a 100 % complaint rate
        self.env["delivery.complaint"].create(
            {
                "subject": "Late in August",
                "partner_id": self.cust_a.id,
                "type_id": self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
                "received_date": utc(2026, 8, 16, 2),
            }
        )
        with freeze_time("2026-09-03"):
            self._run_cron("delivery_crm.ir_cron_evaluation_monthly")
        august = date(2026, 8, 1)
        ev_a = self._evaluation(self.cust_a, august, "monthly")
        self.assertEqual(len(ev_a), 1)
        self.assertFalse(self._evaluation(self.cust_b, august, "monthly"))  # general
        # satisfaction (no rating yet: no data) and complaints only
        self.assertEqual((ev_a.complaint_count, ev_a.complaint_rate), (1, 100.0))
        self.assertFalse(ev_a.has_satisfaction)
        self.assertEqual((ev_a.has_score, ev_a.total_score), (True, 0.0))
        self.assertEqual(ev_a.recommended_action, "improve")
        self.assertFalse(ev_a.tier_id)

    def test_monthly_explanation_lists_its_indicators_only(self):
        """The monthly review looks at satisfaction and complaints: its explanation and
        PDF list those two, and do not say that the others' weights went elsewhere."""
        self.cust_a.customer_class = "key"
        with freeze_time("2026-09-03"):
            self._run_cron("delivery_crm.ir_cron_evaluation_monthly")
        with freeze_time("2026-10-02"):
            self._run_cron("delivery_crm.ir_cron_evaluation_quarterly")
        august = self._evaluation(self.cust_a, date(2026, 8, 1), "monthly")
        quarter = self._evaluation(self.cust_a)
        manager = self.user_account_manager
        monthly = august.with_user(manager).explanation
        self.assertIn("Satisfaction", monthly)  # no data: said so
        self.assertIn("Complaint rate", monthly)
        for label in ("Business volume", "Cooperation stability", "Loyalty", "On-time rate"):
            self.assertNotIn(label, monthly)
            self.assertIn(label, quarter.with_user(manager).explanation)
        html = (
            self.env["ir.actions.report"]
            .with_user(manager)
            ._render_qweb_html("delivery_crm.action_report_delivery_evaluation", august.ids)[0]
            .decode()
        )
        self.assertIn("Complaint rate", html)
        self.assertNotIn("Business volume", html)
        self.assertEqual(html.count("No data: its weight goes to the other indicators"), 1)

    def test_extension_points_feed_the_indicators(self):
        evaluation_class = type(self.env["delivery.evaluation"])
        a = self.cust_a.id
        with (
            patch.object(
                evaluation_class, "_get_satisfaction_data", lambda self, ids, s, e: {a: (95.0, 4)}
            ),
            patch.object(evaluation_class, "_get_complaint_counts", lambda self, ids, s, e: {a: 1}),
        ):
            raw = self._raw(self.cust_a | self.cust_b)
        self.assertEqual((raw[a]["satisfaction"], raw[a]["satisfaction_count"]), (95.0, 4))
        self.assertAlmostEqual(raw[a]["complaint_rate"], 100 / 3)
        self.assertIsNone(raw[self.cust_b.id]["complaint_rate"])  # no deliveries: no rate

    def test_resume_after_interrupted_run(self):
        self.env["ir.config_parameter"].set_param("delivery_crm.evaluation_batch_size", 2)
        self.env.flush_all()
        run_class = type(self.env["delivery.evaluation.run"])
        original = run_class._evaluate_batch
        calls = []

        def killed_on_second_batch(run, partners):
            calls.append(partners.ids)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(run, partners)

        # (not assertRaises: Odoo's rolls the database back to before the block)
        killed = False
        try:
            with (
                freeze_time("2026-10-02"),
                patch.object(run_class, "_evaluate_batch", killed_on_second_batch),
                self.enter_registry_test_mode(),
                self.registry.cursor() as cr,
            ):
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                env["delivery.evaluation.run"]._cron_evaluate("quarterly")
        except RuntimeError:
            killed = True
        self.assertTrue(killed)
        self.env.invalidate_all()
        run = self.env["delivery.evaluation.run"].search([("period_start", "=", Q3)])
        self.assertEqual(run.state, "running")
        self.assertEqual(len(run.evaluation_ids), 2, "the first batch was committed")
        self._run_quarter()
        self.assertEqual(run.state, "done")
        evaluations = run.evaluation_ids
        self.assertEqual(len(evaluations), len(set(evaluations.partner_id.ids)))
        self.assertIn(self.cust_a, evaluations.partner_id)
        self.assertEqual(set(evaluations.mapped("computation_count")), {1})

    def test_batch_query_count_is_constant(self):
        """The queries of one batch do not grow with its number of customers."""
        run = self.env["delivery.evaluation.run"]._get_run("quarterly", Q3)
        customers = [
            self._new_customer(
                f"Bulk {i}",
                customer_state="active",
                customer_class="general",
                account_manager_id=self.user_account_manager.id,
                cooperation_start_date="2025-01-01",
            ).id
            for i in range(18)
        ]
        partners = self.env["res.partner"].browse
        for warmup_batch in (customers[:3], customers[3:6]):  # warm the caches
            run._evaluate_batch(partners(warmup_batch))
            self.env.flush_all()
        for batch in (customers[6:9], customers[9:18]):
            self.env.invalidate_all()
            with self.assertQueryCount(34):  # + the claims aggregate (issue 15)
                run._evaluate_batch(partners(batch))
                self.env.flush_all()  # the batch's own pending writes count too


@tagged("post_install", "-at_install")
class TestTierGradingPeriod(DeliveryCrmCommon):
    """Tiers are graded by the ladder's grading period (quarterly, 004 门店§五.3): the
    annual and monthly reviews and a re-run of an older period report, they never move
    a tier nor tell the customer. A customer with 60,000 revenue every quarter of 2026."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.steady = cls._new_customer(
            "Steady Co",
            customer_state="active",
            customer_class="general",
            account_manager_id=cls.user_account_manager.id,
            cooperation_start_date="2025-01-01",
            phone="+86 139 0000 0002",
        )
        for month in range(1, 13):
            for day in (5, 20):
                cls._ship(cls.steady, f"ST-{month}-{day}", datetime(2026, month, day, 4), 10000)

    @classmethod
    def _ship(cls, partner, ref, when, revenue, **vals):
        return cls.env["delivery.shipment"].create(
            {
                "name": ref,
                "partner_id": partner.id,
                "date": when,
                "promised_datetime": when.replace(hour=20),
                "delivered_datetime": when.replace(hour=18),
                "revenue": revenue,
                **vals,
            }
        )

    def _grade(self, period_type, today):
        with freeze_time(today):
            self._run_cron(f"delivery_crm.ir_cron_evaluation_{period_type}")

    def _evaluation(self, partner, period_type, start):
        return self.env["delivery.evaluation"].search(
            [
                ("partner_id", "=", partner.id),
                ("period_type", "=", period_type),
                ("period_start", "=", start),
            ]
        )

    def _notices(self, partner):
        """(tier-change mails, tier-change SMS) of ``partner`` so far."""
        changes = partner.tier_change_ids
        mails = self.env["mail.mail"].search(
            [("model", "=", "delivery.tier.change"), ("res_id", "in", changes.ids)]
        )
        sms = self.env["sms.sms"].search([("partner_id", "=", partner.id)])
        return len(mails), len(sms)

    def _rerun(self, period_type, day, today):
        """A manager re-runs the period holding ``day`` from the wizard; the cron does
        the work, as the scheduler would on the trigger."""
        wizard = (
            self.env["delivery.evaluation.wizard"]
            .with_user(self.user_manager)
            .create({"period_type": period_type, "date": day})
        )
        wizard.action_run()
        self._grade(period_type, today)

    def test_annual_review_reports_without_moving_the_tier(self):
        self._grade("quarterly", "2027-01-02")  # Q4 2026
        q4 = self._evaluation(self.steady, "quarterly", date(2026, 10, 1))
        self.assertEqual(q4.revenue, 60000.0)
        self.assertEqual(q4.tier_id, self.tier_silver)
        self.assertEqual(self.steady.tier_id, self.tier_silver)
        self.assertEqual(self._notices(self.steady), (1, 1))  # New -> Silver, mail and SMS
        changes = self.steady.tier_change_ids

        self._grade("annual", "2027-01-02")  # the 2026 annual review
        annual = self._evaluation(self.steady, "annual", date(2026, 1, 1))
        self.assertEqual(annual.revenue, 240000.0)
        self.assertTrue(annual.has_score)
        self.assertFalse(annual.tier_id, "the annual review gives no tier")
        self.assertEqual(self.steady.tier_id, self.tier_silver)
        self.assertEqual(self.steady.evaluated_tier_id, self.tier_silver)
        self.assertEqual(self.steady.tier_change_ids, changes)
        self.assertEqual(self._notices(self.steady), (1, 1), "nobody is told anything")

        self._grade("quarterly", "2027-04-02")  # Q1 2027: no business, graded again
        self.assertEqual(self._evaluation(self.steady, "quarterly", date(2027, 1, 1)).revenue, 0)
        self.assertNotEqual(self.steady.tier_id, self.tier_silver)
        self.assertEqual(len(self.steady.tier_change_ids), len(changes) + 1)

    def test_monthly_review_never_moves_the_tier(self):
        self.steady.customer_class = "key"  # the monthly review is for key customers
        self._grade("quarterly", "2027-01-02")
        self.assertEqual(self.steady.tier_id, self.tier_silver)
        changes = self.steady.tier_change_ids
        # December alone: no complaint, full marks on what the monthly review looks at
        self._grade("monthly", "2027-01-02")
        december = self._evaluation(self.steady, "monthly", date(2026, 12, 1))
        self.assertEqual((december.has_score, december.total_score), (True, 100.0))
        self.assertFalse(december.tier_id)
        self.assertEqual(self.steady.tier_id, self.tier_silver)
        self.assertEqual(self.steady.tier_change_ids, changes)

    def test_rerun_of_an_older_quarter_never_moves_the_tier(self):
        self._grade("quarterly", "2026-10-02")  # Q3
        self._grade("quarterly", "2027-01-02")  # Q4
        self.assertEqual(self.steady.tier_id, self.tier_silver)
        changes = self.steady.tier_change_ids
        notices = self._notices(self.steady)
        # a big Q3 job imported late; the manager re-runs Q3 from the wizard
        self._ship(self.steady, "ST-LATE-Q3", datetime(2026, 8, 25, 4), 600000)
        self._rerun("quarterly", date(2026, 8, 15), "2027-01-03")
        self.assertEqual(self.steady.tier_id, self.tier_silver, "Q4 graded the customer")
        self.assertEqual(self.steady.evaluated_tier_id, self.tier_silver)
        self.assertEqual(self.steady.tier_change_ids, changes)
        self.assertEqual(self._notices(self.steady), notices)
        q3 = self._evaluation(self.steady, "quarterly", date(2026, 7, 1))
        self.assertEqual((q3.revenue, q3.computation_count), (660000.0, 2))
        self.assertEqual(q3.tier_id, self.tier_gold, "the re-run reports its result")

        # the latest graded period re-run with new data still grades
        self._ship(self.steady, "ST-LATE-Q4", datetime(2026, 11, 25, 4), 600000)
        self._rerun("quarterly", date(2026, 11, 15), "2027-01-03")
        self.assertEqual(self.steady.tier_id, self.tier_gold)
        change = self._last_change(self.steady)
        self.assertEqual(
            (change.old_tier_id, change.new_tier_id, change.direction),
            (self.tier_silver, self.tier_gold, "up"),
        )
        self.assertEqual(self._notices(self.steady), (notices[0] + 1, notices[1] + 1))

    def test_tier_notice_by_sms_without_email(self):
        self.steady.email = False
        self._grade("quarterly", "2027-01-02")
        self.assertEqual(self.steady.tier_id, self.tier_silver)
        change = self._last_change(self.steady)
        self.assertEqual(change.new_tier_id, self.tier_silver)
        sms = self.env["sms.sms"].search([("partner_id", "=", self.steady.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn("Silver", sms.body)
        self.assertEqual((sms.number, sms.state), ("+8613900000002", "outgoing"))  # E.164
        self.assertEqual(self._notices(self.steady), (0, 1))

    def test_ladder_grading_period_chooses_the_runs(self):
        """A ladder graded annually: the quarterly run reports, the annual one grades."""
        self.ladder.with_user(self.user_manager).grading_period_type = "annual"
        self._grade("quarterly", "2027-01-02")
        q4 = self._evaluation(self.steady, "quarterly", date(2026, 10, 1))
        self.assertTrue(q4.has_score)
        self.assertFalse(q4.tier_id)
        self.assertEqual(self.steady.tier_id, self.tier_new)
        self.assertEqual(self._notices(self.steady), (0, 0))
        self._grade("annual", "2027-01-02")
        annual = self._evaluation(self.steady, "annual", date(2026, 1, 1))
        # 240,000 this year: enough for Gold's yearly revenue, not for its 600,000
        # cumulative (the customer's whole history with us)
        self.assertEqual(annual.cumulative_revenue, 240000.0)
        self.assertEqual((annual.tier_id, annual.tier_graded), (self.tier_silver, True))
        self.assertEqual(self.steady.tier_id, self.tier_silver)
        self.assertEqual(self._notices(self.steady), (1, 1))

    def test_entry_rules_on_history_cooperation_and_credit(self):
        """Cumulative revenue since the cooperation began (累计消费), cooperation length
        (长期忠诚) and credit level (客户管理制度和分级), each asked by one tier."""
        ladder = self.env["delivery.tier.ladder"].create({"name": "Loyalty"})
        Tier = self.env["delivery.tier"]
        base, loyal, veteran, trusted = Tier.create(
            [
                {"name": "Base", "ladder_id": ladder.id, "level": 1},
                {
                    "name": "Loyal",
                    "ladder_id": ladder.id,
                    "level": 2,
                    "min_cumulative_revenue": 200000,
                },
                {
                    "name": "Veteran",
                    "ladder_id": ladder.id,
                    "level": 3,
                    "min_cumulative_revenue": 200000,
                    "min_cooperation_months": 24,
                },
                {
                    "name": "Trusted",
                    "ladder_id": ladder.id,
                    "level": 4,
                    "min_cumulative_revenue": 200000,
                    "min_cooperation_months": 24,
                    "min_credit_level": "b",
                },
            ]
        )

        def customer(name, since, credit=None):
            partner = self._new_customer(
                name,
                customer_state="active",
                customer_class="general",
                account_manager_id=self.user_account_manager.id,
                cooperation_start_date=since,
                tier_ladder_id=ladder.id,
            )
            if credit:
                partner.with_user(self.user_manager).credit_level = credit
            return partner

        fresh = customer("Fresh", "2026-01-01")
        loyal_co = customer("Loyal Co", "2026-01-01")
        veteran_co = customer("Veteran Co", "2024-01-01", credit="c")
        trusted_co = customer("Trusted Co", "2024-01-01", credit="a")
        for partner in (fresh, loyal_co, veteran_co, trusted_co):
            self.assertEqual(partner.tier_id, base)
            self._ship(partner, f"{partner.name}-Q4", datetime(2026, 11, 5, 4), 10000)
            self._ship(partner, f"{partner.name}-MAR", datetime(2026, 3, 5, 4), 140000)
            # none of these count: cancelled, after the period, before the cooperation
            self._ship(
                partner, f"{partner.name}-X", datetime(2026, 6, 5, 4), 500000, outcome="cancelled"
            )
            self._ship(partner, f"{partner.name}-2027", datetime(2027, 1, 1, 4), 500000)
        self._ship(fresh, "Fresh-OLD", datetime(2025, 6, 5, 4), 100000)
        for partner in (loyal_co, veteran_co, trusted_co):
            self._ship(partner, f"{partner.name}-APR", datetime(2026, 4, 5, 4), 100000)

        self._grade("quarterly", "2027-01-02")
        expected = {fresh: (150000, base), loyal_co: (250000, loyal)}
        expected |= {veteran_co: (250000, veteran), trusted_co: (250000, trusted)}
        for partner, (cumulative, tier) in expected.items():
            with self.subTest(customer=partner.name):
                evaluation = self._evaluation(partner, "quarterly", date(2026, 10, 1))
                self.assertEqual(evaluation.cumulative_revenue, cumulative)
                self.assertEqual(evaluation.tier_id, tier)
                self.assertEqual(partner.tier_id, tier)

    def test_wizard_says_what_the_run_does_to_tiers(self):
        Wizard = self.env["delivery.evaluation.wizard"].with_user(self.user_manager)
        with freeze_time("2027-01-02"):
            latest = Wizard.create({"period_type": "quarterly", "date": date(2026, 11, 15)})
            self.assertFalse(latest.grading_note)
            older = Wizard.create({"period_type": "quarterly", "date": date(2026, 8, 15)})
            self.assertIn("older period", older.grading_note)
            annual = Wizard.create({"period_type": "annual", "date": date(2026, 6, 1)})
            self.assertIn("moves no tier", annual.grading_note)
