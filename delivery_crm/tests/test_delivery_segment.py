"""Behaviour segments (issue 16 item 8; 004 客户管理制度 二.2: 忠诚 / 满意 / 一般 / 流失):
the daily cron puts each customer in cooperation in its segment by the company's rules,
starts the win-back of a customer that became lost (once per entry), and the dashboard
shows the new-vs-returning customer mix."""

from datetime import datetime

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import DeliveryCrmCommon, new_user

CRON = "delivery_crm.ir_cron_behaviour_segments"
WIN_BACK = "delivery_crm.mail_activity_type_win_back"


@tagged("post_install", "-at_install")
class TestDeliverySegment(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "delivery_segment_lost_days": 90,
                "delivery_segment_loyal_months": 12,
                "delivery_segment_loyal_retention": 80.0,
                "delivery_segment_satisfaction": 85.0,
                "delivery_segment_win_back_days": 3,
            }
        )

    def _customer(self, name, start="2024-01-01", satisfaction=None):
        customer = self._new_customer(
            name,
            customer_state="active",
            customer_class="general",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date=start,
        )
        if satisfaction is not None:
            # the latest evaluation's satisfaction, as the evaluation writes it
            customer.write({"kpi_satisfaction": satisfaction})
        return customer

    def _deliver(self, customer, *days):
        for day in days:
            self.env["delivery.shipment"].create(
                {
                    "name": f"SEG-{customer.id}-{day}",
                    "partner_id": customer.id,
                    "date": datetime.fromisoformat(day).replace(hour=2),
                    "revenue": 100.0,
                }
            )

    def _win_backs(self, customer):
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("activity_type_id", "=", self.env.ref(WIN_BACK).id),
            ]
        )
        visits = self.env["delivery.visit"].search(
            [("partner_id", "=", customer.id), ("origin", "=", "win_back")]
        )
        return activities, visits

    def _list_filter(self, user, name):
        """The domain of the customer list's filter ``name``, as ``user`` gets it."""
        view = (
            self.env["res.partner"]
            .with_user(user)
            .get_view(self.env.ref("delivery_crm.res_partner_view_search").id, "search")
        )
        node = etree.fromstring(view["arch"]).find(f".//filter[@name='{name}']")
        self.assertIsNotNone(node, name)
        return safe_eval(node.get("domain") or "[]") or safe_eval(node.get("context"))

    def test_segments_by_the_rules_and_win_back_once_per_loss(self):
        months = [f"2025-{m:02d}-10" for m in range(7, 13)] + [
            f"2026-{m:02d}-10" for m in range(1, 6)
        ]
        loyal = self._customer("Loyal 忠诚", satisfaction=95.0)
        self._deliver(loyal, *months)  # 11 of the last 12 months
        irregular = self._customer("Irregular 不稳定", satisfaction=95.0)
        self._deliver(irregular, "2026-05-10", "2026-04-10")  # 2 of 12 months: satisfied
        young = self._customer("Young 新", start="2026-01-01", satisfaction=90.0)
        self._deliver(young, "2026-05-20")
        ordinary = self._customer("Ordinary 一般", satisfaction=50.0)
        self._deliver(ordinary, "2026-05-20")
        unmeasured = self._customer("Unmeasured 未测")
        self._deliver(unmeasured, "2026-05-21")  # none at all for 90 days would be lost
        lost = self._customer("Lost 流失", satisfaction=95.0)
        self._deliver(lost, "2025-12-01", "2026-02-01")
        prospect = self._new_customer("Prospect 潜在")
        with freeze_time("2026-06-01 03:00:00"):
            self._run_cron(CRON)
        segments = {
            partner: partner.behaviour_segment
            for partner in loyal | irregular | young | ordinary | unmeasured | lost | prospect
        }
        self.assertEqual(
            segments,
            {
                loyal: "loyal",
                irregular: "satisfied",
                young: "satisfied",
                ordinary: "ordinary",
                unmeasured: "ordinary",
                lost: "lost",
                prospect: False,
            },
        )
        # the account manager filters and groups the customer list by segment
        Partner = self.env["res.partner"].with_user(self.user_account_manager)
        ours = [("id", "in", [p.id for p in segments])]
        self.assertEqual(
            Partner.search(self._list_filter(self.user_account_manager, "segment_lost") + ours),
            lost,
        )
        group_by = self._list_filter(self.user_account_manager, "group_behaviour_segment")
        counts = {
            segment: count
            for segment, count in Partner._read_group(ours, [group_by["group_by"]], ["__count"])
        }
        self.assertEqual(counts, {"loyal": 1, "satisfied": 2, "ordinary": 2, "lost": 1, False: 1})
        # the win-back: an activity and a proposed visit for the account manager, once
        activities, visits = self._win_backs(lost)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.user_account_manager)
        self.assertEqual(len(visits), 1)
        self.assertEqual((visits.state, visits.user_id), ("planned", self.user_account_manager))
        self.assertFalse(self._win_backs(ordinary)[0])
        with freeze_time("2026-06-02 03:00:00"):
            self._run_cron(CRON)
        self.assertEqual([len(r) for r in self._win_backs(lost)], [1, 1], "once per loss")
        # deliveries resume: no longer lost; lost again later: a new win-back
        self._deliver(lost, "2026-06-05")
        with freeze_time("2026-06-06 03:00:00"):
            self._run_cron(CRON)
        self.assertEqual(lost.behaviour_segment, "satisfied")
        with freeze_time("2026-09-10 03:00:00"):
            self._run_cron(CRON)
        self.assertEqual(lost.behaviour_segment, "lost")
        self.assertEqual([len(r) for r in self._win_backs(lost)], [2, 2])
        # a terminated customer leaves the segments
        lost.write({"customer_state": "terminated", "state_reason": "Gone"})
        with freeze_time("2026-09-11 03:00:00"):
            self._run_cron(CRON)
        self.assertFalse(lost.behaviour_segment)

    def test_never_delivered_customer_becomes_lost(self):
        """task fix16: a customer in cooperation for 200 days without one delivery is
        lost (the cooperation's start is the reference), and gets a win-back."""
        silent = self._customer("Silent 沉默", start="2025-11-13")
        recent = self._customer("Recent 新签", start="2026-05-01")
        with freeze_time("2026-06-01 03:00:00"):
            self._run_cron(CRON)
        self.assertEqual(silent.behaviour_segment, "lost")
        self.assertEqual(recent.behaviour_segment, "ordinary")
        activities, visits = self._win_backs(silent)
        self.assertEqual((len(activities), len(visits)), (1, 1))
        self.assertEqual(activities.user_id, self.user_account_manager)

    def test_win_back_without_account_manager(self):
        """task fix16: a lost customer without an account manager still gets its
        win-back: the developer's, else the service-centre head's, else the managers'."""
        developer = new_user(self.env, "staff", "dcrm_seg_developer", "Developer")
        head = new_user(self.env, "manager", "dcrm_seg_head", "Service Centre Head")
        customers = {}
        for name, developer_id in (
            ("Dev 开发", developer.id),
            ("Head 主管", False),
            ("Managers", False),
        ):
            customer = self._customer(name, start="2025-01-01")
            customer.write({"account_manager_id": False, "developer_id": developer_id})
            self._deliver(customer, "2025-06-01")
            customers[name] = customer
        self.company.delivery_complaint_manager_id = head
        with freeze_time("2026-06-01 03:00:00"):
            self.env["res.partner"].browse(
                [customers["Dev 开发"].id, customers["Head 主管"].id]
            )._refresh_behaviour_segments()
            self.company.delivery_complaint_manager_id = False
            customers["Managers"]._refresh_behaviour_segments()
        expected = {"Dev 开发": developer, "Head 主管": head}
        for name, customer in customers.items():
            with self.subTest(name=name):
                activities, visits = self._win_backs(customer)
                self.assertEqual(customer.behaviour_segment, "lost")
                self.assertEqual(len(visits), 1)
                if name in expected:
                    self.assertEqual(activities.user_id, expected[name])
                    self.assertEqual(visits.user_id, expected[name])
                else:
                    managers = self.env.ref("delivery_crm.group_delivery_crm_manager").all_user_ids
                    self.assertTrue(activities)
                    self.assertLessEqual(activities.user_id, managers)
                    self.assertIn(visits.user_id, managers)

    def test_segment_kept_by_the_module(self):
        """Nobody puts a customer in a segment by hand, and bad rules are refused."""
        customer = self._customer("Hand Made 手工")
        with self.assertRaises(AccessError):
            customer.with_user(self.user_manager).write({"behaviour_segment": "loyal"})
        self.assertFalse(customer.behaviour_segment)
        admin = new_user(self.env, "admin", "dcrm_seg_admin", extra_groups="base.group_system")
        for field, value in (
            ("delivery_segment_lost_days", 0),
            ("delivery_segment_loyal_months", -1),
            ("delivery_segment_loyal_retention", 0.0),
            ("delivery_segment_satisfaction", 120.0),
            ("delivery_segment_win_back_days", 0),
        ):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                self.env["res.config.settings"].with_user(admin).create({field: value}).execute()
        self.assertEqual(self.company.delivery_segment_lost_days, 90)

    def test_new_and_returning_customer_mix(self):
        """The dashboard's mix: the customers with deliveries in a month, new (first
        delivery that month) and returning, as the account manager reads it."""
        Mix = self.env["delivery.customer.mix.report"].with_user(self.user_account_manager)

        def mix(month):
            self.env.flush_all()
            row = Mix.search([("month", "=", month), ("company_id", "=", self.company.id)])
            return (
                (row.customer_count, row.new_count, row.returning_count, row.new_share)
                if row
                else (0, 0, 0, 0.0)
            )

        before = {month: mix(month) for month in ("2019-04-01", "2019-05-01", "2019-06-01")}
        a, b, c = (self._customer(name) for name in ("Mix A", "Mix B", "Mix C"))
        self._deliver(a, "2019-05-10", "2019-06-03", "2019-06-20")
        self._deliver(b, "2019-06-11")
        self._deliver(c, "2019-04-02", "2019-06-15")
        self.env["delivery.shipment"].create(
            {
                "name": "SEG-cancelled",
                "partner_id": self._customer("Mix D").id,
                "date": datetime(2019, 6, 1, 2),
                "outcome": "cancelled",
            }
        )

        def delta(month):
            now, then = mix(month), before[month]
            return tuple(now[i] - then[i] for i in range(3))

        self.assertEqual(delta("2019-04-01"), (1, 1, 0))
        self.assertEqual(delta("2019-05-01"), (1, 1, 0))
        self.assertEqual(delta("2019-06-01"), (3, 1, 2))
        if before["2019-06-01"][0] == 0:
            self.assertEqual(mix("2019-06-01")[3], 33.33)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "delivery_crm.delivery_customer_mix_report_action"
        )
        self.assertEqual(action["res_model"], "delivery.customer.mix.report")

    def test_new_share_of_a_quarter_is_a_ratio_of_sums(self):
        """task fix16: grouped by quarter, the share of new customers is the new ones
        over all the customers of the quarter's months (1/1 and 1/100: 2/101), not the
        mean of the months' shares."""
        Mix = self.env["delivery.customer.mix.report"].with_user(self.user_account_manager)
        domain = [
            ("month", ">=", "2018-01-01"),
            ("month", "<", "2018-04-01"),
            ("company_id", "=", self.company.id),
        ]
        self.env.flush_all()
        self.assertFalse(Mix.search(domain), "an empty quarter to start from")
        first, late = self._customer("Quarter First"), self._customer("Quarter Late")
        self._deliver(first, "2018-01-10", "2018-02-10")
        self._deliver(late, "2018-02-11")
        regulars = [self._customer(f"Quarter Regular {i}") for i in range(98)]
        self.env["delivery.shipment"].create(
            [
                {
                    "name": f"SEG-Q-{customer.id}-{month}",
                    "partner_id": customer.id,
                    "date": datetime(year, month, 5, 2),
                    "revenue": 10.0,
                }
                for customer in regulars
                for year, month in ((2017, 12), (2018, 2))
            ]
        )
        self.env.flush_all()
        months = Mix.search(domain, order="month")
        self.assertEqual(
            months.mapped(lambda m: (m.customer_count, m.new_count, m.new_share)),
            [(1, 1, 100.0), (100, 1, 1.0)],
        )
        [group] = Mix.formatted_read_group(
            domain, ["month:quarter"], ["new_count:sum", "customer_count:sum", "new_share:avg"]
        )
        self.assertEqual((group["new_count:sum"], group["customer_count:sum"]), (2, 101))
        self.assertEqual(group["new_share:avg"], 1.98)
