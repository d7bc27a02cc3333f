from odoo import models
from odoo.exceptions import UserError
from odoo.tools import is_html_empty

CREDIT_REVIEW = "delivery_crm.mail_activity_type_credit_review"
PROSPECT_FOLLOWUP = "delivery_crm.mail_activity_type_prospect_followup"


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """The credit-review reminder hangs on the contact, whose chatter every employee
        reads (security review M7): marking it done posts its feedback and files there,
        so the review's outcome (credit level, risk) goes into the customer's credit
        fields, which only managers read and every change of which is audited."""
        if (feedback and not is_html_empty(feedback)) or attachment_ids:
            credit_review = self.env.ref(CREDIT_REVIEW, raise_if_not_found=False)
            if credit_review and credit_review in self.activity_type_id:
                raise UserError(
                    self.env._(
                        "Record the outcome of a credit review in the customer's credit "
                        "fields (managers only, and audited), then mark the reminder done "
                        "without feedback or files: they would be posted on the contact, "
                        "where every employee reads them."
                    )
                )
        # task pros: a prospect follow-up marked done is a follow-up of its customer
        followup = self.env.ref(PROSPECT_FOLLOWUP, raise_if_not_found=False)
        followed = self.filtered(
            lambda a: followup and a.activity_type_id == followup and a.res_model == "res.partner"
        )
        partner_ids = followed.mapped("res_id")
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if partner_ids:
            self.env["res.partner"].browse(partner_ids)._register_prospect_followup()
        return result
