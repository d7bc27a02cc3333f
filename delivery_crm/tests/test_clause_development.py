"""Policy clauses on developing new customers and on analysing customers and staff,
checked on their outcome (docs/traceability.md rows 37, 98 and 133): the new-customer
policy (004 新客户管理制度 三.1–6), customer analysis (000 §五(三)), feedback of the
staff's results and training (002 §五.2)."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import DeliveryCrmCommon, new_user

CRON_VISITS = "delivery_crm.ir_cron_visit_planning"


@tagged("post_install", "-at_install")
class TestClauseDevelopment(DeliveryCrmCommon):
    def _kpi(self, user, month, as_user=None):
        """The *Staff performance* rows of ``user`` for ``month``, as ``as_user`` reads
        them."""
        self.env.flush_all()
        self.env.invalidate_all()  # a report row keeps its id when its figures change
        return (
            self.env["delivery.staff.kpi.report"]
            .with_user(as_user or self.user_manager)
            .search([("user_id", "=", user.id), ("month", "=", month)])
        )

    # ------------------------------------------------------------------ row 133
    def test_new_customer_developed_followed_and_credited(self):
        """004 新客户管理制度: the salesperson records the new customer and where it
        was found (三.1, 三.4), records the follow-up visit with its next step (三.3),
        the conversion is credited to them in Staff performance (三.6, 五), and the
        first deliveries bring a return visit to hear the customer's feedback (三.3)."""
        with freeze_time("2026-04-01 02:00:00"):
            prospect = self._new_customer(
                "Xinke Trading 新客贸易",
                acquisition_channel_id=self.env.ref("delivery_crm.utm_source_exhibition").id,
                business_scope="Frozen seafood wholesale",
                delivery_requirements="Cold chain, deliveries before 7:00",
            )
        self.assertEqual(prospect.customer_state, "potential")
        self.assertEqual(prospect.developer_id, self.user_account_manager)
        # the prospect is among the account manager's prospects
        action = (
            self.env["ir.actions.act_window"]
            .with_user(self.user_account_manager)
            ._for_xml_id("delivery_crm.res_partner_action_delivery_prospect")
        )
        prospects = (
            self.env["res.partner"]
            .with_user(self.user_account_manager)
            .search(safe_eval(action["domain"]))
        )
        self.assertIn(prospect, prospects)

        visit = (
            self.env["delivery.visit"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": "First meeting 首次拜访",
                    "visit_type": "first",
                    "partner_id": prospect.id,
                    "planned_date": datetime(2026, 4, 3, 2, 0),
                }
            )
        )
        visit.write(
            {
                "content": "<p>Needs two refrigerated runs a day.</p>",
                "feedback": "Price is the deciding factor",
                "next_step_ids": [
                    Command.create(
                        {
                            "name": "Send the cold-chain quotation",
                            "user_id": self.user_account_manager.id,
                            "date_deadline": date(2026, 4, 6),
                        }
                    )
                ],
            }
        )
        with freeze_time("2026-04-03 06:00:00"):
            visit.action_done()
        follow_up = visit.next_step_ids.activity_id
        self.assertEqual(
            (follow_up.res_id, follow_up.user_id), (prospect.id, self.user_account_manager)
        )

        # a manager gives the customer an account manager and activates it
        prospect.with_user(self.user_manager).write({"account_manager_id": self.user_manager.id})
        with freeze_time("2026-04-10 02:00:00"):
            prospect.with_user(self.user_manager).action_activate()
        self.assertEqual(prospect.conversion_date, date(2026, 4, 10))
        self.assertEqual(prospect.converted_by_id, self.user_account_manager)
        self.assertEqual(
            self._kpi(self.user_account_manager, date(2026, 4, 1)).customers_developed, 1
        )
        self.assertFalse(self._kpi(self.user_manager, date(2026, 4, 1)).customers_developed)

        # its first deliveries: the account manager is asked to call back
        with freeze_time("2026-04-20 12:00:00"):
            self.env["delivery.shipment"].create(
                {
                    "name": "XK-0001",
                    "partner_id": prospect.id,
                    "date": datetime(2026, 4, 18, 1, 0),
                    "delivered_datetime": datetime(2026, 4, 18, 6, 0),
                }
            )
            self._run_cron(CRON_VISITS)
        return_visit = self.env["delivery.visit"].search(
            [("partner_id", "=", prospect.id), ("origin", "=", "first_delivery")]
        )
        self.assertEqual(len(return_visit), 1)
        self.assertEqual(return_visit.visit_type, "return")
        self.assertEqual(return_visit.user_id, self.user_manager)

    # ------------------------------------------------------------------ row 37
    def test_customers_at_risk_for_their_account_manager(self):
        """000 §五(三): the customers' data is analysed for warning signs (falling
        volume, repeated complaints, overdue visit), and each account manager sees
        their own customers at risk on the dashboard, the manager all of them."""
        now = fields.Datetime.now()
        other_manager = new_user(
            self.env, "account_manager", "clause_other_am", "Other Account Manager"
        )
        mine = self._new_customer(
            "Falling and complaining 下滑客户",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
            cooperation_start_date=fields.Date.today() - timedelta(days=400),
        )
        theirs = self._new_customer(
            "Other falling 另一下滑客户",
            customer_state="active",
            account_manager_id=other_manager.id,
        )
        steady = self._new_customer(
            "Steady 稳定客户",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
        )
        Shipment = self.env["delivery.shipment"]
        for partner, before, recent in (
            (mine, 1000, 400),
            (theirs, 1000, 500),
            (steady, 1000, 950),
        ):
            Shipment.create(
                [
                    {
                        "name": f"B-{partner.id}",
                        "partner_id": partner.id,
                        "date": now - timedelta(days=120),
                        "revenue": before,
                    },
                    {
                        "name": f"R-{partner.id}",
                        "partner_id": partner.id,
                        "date": now - timedelta(days=10),
                        "revenue": recent,
                    },
                ]
            )
        contact = self.env["res.partner"].create(
            {"name": "Complainer", "parent_id": mine.id, "email": "complainer@example.com"}
        )
        for subject in ("Late again", "Damaged again"):
            self.env["delivery.complaint"].create(
                {
                    "subject": subject,
                    "contact_id": contact.id,
                    "type_id": self.env.ref("delivery_crm.delivery_complaint_type_damage").id,
                }
            )
        self._run_cron("delivery_crm.ir_cron_customer_risk_refresh")
        action = (
            self.env["ir.actions.act_window"]
            .with_user(self.user_account_manager)
            ._for_xml_id("delivery_crm.delivery_customer_risk_report_action")
        )
        ours = (mine | theirs | steady).ids

        def rows(user):
            Risk = self.env[action["res_model"]].with_user(user)
            arch = etree.fromstring(Risk.get_views([(False, "list")])["views"]["list"]["arch"])
            spec = {}
            for node in arch.iter("field"):
                field = Risk._fields[node.get("name")]
                spec[field.name] = {"fields": {"display_name": {}}} if field.relational else {}
            records = Risk.web_search_read([("partner_id", "in", ours)], spec)["records"]
            return {row["partner_id"]["id"]: row for row in records}

        seen = rows(self.user_account_manager)
        self.assertEqual(set(seen), {mine.id})
        row = seen[mine.id]
        self.assertTrue(row["falling_volume"])
        self.assertEqual(row["revenue_change"], -60.0)
        self.assertTrue(row["repeated_complaints"])
        self.assertEqual(row["complaints_recent"], 2)
        self.assertTrue(row["visit_overdue"])  # no visit in 400 days
        self.assertEqual(row["risk_count"], 3)
        self.assertEqual(set(rows(self.user_manager)), {mine.id, theirs.id})

    # ------------------------------------------------------------------ row 98
    def test_staff_see_their_results_and_the_weak_one_is_trained(self):
        """002 §五.2: each staff member sees their own results (and nobody else's); the
        manager sees everyone's, records a training for the one whose requests missed
        their service level, and it counts in that person's month."""
        other = new_user(self.env, "staff", "clause_other_staff", "Punctual Staff")
        team = self.env["delivery.service.team"].create(
            {
                "name": "KPI desk",
                "leader_id": self.user_manager.id,
                "member_ids": [Command.link(self.user_account_manager.id), Command.link(other.id)],
            }
        )
        customer = self._new_customer(
            "KPI customer 绩效客户",
            customer_state="active",
            account_manager_id=self.user_account_manager.id,
            service_team_id=team.id,
        )
        contact = self.env["res.partner"].create(
            {"name": "Asker", "parent_id": customer.id, "email": "asker@example.com"}
        )
        received = datetime(2026, 3, 10, 2, 0)
        for user, answered_after in ((self.user_account_manager, 30), (other, 1)):
            with freeze_time(received):
                inquiry = (
                    self.env["delivery.complaint"]
                    .with_user(user)
                    .create({"subject": "Q", "request_type": "inquiry", "contact_id": contact.id})
                )
            inquiry.with_user(user).write({"resolution": "<p>A</p>"})
            with freeze_time(received + timedelta(hours=answered_after)):
                inquiry.with_user(user).action_resolve()
        march = date(2026, 3, 1)
        weak = self._kpi(self.user_account_manager, march, as_user=self.user_account_manager)
        self.assertEqual((weak.sla_met, weak.sla_total, weak.sla_compliance), (0, 1, 0.0))
        self.assertFalse(self._kpi(other, march, as_user=self.user_account_manager))
        self.assertEqual(self._kpi(other, march).sla_compliance, 100.0)

        training = (
            self.env["delivery.staff.training"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "Answering within the service level",
                    "topic": "complaint",
                    "user_id": self.user_account_manager.id,
                    "date": date(2026, 3, 20),
                    "hours": 3,
                }
            )
        )
        training.action_done()
        self.assertEqual(
            self.env["delivery.staff.training"].with_user(self.user_account_manager).search([]),
            training,
        )
        weak = self._kpi(self.user_account_manager, march, as_user=self.user_account_manager)
        self.assertEqual((weak.trainings_done, weak.training_hours), (1, 3.0))
