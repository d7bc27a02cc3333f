from odoo import api, fields, models
from odoo.fields import Domain


class MailTemplate(models.Model):
    """The templates the module sends with sudo (tier changes, surveys, greetings...)
    are kept by Delivery CRM managers: an employee who may edit templates would
    otherwise add a copy address or a placeholder of a sensitive field to what the
    system sends (security review L7). The rule is ``mail_template_rule_delivery_crm``
    (security/mail_template_rules.xml); this field says which templates it covers."""

    _inherit = "mail.template"

    delivery_crm_locked = fields.Boolean(
        string="Kept by Delivery CRM managers",
        compute="_compute_delivery_crm_locked",
        search="_search_delivery_crm_locked",
        help="A template of a Delivery CRM document, shipped by Delivery CRM or used by a "
        "greeting occasion: the system sends it, only Delivery CRM managers change it.",
    )

    @api.model
    def _delivery_crm_locked_domain(self):
        """The templates of the module's documents, those it ships (on any model) and
        those its greeting occasions send."""
        # sudo: which templates the module ships and the occasions use, to protect
        # them; nothing of these records is returned
        shipped = (
            self.env["ir.model.data"]
            .sudo()
            ._search([("module", "=", "delivery_crm"), ("model", "=", self._name)])
        )
        # sudo: see above
        used = self.env["delivery.care.occasion"].sudo().with_context(active_test=False)._search([])
        return (
            Domain("model", "=like", "delivery.%")
            | Domain("id", "in", shipped.subselect("res_id"))
            | Domain("id", "in", used.subselect("mail_template_id"))
        )

    def _compute_delivery_crm_locked(self):
        # sudo: the templates themselves, whatever the user may read of them
        locked_ids = set(
            self.sudo()
            .with_context(active_test=False)
            .search(Domain("id", "in", self.ids) & self._delivery_crm_locked_domain())
            .ids
        )
        for template in self:
            template.delivery_crm_locked = template.id in locked_ids

    def _search_delivery_crm_locked(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = self._delivery_crm_locked_domain()
        return domain if True in value else ~domain
