"""Appreciation events (task ben, issue 16 item 7): a guest answers the invitation
through the links of its mail, without an account; the token of the link is theirs.
The link opens a page whose button records the reply (a POST): a mail scanner that
follows the links answers nothing."""

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import consteq

ANSWERS = ("accepted", "declined")


class DeliveryAppreciationReply(http.Controller):
    def _appreciation_guest(self, guest_id, token):
        # sudo: the visitor has no account; the guest's own secret token, compared in
        # constant time, is their only right, and only their reply is written
        guest = request.env["delivery.appreciation.guest"].sudo().browse(guest_id).exists()
        if not guest or not guest.access_token or not consteq(guest.access_token, token):
            return None
        return guest

    @http.route(
        ["/appreciation/<int:guest_id>/<string:token>/<string:answer>"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
    )
    def appreciation_reply(self, guest_id, token, answer, **kw):
        guest = self._appreciation_guest(guest_id, token)
        if not guest or answer not in ANSWERS:
            raise request.not_found()
        values = {
            "event_name": guest.event_id.name,
            "answer": answer,
            "recorded": False,
            "message": "",
            "action": request.httprequest.path,
        }
        if request.httprequest.method == "POST":
            try:
                guest._record_reply(answer)
                values["recorded"] = True
            except UserError as error:
                values["message"] = error.args[0]
        return request.render("delivery_crm.appreciation_reply_page", values)
