"""Customer portal: the customer's tier, its benefits and its points (task ben, issue
16 item 5). The points ledger and the benefits granted are read in the portal user's
own environment (record rules: the user's commercial partner only); the tier and its
benefits, which portal users cannot read, are read for the user's own company only."""

from odoo import http
from odoo.http import request

from .portal import DeliveryCustomerPortal

# the ledger rows shown on the page (the newest first)
LEDGER_ROWS = 50


class DeliveryBenefitPortal(DeliveryCustomerPortal):
    def _portal_benefit_customer(self):
        """The portal user's company, if it is a delivery customer."""
        # sudo: the user's own commercial partner, to read its tier and benefits (names
        # and descriptions only, the customer-facing part of the tier ladder)
        customer = request.env.user.commercial_partner_id.sudo()
        return customer if customer.is_delivery_customer else None

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "benefit_count" in counters:
            customer = self._portal_benefit_customer()
            values["benefit_count"] = len(customer.tier_id.all_benefit_ids) if customer else 0
        return values

    @http.route(["/my/benefits"], type="http", auth="user", website=True, readonly=True)
    def portal_my_benefits(self, **kw):
        customer = self._portal_benefit_customer()
        if not customer:
            return request.redirect("/my")
        Move = request.env["delivery.points.move"]
        Grant = request.env["delivery.benefit.grant"]
        moves = Move.search([], limit=LEDGER_ROWS) if Move.has_access("read") else Move
        grants = Grant.search([], limit=LEDGER_ROWS) if Grant.has_access("read") else Grant
        balance = (
            Move._read_group([], aggregates=["points:sum"])[0][0]
            if Move.has_access("read")
            else 0.0
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "benefit",
                "customer": customer,
                "tier": customer.tier_id,
                "benefits": customer.tier_id.all_benefit_ids,
                "points_balance": balance or 0.0,
                "points_moves": moves,
                "grants": grants,
            }
        )
        return request.render("delivery_crm.portal_my_benefits", values)
