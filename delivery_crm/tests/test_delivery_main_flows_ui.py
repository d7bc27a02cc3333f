from datetime import date, timedelta

from odoo import api, fields
from odoo.tests import HttpCase, tagged

from .common import new_user, resolve_complaint

PROFILE = "delivery_crm.action_report_customer_profile"
# the Bund, Shanghai; the tours' phone is 44 m away from it
BUND = (31.2400, 121.4900)


@tagged("post_install", "-at_install")
class TestMainFlowsUi(HttpCase):
    """The main flows in a real browser (static/tests/tours/main_flows_tour.js and
    complaint_rating_flow_tour.js), each done by the role that does the work, at
    desktop size; TestMainFlowsUiPhone does them on a phone. The tours also check that
    the key screens do not scroll sideways; the records they leave are checked here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff = new_user(cls.env, "staff", "dcrm_tour_staff", "Tour Service Staff")
        cls.account_manager = new_user(
            cls.env, "account_manager", "dcrm_tour_am", "Tour Account Manager"
        )
        cls.manager = new_user(cls.env, "manager", "dcrm_tour_manager", "Tour CRM Manager")
        users = cls.staff | cls.account_manager | cls.manager
        if "odoobot_state" in users._fields:
            # OdooBot's welcome chat opens at a new user's first login, over the whole
            # screen on a phone: these users have been welcomed already
            users.odoobot_state = "idle"
        Partner = cls.env["res.partner"]
        cls.key_account = Partner.create(
            {
                "name": "Tour Key Account 重点客户",
                "is_company": True,
                "is_delivery_customer": True,
                "email": "key.account@example.com",
                "account_manager_id": cls.account_manager.id,
                "business_scope": "Fresh food wholesale",
            }
        )
        cls.complaint_customer = Partner.create(
            {
                "name": "Tour Complaint Customer 投诉客户",
                "is_company": True,
                "is_delivery_customer": True,
                "email": "complaints@example.com",
                "account_manager_id": cls.staff.id,
            }
        )
        # the customer's contact, who rates the complaint from the portal
        cls.portal_user = new_user(
            cls.env, "portal", "dcrm_tour_portal", "Zhao Tour", email="zhao.tour@example.com"
        )
        cls.portal_user.partner_id.parent_id = cls.complaint_customer
        cls.visit_customer = Partner.create(
            {
                "name": "Tour Visit Customer 拜访客户",
                "is_company": True,
                "is_delivery_customer": True,
                "account_manager_id": cls.staff.id,
                "partner_latitude": BUND[0],
                "partner_longitude": BUND[1],
            }
        )
        cls.evaluated_customer = Partner.create(
            {
                "name": "Tour Evaluated Customer 考核客户",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_state": "active",
                "account_manager_id": cls.manager.id,
                "cooperation_start_date": date(2020, 1, 1),
            }
        )

    def _run_cron(self, xmlid):
        """Run a shipped cron as the scheduler does: on a cursor of its own (a test
        cursor in an HttpCase)."""
        self.env.flush_all()
        with self.registry.cursor() as cr:
            api.Environment(cr, api.SUPERUSER_ID, {}).ref(xmlid).method_direct_trigger()
        self.env.invalidate_all()

    # ------------------------------------------------------------------ customer
    def test_customer_flow(self):
        """An account manager opens the app, creates a customer and fills its profile."""
        self.start_tour("/odoo", "delivery_crm_customer_flow", login="dcrm_tour_am")
        customer = self.env["res.partner"].search([("name", "=", "Tour Logistics 巡游物流")])
        self.assertEqual(len(customer), 1)
        self.assertTrue(customer.is_company)
        self.assertTrue(customer.is_delivery_customer)
        self.assertEqual(customer.email, "tour.logistics@example.com")
        self.assertEqual(customer.customer_class, "key")
        self.assertEqual(customer.strategic_value, "core")
        self.assertEqual(
            customer.acquisition_channel_id, self.env.ref("delivery_crm.utm_source_exhibition")
        )
        self.assertEqual(customer.account_manager_id, self.account_manager)
        self.assertEqual(customer.developer_id, self.account_manager)
        self.assertEqual(customer.business_scope, "Cross-border e-commerce, small parcels")
        self.assertEqual(
            customer.delivery_requirements, "Pick-up before 18:00, signed proof of delivery"
        )
        self.assertEqual(customer.customer_state, "potential")
        self.assertEqual(customer.tier_id, self.env.ref("delivery_crm.delivery_tier_new"))

    # ------------------------------------------------------------------ complaint
    def test_complaint_flow(self):
        """Service staff log a complaint and take it to resolved through the form's
        buttons; the customer rates it from the portal, which closes it."""
        self.start_tour("/odoo", "delivery_crm_complaint_flow", login="dcrm_tour_staff")
        complaint = self.env["delivery.complaint"].search(
            [("subject", "=", "Tour: parcel two days late")]
        )
        self.assertEqual(len(complaint), 1)
        self.assertEqual(complaint.state, "resolved")
        self.assertEqual(complaint.partner_id, self.complaint_customer)
        self.assertEqual(complaint.contact_id, self.portal_user.partner_id)
        self.assertEqual(
            complaint.type_id, self.env.ref("delivery_crm.delivery_complaint_type_delay")
        )
        self.assertEqual(complaint.channel, "hotline")
        self.assertEqual(complaint.acknowledged_uid, self.staff)
        self.assertEqual(
            complaint.root_cause_id,
            self.env.ref("delivery_crm.delivery_complaint_root_cause_transport"),
        )
        self.assertEqual(
            complaint.department_id, self.env.ref("delivery_crm.delivery_department_transport")
        )
        self.assertEqual(complaint.responsible_id, self.staff)
        self.assertEqual(complaint.root_cause_detail, "The truck broke down near Wuxi")
        self.assertEqual(
            sorted(complaint.action_ids.mapped(lambda a: (a.kind, a.name, a.owner_id.login))),
            [
                ("corrective", "Redeliver today with a discount", "dcrm_tour_staff"),
                ("preventive", "Re-plan the route with a spare truck", "dcrm_tour_staff"),
            ],
        )
        # the tour typed today + 3 days, in the browser's (the machine's) calendar
        self.assertEqual(
            set(complaint.action_ids.mapped("deadline")), {date.today() + timedelta(days=3)}
        )
        # the corrective action was done (with its note) before the resolution
        corrective = complaint.action_ids.filtered(lambda a: a.kind == "corrective")
        self.assertEqual(
            (corrective.done, corrective.done_note), (True, "Redelivered at 15:00, signed")
        )
        self.assertIn("Redelivered today with a 10% discount.", complaint.resolution)
        self.assertEqual(complaint.resolved_uid, self.staff)
        self.assertEqual(complaint.sla_response_status, "met")

        self.start_tour(
            f"/my/complaints/{complaint.id}",
            "delivery_crm_complaint_rating_flow",
            login="dcrm_tour_portal",
        )
        self.assertEqual(complaint.state, "closed")
        self.assertEqual(complaint.close_reason, "rated")
        self.assertEqual(complaint.rating_last_value, 5)
        self.assertEqual(complaint.rating_ids.feedback, "Fixed fast, thank you")
        # first-contact ownership: who took the complaint in owns it, and its return visit
        self.assertEqual(complaint.user_id, self.staff)
        self.assertEqual(complaint.visit_ids.user_id, self.staff)
        self.assertEqual(complaint.visit_ids.state, "planned")

    def test_complaint_closed_without_answer(self):
        """A resolved complaint the customer left unrated past the no-answer period is
        closed by its owner with the form's Close button."""
        complaint = self._resolved_complaint()
        # the customer does not answer for the company's no-answer period
        days = complaint.company_id.delivery_complaint_no_answer_days
        complaint.sudo().write(
            {"resolved_date": fields.Datetime.now() - timedelta(days=days, hours=1)}
        )
        self.start_tour(
            f"/odoo/action-delivery_crm.delivery_complaint_action/{complaint.id}",
            "delivery_crm_complaint_close_flow",
            login="dcrm_tour_staff",
        )
        self.assertEqual(complaint.state, "closed")
        self.assertEqual(complaint.close_reason, "no_answer")
        self.assertEqual(complaint.closed_uid, self.staff)
        self.assertEqual(complaint.visit_ids.user_id, self.staff)

    def _resolved_complaint(self):
        """A complaint the staff took and resolved (the form flow is the tour of
        test_complaint_flow)."""
        complaint = (
            self.env["delivery.complaint"]
            .with_user(self.staff)
            .create(
                {
                    "subject": "Tour: parcel left in the rain",
                    "contact_id": self.portal_user.partner_id.id,
                    "type_id": self.env.ref("delivery_crm.delivery_complaint_type_damage").id,
                }
            )
        )
        resolve_complaint(
            complaint,
            responsible=self.staff,
            corrective_owner=self.staff,
            preventive_owner=self.staff,
            resolution="<p>Refunded.</p>",
        )
        return complaint.with_env(self.env)

    # ------------------------------------------------------------------ visit
    def test_visit_flow(self):
        """Service staff plan a visit, check in and out at the customer's and record it."""
        self.start_tour("/odoo", "delivery_crm_visit_flow", login="dcrm_tour_staff")
        visit = self.env["delivery.visit"].search([("name", "=", "Tour quarterly review")])
        self.assertEqual(len(visit), 1)
        self.assertEqual(visit.partner_id, self.visit_customer)
        self.assertEqual(visit.user_id, self.staff)
        self.assertEqual(visit.preparation, "Bring the on-time rate of the quarter")
        self.assertEqual(visit.state, "done")
        self.assertTrue(visit.check_in_date)
        self.assertTrue(visit.check_out_date)
        self.assertEqual(visit.visit_date, visit.check_in_date)
        self.assertEqual(visit.location_status, "ok")
        self.assertEqual(visit.check_in_distance, 0.044)
        self.assertIn("the customer wants earlier pick-ups", visit.content)
        self.assertEqual(visit.feedback, "Happy with the drivers")
        self.assertEqual(self.visit_customer.last_visit_date, visit.visit_date.date())

    # ------------------------------------------------------------------ evaluation
    def test_evaluation_flow(self):
        """A manager runs the evaluation of the last quarter from the wizard; once the
        scheduler has done it, the manager opens the run and a customer's evaluation."""
        Run = self.env["delivery.evaluation.run"]
        self.start_tour("/odoo", "delivery_crm_evaluation_run_flow", login="dcrm_tour_manager")
        period_start = Run._last_complete_period("quarterly")
        run = Run.search([("period_type", "=", "quarterly"), ("period_start", "=", period_start)])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "running")
        self.assertEqual(run.user_id, self.manager)

        self._run_cron("delivery_crm.ir_cron_evaluation_quarterly")
        self.assertEqual(run.state, "done")
        evaluation = run.evaluation_ids.filtered(lambda e: e.partner_id == self.evaluated_customer)
        self.assertEqual(len(evaluation), 1)
        self.assertEqual(evaluation.period_start, period_start)

        self.start_tour("/odoo", "delivery_crm_evaluation_result_flow", login="dcrm_tour_manager")

    # ------------------------------------------------------------------ report
    def test_print_profile_flow(self):
        """The account manager prints a customer's profile from its form (the tour
        checks the server sent the named file); wkhtmltopdf makes it a real PDF."""
        self.start_tour("/odoo", "delivery_crm_print_profile_flow", login="dcrm_tour_am")
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_user(self.account_manager)
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(PROFILE, self.key_account.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), pdf[:20])


@tagged("post_install", "-at_install")
class TestMainFlowsUiPhone(TestMainFlowsUi):
    """The same flows on a phone (375x812, touch)."""

    # Odoo's runner collects only the methods a class defines, unless told (as Odoo's
    # own point_of_sale tests do); pytest-odoo collects the inherited ones anyway
    allow_inherited_tests_method = True
    browser_size = "375x812"
    touch_enabled = True
