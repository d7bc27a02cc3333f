from odoo import models
from odoo.exceptions import AccessError, UserError

from ..models.delivery_constants import GROUP_MANAGER


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Odoo's contact merge re-points every record of the merged contacts to the kept
    one in SQL and deletes them as the superuser (security review H5). When a delivery
    customer or a contact with delivery records is involved, it moves a customer's whole
    history: only Delivery CRM managers do it, it is audited, and it never joins two
    customers' portal access."""

    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        Partner = self.env["res.partner"]
        partners = Partner.browse(partner_ids).exists()
        if dst_partner:
            partners |= dst_partner
        if len(partners) < 2:
            return super()._merge(partner_ids, dst_partner, extra_checks)
        # sudo: the commercial partners and customer flags are read to decide, not shown
        customers = partners.sudo().commercial_partner_id
        concerned = (partners | Partner.browse(customers.ids))._delivery_concerned()
        if not concerned:
            return super()._merge(partner_ids, dst_partner, extra_checks)
        self._check_delivery_merge(partners, customers, concerned)
        # sudo: the names of the merged partners go into the audit log (managers only)
        names = {
            partner.id: f"{partner.display_name} (#{partner.id})" for partner in partners.sudo()
        }
        res = super()._merge(partner_ids, dst_partner, extra_checks)
        kept = partners.exists()
        merged = [names[partner.id] for partner in partners - kept]
        if len(kept) == 1 and merged:
            self.env["delivery.audit.log"]._log_merge(kept, merged)
        return res

    def _check_delivery_merge(self, partners, customers, concerned):
        """Refuse a merge that moves delivery history for a user who is no manager
        (the merge deletes the merged contacts as the superuser, past the rule that
        only managers delete customers), or that would put two customers' portal
        users together."""
        if not (self.env.su or self.env.user.has_group(GROUP_MANAGER)):
            names = concerned._delivery_refused_names()
            raise AccessError(
                self.env._(
                    "Only Delivery CRM managers merge delivery customers and contacts with "
                    "delivery records (%(partners)s): the merge moves their requests, "
                    "deliveries and history to the kept contact and deletes the others.",
                    partners=names,
                )
            )
        if len(customers) < 2:
            return
        # sudo: whether portal users hang on these customers decides the merge; the
        # users are named to the manager who asked for it
        portal_users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("share", "=", True), ("partner_id", "child_of", customers.ids)])
        )
        if portal_users:
            raise UserError(
                self.env._(
                    "%(customers)s are different customers and %(users)s have portal "
                    "access: merging them would show each customer's portal users the "
                    "other's requests and deliveries. Two different customers are not "
                    "merged; if they are the same customer, revoke the portal access of "
                    "their contacts first, and give it again after the merge.",
                    customers=", ".join(customers.mapped("display_name")),
                    users=", ".join(portal_users.mapped("display_name")),
                )
            )
