"""Customer portal: the customer's contact confirms the delivery of a requirement
carried out (task req, issue 17 item 1; 001 §六.4)."""

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from .portal import DeliveryCustomerPortal


class DeliveryRequirementPortal(DeliveryCustomerPortal):
    @http.route(
        ["/my/complaints/<int:complaint_id>/confirm"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_confirm_requirement(self, complaint_id, **kw):
        """A contact of the request's customer confirms the delivery: the requirement
        closes (``delivery.complaint._confirm_delivery``)."""
        complaint = request.env["delivery.complaint"].browse(complaint_id).exists()
        if not complaint or not complaint.has_access("read"):
            return request.redirect("/my")
        # sudo: the customer may not write the request; they are checked to be its
        # customer's contact (record rule above and commercial partner here), and only
        # the confirmation is recorded, by _confirm_delivery's checks
        complaint_sudo = complaint.sudo()
        if not self._complaint_customer(complaint_sudo):
            return request.redirect("/my")
        try:
            with request.env.cr.savepoint():
                complaint_sudo._confirm_delivery(
                    request.env.user.partner_id,
                    request.env._("Confirmed in the customer portal."),
                )
        except UserError as error:
            return self.portal_my_complaint(complaint_id, reopen_error=error.args[0])
        return request.redirect(f"/my/complaints/{complaint_id}")
