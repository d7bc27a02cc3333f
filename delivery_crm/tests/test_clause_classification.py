"""Policy clauses on classifying customers, checked on their outcome (docs/traceability.md
rows 1, 6, 52 and 53): where a customer was found (000 §二(三)), key customers by
industry and strategic value (001 §二.2), and a different treatment per classification
(000 §三(一).2)."""

from datetime import datetime

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import DeliveryCrmCommon

CUSTOMERS_ACTION = "delivery_crm.res_partner_action_delivery_customer"


@tagged("post_install", "-at_install")
class TestClauseClassification(DeliveryCrmCommon):
    def _customer_list_groups(self, user, filter_names, group_filter, customers):
        """What the *Customers* list shows ``user`` with the shipped search filters
        ``filter_names`` on and grouped by the shipped filter ``group_filter``: the
        web client loads the action and its search view, then asks for the groups
        (limited to ``customers``, so that the demo data does not count)."""
        action = self.env["ir.actions.act_window"].with_user(user)._for_xml_id(CUSTOMERS_ACTION)
        Partner = self.env["res.partner"].with_user(user)
        views = Partner.get_views([(action["search_view_id"][0], "search")])
        arch = etree.fromstring(views["views"]["search"]["arch"])

        def node(name):
            found = arch.xpath(f"//filter[@name='{name}']")
            self.assertEqual(len(found), 1, f"search filter {name}")
            return found[0]

        domain = safe_eval(action["domain"]) + [("id", "in", customers.ids)]
        for name in filter_names:
            domain += safe_eval(node(name).get("domain"))
        groupby = safe_eval(node(group_filter).get("context"))["group_by"]
        result = Partner.web_read_group(domain, [groupby], ["__count"])
        counts = {}
        for group in result["groups"]:
            value = group[groupby]
            counts[value[0] if isinstance(value, tuple) else value] = group["__count"]
        return counts

    # ------------------------------------------------------------------ row 1
    def test_customers_found_by_channel_and_converted(self):
        """000 §二(三): the development channels of the policy are what the developer
        records, and the customer list counts each channel's customers, split into
        prospects and converted customers."""
        # the seed's channels, shipped as Odoo marketing sources: website, social media,
        # forums, fairs, associations, visits and cold visits
        src = {
            key: self.env.ref(f"delivery_crm.utm_source_{key}")
            for key in (
                "website",
                "social_media",
                "forum",
                "exhibition",
                "association",
                "visit",
                "cold_visit",
            )
        }
        mk = self._new_customer  # created by the account manager, who develops them
        fair_a = mk("Fair lead A 展会甲", acquisition_channel_id=src["exhibition"].id)
        fair_b = mk("Fair lead B 展会乙", acquisition_channel_id=src["exhibition"].id)
        web = mk("Web lead 网站", acquisition_channel_id=src["website"].id)
        cold = mk("Cold visit 陌拜", acquisition_channel_id=src["cold_visit"].id)
        ours = fair_a | fair_b | web | cold
        self.assertEqual(ours.developer_id, self.user_account_manager)
        fair_a.write({"account_manager_id": self.user_account_manager.id})
        fair_a.with_user(self.user_account_manager).action_activate()

        counts = self._customer_list_groups(self.user_account_manager, [], "group_channel", ours)
        self.assertEqual(
            counts,
            {src["exhibition"].id: 2, src["website"].id: 1, src["cold_visit"].id: 1},
        )
        # the pivot of channel and status: which channel's prospects were converted
        by_state = (
            self.env["res.partner"]
            .with_user(self.user_account_manager)
            .formatted_read_group(
                [("id", "in", ours.ids)], ["acquisition_channel_id", "customer_state"], ["__count"]
            )
        )
        self.assertEqual(
            {(g["acquisition_channel_id"][0], g["customer_state"]): g["__count"] for g in by_state},
            {
                (src["exhibition"].id, "active"): 1,
                (src["exhibition"].id, "potential"): 1,
                (src["website"].id, "potential"): 1,
                (src["cold_visit"].id, "potential"): 1,
            },
        )

    # ------------------------------------------------------------------ rows 52, 53
    def test_key_customers_by_industry_and_strategic_value(self):
        """001 §二.2: key customers are classified by industry (manufacturing, services,
        finance) and by strategic value (core, important, general); the strategic value
        is the account manager's decision, tracked, and the list groups by both."""
        ind = self.env.ref
        manufacturing = ind("base.res_partner_industry_C")
        services = ind("base.res_partner_industry_S")
        finance = ind("base.res_partner_industry_K")
        mk = self._new_customer
        factory = mk("Factory 工厂", customer_class="key", industry_id=manufacturing.id)
        plant = mk("Plant 车间", customer_class="key", industry_id=manufacturing.id)
        bank = mk("Bank 银行", customer_class="key", industry_id=finance.id)
        salon = mk("Salon 美发", customer_class="key", industry_id=services.id)
        small = mk("Small shop 小店", customer_class="general", industry_id=services.id)
        ours = factory | plant | bank | salon | small
        ours.write({"account_manager_id": self.user_account_manager.id})
        for partner, value in ((factory, "core"), (plant, "important"), (bank, "core")):
            partner.with_user(self.user_account_manager).write({"strategic_value": value})
        salon.with_user(self.user_account_manager).write({"strategic_value": "general"})

        by_industry = self._customer_list_groups(
            self.user_account_manager, ["key"], "group_industry", ours
        )
        self.assertEqual(by_industry, {manufacturing.id: 2, finance.id: 1, services.id: 1})
        by_value = self._customer_list_groups(
            self.user_account_manager, ["key"], "group_strategic", ours
        )
        self.assertEqual(by_value, {"core": 2, "important": 1, "general": 1})

        # the value is decided by account managers, and each change is in the chatter
        self.cr.flush()  # a record is not tracked in the transaction that creates it
        factory.with_user(self.user_account_manager).write({"strategic_value": "important"})
        self.env.flush_all()
        self.cr.flush()  # tracking values are written when the cursor flushes
        tracked = factory.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "strategic_value"
        )
        self.assertIn(
            ("Core", "Important"), [(t.old_value_char, t.new_value_char) for t in tracked]
        )
        team = self.env["delivery.service.team"].create(
            {"name": "Desk", "leader_id": self.user_manager.id, "member_ids": self.user_staff.ids}
        )
        bank.with_user(self.user_account_manager).write({"service_team_id": team.id})
        with self.assertRaises(AccessError):
            bank.with_user(self.user_staff).write({"strategic_value": "general"})
        self.assertEqual(bank.strategic_value, "core")

    # ------------------------------------------------------------------ row 6
    def test_each_classification_evaluated_by_its_own_scheme(self):
        """000 §三(一).2: key and general customers with the same business are
        evaluated differently, each by its classification's shipped scheme, in the
        quarterly run; the account manager reads both results."""
        key = self._new_customer(
            "Key twin 重点",
            customer_class="key",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date="2024-01-01",
        )
        general = self._new_customer(
            "General twin 一般",
            customer_class="general",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date="2024-01-01",
        )
        for partner in key | general:
            for month in (7, 8, 9):
                when = datetime(2026, month, 10, 2, 0)
                self.env["delivery.shipment"].create(
                    {
                        "name": f"TWIN-{partner.id}-{month}",
                        "partner_id": partner.id,
                        "date": when,
                        "promised_datetime": when.replace(hour=20),
                        "delivered_datetime": when.replace(hour=18),
                        "revenue": 30000.0,
                    }
                )
        with freeze_time("2026-10-02"):
            self._run_cron("delivery_crm.ir_cron_evaluation_quarterly")
        Evaluation = self.env["delivery.evaluation"].with_user(self.user_account_manager)
        found = Evaluation.search(
            [
                ("partner_id", "in", (key | general).ids),
                ("period_type", "=", "quarterly"),
                ("period_start", "=", "2026-07-01"),
            ]
        )
        by_partner = {evaluation.partner_id: evaluation for evaluation in found}
        self.assertEqual(set(by_partner), {key, general})
        ev_key, ev_general = by_partner[key], by_partner[general]
        scheme_key = self.env.ref("delivery_crm.delivery_evaluation_scheme_key")
        scheme_general = self.env.ref("delivery_crm.delivery_evaluation_scheme_general")
        self.assertEqual(ev_key.scheme_id, scheme_key)
        self.assertEqual(ev_general.scheme_id, scheme_general)
        self.assertEqual(ev_key.revenue, ev_general.revenue)
        # each evaluation weighs the indicators as its scheme does
        for evaluation, scheme in ((ev_key, scheme_key), (ev_general, scheme_general)):
            self.assertAlmostEqual(
                evaluation.weight_volume / evaluation.weight_on_time,
                scheme.weight_volume / scheme.weight_on_time,
                places=2,
            )
        # the same revenue is measured against each classification's own target
        self.assertGreater(scheme_key.revenue_target, scheme_general.revenue_target)
        self.assertGreater(ev_general.score_volume, ev_key.score_volume)
