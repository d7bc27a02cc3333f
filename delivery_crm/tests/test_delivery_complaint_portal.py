import re
from datetime import datetime, timedelta

from lxml import html

from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import new_user

T0 = datetime(2026, 3, 2, 8, 0)
RATE_LINK = re.compile(r"/rate/([\w-]+)/(5|3|1)\b")
BACKEND_LINK = "/odoo/action-delivery_crm.delivery_complaint_action_all/"


# what a portal user reads of their requests and deliveries (security review M4)
PORTAL_MIXIN_FIELDS = {
    # Odoo's chatter and activities (messages follow their own rules)
    "activity_exception_decoration",
    "activity_exception_icon",
    "activity_type_icon",
    "has_message",
    "message_has_error",
    "message_has_error_counter",
    "message_has_sms_error",
    "message_ids",
    "message_is_follower",
    "message_needaction",
    "message_needaction_counter",
    "website_message_ids",
    # the record itself, its customer and company (the record rules)
    "id",
    "display_name",
    "partner_id",
    "company_id",
    "create_date",
    "write_date",
}
ODOO_PORTAL_UNREADABLE = {"activity_exception_decoration", "activity_exception_icon"}
PORTAL_COMPLAINT_FIELDS = PORTAL_MIXIN_FIELDS | {
    # shown on the portal pages
    "name",
    "subject",
    "request_type",
    "type_id",
    "received_date",
    "shipment_id",
    "urgency",
    "state",
    "description",
    "resolution",
    "first_response_date",
    "sla_response_deadline",
    "resolved_date",
    "sla_resolution_deadline",
    "closed_date",
    # follows from the deadlines and dates shown; the back-end views decorate with it
    "sla_status",
    # archived requests leave the lists
    "active",
    # the workflow buttons of the form, from the state and type (task SLA, issue 14
    # item 9): names of the actions only, nothing the portal does not see already
    "workflow_actions",
    # Odoo's portal sharing and the request's own rating figures
    "access_token",
    "access_url",
    "access_warning",
    "rating_count",
    "rating_percentage_satisfaction",
    # task req (issue 17 item 1): a requirement's progress and the confirmation of its
    # delivery, shown on the portal page (counts of tasks, not the tasks)
    "requirement_task_open_count",
    "requirement_task_done_count",
    "requirement_progress_next_date",
    "delivery_confirmed_date",
    "awaits_delivery_confirmation",
}
PORTAL_SHIPMENT_FIELDS = PORTAL_MIXIN_FIELDS | {
    "name",
    "date",
    "promised_datetime",
    "delivered_datetime",
    "outcome",
    "status",
    "pieces",
    "weight",
}


@tagged("post_install", "-at_install")
class TestDeliveryComplaintPortal(HttpCase):
    """The customer portal as two customers' portal users see it: over real HTTP
    (pages, the request form, the rating links) and over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer_a, cls.customer_b = Partner.create(
            [
                {
                    "name": "Alpha Freight Buyer",
                    "is_company": True,
                    "is_delivery_customer": True,
                    "email": "alpha@example.com",
                },
                {
                    "name": "Bravo Retail Buyer",
                    "is_company": True,
                    "is_delivery_customer": True,
                    "email": "bravo@example.com",
                },
            ]
        )
        cls.contact_a, cls.contact_b = Partner.create(
            [
                {"name": "Anna Alpha", "parent_id": cls.customer_a.id, "email": "anna@example.com"},
                {"name": "Bob Bravo", "parent_id": cls.customer_b.id, "email": "bob@example.com"},
            ]
        )
        cls.portal_a = cls._portal_user("portal_alpha", cls.contact_a)
        cls.portal_b = cls._portal_user("portal_bravo", cls.contact_b)
        cls.staff = new_user(cls.env, "staff", "portal_test_staff", "Quentin Internalresponsible")
        cls.type_delay = cls.env.ref("delivery_crm.delivery_complaint_type_delay")
        cls.shipment_a, cls.shipment_b = cls.env["delivery.shipment"].create(
            [
                {
                    "name": "WB-ALPHA-001",
                    "partner_id": cls.customer_a.id,
                    "date": T0,
                    "promised_datetime": T0 + timedelta(days=1),
                    "revenue": 987654.0,
                    "notes": "Shipment secret note Xyzzy",
                },
                {"name": "WB-BRAVO-001", "partner_id": cls.customer_b.id, "date": T0},
            ]
        )
        cls.complaint_a = cls._complaint(
            "Parcel arrived two days late", cls.customer_a, cls.contact_a, cls.shipment_a
        )
        cls.complaint_b = cls._complaint(
            "Bravo pallet was crushed", cls.customer_b, cls.contact_b, cls.shipment_b
        )

    @classmethod
    def _portal_user(cls, login, contact):
        return new_user(cls.env, "portal", login, password=f"{login}-pw", partner_id=contact.id)

    @classmethod
    def _complaint(cls, subject, customer, contact, shipment=None, **vals):
        return cls.env["delivery.complaint"].create(
            {
                "subject": subject,
                "partner_id": customer.id,
                "contact_id": contact.id,
                "type_id": cls.type_delay.id,
                "channel": "hotline",
                "shipment_id": shipment.id if shipment else False,
                "description": "<p>Customer-visible description Frobnicate</p>",
                **vals,
            }
        )

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _get(self, url, **kwargs):
        response = self.url_open(url, **kwargs)
        self.assertLess(response.status_code, 400, f"{url} answered {response.status_code}")
        return response

    def _call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _assert_rpc_refused(self, model, method, args, kwargs=None):
        # the server logs each refusal as a warning: captured (and so checked) here
        with (
            self.assertLogs("odoo.http", "WARNING"),
            self.assertRaises(JsonRpcException) as caught,
        ):
            self._call_kw(model, method, args, kwargs)
        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")

    def _form_csrf_token(self):
        page = self._get("/my/complaints/new")
        tokens = html.fromstring(page.content).xpath("//form//input[@name='csrf_token']/@value")
        self.assertEqual(len(tokens), 1, "the request form carries its CSRF token")
        return page, tokens[0]

    def _post_request(self, data, files=None):
        _page, token = self._form_csrf_token()
        return self.url_open("/my/complaints/new", data=dict(data, csrf_token=token), files=files)

    def _requests_with_subject(self, subject):
        self.env.invalidate_all()
        return self.env["delivery.complaint"].search([("subject", "=", subject)])

    # ------------------------------------------------------------------ pages
    def test_lists_only_own_company(self):
        self._login(self.portal_a)
        home = self._get("/my")
        self.assertIn('href="/my/complaints"', home.text)
        self.assertIn('href="/my/deliveries"', home.text)
        page = self._get("/my/complaints")
        self.assertIn(self.complaint_a.subject, page.text)
        self.assertIn(self.complaint_a.name, page.text)
        self.assertNotIn(self.complaint_b.subject, page.text)
        self.assertNotIn(self.complaint_b.name, page.text)

        deliveries = self._get("/my/deliveries")
        self.assertIn("WB-ALPHA-001", deliveries.text)
        self.assertNotIn("WB-BRAVO-001", deliveries.text)

        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["complaint_count", "shipment_count"]}
        )
        self.assertEqual(counters, {"complaint_count": 1, "shipment_count": 1})

    def test_list_filters(self):
        closed = self._complaint(
            "Alpha question already answered",
            self.customer_a,
            self.contact_a,
            request_type="inquiry",
            type_id=False,
            resolution="<p>Answered.</p>",
        )
        closed.write({"state": "resolved"})
        self._login(self.portal_a)
        open_page = self._get("/my/complaints?filterby=open")
        self.assertIn(self.complaint_a.subject, open_page.text)
        self.assertNotIn(closed.subject, open_page.text)
        done_page = self._get("/my/complaints?filterby=closed&sortby=name")
        self.assertIn(closed.subject, done_page.text)
        self.assertNotIn(self.complaint_a.subject, done_page.text)

    def test_other_company_records_refused(self):
        self._login(self.portal_a)
        response = self.url_open(f"/my/complaints/{self.complaint_b.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        followed = self._get(f"/my/complaints/{self.complaint_b.id}")
        self.assertNotIn(self.complaint_b.subject, followed.text)

        response = self.url_open(f"/my/deliveries/{self.shipment_b.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        followed = self._get(f"/my/deliveries/{self.shipment_b.id}")
        self.assertNotIn("WB-BRAVO-001", followed.text)

        # a wrong access token opens nothing either
        response = self.url_open(
            f"/my/complaints/{self.complaint_b.id}?access_token=not-the-token",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)

    def test_access_token_opens_the_request(self):
        token = self.complaint_b._portal_ensure_token()
        self.authenticate(None, None)
        page = self._get(f"/my/complaints/{self.complaint_b.id}?access_token={token}")
        self.assertIn(self.complaint_b.subject, page.text)
        # the delivery page needs a signed-in customer: no link to it
        self.assertNotIn(f"/my/deliveries/{self.shipment_b.id}", page.text)

    def test_detail_hides_internal_data(self):
        root_cause = self.env["delivery.complaint.root.cause"].search([], limit=1)
        self.assertTrue(root_cause, "the module ships root causes")
        self.complaint_a.write(
            {
                "root_cause_id": root_cause.id,
                "root_cause_detail": "Findings Plugh driver overslept",
                "internal_note": "<p>Internal Wibble do not tell the customer</p>",
                "responsible_id": self.staff.id,
                "user_id": self.staff.id,
            }
        )
        self._login(self.portal_a)
        page = self._get(f"/my/complaints/{self.complaint_a.id}")
        self.assertIn(self.complaint_a.subject, page.text)
        self.assertIn("Customer-visible description Frobnicate", page.text)
        self.assertIn("WB-ALPHA-001", page.text)
        self.assertIn('id="discussion"', page.text, "the portal chatter is on the page")
        self.assertNotIn(BACKEND_LINK, page.text)
        for secret in (
            "Findings Plugh",
            "Internal Wibble",
            self.staff.name,
            root_cause.name,
        ):
            self.assertNotIn(secret, page.text)

        delivery = self._get(f"/my/deliveries/{self.shipment_a.id}")
        self.assertIn("WB-ALPHA-001", delivery.text)
        self.assertIn(self.complaint_a.subject, delivery.text)
        self.assertNotIn("Xyzzy", delivery.text)
        self.assertNotIn("987654", delivery.text)
        self.assertNotIn("987,654", delivery.text)

    # ------------------------------------------------------------------ JSON-RPC
    def test_jsonrpc_access(self):
        self._login(self.portal_a)
        records = self._call_kw(
            "delivery.complaint", "search_read", [[]], {"fields": ["subject", "partner_id"]}
        )
        self.assertEqual([r["id"] for r in records], self.complaint_a.ids)
        self.assertEqual(records[0]["partner_id"][0], self.customer_a.id)
        shipments = self._call_kw("delivery.shipment", "search_read", [[]], {"fields": ["name"]})
        self.assertEqual([s["name"] for s in shipments], ["WB-ALPHA-001"])

        own = self._call_kw("delivery.complaint", "read", [self.complaint_a.ids, ["subject"]])
        self.assertEqual(own[0]["subject"], self.complaint_a.subject)

        self._assert_rpc_refused("delivery.complaint", "read", [self.complaint_b.ids, ["subject"]])
        self._assert_rpc_refused("delivery.shipment", "read", [self.shipment_b.ids, ["name"]])
        # security review M4: a portal user reads the fields the portal shows, and
        # none of the internal ones (who handled it, triage, analysis, SLA internals)
        for model, records, expected in (
            ("delivery.complaint", self.complaint_a, PORTAL_COMPLAINT_FIELDS),
            ("delivery.shipment", self.shipment_a, PORTAL_SHIPMENT_FIELDS),
        ):
            with self.subTest(model=model):
                readable = set(self._call_kw(model, "fields_get", [], {"attributes": ["type"]}))
                self.assertEqual(readable, expected)
                # (Odoo lists the activity exception fields, but computes them from
                # the activities, an employee field: reading them is refused anyway)
                shown = expected - ODOO_PORTAL_UNREADABLE
                self.assertEqual(
                    set(self._call_kw(model, "read", [records.ids, sorted(shown)])[0]),
                    shown,
                )
                hidden = sorted(set(self.env[model]._fields) - expected)
                self.assertTrue(hidden)
                for field in hidden:
                    with self.subTest(model=model, field=field):
                        self._assert_rpc_refused(model, "read", [records.ids, [field]])
        # the default order of the requests (by priority, which tells the internal
        # importance) is not theirs: a search without an order still answers
        records = self._call_kw("delivery.complaint", "search_read", [[]], {"fields": ["name"]})
        self.assertEqual([r["id"] for r in records], self.complaint_a.ids)
        self._assert_rpc_refused(
            "delivery.complaint", "write", [self.complaint_a.ids, {"subject": "Hacked"}]
        )
        self._assert_rpc_refused(
            "delivery.complaint",
            "create",
            [
                {
                    "subject": "Forged",
                    "partner_id": self.customer_b.id,
                    "type_id": self.type_delay.id,
                }
            ],
        )
        self._assert_rpc_refused("delivery.complaint", "unlink", [self.complaint_a.ids])
        self.env.invalidate_all()
        self.assertEqual(self.complaint_a.subject, "Parcel arrived two days late")
        self.assertTrue(self.complaint_a.exists())
        self.assertFalse(self._requests_with_subject("Forged"))

    # ------------------------------------------------------------------ new request
    def test_file_request_with_attachments(self):
        self._login(self.portal_a)
        form, _token = self._form_csrf_token()
        self.assertIn("WB-ALPHA-001", form.text)
        self.assertNotIn("WB-BRAVO-001", form.text)
        self.assertIn(self.type_delay.name, form.text)

        response = self._post_request(
            {
                "subject": "Portal: box left in the rain",
                "request_type": "complaint",
                "type_id": self.type_delay.id,
                "shipment_id": self.shipment_a.id,
                "urgency": "urgent",
                "description": "It was <b>soaked</b>\nsecond line",
                # ignored: the customer and the channel are not the form's to say
                "partner_id": self.customer_b.id,
                "channel": "hotline",
            },
            files=[
                ("attachments", ("photo.jpg", b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg")),
                (
                    "attachments",
                    ("../../etc/evil<x>.txt", "Reçu 收据 #42".encode(), "text/plain"),
                ),
            ],
        )
        self.assertEqual(response.status_code, 200)
        complaint = self._requests_with_subject("Portal: box left in the rain")
        self.assertEqual(len(complaint), 1)
        self.assertTrue(response.url.endswith(f"/my/complaints/{complaint.id}"))
        self.assertIn("Portal: box left in the rain", response.text)
        self.assertEqual(complaint.partner_id, self.customer_a)
        self.assertEqual(complaint.contact_id, self.contact_a)
        self.assertEqual(complaint.channel, "portal")
        self.assertEqual(complaint.shipment_id, self.shipment_a)
        self.assertEqual(complaint.type_id, self.type_delay)
        self.assertEqual(complaint.urgency, "urgent")
        self.assertIn("&lt;b&gt;soaked&lt;/b&gt;", complaint.description)
        self.assertNotIn("<b>", complaint.description)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "delivery.complaint"), ("res_id", "=", complaint.id)]
        )
        self.assertEqual(len(attachments), 2)
        names = sorted(attachments.mapped("name"))
        self.assertEqual(names[1], "photo.jpg")
        self.assertNotIn("/", names[0])
        self.assertNotIn("<", names[0])
        self.assertEqual(
            attachments.filtered(lambda a: a.name.endswith(".txt")).mimetype, "text/plain"
        )
        self.assertEqual(
            complaint.message_ids.attachment_ids, attachments, "the files are in the conversation"
        )

    def test_file_inquiry_without_complaint_type(self):
        self._login(self.portal_a)
        response = self._post_request(
            {"subject": "Portal: opening hours?", "request_type": "inquiry", "urgency": "normal"}
        )
        self.assertEqual(response.status_code, 200)
        inquiry = self._requests_with_subject("Portal: opening hours?")
        self.assertEqual(inquiry.request_type, "inquiry")
        self.assertFalse(inquiry.type_id)
        self.assertFalse(inquiry.shipment_id)
        self.assertEqual(inquiry.partner_id, self.customer_a)

    def test_file_request_rejected(self):
        self._login(self.portal_a)
        cases = [
            (
                "foreign delivery",
                {"subject": "Portal: not mine", "shipment_id": self.shipment_b.id},
                None,
                "Choose one of your deliveries.",
            ),
            ("empty subject", {"subject": "   "}, None, "Give your request a summary."),
            (
                "complaint without type",
                {"subject": "Portal: no type", "type_id": ""},
                None,
                "Choose what the complaint is about.",
            ),
            (
                "unknown request type",
                {"subject": "Portal: bad type", "request_type": "refund"},
                None,
                "Choose what kind of request this is.",
            ),
            (
                "file too large",
                {"subject": "Portal: huge file"},
                [("attachments", ("big.bin", b"0" * (10 * 1024 * 1024 + 1), "application/pdf"))],
                "big.bin is too large",
            ),
            # security review L1: only photos, PDF, office documents and text files
            (
                "web page",
                {"subject": "Portal: a page"},
                [("attachments", ("page.html", b"<script>alert(1)</script>", "text/plain"))],
                "page.html is not a kind of file we accept",
            ),
            (
                "svg image",
                {"subject": "Portal: a drawing"},
                [
                    (
                        "attachments",
                        (
                            "logo.jpg",
                            b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
                            "image/jpeg",
                        ),
                    )
                ],
                "logo.jpg is not a kind of file we accept",
            ),
            (
                "program",
                {"subject": "Portal: a program"},
                [
                    ("attachments", ("photo.jpg", b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg")),
                    ("attachments", ("tool.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "x")),
                ],
                "tool.pdf is not a kind of file we accept",
            ),
        ]
        for label, data, files, error in cases:
            with self.subTest(label):
                before = self.env["delivery.complaint"].search_count([])
                attachments_before = self.env["ir.attachment"].search_count([])
                values = {
                    "request_type": "complaint",
                    "type_id": self.type_delay.id,
                    "urgency": "normal",
                    **data,
                }
                response = self._post_request(values, files=files)
                self.assertEqual(response.status_code, 200)
                self.assertIn(error, response.text)
                self.assertIn('id="complaint_form_errors"', response.text)
                self.env.invalidate_all()
                self.assertEqual(self.env["delivery.complaint"].search_count([]), before)
                self.assertEqual(self.env["ir.attachment"].search_count([]), attachments_before)

    def test_only_customers_file_requests(self):
        """Security review L1: any signed-in user (an employee, the auditor, a portal
        user who is not a delivery customer) could file a request from the portal."""
        outsider = self.env["res.partner"].create(
            {"name": "Webshop Buyer", "email": "buyer@example.com"}
        )
        outsider_user = self._portal_user("portal_outsider", outsider)
        self.staff.password = "portal_test_staff-pw"
        for user in (self.staff, outsider_user):
            with self.subTest(user=user.login):
                self._login(user)
                page = self._get("/my/complaints/new")
                self.assertIn('id="complaint_form_refused"', page.text)
                self.assertFalse(
                    html.fromstring(page.content).xpath("//form[@action='/my/complaints/new']")
                )
                csrf_token = html.fromstring(page.content).xpath(
                    "//input[@name='csrf_token']/@value"
                ) or [self._csrf_from_session(page)]
                response = self.url_open(
                    "/my/complaints/new",
                    data={
                        "subject": f"Portal: filed by {user.login}",
                        "request_type": "inquiry",
                        "urgency": "normal",
                        "csrf_token": csrf_token[0],
                    },
                )
                self.assertIn('id="complaint_form_refused"', response.text)
                self.assertFalse(self._requests_with_subject(f"Portal: filed by {user.login}"))

    def _csrf_from_session(self, page):
        return re.search(r'csrf_token: "(\w+)"', page.text).group(1)

    def test_requests_per_hour_are_limited(self):
        """Security review L1: a portal user could file requests without limit (each
        with ten 10 MB files)."""
        self.env.company.delivery_portal_request_limit = 2
        self._login(self.portal_a)
        values = {"request_type": "inquiry", "urgency": "normal"}
        for number in (1, 2):
            self._post_request(dict(values, subject=f"Portal: flood {number}"))
            self.assertTrue(self._requests_with_subject(f"Portal: flood {number}"))
        response = self._post_request(dict(values, subject="Portal: flood 3"))
        self.assertIn("at most 2 requests an hour", response.text)
        self.assertIn('id="complaint_form_errors"', response.text)
        self.assertFalse(self._requests_with_subject("Portal: flood 3"))
        # another customer's user has their own allowance
        self._login(self.portal_b)
        self._post_request(dict(values, subject="Portal: Bravo asks"))
        self.assertTrue(self._requests_with_subject("Portal: Bravo asks"))

    def test_file_request_needs_csrf_token(self):
        self._login(self.portal_a)
        with self.assertLogs("odoo.http", "WARNING"):
            response = self.url_open(
                "/my/complaints/new",
                data={
                    "subject": "Portal: forged post",
                    "type_id": self.type_delay.id,
                    "request_type": "complaint",
                },
            )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._requests_with_subject("Portal: forged post"))

    # ------------------------------------------------------------------ rating
    def _resolved_inquiry(self, subject):
        inquiry = self._complaint(
            subject,
            self.customer_a,
            self.contact_a,
            request_type="inquiry",
            type_id=False,
            user_id=self.staff.id,
        )
        inquiry.write({"resolution": "<p>Our answer Grault</p>"})
        inquiry.write({"state": "resolved"})
        return inquiry

    def _rate_from_portal(self, complaint, rate, feedback):
        self._login(self.portal_a)
        page = self._get(f"/my/complaints/{complaint.id}")
        self.assertIn("Our answer Grault", page.text)
        links = RATE_LINK.findall(page.text)
        self.assertEqual(sorted(value for _token, value in links), ["1", "3", "5"])
        token = links[0][0]
        self.assertEqual({t for t, _value in links}, {token})

        rate_page = self._get(f"/rate/{token}/{rate}")
        forms = html.fromstring(rate_page.content).xpath(
            f"//form[@action='/rate/{token}/submit_feedback']"
        )
        self.assertEqual(len(forms), 1)
        csrf_token = forms[0].xpath(".//input[@name='csrf_token']/@value")[0]
        self._get(
            f"/rate/{token}/submit_feedback",
            data={"rate": rate, "feedback": feedback, "csrf_token": csrf_token},
        )
        self.env.invalidate_all()
        return token

    def test_rating_closes_the_request(self):
        inquiry = self._resolved_inquiry("Portal: when is my pickup?")
        self._rate_from_portal(inquiry, 5, "Quick answer")
        self.assertEqual(inquiry.state, "closed")
        self.assertEqual(inquiry.close_reason, "rated")
        rating = inquiry.rating_ids.filtered("consumed")
        self.assertEqual(rating.rating, 5)
        self.assertEqual(rating.partner_id, self.contact_a)
        self.assertEqual(rating.feedback, "Quick answer")
        investigation = self.env.ref("delivery_crm.mail_activity_type_complaint_investigation")
        self.assertNotIn(investigation, inquiry.activity_ids.activity_type_id)
        # rated: the page offers no rating any more
        page = self._get(f"/my/complaints/{inquiry.id}")
        self.assertFalse(RATE_LINK.findall(page.text))

    def test_poor_rating_reopens_the_request(self):
        """A 1-star rating from the portal sends the request back to its owner (it
        closed it before): the customer sees it reopened and what happens next."""
        inquiry = self._resolved_inquiry("Portal: why was I charged twice?")
        self._rate_from_portal(inquiry, 1, "Nobody called me back")
        self.assertEqual(inquiry.state, "reopened")
        self.assertFalse(inquiry.close_reason)
        investigation = self.env.ref("delivery_crm.mail_activity_type_complaint_investigation")
        activity = inquiry.activity_ids.filtered(lambda a: a.activity_type_id == investigation)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.staff)  # back to its owner
        self.assertIn("Nobody called me back", activity.note)
        self.assertEqual(inquiry.rating_investigated_id.rating, 1)
        page = self._get(f"/my/complaints/{inquiry.id}")
        self.assertIn("complaint_reopened", page.text)
        self.assertFalse(RATE_LINK.findall(page.text))

    def test_a_used_rating_link_does_not_rate_again(self):
        """Security review H2, L2: Odoo's rating pages showed and applied a used link
        again (a 1 became a 5 after the request was reopened)."""
        inquiry = self._resolved_inquiry("Portal: rate me once")
        token = self._rate_from_portal(inquiry, 1, "Still wrong")
        self.assertEqual(inquiry.state, "reopened")
        rating = inquiry.sudo().rating_ids.filtered("consumed")
        page = self._get(f"/rate/{token}/5")
        self.assertIn('id="rating_refused"', page.text)
        self.assertIn("already used", page.text)
        self.assertFalse(
            html.fromstring(page.content).xpath(f"//form[@action='/rate/{token}/submit_feedback']")
        )
        _page, csrf_token = self._form_csrf_token()
        response = self._get(
            f"/rate/{token}/submit_feedback",
            data={"rate": 5, "feedback": "Changed my mind", "csrf_token": csrf_token},
        )
        self.assertIn("already used", response.text)
        self.env.invalidate_all()
        self.assertEqual(rating.rating, 1)
        self.assertEqual(rating.feedback, "Still wrong")
        self.assertEqual(inquiry.state, "reopened")
        self.assertEqual(inquiry.sudo().rating_ids.filtered("consumed"), rating)

    def test_a_colleague_rates_under_their_own_name(self):
        """Security review L2: the portal page gave every portal user of the customer
        the token of the request's contact, so a colleague rated as the contact."""
        colleague = self.env["res.partner"].create(
            {"name": "Carl Alpha", "parent_id": self.customer_a.id, "email": "carl@example.com"}
        )
        colleague_user = self._portal_user("portal_alpha_2", colleague)
        inquiry = self._resolved_inquiry("Portal: rated by a colleague")
        contact_token = inquiry.sudo()._rating_get_access_token()  # the mail's link
        self._login(colleague_user)
        page = self._get(f"/my/complaints/{inquiry.id}")
        tokens = {token for token, _value in RATE_LINK.findall(page.text)}
        self.assertEqual(len(tokens), 1)
        self.assertNotIn(contact_token, tokens)
        (token,) = tokens
        rate_page = self._get(f"/rate/{token}/5")
        csrf_token = html.fromstring(rate_page.content).xpath(
            f"//form[@action='/rate/{token}/submit_feedback']//input[@name='csrf_token']/@value"
        )[0]
        self._get(
            f"/rate/{token}/submit_feedback",
            data={"rate": 5, "feedback": "Fine by me", "csrf_token": csrf_token},
        )
        self.env.invalidate_all()
        rating = inquiry.sudo().rating_ids.filtered("consumed")
        self.assertEqual(rating.partner_id, colleague)
        self.assertEqual(inquiry.state, "closed")
        # the resolution is rated: the contact's link from the mail no longer rates it
        self.authenticate(None, None)
        page = self._get(f"/rate/{contact_token}/1")
        self.assertIn('id="rating_refused"', page.text)
        self.env.invalidate_all()
        self.assertEqual(inquiry.sudo().rating_ids.filtered("consumed"), rating)
        self.assertEqual(inquiry.state, "closed")

    # ------------------------------------------------------------------ reopening
    def _reopen_form(self, complaint):
        page = self._get(f"/my/complaints/{complaint.id}")
        forms = html.fromstring(page.content).xpath(
            f"//form[@action='/my/complaints/{complaint.id}/reopen']"
        )
        return forms[0].xpath(".//input[@name='csrf_token']/@value")[0] if forms else None

    def _post_reopen(self, complaint, reason, csrf_token):
        return self.url_open(
            f"/my/complaints/{complaint.id}/reopen",
            data={"reason": reason, "csrf_token": csrf_token},
        )

    def test_customer_reopens_from_the_portal(self):
        inquiry = self._resolved_inquiry("Portal: reopen me")
        self._login(self.portal_a)
        csrf_token = self._reopen_form(inquiry)
        self.assertTrue(csrf_token, "a resolved request offers the reopening form")
        # a reason is needed: nothing changes without one
        response = self._post_reopen(inquiry, "   ", csrf_token)
        self.assertIn("what is still wrong", response.text)
        self.env.invalidate_all()
        self.assertEqual(inquiry.state, "resolved")
        response = self._post_reopen(inquiry, "The answer does not cover my invoice", csrf_token)
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(inquiry.state, "reopened")
        self.assertEqual(inquiry.reopen_reason, "The answer does not cover my invoice")
        self.assertEqual(inquiry.reopen_count, 1)
        message = inquiry.message_ids.filtered(
            lambda m: (
                "The answer does not cover my invoice" in str(m.body)
                and m.author_id == self.contact_a
            )
        )
        self.assertTrue(message, "the customer's reason is in the history, under their name")

    def test_reopen_refused_for_others_and_after_the_period(self):
        inquiry = self._resolved_inquiry("Portal: not yours")
        self._login(self.portal_b)  # another customer
        page = self.url_open(f"/my/complaints/{inquiry.id}")
        self.assertNotIn("/reopen", page.text)
        _page, csrf_token = self._form_csrf_token()
        self._post_reopen(inquiry, "Reopen someone else's request", csrf_token)
        self.env.invalidate_all()
        self.assertEqual(inquiry.state, "resolved")
        # closed longer ago than the company allows: no form, and a post is refused
        inquiry.rating_apply(5, token=inquiry._rating_get_access_token())
        self.assertEqual(inquiry.state, "closed")
        days = self.env.company.delivery_complaint_reopen_days
        inquiry.sudo().write({"closed_date": inquiry.closed_date - timedelta(days=days + 1)})
        self._login(self.portal_a)
        self.assertIsNone(self._reopen_form(inquiry))
        _page, csrf_token = self._form_csrf_token()
        response = self._post_reopen(inquiry, "Too late?", csrf_token)
        self.assertIn("can no longer be reopened", response.text)
        self.env.invalidate_all()
        self.assertEqual(inquiry.state, "closed")

    def test_no_rating_links_before_resolution_or_for_others(self):
        self._login(self.portal_a)
        page = self._get(f"/my/complaints/{self.complaint_a.id}")
        self.assertFalse(RATE_LINK.findall(page.text), "not resolved yet: nothing to rate")
        inquiry = self._resolved_inquiry("Portal: staff view")
        # an employee opening the customer's page is not offered the customer's rating
        self.authenticate(self.staff.login, self.staff.login)
        page = self._get(f"/my/complaints/{inquiry.id}")
        self.assertIn("Portal: staff view", page.text)
        self.assertFalse(RATE_LINK.findall(page.text))
        self.assertIn(BACKEND_LINK, page.text, "staff get a link to the back-end form")

    # ------------------------------------------------------------------ chatter
    def _post(self, complaint, post_data):
        return self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "delivery.complaint",
                "thread_id": complaint.id,
                "post_data": post_data,
            },
        )

    def test_customer_replies_but_cannot_rate_through_the_chatter(self):
        """Security review H1: a rating value posted with a chatter message became a
        consumed rating that the evaluation counted."""
        self._login(self.portal_a)
        self._post(
            self.complaint_a,
            {"body": "Five stars for me", "message_type": "comment", "rating_value": 5},
        )
        self.env.invalidate_all()
        self.assertIn("Five stars for me", str(self.complaint_a.message_ids[0].body))
        ratings = self.env["rating.rating"].search(
            [("res_model", "=", "delivery.complaint"), ("res_id", "=", self.complaint_a.id)]
        )
        self.assertFalse(ratings.filtered("consumed"))
        # another customer's request: refused
        with self.assertRaises(JsonRpcException), self.assertLogs("odoo.http", "WARNING"):
            self._post(self.complaint_b, {"body": "Not mine", "message_type": "comment"})
        self.env.invalidate_all()
        self.assertNotIn("Not mine", str(self.complaint_b.message_ids.mapped("body")))
