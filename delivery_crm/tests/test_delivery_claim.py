import base64
from datetime import date, datetime, timedelta

from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import DeliveryCrmCommon, new_user

Q3 = date(2026, 7, 1)
PNG = base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
    b"\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
    b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@tagged("post_install", "-at_install")
class TestDeliveryClaim(DeliveryCrmCommon):
    """Compensation claims as the service desk works them: filed on a delivery,
    approved within the approver's limit (staff up to the company's limit, managers
    above), refused with a reason, paid with a date and reference; the customer told
    at each step; bad input refused with a clear error, writing nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.delivery_claim_staff_limit = 500.0
        cls.customer = cls._new_customer(
            "Claim Customer 理赔客户", account_manager_id=cls.user_staff.id
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Claire Contact",
                "parent_id": cls.customer.id,
                "email": "claire@example.com",
                "lang": "en_US",
            }
        )
        cls.shipment = cls.env["delivery.shipment"].create(
            {"name": "CLM-WB-001", "partner_id": cls.customer.id, "date": datetime(2026, 8, 3, 8)}
        )

    def _claim(self, user=None, **vals):
        return (
            self.env["delivery.claim"]
            .with_user(user or self.user_staff)
            .create(
                {
                    "shipment_id": self.shipment.id,
                    "contact_id": self.contact.id,
                    "kind": "delay",
                    "amount_claimed": 300.0,
                    "description": "Two days late: the goods spoiled.",
                    **vals,
                }
            )
        )

    def _attach(self, claim, user=None):
        return (
            self.env["ir.attachment"]
            .with_user(user or self.user_staff)
            .create(
                {
                    "name": "photo.png",
                    "datas": PNG,
                    "res_model": "delivery.claim",
                    "res_id": claim.id,
                }
            )
        )

    def _customer_mails(self, claim):
        """The subjects of the messages the claim sent to its contact."""
        claim.env.invalidate_all()
        return [
            message.subject
            for message in claim.sudo().message_ids.sorted("id")
            if self.contact in message.partner_ids
        ]

    # ------------------------------------------------------------------ happy path
    def test_full_path_tells_the_customer_at_each_step(self):
        claim = self._claim(kind="damage")
        self.assertEqual(claim.partner_id, self.customer, "the customer follows the delivery")
        self.assertTrue(claim.name.startswith("CLM/"))
        self.assertEqual(claim.state, "draft")
        # a damage claim needs its evidence before it is submitted
        with self.assertRaisesRegex(UserError, "Attach the evidence"):
            claim.action_submit()
        self.assertEqual(claim.state, "draft")
        self._attach(claim)
        claim.action_submit()
        self.assertEqual(claim.state, "submitted")
        self.assertTrue(claim.submitted_date)
        claim.action_review()
        claim.amount_approved = 250.0
        claim.action_approve()
        self.assertEqual(claim.state, "approved")
        self.assertEqual(claim.sudo().approver_id, self.user_staff)
        self.assertTrue(claim.approval_date)
        with self.assertRaisesRegex(UserError, "payment date and reference"):
            claim.action_pay()
        claim.write({"payment_date": "2026-08-20", "payment_reference": "PAY-778"})
        claim.action_pay()
        self.assertEqual(claim.state, "paid")
        self.assertEqual(
            self._customer_mails(claim),
            [
                f"We have received your claim {claim.name}",
                f"Your claim {claim.name} is approved",
                f"Your claim {claim.name} is paid",
            ],
        )
        bodies = claim.sudo().message_ids.mapped("body")
        self.assertTrue(any("250.00" in str(body) for body in bodies), "approved amount told")
        self.assertTrue(any("PAY-778" in str(body) for body in bodies), "payment reference told")
        # the decision and the payment are fixed once taken
        with self.assertRaises(UserError):
            claim.write({"payment_reference": "PAY-999"})
        with self.assertRaises(UserError):
            claim.action_cancel()

    def test_refusal_needs_a_reason_and_is_told(self):
        claim = self._claim()
        claim.action_submit()
        with self.assertRaisesRegex(UserError, "reason"):
            claim.action_refuse()
        self.assertEqual(claim.state, "submitted")
        claim.refusal_reason = "Delivered within the promised time."
        claim.action_refuse()
        self.assertEqual(claim.state, "refused")
        self.assertEqual(
            self._customer_mails(claim)[-1], f"Your claim {claim.name} could not be accepted"
        )
        self.assertIn("Delivered within the promised time.", str(claim.sudo().message_ids[0].body))

    # ------------------------------------------------------------------ approval limits
    def test_staff_approving_above_the_limit_is_refused(self):
        self.company.delivery_claim_approver_id = self.user_manager
        claim = self._claim(amount_claimed=800.0)
        claim.action_submit()
        activities = claim.sudo().activity_ids
        self.assertEqual(activities.user_id, self.user_manager, "the approver gets the claim")
        claim.amount_approved = 800.0
        with self.assertRaisesRegex(UserError, "needs a manager's approval"):
            claim.action_approve()
        claim.invalidate_recordset()
        self.assertEqual(claim.state, "submitted")
        self.assertFalse(claim.sudo().approver_id)
        self.assertFalse(claim.approval_date)
        self.assertEqual(len(self._customer_mails(claim)), 1, "no approval was announced")
        # nor by approving part of it: the claim as filed is above the limit (review)
        claim.amount_approved = 450.0
        with self.assertRaisesRegex(UserError, "needs a manager's approval"):
            claim.action_approve()
        claim.invalidate_recordset()
        self.assertEqual(claim.state, "submitted")
        self.assertTrue(claim.sudo().activity_ids, "the approver's activity stays")
        # a manager approves it
        claim.with_user(self.user_manager).action_approve()
        self.assertEqual(claim.state, "approved")
        self.assertEqual(claim.sudo().approver_id, self.user_manager)
        self.assertFalse(claim.sudo().activity_ids, "the approval activity is done")

    def test_staff_approves_within_the_limit(self):
        claim = self._claim(amount_claimed=450.0)
        claim.action_submit()
        self.assertEqual(claim.sudo().activity_ids.user_id, self.user_staff, "the owner reviews it")
        claim.amount_approved = 450.0
        claim.action_approve()
        self.assertEqual(claim.state, "approved")

    def test_limit_is_a_setting(self):
        self.company.delivery_claim_staff_limit = 1000.0
        claim = self._claim(amount_claimed=800.0, amount_approved=0.0)
        claim.action_submit()
        claim.amount_approved = 800.0
        claim.action_approve()
        self.assertEqual(claim.state, "approved")

    # ------------------------------------------------------------------ bad input
    def test_one_open_claim_per_delivery_and_kind(self):
        """The same loss is claimed once (the claims indicator would count it twice);
        a refused claim may be filed again, another kind is another claim."""
        first = self._claim()
        with self.assertRaisesRegex(ValidationError, "already has a claim of this kind"):
            self._claim()
        damage = self._claim(kind="damage")
        self.assertEqual(damage.kind, "damage")
        first.action_submit()
        first.with_user(self.user_manager).write({"refusal_reason": "Delivered on time."})
        first.with_user(self.user_manager).action_refuse()
        again = self._claim()
        self.assertEqual(again.state, "draft")

    def test_contact_is_the_customers(self):
        stranger = self.env["res.partner"].create({"name": "Somebody else", "email": "s@x.com"})
        with self.assertRaisesRegex(ValidationError, "must be one of the customer's"):
            self._claim(contact_id=stranger.id)

    # ------------------------------------------------------------------ bad input
    def test_bad_amounts_are_refused(self):
        Claim = self.env["delivery.claim"].with_user(self.user_staff)
        for amount in (-50.0, 0.0):
            with self.subTest(amount=amount), self.assertRaises(ValidationError):
                self._claim(amount_claimed=amount)
        self.assertFalse(Claim.search([("shipment_id", "=", self.shipment.id)]))
        claim = self._claim(amount_claimed=100.0)
        claim.action_submit()
        with self.assertRaisesRegex(ValidationError, "at most the claimed amount"):
            claim.amount_approved = 150.0
        with self.assertRaises(ValidationError):
            claim.amount_approved = -1.0
        claim.invalidate_recordset()
        self.assertEqual(claim.amount_approved, 0.0)
        with self.assertRaisesRegex(UserError, "Enter the approved amount"):
            claim.action_approve()

    def test_system_fields_and_bad_transitions(self):
        claim = self._claim()
        with self.assertRaisesRegex(UserError, "kept by the system"):
            claim.write({"state": "approved"})
        with self.assertRaisesRegex(UserError, "kept by the system"):
            self._claim(state="paid")
        with self.assertRaisesRegex(UserError, "kept by the system"):
            claim.write({"approver_id": self.user_staff.id})
        with self.assertRaisesRegex(UserError, "cannot be marked paid now"):
            claim.action_pay()
        with self.assertRaisesRegex(UserError, "cannot be approved now"):
            claim.action_approve()
        claim.action_submit()
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            claim.amount_claimed = 5000.0
        with self.assertRaisesRegex(UserError, "cannot be submitted now"):
            claim.action_submit()
        self.assertEqual(claim.amount_claimed, 300.0)

    def test_claim_on_another_company_delivery_is_refused(self):
        other = self.env["res.company"].create({"name": "Other Delivery Co"})
        customer_b = self.env["res.partner"].create(
            {"name": "Other Co Customer", "is_company": True, "is_delivery_customer": True}
        )
        shipment_b = (
            self.env["delivery.shipment"]
            .with_company(other)
            .create({"name": "OTHER-001", "partner_id": customer_b.id, "company_id": other.id})
        )
        # (an AccessError is a UserError: the manager does not reach that company)
        with self.assertRaises(UserError):
            self._claim(user=self.user_manager, shipment_id=shipment_b.id, contact_id=False)
        # a manager of both companies working in the first one is refused too
        self.user_manager.company_ids = [Command.link(other.id)]
        # (assertRaises rolls the failed create back, as the request's transaction is)
        with self.assertRaises(UserError) as caught:
            self._claim(user=self.user_manager, shipment_id=shipment_b.id, contact_id=False)
        self.assertIn("compan", str(caught.exception).lower())
        self.assertFalse(
            self.env["delivery.claim"].search([("shipment_id", "=", shipment_b.id)]),
            "nothing was written",
        )

    def test_staff_reach_their_customers_claims_only(self):
        claim = self._claim()
        stranger = new_user(self.env, "staff", "dcrm_claim_stranger", "Stranger Staff")
        with self.assertRaises(AccessError):
            claim.with_user(stranger).read(["amount_claimed"])
        # nor files one on a delivery they do not reach (and so own it and approve it)
        with self.assertRaises(AccessError):
            self._claim(user=stranger)
        self.assertEqual(claim.with_user(self.user_auditor).amount_claimed, 300.0)
        with self.assertRaises(AccessError):
            claim.with_user(self.user_auditor).write({"description": "changed"})

    def test_customer_form_figures(self):
        paid = self._claim(amount_claimed=200.0)
        paid.action_submit()
        paid.amount_approved = 150.0
        paid.action_approve()
        refused = self._claim(amount_claimed=90.0, kind="other")
        refused.action_submit()
        refused.refusal_reason = "No loss."
        refused.action_refuse()
        self._claim(amount_claimed=70.0, kind="loss")  # a draft is not filed yet
        customer = self.customer.with_user(self.user_staff)
        self.assertEqual(customer.claim_count, 1)
        self.assertEqual(customer.claim_amount_approved, 150.0)
        action = customer.action_view_claims()
        self.assertEqual(action["res_model"], "delivery.claim")


@tagged("post_install", "-at_install")
class TestClaimIndicator(DeliveryCrmCommon):
    """The ``claims`` indicator through the quarterly evaluation run (the shipped cron):
    claims filed in the quarter and neither cancelled nor refused, their amounts and
    their rate per 100 deliveries, scored linearly from the scheme's floor to its
    target (lower is better)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scheme = cls.env.ref("delivery_crm.delivery_evaluation_scheme_general")
        cls.scheme.write({"claim_rate_floor": 10.0, "claim_rate_target": 0.0})
        cls.customer = cls._new_customer(
            "Claims Indicator Customer",
            customer_state="active",
            customer_class="general",
            account_manager_id=cls.user_account_manager.id,
            cooperation_start_date="2025-01-01",
        )
        cls.quiet = cls._new_customer(
            "No Deliveries Customer",
            customer_state="active",
            customer_class="general",
            account_manager_id=cls.user_account_manager.id,
            cooperation_start_date="2025-01-01",
        )
        Shipment = cls.env["delivery.shipment"]
        cls.shipments = Shipment.create(
            [
                {
                    "name": f"IND-{i}",
                    "partner_id": cls.customer.id,
                    "date": datetime(2026, 8, 1, 8) + timedelta(hours=i),
                }
                for i in range(20)
            ]
        )
        Claim = cls.env["delivery.claim"]
        # each claim on a delivery of its own (one open claim per delivery and kind)
        free = iter(cls.shipments)

        def claim(amount, when, step=None, approved=0.0):
            record = Claim.create(
                {"shipment_id": next(free).id, "kind": "delay", "amount_claimed": amount}
            )
            with freeze_time(when):
                record.action_submit()
            if step == "approve":
                record.amount_approved = approved
                record.action_approve()
            elif step == "refuse":
                record.refusal_reason = "Unfounded."
                record.action_refuse()
            elif step == "cancel":
                record.action_cancel()
            return record

        claim(300.0, "2026-08-10 10:00:00", "approve", approved=200.0)  # counted
        claim(100.0, "2026-09-15 10:00:00")  # counted, not decided yet
        claim(400.0, "2026-08-11 10:00:00", "refuse")  # unfounded: not counted
        claim(500.0, "2026-08-12 10:00:00", "cancel")  # withdrawn: not counted
        claim(600.0, "2026-10-05 10:00:00")  # filed in the next quarter
        Claim.create(  # a draft is not filed
            {"shipment_id": next(free).id, "kind": "delay", "amount_claimed": 700.0}
        )

    def _evaluation(self, partner):
        return self.env["delivery.evaluation"].search(
            [
                ("partner_id", "=", partner.id),
                ("period_type", "=", "quarterly"),
                ("period_start", "=", Q3),
            ]
        )

    def test_quarterly_run_scores_the_claim_rate(self):
        with freeze_time("2026-10-02"):
            self._run_cron("delivery_crm.ir_cron_evaluation_quarterly")
        evaluation = self._evaluation(self.customer)
        self.assertTrue(evaluation)
        self.assertEqual(evaluation.delivery_count, 20)
        self.assertEqual(evaluation.claim_count, 2)
        self.assertEqual(evaluation.claim_amount, 400.0)
        self.assertEqual(evaluation.claim_amount_approved, 200.0)
        self.assertAlmostEqual(evaluation.claim_rate, 10.0)  # 2 claims per 20 deliveries
        self.assertTrue(evaluation.has_claims)
        self.assertAlmostEqual(evaluation.score_claims, 0.0)  # at the floor
        # the shipped schemes weigh it 0: it is reported, it moves no total
        self.assertEqual(evaluation.weight_claims, 0.0)
        quiet = self._evaluation(self.quiet)
        self.assertTrue(quiet)
        self.assertFalse(quiet.has_claims, "no deliveries: no claim rate")
        self.assertEqual(quiet.claim_count, 0)

    def test_weighted_claim_rate_moves_the_total(self):
        self.scheme.write(
            {
                "claim_rate_floor": 20.0,
                "claim_rate_target": 0.0,
                "weight_claims": self.scheme.weight_on_time,
                "weight_on_time": 0.0,
            }
        )
        with freeze_time("2026-10-02"):
            self._run_cron("delivery_crm.ir_cron_evaluation_quarterly")
        evaluation = self._evaluation(self.customer)
        self.assertAlmostEqual(evaluation.score_claims, 50.0)  # 10 per 100, halfway
        self.assertGreater(evaluation.weight_claims, 0.0)
        self.assertIn("Claim rate", str(evaluation.explanation))


@tagged("post_install", "-at_install")
class TestDeliveryClaimPortal(HttpCase):
    """The customer files and follows its claims in the portal, as its real portal
    user over HTTP; another customer's delivery and claims stay out of reach."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer_a, cls.customer_b = Partner.create(
            [
                {
                    "name": "Alpha Claims Buyer",
                    "is_company": True,
                    "is_delivery_customer": True,
                    "email": "alpha.claims@example.com",
                },
                {
                    "name": "Bravo Claims Buyer",
                    "is_company": True,
                    "is_delivery_customer": True,
                    "email": "bravo.claims@example.com",
                },
            ]
        )
        cls.contact_a, cls.contact_b = Partner.create(
            [
                {"name": "Ada Alpha", "parent_id": cls.customer_a.id, "email": "ada@example.com"},
                {"name": "Ben Bravo", "parent_id": cls.customer_b.id, "email": "ben@example.com"},
            ]
        )
        cls.portal_a = new_user(
            cls.env,
            "portal",
            "claim_portal_a",
            password="claim_portal_a-pw",
            partner_id=cls.contact_a.id,
        )
        cls.portal_b = new_user(
            cls.env,
            "portal",
            "claim_portal_b",
            password="claim_portal_b-pw",
            partner_id=cls.contact_b.id,
        )
        cls.shipment_a, cls.shipment_b = cls.env["delivery.shipment"].create(
            [
                {"name": "WB-CLAIM-A", "partner_id": cls.customer_a.id},
                {"name": "WB-CLAIM-B", "partner_id": cls.customer_b.id},
            ]
        )
        cls.claim_b = cls.env["delivery.claim"].create(
            {
                "shipment_id": cls.shipment_b.id,
                "kind": "delay",
                "amount_claimed": 77.0,
                "description": "Bravo secret claim Quux",
            }
        )
        cls.claim_b.action_submit()

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _get(self, url):
        response = self.url_open(url)
        self.assertLess(response.status_code, 400, f"{url} answered {response.status_code}")
        return response

    def _post_claim(self, data, files=None):
        page = self._get("/my/claims/new")
        token = html.fromstring(page.content).xpath("//form//input[@name='csrf_token']/@value")
        self.assertEqual(len(token), 1, "the claim form carries its CSRF token")
        return self.url_open("/my/claims/new", data=dict(data, csrf_token=token[0]), files=files)

    def _claims_of(self, shipment):
        self.env.invalidate_all()
        return self.env["delivery.claim"].search([("shipment_id", "=", shipment.id)])

    def test_file_and_follow_a_claim(self):
        self._login(self.portal_a)
        self.assertIn('href="/my/claims"', self._get("/my").text)
        response = self._post_claim(
            {
                "shipment_id": self.shipment_a.id,
                "kind": "damage",
                "amount": "123.45",
                "description": "The carton was crushed.",
            },
            files=[("attachments", ("crushed.png", base64.b64decode(PNG), "image/png"))],
        )
        claim = self._claims_of(self.shipment_a)
        self.assertEqual(len(claim), 1, response.text[:500])
        self.assertEqual(claim.partner_id, self.customer_a)
        self.assertEqual(claim.contact_id, self.contact_a)
        self.assertEqual(claim.state, "submitted")
        self.assertEqual(claim.amount_claimed, 123.45)
        self.assertEqual(claim.attachment_count, 1)
        self.assertTrue(response.url.endswith(f"/my/claims/{claim.id}"))
        self.assertIn(claim.name, response.text)
        # the customer is told it was received
        received = claim.message_ids.filtered(lambda m: self.contact_a in m.partner_ids)
        self.assertEqual(received.subject, f"We have received your claim {claim.name}")
        # the list: its own claim, not the other customer's
        page = self._get("/my/claims")
        self.assertIn(claim.name, page.text)
        self.assertNotIn(self.claim_b.name, page.text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["claim_count"]})
        self.assertEqual(counters, {"claim_count": 1})
        # the decision shows on its page
        claim.amount_approved = 100.0
        claim.action_approve()
        detail = self._get(f"/my/claims/{claim.id}")
        self.assertIn("Approved amount", detail.text)
        self.assertIn("100.00", detail.text)
        # the conversation: the customer reads the step messages and writes on its claim
        fetched = self.make_jsonrpc_request(
            "/mail/thread/messages", {"thread_model": "delivery.claim", "thread_id": claim.id}
        )
        approved = claim.message_ids.filtered(
            lambda m: m.subject == f"Your claim {claim.name} is approved"
        )
        self.assertTrue(approved)
        self.assertIn(approved.id, fetched["messages"])
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "delivery.claim",
                "thread_id": claim.id,
                "post_data": {"body": "Thank you, Zorblax", "message_type": "comment"},
            },
        )
        claim.invalidate_recordset()
        self.assertIn("Zorblax", str(claim.message_ids[0].body))
        self.assertEqual(claim.message_ids[0].author_id, self.contact_a)

    def test_other_customers_delivery_and_claims_refused(self):
        self._login(self.portal_a)
        response = self._post_claim(
            {
                "shipment_id": self.shipment_b.id,
                "kind": "delay",
                "amount": "50",
                "description": "Not my delivery.",
            }
        )
        self.assertIn("Choose the delivery the claim is about.", response.text)
        self.assertEqual(self._claims_of(self.shipment_b), self.claim_b, "nothing filed")
        response = self.url_open(f"/my/claims/{self.claim_b.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertNotIn("Quux", self._get(f"/my/claims/{self.claim_b.id}").text)
        # nor over JSON-RPC
        rows = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "delivery.claim",
                "method": "search_read",
                "args": [[]],
                "kwargs": {"fields": ["name"]},
            },
        )
        self.assertEqual(rows, [])
        with self.assertLogs("odoo.http", "WARNING"), self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "delivery.claim",
                    "method": "read",
                    "args": [self.claim_b.ids, ["description"]],
                    "kwargs": {},
                },
            )

    def test_bad_input_is_refused(self):
        self._login(self.portal_a)
        base = {
            "shipment_id": self.shipment_a.id,
            "kind": "delay",
            "amount": "10",
            "description": "Late.",
        }
        for change, message in (
            ({"amount": "-10"}, "Enter the amount you claim: a number more than 0."),
            ({"amount": "0"}, "Enter the amount you claim: a number more than 0."),
            ({"amount": "ten"}, "Enter the amount you claim: a number more than 0."),
            ({"shipment_id": ""}, "Choose the delivery the claim is about."),
            ({"shipment_id": "999999999"}, "Choose the delivery the claim is about."),
            ({"kind": "bribe"}, "Choose what the claim is for."),
            ({"kind": "loss"}, "Attach photos or documents"),
        ):
            with self.subTest(change=change):
                response = self._post_claim(dict(base, **change))
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, response.text)
                self.assertFalse(self._claims_of(self.shipment_a), "nothing filed")

    def test_staff_cannot_file_from_the_portal(self):
        staff = new_user(self.env, "staff", "claim_portal_staff", password="claim_portal_staff-pw")
        self._login(staff)
        page = self._get("/my/claims/new")
        self.assertIn("Claims are filed here by our customers", page.text)
