from odoo import models


class DeliveryCustomerPortalMixin(models.AbstractModel):
    """A record of a delivery customer (a request, a claim) that the customer's own
    contacts follow on the portal. Staff post on it with write access
    (``_mail_post_access``), while the customer's contacts, who may only read it, still
    reply to it from the portal."""

    _name = "delivery.customer.portal.mixin"
    _inherit = ["mail.thread"]
    _description = "Record a delivery customer follows on the portal"

    def _mail_get_operation_for_mail_message_operation(self, message_operation):
        operations = super()._mail_get_operation_for_mail_message_operation(message_operation)
        user = self.env.user
        if message_operation == "create" and user.share and not user._is_public():
            customer = user.partner_id.commercial_partner_id
            for record in operations:
                # sudo: the customer of the record decides, whatever the caller reads
                if record.sudo().partner_id == customer:
                    operations[record] = "read"
        return operations
