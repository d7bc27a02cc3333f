from odoo import api, fields, models
from odoo.tools import SQL

# the profile fields restricted to the Delivery CRM groups are static (field groups), so
# a colleague of another department cannot read them on the customer even while a grant
# runs; this read-only model shows them for the customers shared with the user
INTERNAL = "base.group_user"


class DeliverySharedProfile(models.Model):
    """A delivery customer's profile as a colleague of another department reads it
    through a temporary grant (001 §三, §四.3; R9): one row per delivery customer (the
    same id as the customer), read only, with the profile fields of the customer and
    none of its sensitive ones (credit and risk, organisation, decision chain, NDA,
    contract amount: those fields are simply not here).

    Who reads which row is the record rules' business: a grantee the customers of the
    grants running now (``partner_id.delivery_granted``, the rule of every record a
    grant opens), the Delivery CRM roles every customer, as on the customer itself. The
    profile values are related fields, read as the superuser (``compute_sudo``, Odoo's
    default for related fields): safe, as the row itself is first checked against those
    rules and only the fields declared below are ever read."""

    _name = "delivery.shared.profile"
    _description = "Shared customer profile"
    _auto = False
    _order = "name, id"
    _depends = {"res.partner": ["complete_name", "is_delivery_customer", "company_id"]}

    name = fields.Char(string="Customer", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    # through which of my grants I read it, and until when
    grant_id = fields.Many2one(
        "delivery.access.grant", string="Shared through", compute="_compute_grant_id"
    )
    grant_date_end = fields.Datetime(string="Shared until", compute="_compute_grant_id")
    # contact (readable by every employee on the customer already)
    email = fields.Char(related="partner_id.email")
    phone = fields.Char(related="partner_id.phone")
    city = fields.Char(related="partner_id.city")
    country_id = fields.Many2one(related="partner_id.country_id")
    # the profile: restricted on the customer to the Delivery CRM groups, opened here to
    # the internal users the rules let read the row
    customer_state = fields.Selection(related="partner_id.customer_state", groups=INTERNAL)
    state_date = fields.Date(related="partner_id.state_date", groups=INTERNAL)
    state_reason = fields.Text(related="partner_id.state_reason", groups=INTERNAL)
    customer_class = fields.Selection(related="partner_id.customer_class", groups=INTERNAL)
    strategic_value = fields.Selection(related="partner_id.strategic_value", groups=INTERNAL)
    acquisition_channel_id = fields.Many2one(
        related="partner_id.acquisition_channel_id", groups=INTERNAL
    )
    tier_id = fields.Many2one(related="partner_id.tier_id", groups=INTERNAL)
    account_manager_id = fields.Many2one(related="partner_id.account_manager_id", groups=INTERNAL)
    service_team_id = fields.Many2one(related="partner_id.service_team_id", groups=INTERNAL)
    cooperation_start_date = fields.Date(
        related="partner_id.cooperation_start_date", groups=INTERNAL
    )
    cooperation_months = fields.Integer(related="partner_id.cooperation_months", groups=INTERNAL)
    business_scope = fields.Text(related="partner_id.business_scope", groups=INTERNAL)
    delivery_requirements = fields.Text(related="partner_id.delivery_requirements", groups=INTERNAL)
    special_preferences = fields.Text(related="partner_id.special_preferences", groups=INTERNAL)
    last_visit_date = fields.Date(related="partner_id.last_visit_date", groups=INTERNAL)
    next_visit_due = fields.Date(related="partner_id.next_visit_due", groups=INTERNAL)
    # the latest KPIs of the cooperation evaluation (R4)
    kpi_date = fields.Date(related="partner_id.kpi_date", groups=INTERNAL)
    kpi_score = fields.Float(related="partner_id.kpi_score", groups=INTERNAL)
    kpi_satisfaction = fields.Float(related="partner_id.kpi_satisfaction", groups=INTERNAL)
    kpi_complaint_rate = fields.Float(related="partner_id.kpi_complaint_rate", groups=INTERNAL)
    kpi_on_time_rate = fields.Float(related="partner_id.kpi_on_time_rate", groups=INTERNAL)
    kpi_damage_rate = fields.Float(related="partner_id.kpi_damage_rate", groups=INTERNAL)
    currency_id = fields.Many2one(related="partner_id.delivery_currency_id", groups=INTERNAL)
    kpi_volume = fields.Monetary(related="partner_id.kpi_volume", groups=INTERNAL)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT p.id, p.id AS partner_id, p.complete_name AS name, p.company_id
              FROM res_partner p
             WHERE p.is_delivery_customer
            """
        )

    @api.depends_context("uid")
    def _compute_grant_id(self):
        """The running grant of the current user on the customer that ends last."""
        # the user's own grants (the grant rules show a user their own)
        grants = self.env["delivery.access.grant"]._active_grants(self.env.user)
        by_partner = {grant.partner_id.id: grant for grant in grants.sorted("date_end")}
        for profile in self:
            grant = by_partner.get(profile.partner_id.id, grants.browse())
            profile.grant_id = grant
            profile.grant_date_end = grant.date_end
