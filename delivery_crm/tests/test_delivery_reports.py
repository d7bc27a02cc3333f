import io
import unicodedata
from datetime import date, timedelta

from PyPDF2 import PdfReader

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import DeliveryCrmCommon

PROFILE = "delivery_crm.action_report_customer_profile"
EVALUATION = "delivery_crm.action_report_delivery_evaluation"
COMPLAINT = "delivery_crm.action_report_delivery_complaint"
VISIT = "delivery_crm.action_report_delivery_visit"
RISK_NOTES = "Paid late twice in 2025, watch RISK-7731"
# the Bund, Shanghai
BUND = (31.2400, 121.4900)


@tagged("post_install", "-at_install")
class TestDeliveryReports(DeliveryCrmCommon, HttpCase):
    """The four QWeb PDF reports (R11) rendered by wkhtmltopdf into real PDFs.

    An HttpCase: wkhtmltopdf fetches the report stylesheets from the test HTTP server,
    as it does from the real server when a user prints."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["delivery.service.team"].create(
            {"name": "Desk East", "leader_id": cls.user_manager.id}
        )
        cls.customer = cls._new_customer(
            "Huadong Trading 华东贸易",
            account_manager_id=cls.user_account_manager.id,
            service_team_id=cls.team.id,
            lang="en_US",
            city="Shanghai",
            partner_latitude=BUND[0],
            partner_longitude=BUND[1],
            business_scope="Wholesale of household appliances",
            delivery_requirements="Cold chain below 8 degrees, deliveries before 10:00",
            special_preferences="Call the warehouse 30 minutes ahead",
        )
        # the sensitive part, written by a manager
        cls.customer.with_user(cls.user_manager).write(
            {
                "credit_level": "c",
                "risk_notes": RISK_NOTES,
                "decision_chain": "Purchasing proposes, CFO Wang decides",
                "contract_amount": 1234567.0,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Liu Yang 刘洋",
                "parent_id": cls.customer.id,
                "email": "liu@example.com",
                "function": "Logistics lead",
            }
        )

    # ------------------------------------------------------------------ helpers
    def _pdf_pages(self, report, records, user=None):
        """Render ``report`` as ``user`` (the service staff by default) with
        wkhtmltopdf; check it is a PDF and return the text of each of its pages."""
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_user(user or self.user_account_manager)
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, records.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), pdf[:20])
        # wkhtmltopdf spaces words with tabs and breaks table cells into lines: compare
        # on single spaces. NFKC: Noto CJK shares some glyphs between an ideograph and a
        # Kangxi radical, and the PDF's text layer names the radical (⽉ for 月).
        pages = [
            " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
            for page in PdfReader(io.BytesIO(pdf)).pages
        ]
        return pages

    def _assert_in(self, needles, text):
        for needle in needles:
            self.assertIn(needle, text)

    def _evaluation(self, period_type, period_start, period_end, **vals):
        return self.env["delivery.evaluation"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "period_type": period_type,
                "period_start": period_start,
                "period_end": period_end,
                **vals,
            }
        )

    def _closed_complaint(self):
        """A complaint taken by the staff, investigated, acted on, resolved and rated
        by the customer (which closes it)."""
        complaint = (
            self.env["delivery.complaint"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "subject": "Parcel two days late",
                    "contact_id": self.contact.id,
                    "type_id": self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
                    "channel": "wechat",
                    "urgency": "urgent",
                    "description": "<p>The goods arrived two days after the promised date.</p>",
                }
            )
        )
        self._resolve_complaint(
            complaint,
            investigation={"root_cause_detail": "Truck broke down on the G2 near Wuxi"},
            corrective={"done": True},
        )
        complaint.rating_apply(
            5, token=complaint._rating_get_access_token(), feedback="Fast and friendly answer"
        )
        self.assertEqual(complaint.state, "closed")
        return complaint

    def _done_visit(self, name="Quarterly business review"):
        visit = (
            self.env["delivery.visit"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "name": name,
                    "visit_type": "return",
                    "partner_id": self.customer.id,
                    "contact_ids": [Command.link(self.contact.id)],
                    "participant_ids": [Command.link(self.user_manager.id)],
                    "itinerary": "Pudong depot, then the customer",
                    "preparation": "Bring the Q1 on-time figures",
                }
            )
        )
        visit.action_check_in_at(latitude=BUND[0] + 0.0045, longitude=BUND[1], accuracy=10)
        visit.write(
            {
                "content": "<p>Volumes up 20% next quarter.</p>",
                "feedback": "Drivers are polite",
                "problems_solved": "Wrong unloading dock fixed",
                "satisfaction_score": "4",
                "next_step_ids": [
                    Command.create(
                        {
                            "name": "Send the cold-chain offer",
                            "user_id": self.user_manager.id,
                            "date_deadline": date.today() + timedelta(days=5),
                        }
                    )
                ],
            }
        )
        visit.action_done()
        return visit

    # ------------------------------------------------------------------ profile card
    def test_profile_card_manager_sees_sensitive_part(self):
        pages = self._pdf_pages(PROFILE, self.customer, user=self.user_manager)
        self.assertEqual(len(pages), 1)
        text = "\n".join(pages)
        self._assert_in(
            [
                "Customer profile",
                "Huadong Trading",
                "华东贸易",
                "Cold chain below 8 degrees",
                "Wholesale of household appliances",
                "Liu Yang",
                "Logistics lead",
                "Desk East",
                "Account Manager",  # the account manager
                RISK_NOTES,
                "CFO Wang decides",
                "C - Watch",
            ],
            text,
        )

    def test_profile_card_staff_gets_no_sensitive_data(self):
        """The staff can print the card; the manager-only fields are neither printed
        nor read (reading them would raise an AccessError)."""
        pages = self._pdf_pages(PROFILE, self.customer, user=self.user_account_manager)
        text = "\n".join(pages)
        self._assert_in(["Customer profile", "Huadong Trading", "Cold chain below 8"], text)
        for secret in (RISK_NOTES, "RISK-7731", "CFO Wang", "C - Watch", "Confidential"):
            self.assertNotIn(secret, text)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_account_manager)
            ._render_qweb_html(PROFILE, self.customer.ids)[0]
        )
        self.assertNotIn(b"RISK-7731", html)
        self.assertNotIn(b"1,234,567", html)

    def test_profile_card_prints_several_customers(self):
        """One card per customer, each on its own page. (Debian's wkhtmltopdf, built on an
        unpatched Qt, cannot join several documents into one PDF: Odoo refuses that print
        with a message, so the template is checked on its HTML render.)"""
        other = self._new_customer("Xibei Foods 西北食品", business_scope="Frozen noodles")
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_account_manager)
            ._render_qweb_html(PROFILE, (self.customer | other).ids)[0]
            .decode()
        )
        self.assertEqual(html.count('class="page'), 2)
        self.assertLess(html.index("Huadong Trading"), html.index("Xibei Foods"))
        self.assertIn("Frozen noodles", html)

    def test_profile_card_in_customer_language(self):
        """A customer whose language is Simplified Chinese gets the card in Chinese:
        the field labels come from the module's translations."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["delivery_crm"], ["zh_CN"], overwrite=True)
        self.customer.write({"lang": "zh_CN", "customer_state": "active"})
        text = "\n".join(self._pdf_pages(PROFILE, self.customer))
        # Business scope, Delivery requirements, Service team, In cooperation (labels
        # whose glyphs the PDF's text layer maps back to the right characters)
        self._assert_in(["经营范围", "配送要求", "服务团队", "合作中", "华东贸易"], text)
        self.assertNotIn("Business scope", text)
        self.assertNotIn("In cooperation", text)
        # 户 of 客户 is one of the glyphs Noto CJK shares with a radical: check the
        # labels that hold it on the HTML wkhtmltopdf printed
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_account_manager)
            ._render_qweb_html(PROFILE, self.customer.ids)[0]
        )
        for chinese in ("客户状态", "客户经理", "经营范围"):  # status, account manager
            self.assertIn(chinese.encode(), html)
        # the English customer next to it keeps English labels
        other = self._new_customer("Xibei Foods 西北食品", lang="en_US")
        text = "\n".join(self._pdf_pages(PROFILE, other))
        self._assert_in(["Business scope", "Customer status", "Xibei Foods"], text)
        self.assertNotIn("经营范围", text)

    # ------------------------------------------------------------------ evaluation
    def test_evaluation_report(self):
        values = {
            "has_satisfaction": True,
            "satisfaction": 92.0,
            "satisfaction_count": 12,
            "score_satisfaction": 88.0,
            "weight_satisfaction": 40.0,
            "has_complaint": True,
            "complaint_count": 1,
            "delivery_count": 80,
            "complaint_rate": 1.25,
            "score_complaint": 75.0,
            "weight_complaint": 60.0,
            "has_score": True,
        }
        self._evaluation(
            "quarterly",
            date(2026, 1, 1),
            date(2026, 3, 31),
            total_score=64.5,
            tier_id=self.tier_regular.id,
            recommended_action="maintain",
            has_score=True,
        )
        current = self._evaluation(
            "quarterly",
            date(2026, 4, 1),
            date(2026, 6, 30),
            total_score=80.2,
            tier_before_id=self.tier_regular.id,
            tier_id=self.tier_silver.id,
            recommended_action="reward",
            **values,
        )
        # another kind of period is not part of the quarterly history
        self._evaluation(
            "monthly", date(2026, 5, 1), date(2026, 5, 31), total_score=11.1, has_score=True
        )
        pages = self._pdf_pages(EVALUATION, current)
        self.assertEqual(len(pages), 1)
        text = "\n".join(pages)
        self._assert_in(
            [
                "Cooperation evaluation",
                "Huadong Trading",
                "华东贸易",
                "Quarterly",
                "Indicators",
                "Satisfaction (%)",
                "92.00",  # raw value
                "88.0",  # its score
                "40.0",  # its weight
                "35.2",  # its points
                "Complaint rate (%)",
                "1.25",
                "No data",  # volume, stability, loyalty, on time
                "80.20",
                "Reward",
                "Silver",
                "History",
                "64.50",
                "Maintain",
            ],
            text,
        )
        self.assertNotIn("11.10", text)

    # ------------------------------------------------------------------ complaint
    def test_complaint_handling_form(self):
        complaint = self._closed_complaint()
        pages = self._pdf_pages(COMPLAINT, complaint)
        self.assertEqual(len(pages), 1)
        text = "\n".join(pages)
        self._assert_in(
            [
                "Complaint handling form",
                complaint.name,
                "Parcel two days late",
                "WeChat",
                "Huadong Trading",
                "Liu Yang",
                "two days after the promised date",
                # investigation
                "Investigation",
                complaint.root_cause_id.name,
                "Truck broke down",
                complaint.department_id.name,
                "CRM Manager",
                # actions
                "Corrective",
                "Redeliver today",
                "Preventive",
                "Re-plan the route",
                # result
                "10% discount",
                # SLA
                "First response SLA",
                "Resolution SLA",
                "Met",
                # customer feedback
                "Fast and friendly answer",
                "Customer satisfied",
                # steps with who
                "Acknowledged",
                "Investigating",
                "Resolved",
                "Closed",
                "Account Manager",
            ],
            text,
        )

    # ------------------------------------------------------------------ visit
    def test_visit_record(self):
        visit = self._done_visit()
        pages = self._pdf_pages(VISIT, visit)
        self.assertEqual(len(pages), 1)
        text = "\n".join(pages)
        self._assert_in(
            [
                "Visit record",
                "Quarterly business review",
                "Return visit",
                "Huadong Trading",
                "Liu Yang",
                "Account Manager",
                "CRM Manager",
                "Pudong depot",
                "Bring the Q1 on-time figures",
                "At the customer",
                "0.500",  # km from the customer's address
                "Volumes up 20% next quarter.",
                "Drivers are polite",
                "Wrong unloading dock fixed",
                "Satisfied",
                "Send the cold-chain offer",
            ],
            text,
        )

    # ------------------------------------------------------------------ print menu
    def test_print_menu(self):
        """Each report is in the Print menu of its model, for the Delivery CRM users
        only, and names the file after the record."""
        for xmlid, model in (
            (PROFILE, "res.partner"),
            (EVALUATION, "delivery.evaluation"),
            (COMPLAINT, "delivery.complaint"),
            (VISIT, "delivery.visit"),
        ):
            report = self.env.ref(xmlid)
            self.assertEqual(report.report_type, "qweb-pdf")
            self.assertEqual(report.binding_model_id.model, model)
            self.assertEqual(report.binding_type, "report")
            staff = (
                self.env["ir.actions.actions"]
                .with_user(self.user_account_manager)
                .get_bindings(model)
            )
            self.assertIn(report.id, [action["id"] for action in staff.get("report", [])])
            other = self.env["ir.actions.actions"].with_user(self.user_employee).get_bindings(model)
            self.assertNotIn(report.id, [action["id"] for action in other.get("report", [])])
        report = self.env.ref(PROFILE)
        self.assertEqual(
            report.get_valid_action_reports("res.partner", self.customer.ids), report.ids
        )
        self.assertFalse(
            report.get_valid_action_reports("res.partner", self.env.user.partner_id.ids)
        )

    # ------------------------------------------------------------------ export log
    def test_printing_is_logged(self):
        """A printed profile card is customer data leaving the system, like an export
        (R9; security review L4): the user's print through the web client's report
        route lands in the export log, with the model and the number of records."""
        ExportLog = self.env["delivery.export.log"].sudo()
        self.assertFalse(ExportLog.search([("user_id", "=", self.user_account_manager.id)]))
        # rows committed by other suites on this database (the top-level tests) aside
        earlier = ExportLog.search([])
        self.authenticate(self.user_account_manager.login, self.user_account_manager.login)
        response = self.url_open(
            f"/report/pdf/delivery_crm.report_customer_profile/{self.customer.id}"
        )
        self.assertEqual(response.status_code, 200)
        log = ExportLog.search([("user_id", "=", self.user_account_manager.id)])
        self.assertEqual(len(log), 1)
        self.assertEqual(
            (log.res_model, log.record_count, log.export_type),
            ("res.partner", 1, "pdf"),
        )
        self.assertEqual(log.description, self.env.ref(PROFILE).name)
        # the same card as a web page
        response = self.url_open(
            f"/report/html/delivery_crm.report_customer_profile/{self.customer.id}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(ExportLog.search([("user_id", "=", self.user_account_manager.id)])), 2)
        log = ExportLog.search([("user_id", "=", self.user_account_manager.id)])
        # a document the system renders in superuser mode (a mail attachment) is not
        self.env["ir.actions.report"].sudo()._render_qweb_pdf(PROFILE, self.customer.ids)
        self.assertEqual(
            ExportLog.search([("res_model", "=", "res.partner"), ("id", "not in", earlier.ids)]),
            log,
        )
