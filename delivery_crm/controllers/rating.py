"""The rating pages of Odoo (``/rate/<token>/...``, public) for the ratings of
requests: a rating link rates once, and a resolution is rated once (security review
H2, L2). Odoo shows and applies a used link again; here the customer gets a page
saying why not, and nothing changes."""

from odoo import http
from odoo.http import request
from odoo.tools.misc import get_lang

from odoo.addons.rating.controllers.main import Rating

COMPLAINT_MODEL = "delivery.complaint"


class DeliveryRating(Rating):
    @http.route(auth="public")
    def action_open_rating(self, token, rate, **kwargs):
        return self._complaint_rating_refused(token) or super().action_open_rating(
            token, rate, **kwargs
        )

    @http.route(auth="public")
    def action_submit_rating(self, token, rate=0, **kwargs):
        return self._complaint_rating_refused(token) or super().action_submit_rating(
            token, rate=rate, **kwargs
        )

    def _complaint_rating_refused(self, token):
        """The page refusing ``token`` when it is the used link of a request, or the
        link of a request that cannot be rated now; ``None`` otherwise (Odoo's page)."""
        # sudo (in _get_rating_and_record): the token is the visitor's only
        # credential, as on Odoo's own rating pages; an unknown token is a 404
        rating_sudo, record_sudo = self._get_rating_and_record(token)
        if rating_sudo.res_model != COMPLAINT_MODEL:
            return None
        refusal = record_sudo._rating_refusal(rating_sudo)
        if not refusal:
            return None
        lang = rating_sudo.partner_id.lang or get_lang(request.env).code
        return (
            request.env["ir.ui.view"]
            .with_context(lang=lang)
            ._render_template(
                "delivery_crm.rating_refused",
                {"message": refusal, "complaint_url": record_sudo.access_url},
            )
        )
