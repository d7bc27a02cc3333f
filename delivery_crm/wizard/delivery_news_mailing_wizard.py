from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.delivery_constants import CUSTOMER_CLASSES

MAILING_USER = "mass_mailing.group_mass_mailing_user"


class DeliveryNewsMailingWizard(models.TransientModel):
    """News and promotions to a choice of customers (000 §三(三).2: business news and
    offers to general customers; §三(四).1: service information to prospects) through
    Odoo's Email Marketing: the wizard prepares a draft mailing on the chosen customers;
    unsubscribe links, the blacklist and the statistics are Email Marketing's."""

    _name = "delivery.news.mailing.wizard"
    _description = "Send news to customers"

    subject = fields.Char(required=True)
    for_key = fields.Boolean(string="Key customers")
    for_general = fields.Boolean(string="General customers", default=True)
    for_potential = fields.Boolean(string="Potential customers", default=True)
    state_potential = fields.Boolean(string="Prospects", default=True)
    state_active = fields.Boolean(string="In cooperation", default=True)
    state_suspended = fields.Boolean(string="Suspended")
    state_terminated = fields.Boolean(string="Terminated")
    tier_ids = fields.Many2many(
        "delivery.tier",
        string="Tiers",
        help="Leave empty for customers of every tier.",
    )
    recipient_count = fields.Integer(compute="_compute_recipient_count", string="Recipients")

    @api.depends(
        "for_key",
        "for_general",
        "for_potential",
        "state_potential",
        "state_active",
        "state_suspended",
        "state_terminated",
        "tier_ids",
    )
    def _compute_recipient_count(self):
        Partner = self.env["res.partner"]
        for wizard in self:
            classes, states = wizard._classes(), wizard._states()
            wizard.recipient_count = (
                Partner.search_count(wizard._recipient_domain()) if classes and states else 0
            )

    def _classes(self):
        chosen = {
            "key": self.for_key,
            "general": self.for_general,
            "potential": self.for_potential,
        }
        return [key for key, _label in CUSTOMER_CLASSES if chosen[key]]

    def _states(self):
        chosen = {
            "potential": self.state_potential,
            "active": self.state_active,
            "suspended": self.state_suspended,
            "terminated": self.state_terminated,
        }
        return [state for state, value in chosen.items() if value]

    def _recipient_domain(self):
        """The customers chosen, as a domain mass mailing evaluates when it sends (so a
        customer who changes classification meanwhile is sent to as it is then)."""
        self.ensure_one()
        domain = [
            ("is_delivery_customer", "=", True),
            ("email_normalized", "!=", False),
            ("customer_class", "in", self._classes()),
            ("customer_state", "in", self._states()),
        ]
        if self.tier_ids:
            domain.append(("tier_id", "in", self.tier_ids.ids))
        return domain

    def action_create_mailing(self):
        self.ensure_one()
        if not self.env.user.has_group(MAILING_USER):
            raise AccessError(
                self.env._(
                    "Sending news goes through Email Marketing: ask an administrator for "
                    "the Email Marketing user right."
                )
            )
        if not self._classes():
            raise UserError(self.env._("Choose at least one customer classification."))
        if not self._states():
            raise UserError(self.env._("Choose at least one customer status."))
        subject = (self.subject or "").strip()
        if not subject:
            raise UserError(self.env._("Give the mailing a subject."))
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": subject,
                "mailing_type": "mail",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr(self._recipient_domain()),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": mailing.id,
            "view_mode": "form",
            "views": [(self.env.ref("mass_mailing.view_mail_mass_mailing_form").id, "form")],
            "target": "current",
        }
