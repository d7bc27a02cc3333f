from ast import literal_eval

from odoo import fields, models

from .delivery_tools import set_related_counts


class DeliveryServiceTeam(models.Model):
    """The customer-service team that looks after a group of customers (专属客服团队,
    000 §三(二).1). Mails to the team's alias file requests (complaints by default) for
    the sender's customer."""

    _name = "delivery.service.team"
    _inherit = ["mail.alias.mixin"]
    _description = "Customer service team"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)
    leader_id = fields.Many2one(
        "res.users", string="Team leader", domain=[("share", "=", False)], check_company=True
    )
    member_ids = fields.Many2many(
        "res.users",
        "delivery_service_team_member_rel",
        "team_id",
        "user_id",
        string="Members",
        domain=[("share", "=", False)],
    )
    color = fields.Integer()
    partner_ids = fields.One2many("res.partner", "service_team_id", string="Customers")
    partner_count = fields.Integer(compute="_compute_partner_count", string="Customers count")

    def _compute_partner_count(self):
        set_related_counts(self, "partner_count", "res.partner", "service_team_id")

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("delivery.complaint")
        if self.id:
            values["alias_defaults"] = defaults = literal_eval(self.alias_defaults or "{}")
            defaults["team_id"] = self.id
            if self.company_id:
                defaults["company_id"] = self.company_id.id
        return values
