from odoo import api, fields, models

from .delivery_constants import GROUP_MANAGER


class ResPartner(models.Model):
    """The periodic credit and risk review of billed customers (004 顾客管理制度 §5):
    who reviews, and the daily reminder. The fields (``credit_review_date``,
    ``credit_review_reminded``) belong to the profile (res_partner.py)."""

    _inherit = "res.partner"

    @api.model
    def _cron_credit_review_reminder(self):
        """Daily: one reminder activity per credit review that falls due (idempotent:
        the reminder is remembered until the review date moves)."""
        today = fields.Date.context_today(self)
        domain = [
            ("is_delivery_customer", "=", True),
            ("customer_state", "!=", "terminated"),
            ("credit_review_date", "<=", today),
            ("credit_review_reminded", "=", False),
        ]
        return self._cron_process_batches(domain, lambda partners: partners._remind_credit_review())

    def _credit_reviewer(self):
        """Who reviews the credit: the first of the account manager, the service team's
        leader and the service-centre head who may read the credit fields (a
        manager, R9), else the administrator."""
        self.ensure_one()
        for user in (
            self.account_manager_id,
            self.service_team_id.leader_id,
            (self.company_id or self.env.company).delivery_complaint_manager_id,
        ):
            if user and user.has_group(GROUP_MANAGER):
                return user
        return self.env.ref("base.user_admin")

    def _remind_credit_review(self):
        for partner in self:
            user = partner._credit_reviewer()
            partner.activity_schedule(
                "delivery_crm.mail_activity_type_credit_review",
                date_deadline=partner.credit_review_date,
                user_id=user.id,
                note=self.env._(
                    "The credit and risk review of %(customer)s is due.",
                    customer=partner.display_name,
                ),
            )
        self.write({"credit_review_reminded": True})
