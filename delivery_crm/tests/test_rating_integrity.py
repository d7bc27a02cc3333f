"""Security review H1, H2 and L2: the ratings of requests come from the customer's
rating flow only, are read as the requests are, keep their tokens to themselves, and
count once per request."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import tagged

from .common import new_user
from .test_delivery_complaint import DeliveryComplaintCommon


@tagged("post_install", "-at_install")
class TestRatingIntegrity(DeliveryComplaintCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Rating Other Co"})
        cls.user_manager_b = new_user(
            cls.env, "manager", "rating_manager_b", "Manager Elsewhere", company=cls.company_b
        )
        cls.complaint_model_id = cls.env["ir.model"]._get_id("delivery.complaint")

    def _rated_complaint(self, rate=5):
        complaint = self._complaint()
        self._through_investigation(complaint)
        token = complaint._rating_get_access_token()
        rating = complaint.sudo().rating_apply(rate, token=token, feedback="Fine")
        return complaint, rating

    def _internal_users(self):
        return {
            "employee": self.user_employee,
            "staff": self.user_staff,
            "owner": self.user_account_manager,
            "auditor": self.user_auditor,
            "manager": self.user_manager,
            "admin": self.env.ref("base.user_admin"),
            "other company": self.user_manager_b,
        }

    # ------------------------------------------------------------------ H1: no forging
    def test_no_internal_user_creates_a_rating_of_a_request(self):
        complaint = self._complaint()
        for name, user in self._internal_users().items():
            with self.subTest(user=name), self.assertRaises(AccessError):
                self.env["rating.rating"].with_user(user).create(
                    {
                        "res_model_id": self.complaint_model_id,
                        "res_id": complaint.id,
                        "rating": 1,
                        "consumed": True,
                    }
                )
        self.assertFalse(complaint.rating_ids)
        # the ratings of other documents are left as Odoo has them
        partner_rating = (
            self.env["rating.rating"]
            .with_user(self.user_employee)
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": self.customer.id,
                    "rating": 4,
                }
            )
        )
        self.assertEqual(partner_rating.rating, 4)

    def test_no_rating_is_moved_onto_a_request(self):
        """The rules check a write against the row as it was: a rating made for another
        document, then pointed at a request, would count as the customer's verdict."""
        complaint = self._complaint()
        for name, user in self._internal_users().items():
            with self.subTest(user=name):
                rating = (
                    self.env["rating.rating"]
                    .with_user(user)
                    .create(
                        {
                            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                            "res_id": self.customer.id,
                            "partner_id": self.contact.id,
                            "rating": 5,
                            "consumed": True,
                        }
                    )
                )
                with self.assertRaises(AccessError):
                    rating.write({"res_model_id": self.complaint_model_id, "res_id": complaint.id})
                with self.assertRaises(AccessError):
                    rating.write({"res_model": "delivery.complaint", "res_id": complaint.id})
        self.assertFalse(complaint.rating_ids)

    def test_no_internal_user_rewrites_a_rating_of_a_request(self):
        complaint, rating = self._rated_complaint(rate=1)
        for name, user in self._internal_users().items():
            with self.subTest(user=name):
                with self.assertRaises(AccessError):
                    rating.with_user(user).write({"rating": 5, "consumed": True})
                with self.assertRaises(AccessError):
                    rating.with_user(user).unlink()
        self.assertEqual(rating.rating, 1)
        self.assertEqual(complaint.rating_last_value, 1)

    # ------------------------------------------------------------------ H2: reading
    def test_ratings_are_read_as_their_request(self):
        complaint, rating = self._rated_complaint()
        domain = [("res_model", "=", "delivery.complaint"), ("res_id", "=", complaint.id)]
        Rating = self.env["rating.rating"]
        # the request's owner, the managers and auditors of its company read it
        for user in (self.user_account_manager, self.user_manager, self.user_auditor):
            with self.subTest(user=user.login):
                self.assertEqual(Rating.with_user(user).search(domain), rating)
                self.assertEqual(rating.with_user(user).read(["rating"])[0]["rating"], 5)
        # employees outside the CRM, staff who cannot read the request and other
        # companies' managers do not
        self.assertFalse(complaint.with_user(self.user_staff).has_access("read"))
        for user in (self.user_employee, self.user_staff, self.user_manager_b):
            with self.subTest(user=user.login):
                self.assertFalse(Rating.with_user(user).search(domain))
                with self.assertRaises(AccessError):
                    rating.with_user(user).read(["feedback", "res_name"])

    def test_tokens_are_not_given_to_staff(self):
        """A pending rating's token rates as the customer: nobody internal reads one,
        and the tokens of answered ratings are not readable either."""
        complaint = self._complaint()
        self._through_investigation(complaint)
        token = complaint._rating_get_access_token()
        pending = self.env["rating.rating"].search([("access_token", "=", token)])
        self.assertTrue(pending)
        Rating = self.env["rating.rating"]
        for user in (self.user_account_manager, self.user_manager, self.user_auditor):
            with self.subTest(user=user.login):
                self.assertFalse(
                    Rating.with_user(user).search([("res_id", "=", complaint.id)]),
                    "a pending rating (a live token) is not listed",
                )
                self.assertFalse(Rating.with_user(user).search([("access_token", "=", token)]))
                with self.assertRaises(AccessError):
                    pending.with_user(user).read(["access_token"])
        rating = complaint.sudo().rating_apply(5, token=token)
        for user in (self.user_account_manager, self.user_manager, self.user_auditor):
            with self.subTest(user=user.login, consumed=True):
                self.assertEqual(
                    Rating.with_user(user).search([("res_id", "=", complaint.id)]), rating
                )
                with self.assertRaises(AccessError):
                    rating.with_user(user).read(["access_token"])
                values = rating.with_user(user).read()[0]
                self.assertNotIn("access_token", values)
                self.assertEqual(values["rating"], 5)

    # ------------------------------------------------------------------ rating_apply
    def test_staff_cannot_rate_as_the_customer(self):
        """``rating_apply`` is not an RPC method, and without the customer's token it
        applies no rating but the superuser's."""
        complaint = self._complaint()
        self._through_investigation(complaint)
        complaint._rating_get_access_token()
        pending = complaint.rating_ids
        with self.assertRaises(AccessError):
            get_public_method(complaint.with_user(self.user_account_manager), "rating_apply")
        for user in (self.user_account_manager, self.user_manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    complaint.with_user(user).rating_apply(5, rating=pending)
                with self.assertRaises(UserError):
                    complaint.with_user(user).rating_apply(5, token="0" * 32)
        self.assertEqual(complaint.state, "resolved")
        self.assertFalse(complaint.rating_ids.filtered("consumed"))

    def test_a_used_token_does_not_rate_again(self):
        complaint, rating = self._rated_complaint(rate=1)
        self.assertEqual(complaint.state, "reopened")
        with self.assertRaises(UserError):
            complaint.sudo().rating_apply(5, token=rating.access_token)
        self.assertEqual(rating.rating, 1)
        self.assertEqual(complaint.state, "reopened")
        self.assertEqual(complaint.rating_last_value, 1)

    # ------------------------------------------------------------------ counting
    def test_satisfaction_counts_one_rating_per_request(self):
        """Rows written past the rating flow (before this fix, or by the superuser)
        do not multiply a request's weight: the request's latest rating by its
        customer counts, once."""
        start, end = datetime(2000, 1, 1), datetime(2100, 1, 1)
        complaint, _rating = self._rated_complaint(rate=1)
        stranger = self.env["res.partner"].create({"name": "Not the customer"})
        with freeze_time(fields.Datetime.now() + timedelta(minutes=5)):
            self.env["rating.rating"].create(
                [
                    {
                        "res_model_id": self.complaint_model_id,
                        "res_id": complaint.id,
                        "partner_id": self.contact.id,
                        "rating": 1,
                        "consumed": True,
                    }
                    for _i in range(3)
                ]
                + [
                    {
                        "res_model_id": self.complaint_model_id,
                        "res_id": complaint.id,
                        "partner_id": stranger.id,
                        "rating": 5,
                        "consumed": True,
                    }
                ]
            )
        self.env.flush_all()
        figures = self.env["delivery.complaint"]._satisfaction_by_partner(
            [self.customer.id], start, end
        )
        self.assertEqual(figures, {self.customer.id: (0.0, 1)})
        self.assertEqual(
            self.env["delivery.evaluation"]._get_satisfaction_data([self.customer.id], start, end)[
                self.customer.id
            ][1],
            1,
        )
        kpi = self.env["delivery.staff.kpi.report"].search(
            [("user_id", "=", self.user_account_manager.id)]
        )
        self.assertEqual(sum(kpi.mapped("satisfaction_count")), 1)
        self.assertEqual(sum(kpi.mapped("satisfied_count")), 0)
