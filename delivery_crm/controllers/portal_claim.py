"""Customer portal: compensation claims (task claim, issue 15 item 3). The customer
files a claim on one of its own deliveries and follows its claims (list, detail with
the state, the decision and the conversation).

Pages read the claims in the portal user's own environment: the record rules keep
them to the user's company (``partner_id`` is the user's commercial partner) and the
internal fields (owner, approver) carry the Delivery CRM groups."""

import re
from collections import OrderedDict
from datetime import timedelta

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Datetime
from odoo.http import request

from ..models.delivery_claim import CLAIM_KINDS, EVIDENCE_KINDS
from ..models.read_replica import read_only_get
from .portal import FORM_SHIPMENT_LIMIT, MAX_DESCRIPTION_LENGTH, DeliveryCustomerPortal

# an amount as a customer types it: digits, one decimal separator, two decimals at most
AMOUNT = re.compile(r"^\d{1,12}(?:[.,]\d{1,2})?$")


class DeliveryClaimPortal(DeliveryCustomerPortal):
    # ------------------------------------------------------------------ home
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "claim_count" in counters:
            Claim = request.env["delivery.claim"]
            values["claim_count"] = Claim.search_count([]) if Claim.has_access("read") else 0
        return values

    # ------------------------------------------------------------------ list
    def _claim_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest"), "order": "id desc"},
            "name": {"label": env._("Number"), "order": "name desc, id desc"},
            "state": {"label": env._("Status"), "order": "state, id desc"},
        }

    def _claim_searchbar_filters(self):
        env = request.env
        done = ["paid", "refused", "cancelled"]
        return OrderedDict(
            [
                ("all", {"label": env._("All"), "domain": []}),
                ("open", {"label": env._("Open"), "domain": [("state", "not in", done)]}),
                ("done", {"label": env._("Settled"), "domain": [("state", "in", done)]}),
            ]
        )

    @http.route(
        ["/my/claims", "/my/claims/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_claims(self, page=1, sortby=None, filterby=None, **kw):
        values, claims = self._portal_list_values(
            "delivery.claim",
            "/my/claims",
            self._claim_searchbar_sortings(),
            self._claim_searchbar_filters(),
            page,
            sortby,
            filterby,
        )
        request.session["my_claims_history"] = claims.ids[:100]
        values.update({"claims": claims, "page_name": "claim"})
        return request.render("delivery_crm.portal_my_claims", values)

    # ------------------------------------------------------------------ detail
    @http.route(
        ["/my/claims/<int:claim_id>"], type="http", auth="user", website=True, readonly=True
    )
    def portal_my_claim(self, claim_id, access_token=None, **kw):
        claim = request.env["delivery.claim"].browse(claim_id).exists()
        try:
            if not claim:
                raise MissingError(request.env._("This claim does not exist."))
            claim.check_access("read")
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = {"claim": claim, "page_name": "claim"}
        values = self._get_page_view_values(
            claim, access_token, values, "my_claims_history", False, **kw
        )
        return request.render("delivery_crm.portal_my_claim", values)

    # ------------------------------------------------------------------ new
    @staticmethod
    def _claim_intake_refusal():
        """Why the signed-in user may not file a claim from the portal, or ``False``:
        the portal is for the delivery customers' own users."""
        env = request.env
        user = env.user
        # sudo: only whether the user's company is a delivery customer is read
        customer = user.partner_id.commercial_partner_id.sudo()
        if not user.share or not customer.is_delivery_customer:
            return env._(
                "Claims are filed here by our customers' users. Please contact us to file one."
            )
        return False

    @staticmethod
    def _claim_rate_refusal():
        """The refusal when the user filed the company's limit of portal requests and
        claims in the last hour, or ``False``."""
        env = request.env
        limit = env.company.delivery_portal_request_limit
        if not limit:
            return False
        # sudo: the user's own claims of the last hour are counted; nothing of them is
        # returned
        filed = (
            env["delivery.claim"]
            .sudo()
            .search_count(
                [
                    ("create_uid", "=", env.uid),
                    ("create_date", ">=", Datetime.now() - timedelta(hours=1)),
                ],
                limit=limit,
            )
        )
        if filed < limit:
            return False
        return env._(
            "You can file at most %(limit)s claims an hour. Please try again later.",
            limit=limit,
        )

    def _claim_kinds(self):
        env = request.env
        labels = dict(env["delivery.claim"]._fields["kind"]._description_selection(env))
        return [(key, labels[key]) for key, _label in CLAIM_KINDS]

    def _render_claim_form(self, form=None, errors=None, refusal=False):
        env = request.env
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "claim_new",
                "form": form or {},
                "errors": errors or {},
                "refusal": refusal,
                "kinds": self._claim_kinds(),
                "evidence_kinds": EVIDENCE_KINDS,
                # the user's own deliveries: the record rules filter this search
                "shipments": env["delivery.shipment"].search([], limit=FORM_SHIPMENT_LIMIT)
                if not refusal
                else env["delivery.shipment"],
                "currency": env.company.currency_id,
            }
        )
        return request.render("delivery_crm.portal_new_claim", values)

    def _validate_claim_form(self, post):
        """The claim values from the form, or the errors to show (field -> message).
        The delivery is checked against what the portal user may read."""
        env = request.env
        errors = {}
        shipment = env["delivery.shipment"]
        shipment_id = self._to_int(post.get("shipment_id"))
        if shipment_id:
            # only the user's own deliveries: the record rules filter this search
            shipment = shipment.search([("id", "=", shipment_id)])
        if not shipment or shipment.partner_id != env.user.partner_id.commercial_partner_id:
            errors["shipment_id"] = env._("Choose the delivery the claim is about.")
            shipment = env["delivery.shipment"]
        kind = post.get("kind") or ""
        if kind not in dict(CLAIM_KINDS):
            errors["kind"] = env._("Choose what the claim is for.")
        raw_amount = (post.get("amount") or "").strip()
        amount = 0.0
        if AMOUNT.match(raw_amount):
            amount = float(raw_amount.replace(",", "."))
        if amount <= 0:
            errors["amount"] = env._("Enter the amount you claim: a number more than 0.")
        description = (post.get("description") or "").strip()
        if not description:
            errors["description"] = env._("Say what happened and what the amount covers.")
        elif len(description) > MAX_DESCRIPTION_LENGTH:
            errors["description"] = env._(
                "The description is too long (at most %(max)s characters).",
                max=MAX_DESCRIPTION_LENGTH,
            )
        vals = {
            "shipment_id": shipment.id,
            "kind": kind,
            "amount_claimed": amount,
            "description": description,
        }
        return vals, shipment, errors

    def _create_portal_claim(self, vals, shipment, attachments):
        env = request.env
        user = env.user
        # sudo: the delivery's company and its customer's account manager (internal
        # fields) are read for the claim; the user reads the delivery itself (record
        # rules, checked in _validate_claim_form)
        company = shipment.sudo().company_id
        owner = shipment.sudo().partner_id.account_manager_id
        vals.update(
            {
                "contact_id": user.partner_id.id,
                "company_id": company.id,
                "user_id": owner.id if company in owner.company_ids else False,
            }
        )
        # sudo: portal users have no create right on claims. The delivery is the user's
        # own company's (checked in _validate_claim_form), the customer follows from
        # it, the contact is the user, the company the delivery's, the owner its
        # account manager; nothing else comes from the request; the claim is then
        # submitted as the module's own step
        claim_sudo = env["delivery.claim"].sudo().create(vals)
        if attachments:
            self._post_portal_files(claim_sudo, attachments, env._("Evidence sent with the claim."))
        claim_sudo.message_subscribe(partner_ids=user.partner_id.ids)
        claim_sudo.action_submit()
        return claim_sudo

    @http.route(
        ["/my/claims/new"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
        readonly=read_only_get,
    )
    def portal_new_claim(self, **post):
        refusal = self._claim_intake_refusal()
        if refusal:
            return self._render_claim_form(refusal=refusal)
        form = {key: post.get(key) for key in ("kind", "amount", "description")}
        form["shipment_id"] = self._to_int(post.get("shipment_id"))
        if request.httprequest.method != "POST":
            return self._render_claim_form(form=form)
        vals, shipment, errors = self._validate_claim_form(post)
        rate_refusal = self._claim_rate_refusal()
        attachments = []
        if rate_refusal:
            errors["form"] = rate_refusal
        else:
            attachments = self._read_complaint_attachments(errors)
            if not attachments and vals["kind"] in EVIDENCE_KINDS and "attachments" not in errors:
                errors["attachments"] = request.env._(
                    "Attach photos or documents showing the damage or the value of the goods."
                )
        if errors:
            return self._render_claim_form(form=form, errors=errors)
        try:
            with request.env.cr.savepoint():
                claim_sudo = self._create_portal_claim(vals, shipment, attachments)
        except (UserError, ValidationError) as error:
            return self._render_claim_form(form=form, errors={"form": error.args[0]})
        return request.redirect(f"/my/claims/{claim_sudo.id}")
