"""The customer's own choice of delivery notices in the portal (issue 15 item 2,
003 §5.2): what to be told of and how. One narrow route: it reads two values, checks
them against the choices and writes them on the logged-in user's own partner only —
nothing else from the request is written, and no partner id is taken from it."""

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.portal.controllers import portal

from ..models.read_replica import read_only_get
from ..models.res_partner import NOTIFY_CHANNELS, NOTIFY_SCOPES


class DeliveryNotificationPortal(portal.CustomerPortal):
    def _notification_values(self, partner, saved=False, error=None):
        """The page's values: the choices, the partner's own and its company's."""
        env = request.env
        fields_ = env["res.partner"]._fields
        # the labels in the user's language (the choices themselves are NOTIFY_*)
        scopes = dict(fields_["delivery_notify_scope"]._description_selection(env))
        channels = dict(fields_["delivery_notify_channel"]._description_selection(env))
        # sudo: the partner's (and its company's) own choices are shown to the partner
        partner_sudo = partner.sudo()
        company = partner_sudo.commercial_partner_id
        follows = partner_sudo != company
        labels = {**scopes, **channels}
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "delivery_notifications",
                "scopes": [(key, scopes[key]) for key, _label in NOTIFY_SCOPES],
                "channels": [(key, channels[key]) for key, _label in NOTIFY_CHANNELS],
                "follows": follows,
                "company_name": company.name,
                "company_scope": labels[company.delivery_notify_scope or "exceptions"],
                "company_channel": labels[company.delivery_notify_channel or "both"],
                "scope": partner_sudo.delivery_notify_scope
                or ("company" if follows else "exceptions"),
                "channel": partner_sudo.delivery_notify_channel
                or ("company" if follows else "both"),
                "has_email": bool(partner_sudo.email),
                "has_phone": bool(partner_sudo.phone),
                "saved": saved,
                "error": error,
            }
        )
        return values

    @http.route(
        ["/my/notifications"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
        readonly=read_only_get,
    )
    def portal_my_notifications(self, **post):
        partner = request.env.user.partner_id
        if request.httprequest.method != "POST":
            return request.render(
                "delivery_crm.portal_my_notifications", self._notification_values(partner)
            )
        try:
            with request.env.cr.savepoint():
                partner._delivery_set_notice_prefs(post.get("scope"), post.get("channel"))
        except UserError as error:
            return request.render(
                "delivery_crm.portal_my_notifications",
                self._notification_values(partner, error=error.args[0]),
            )
        return request.render(
            "delivery_crm.portal_my_notifications", self._notification_values(partner, saved=True)
        )
