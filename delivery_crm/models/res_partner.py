from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, clean_context

from .delivery_constants import (
    BENEFIT_CUSTOMER_STATES,
    CRM_READ,
    CRM_SENSITIVE,
    CUSTOMER_CLASSES,
    GROUP_ACCOUNT_MANAGER,
    GROUP_MANAGER,
    GROUP_STAFF,
    PARTNER_AUDITED_FIELDS,
    PARTNER_KPI_FIELDS,
    PARTNER_OVERRIDE_FIELDS,
    REPARENT_AUDITED_FIELDS,
)
from .delivery_rates import counted_delivery
from .delivery_tools import set_related_counts

# the fields of the position of a customer (Odoo's base_geolocalize), WGS-84
POSITION_FIELDS = ("partner_latitude", "partner_longitude")
# a change of these moves the customer: Odoo's base_geolocalize clears the position,
# and the geocoding cron tries again
ADDRESS_FIELDS = ("street", "street2", "zip", "city", "state_id", "country_id")

CUSTOMER_STATES = [
    ("potential", "Potential"),
    ("active", "In cooperation"),
    ("suspended", "Suspended"),
    ("terminated", "Terminated"),
]
# lifecycle: which state may follow which (R1)
STATE_TRANSITIONS = {
    "potential": {"active", "terminated"},
    "active": {"suspended", "terminated"},
    "suspended": {"active", "terminated"},
    "terminated": {"potential"},
}
STATES_NEEDING_REASON = {"suspended", "terminated"}
# delivery notices (003 §5.2): what a customer or contact is told of, and how
NOTIFY_SCOPES = [
    ("all", "All status changes"),
    ("exceptions", "Exceptions only"),
    ("none", "Nothing"),
]
NOTIFY_CHANNELS = [("both", "E-mail and SMS"), ("mail", "E-mail only"), ("sms", "SMS only")]
# the scopes told of an event: a new exception kind, another status change
NOTIFY_EVENTS = {"exception": ("all", "exceptions"), "all": ("all",)}
# what account managers decide for their customers, and service staff do not (R9)
ACCOUNT_MANAGER_FIELDS = {
    "customer_state",
    "customer_class",
    "strategic_value",
    "account_manager_id",
    "service_team_id",
    "tier_ladder_id",
    # who developed the customer reaches its data and is credited with the conversion
    # (staff KPIs): not something staff give themselves
    "developer_id",
}
# maintained by the module itself (evaluations, overrides, conversions, visits): nobody
# writes them directly, only the module's code (as the superuser) or a write of the same
# value (Odoo's partner merge writes every field back)
SYSTEM_FIELDS = {
    "tier_id",
    "evaluated_tier_id",
    *PARTNER_OVERRIDE_FIELDS,
    "conversion_date",
    "converted_by_id",
    *PARTNER_KPI_FIELDS,
    "credit_review_reminded",
    # set by an excellent evaluation, cleared by a manager's reward (security review M6)
    "reward_candidate",
    # computed from the visits: drives the visit cadence and the risk report
    "last_visit_date",
    # prospects' follow-ups (issue 16 item 4): recorded by visits, follow-up activities
    # and communication records, flagged and reminded by the prospect cron
    "prospect_followup_logged_date",
    "prospect_reminded_date",
    "prospect_stale",
    # behaviour segments (issue 16 item 8): kept by the daily segment cron
    "behaviour_segment",
    "behaviour_segment_date",
}
# what the conversion credit rule (``_conversion_credited_sql``) reads (task pros)
CONVERSION_CREDIT_DEPENDS = {
    "res.partner": ["conversion_date", "company_id"],
    "delivery.shipment": ["partner_id", "revenue", "date", "status", "outcome"],
    "res.company": [
        "delivery_conversion_min_revenue",
        "delivery_conversion_min_deliveries",
        "delivery_conversion_credit_days",
    ],
}
# behaviour segments (task pros, 004 客户管理制度 二.2) and what their rule reads
BEHAVIOUR_SEGMENTS = [
    ("loyal", "Loyal"),
    ("satisfied", "Satisfied"),
    ("ordinary", "Ordinary"),
    ("lost", "Lost"),
]
SEGMENT_DEPENDS = {
    "res.partner": [
        "is_delivery_customer",
        "active",
        "customer_state",
        "kpi_satisfaction",
        "cooperation_start_date",
        "company_id",
        "behaviour_segment",
    ],
    "delivery.shipment": ["partner_id", "date", "outcome"],
    "res.company": [
        "delivery_segment_lost_days",
        "delivery_segment_loyal_months",
        "delivery_segment_loyal_retention",
        "delivery_segment_satisfaction",
    ],
}
# where a partner sits: moving a customer or its contacts moves what follows the
# commercial partner (portal access, grants, notifications; security review H5)
REPARENT_FIELDS = ("parent_id", "is_company", "company_id")


# a change of these may bring a phone number into (or change how it reads in) the
# scope of ``_normalize_delivery_phones``
PHONE_SCOPE_FIELDS = {"phone", "country_id", "parent_id", "is_delivery_customer"}


class ResPartner(models.Model):
    """The delivery-customer profile (R1) and its tier (R2) on the partner.

    Every field is restricted to the Delivery CRM groups, so other apps, the portal and
    mail keep their partner access untouched; the sensitive part (credit and risk,
    decision chain, NDA, contract figures) is for managers only (R9).
    """

    _name = "res.partner"
    _inherit = ["res.partner", "delivery.cron.mixin", "delivery.system.field.mixin"]
    # refused on create (write has its own check below, which lets a merge write the
    # values back); a first tier only from a manager (see _system_field_names)
    _system_fields = frozenset(SYSTEM_FIELDS)
    # the staff performance counts each account manager's customers from this index
    # alone (an index-only scan), not from a scan of every partner
    _managed_customer_idx = models.Index(
        "(account_manager_id) WHERE is_delivery_customer AND active"
    )

    is_delivery_customer = fields.Boolean(
        string="Delivery customer", index=True, groups=CRM_READ, copy=False
    )
    # lifecycle
    customer_state = fields.Selection(
        CUSTOMER_STATES,
        string="Customer status",
        default="potential",
        tracking=True,
        index=True,
        groups=CRM_READ,
        copy=False,
    )
    state_date = fields.Date(string="Status since", tracking=True, groups=CRM_READ, copy=False)
    state_reason = fields.Text(
        string="Status reason",
        tracking=True,
        groups=CRM_READ,
        copy=False,
        help="Why the customer was suspended or terminated.",
    )
    # classification (000 §三(一), 001 §二.2)
    customer_class = fields.Selection(
        CUSTOMER_CLASSES,
        string="Classification",
        default="potential",
        tracking=True,
        index=True,
        groups=CRM_READ,
    )
    strategic_value = fields.Selection(
        [("core", "Core"), ("important", "Important"), ("general", "General")],
        tracking=True,
        groups=CRM_READ,
    )
    # the channel the customer was found through (000 §二(三)), Odoo's marketing source
    acquisition_channel_id = fields.Many2one(
        "utm.source",
        string="Acquisition channel",
        index="btree_not_null",
        groups=CRM_READ,
        help="How the customer was found.",
    )
    # tier (R2)
    tier_ladder_id = fields.Many2one(
        "delivery.tier.ladder", string="Tier ladder", tracking=True, groups=CRM_READ
    )
    # moved by delivery.tier.change._move_tiers only, in SQL: its history is the tier
    # changes (and the audit log), not the chatter
    tier_id = fields.Many2one(
        "delivery.tier",
        index=True,
        readonly=True,
        groups=CRM_READ,
        copy=False,
        domain="[('ladder_id', '=', tier_ladder_id)]",
    )
    evaluated_tier_id = fields.Many2one(
        "delivery.tier",
        string="Evaluated tier",
        readonly=True,
        groups=CRM_READ,
        copy=False,
        help="The tier the rules give the customer; the effective tier differs only "
        "while a manual override runs.",
    )
    tier_override_tier_id = fields.Many2one(
        "delivery.tier", string="Override tier", readonly=True, groups=CRM_READ, copy=False
    )
    tier_override_reason = fields.Text(
        string="Override reason", readonly=True, groups=CRM_READ, copy=False
    )
    tier_override_expiry = fields.Date(
        string="Override until", readonly=True, groups=CRM_READ, copy=False
    )
    tier_override_user_id = fields.Many2one(
        "res.users", string="Overridden by", readonly=True, groups=CRM_READ, copy=False
    )
    tier_benefit_ids = fields.Many2many(
        "delivery.tier.benefit",
        compute="_compute_tier_benefit_ids",
        string="Tier benefits",
        groups=CRM_READ,
    )
    tier_change_ids = fields.One2many(
        "delivery.tier.change", "partner_id", string="Tier history", groups=CRM_READ
    )
    tier_change_count = fields.Integer(compute="_compute_tier_change_count", groups=CRM_READ)
    # service
    account_manager_id = fields.Many2one(
        "res.users",
        string="Account manager",
        tracking=True,
        index=True,
        domain=[("share", "=", False)],
        groups=CRM_READ,
        help="The dedicated person who looks after the customer.",
    )
    service_team_id = fields.Many2one(
        "delivery.service.team",
        string="Service team",
        tracking=True,
        index=True,
        groups=CRM_READ,
    )
    # who reaches the customer's delivery-CRM data (R9): the record rules of the data
    # models search on these two, for the user who searches
    delivery_assigned = fields.Boolean(
        string="Assigned to me",
        compute="_compute_delivery_assigned",
        search="_search_delivery_assigned",
        help="I am the customer's account manager or developer, or in its service team.",
    )
    delivery_granted = fields.Boolean(
        string="Shared with me",
        compute="_compute_delivery_granted",
        search="_search_delivery_granted",
        help="A manager granted me a temporary read access to the customer's data.",
    )
    cooperation_start_date = fields.Date(string="Cooperation since", tracking=True, groups=CRM_READ)
    cooperation_months = fields.Integer(
        string="Cooperation (months)",
        compute="_compute_cooperation_months",
        groups=CRM_READ,
    )
    # business profile (000 §二(四))
    business_scope = fields.Text(string="Business scope", groups=CRM_READ)
    delivery_requirements = fields.Text(string="Delivery requirements", groups=CRM_READ)
    special_preferences = fields.Text(string="Special preferences", groups=CRM_READ)
    birthday = fields.Date(groups=CRM_READ, help="Used for birthday greetings.")
    # key-account intelligence (001 §四): sensitive
    organisation_notes = fields.Text(string="Organisation", groups=CRM_SENSITIVE)
    decision_chain = fields.Text(string="Decision chain", groups=CRM_SENSITIVE)
    nda_signed = fields.Boolean(string="NDA signed", tracking=True, groups=CRM_SENSITIVE)
    nda_date = fields.Date(string="NDA date", tracking=True, groups=CRM_SENSITIVE)
    # credit and risk for billed customers (004 顾客管理制度 §5): sensitive
    credit_level = fields.Selection(
        [
            ("a", "A - Excellent"),
            ("b", "B - Good"),
            ("c", "C - Watch"),
            ("d", "D - High risk"),
        ],
        tracking=True,
        groups=CRM_SENSITIVE,
    )
    risk_notes = fields.Text(string="Risk notes", groups=CRM_SENSITIVE)
    credit_review_date = fields.Date(
        string="Next credit review", tracking=True, groups=CRM_SENSITIVE
    )
    credit_review_reminded = fields.Boolean(groups=CRM_SENSITIVE, copy=False)
    contract_amount = fields.Monetary(
        string="Contract amount",
        currency_field="delivery_currency_id",
        tracking=True,
        groups=CRM_SENSITIVE,
    )
    delivery_currency_id = fields.Many2one(
        "res.currency", compute="_compute_delivery_currency_id", groups=CRM_READ
    )
    # prospect development (000 §二(五), §三(四).3)
    developer_id = fields.Many2one(
        "res.users",
        string="Developed by",
        tracking=True,
        index="btree_not_null",  # the "assigned customers" record rules filter on it
        domain=[("share", "=", False)],
        groups=CRM_READ,
        help="Who develops the prospect; credited with the conversion.",
    )
    referred_by_id = fields.Many2one(
        "res.partner", string="Referred by", groups=CRM_READ, index="btree_not_null"
    )
    conversion_date = fields.Date(readonly=True, groups=CRM_READ, copy=False)
    converted_by_id = fields.Many2one(
        "res.users",
        string="Converted by",
        readonly=True,
        groups=CRM_READ,
        copy=False,
        index="btree_not_null",  # the staff KPIs read the conversions credited to someone
    )
    # latest KPIs, written by the cooperation evaluation (R4)
    kpi_date = fields.Date(string="KPIs of", readonly=True, groups=CRM_READ, copy=False)
    kpi_score = fields.Float(
        string="Evaluation score", readonly=True, digits=(5, 2), groups=CRM_READ, copy=False
    )
    kpi_satisfaction = fields.Float(
        string="Satisfaction (%)", readonly=True, digits=(5, 2), groups=CRM_READ, copy=False
    )
    kpi_complaint_rate = fields.Float(
        string="Complaint rate (%)", readonly=True, digits=(5, 2), groups=CRM_READ, copy=False
    )
    kpi_on_time_rate = fields.Float(
        string="On-time rate (%)", readonly=True, digits=(5, 2), groups=CRM_READ, copy=False
    )
    kpi_damage_rate = fields.Float(
        string="Damage/loss rate (%)",
        readonly=True,
        digits=(5, 2),
        groups=CRM_READ,
        copy=False,
        help="Deliveries damaged or lost, in % of the finished deliveries of the latest "
        "quarterly or annual evaluation.",
    )
    # whether each rate was ever measured: a customer with nothing to measure shows "No
    # data", never 0 % (the evaluation leaves the rate empty then)
    kpi_satisfaction_measured = fields.Boolean(
        string="Satisfaction measured", compute="_compute_kpi_measured", groups=CRM_READ
    )
    kpi_complaint_rate_measured = fields.Boolean(
        string="Complaint rate measured", compute="_compute_kpi_measured", groups=CRM_READ
    )
    kpi_on_time_rate_measured = fields.Boolean(
        string="On-time rate measured", compute="_compute_kpi_measured", groups=CRM_READ
    )
    kpi_damage_rate_measured = fields.Boolean(
        string="Damage/loss rate measured", compute="_compute_kpi_measured", groups=CRM_READ
    )
    kpi_volume = fields.Monetary(
        string="Revenue (period)",
        readonly=True,
        currency_field="delivery_currency_id",
        groups=CRM_READ,
        copy=False,
    )
    evaluation_ids = fields.One2many(
        "delivery.evaluation", "partner_id", string="Evaluations", groups=CRM_READ
    )
    evaluation_count = fields.Integer(compute="_compute_evaluation_count", groups=CRM_READ)
    shipment_count = fields.Integer(compute="_compute_shipment_count", groups=CRM_READ)
    shipment_ids = fields.One2many(
        "delivery.shipment", "partner_id", string="Deliveries", groups=CRM_READ
    )
    # visits (R5)
    visit_ids = fields.One2many("delivery.visit", "partner_id", string="Visits", groups=CRM_READ)
    visit_count = fields.Integer(compute="_compute_visit_count", groups=CRM_READ)
    last_visit_date = fields.Date(
        string="Last visit",
        compute="_compute_last_visit_date",
        store=True,
        groups=CRM_READ,
        help="The last recorded visit of the customer.",
    )
    next_visit_due = fields.Date(
        string="Next visit due",
        compute="_compute_next_visit_due",
        search="_search_next_visit_due",
        groups=CRM_READ,
        help="The last visit (or the start of the cooperation) plus the visit cadence: the "
        "visit frequency of the customer's approved key-account plan of the year, else "
        "its tier's cadence.",
    )
    complaint_count = fields.Integer(
        compute="_compute_complaint_count", string="Requests", groups=CRM_READ
    )
    # communication records (001 §五.3; helper comm)
    communication_ids = fields.One2many(
        "delivery.communication", "partner_id", string="Communications", groups=CRM_READ
    )
    communication_count = fields.Integer(
        compute="_compute_communication_count", string="Communication count", groups=CRM_READ
    )
    reward_candidate = fields.Boolean(
        string="Reward candidate",
        tracking=True,
        groups=CRM_READ,
        copy=False,
        help="Set by an excellent evaluation result: the customer is due a reward.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends(
        "kpi_date",
        "kpi_satisfaction",
        "kpi_complaint_rate",
        "kpi_on_time_rate",
        "kpi_damage_rate",
    )
    def _compute_kpi_measured(self):
        """A KPI column left NULL by the evaluation was never measured (the ORM reads a
        NULL float as 0.0): one query for the batch."""
        partners = self.filtered("id")
        measured = {}
        if partners:
            self.flush_model(
                ["kpi_satisfaction", "kpi_complaint_rate", "kpi_on_time_rate", "kpi_damage_rate"]
            )
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT id, kpi_satisfaction IS NOT NULL, kpi_complaint_rate IS NOT NULL,
                           kpi_on_time_rate IS NOT NULL, kpi_damage_rate IS NOT NULL
                      FROM res_partner WHERE id IN %s
                    """,
                    tuple(partners.ids),
                )
            )
            measured = {row[0]: row[1:] for row in rows}
        for partner in self:
            flags = measured.get(partner.id, (False, False, False, False))
            (
                partner.kpi_satisfaction_measured,
                partner.kpi_complaint_rate_measured,
                partner.kpi_on_time_rate_measured,
                partner.kpi_damage_rate_measured,
            ) = flags

    @api.depends("tier_id")
    def _compute_tier_benefit_ids(self):
        for partner in self:
            partner.tier_benefit_ids = partner.tier_id.all_benefit_ids

    def _compute_tier_change_count(self):
        set_related_counts(self, "tier_change_count", "delivery.tier.change", "partner_id")

    def _compute_evaluation_count(self):
        set_related_counts(self, "evaluation_count", "delivery.evaluation", "partner_id")

    def _compute_shipment_count(self):
        set_related_counts(self, "shipment_count", "delivery.shipment", "partner_id")

    def _compute_visit_count(self):
        set_related_counts(self, "visit_count", "delivery.visit", "partner_id")

    @api.depends("visit_ids.state", "visit_ids.visit_date")
    def _compute_last_visit_date(self):
        groups = dict(
            self.env["delivery.visit"]._read_group(
                [("partner_id", "in", self.ids), ("state", "=", "done")],
                ["partner_id"],
                ["visit_date:max"],
            )
        )
        for partner in self:
            last = groups.get(partner)
            partner.last_visit_date = last and last.date()

    @api.depends(
        "last_visit_date", "cooperation_start_date", "tier_id.visit_interval_days", "create_date"
    )
    def _compute_next_visit_due(self):
        # the cadence: the approved key-account plan's, else the tier's (one rule)
        intervals = self.env["delivery.key.account.plan"]._visit_intervals(self)
        for partner in self:
            interval = intervals[partner.id]
            start = (
                partner.last_visit_date
                or partner.cooperation_start_date
                or (partner.create_date and partner.create_date.date())
            )
            partner.next_visit_due = (
                start + timedelta(days=interval) if interval > 0 and start else False
            )

    def _search_next_visit_due(self, operator, value):
        """In SQL: the tier is read at search time (evaluations change it in bulk)."""
        if operator not in ("<", "<=", ">", ">=", "=") or not value:
            return NotImplemented
        # the query reads the columns directly: write what is pending first
        self.flush_model(["last_visit_date", "cooperation_start_date", "tier_id"])
        self.env["delivery.tier"].flush_model(["visit_interval_days"])
        Plan = self.env["delivery.key.account.plan"]
        Plan.flush_model(["partner_id", "state", "year", "visit_interval_days"])
        sql_operator = SQL(operator)
        # the cadence: the approved key-account plan's, else the tier's (one rule)
        interval = Plan._visit_interval_sql("p", "t")
        query = SQL(
            """
            SELECT p.id FROM res_partner p
              LEFT JOIN delivery_tier t ON t.id = p.tier_id
             WHERE %s > 0
               AND COALESCE(p.last_visit_date, p.cooperation_start_date, p.create_date::date)
                   + %s %s %s
            """,
            interval,
            interval,
            sql_operator,
            fields.Date.to_date(value),
        )
        return [("id", "in", query)]

    def _compute_complaint_count(self):
        set_related_counts(self, "complaint_count", "delivery.complaint", "partner_id")

    def _compute_communication_count(self):
        set_related_counts(self, "communication_count", "delivery.communication", "partner_id")

    @api.depends("company_id")
    def _compute_delivery_currency_id(self):
        for partner in self:
            partner.delivery_currency_id = (partner.company_id or self.env.company).currency_id

    @api.depends("cooperation_start_date", "customer_state", "state_date")
    @api.depends_context("tz")
    def _compute_cooperation_months(self):
        today = fields.Date.context_today(self)
        for partner in self:
            start = partner.cooperation_start_date
            end = today
            if partner.customer_state == "terminated" and partner.state_date:
                end = partner.state_date
            if not start or end <= start:
                partner.cooperation_months = 0
                continue
            delta = relativedelta(end, start)
            partner.cooperation_months = delta.years * 12 + delta.months

    # ------------------------------------------------------------------ access (R9)
    def _delivery_assigned_domain(self):
        """The customers of the current user. Their service teams are looked up first
        (a handful of ids): conditions on the customer alone let PostgreSQL estimate
        the user's customers from its statistics and use the indexes, where a join to
        the teams made it guess a few dozen and sort every delivery of the user's
        customers for the first page of a list (task lists)."""
        uid = self.env.uid
        teams = (
            self.env["delivery.service.team"]
            .with_context(active_test=False)
            .search(Domain("member_ids", "in", uid) | Domain("leader_id", "=", uid))
        )
        return (
            Domain("account_manager_id", "=", uid)
            | Domain("developer_id", "=", uid)
            | Domain("service_team_id", "in", teams.ids)
        )

    @api.depends_context("uid")
    @api.depends("account_manager_id", "developer_id", "service_team_id")
    def _compute_delivery_assigned(self):
        uid = self.env.uid
        # sudo: the assignment fields are read to decide the access, not shown
        for partner, partner_sudo in zip(self, self.sudo(), strict=True):
            team = partner_sudo.service_team_id
            partner.delivery_assigned = uid in (
                partner_sudo.account_manager_id.id,
                partner_sudo.developer_id.id,
                team.leader_id.id,
                *team.member_ids.ids,
            )

    def _search_delivery_assigned(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = self._delivery_assigned_domain()
        return domain if True in value else ~domain

    def _delivery_granted_partner_ids(self):
        """The customers of the current user's running grants given in the companies
        the user works in now: a grant opens its customer in its own company, not in
        every company the grantee belongs to (security review L6)."""
        # sudo: only the grants of the current user, to decide what the user reaches
        grants = self.env["delivery.access.grant"].sudo()._active_grants(self.env.user)
        companies = self.env.companies
        return grants.filtered(lambda grant: grant.company_id in companies).partner_id.ids

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_delivery_granted(self):
        granted = set(self._delivery_granted_partner_ids())
        for partner in self:
            partner.delivery_granted = partner.commercial_partner_id.id in granted

    def _search_delivery_granted(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = Domain("commercial_partner_id", "in", self._delivery_granted_partner_ids())
        return domain if True in value else ~domain

    @tools.ormcache()
    def _delivery_profile_fields(self):
        """The fields of the delivery-CRM profile (those this module restricts), once per
        registry: every partner write of every app asks."""
        return frozenset(
            name
            for name, field in self._fields.items()
            if field.groups and "delivery_crm." in field.groups and not field.compute
        )

    def _check_delivery_profile_write(self, vals):
        """Staff change the profile of their own customers only (R9): the customers they
        are assigned to, or customers nobody is assigned to yet (a new customer, a contact
        becoming one). Managers change every profile."""
        if self.env.su or not (set(vals) & self._delivery_profile_fields()):
            return
        if self.env.user.has_group(GROUP_MANAGER):
            return
        reserved = set(vals) & ACCOUNT_MANAGER_FIELDS
        if reserved and not self.env.user.has_group(GROUP_ACCOUNT_MANAGER):
            labels = ", ".join(
                self._fields[name].get_description(self.env)["string"] for name in sorted(reserved)
            )
            raise AccessError(
                self.env._("Only account managers change a customer's %(fields)s.", fields=labels)
            )
        foreign = self._delivery_not_editable()
        if foreign:
            names = foreign._delivery_refused_names()
            raise AccessError(
                self.env._(
                    "%(customers)s is not assigned to you: ask a manager to change the "
                    "profile, or to assign the customer to you.",
                    customers=names,
                )
            )

    def _delivery_refused_names(self):
        """The names of these partners for a refusal message."""
        # sudo: the user may not read the partners refused to them; their names say which
        return ", ".join(self.sudo().mapped("display_name"))

    def _delivery_not_editable(self):
        """Those of these customers the current user may not change (R9): managers
        change every customer; service staff the customers assigned to them and those
        nobody is assigned to yet; employees outside the Delivery CRM none."""
        if self.env.su or self.env.user.has_group(GROUP_MANAGER):
            return self.browse()
        if not self.env.user.has_group(GROUP_STAFF):
            return self
        # sudo: the assignment is read to decide the access, not shown
        return (
            (self - self.filtered("delivery_assigned"))
            .sudo()
            .filtered(lambda p: p.account_manager_id or p.developer_id or p.service_team_id)
            .with_env(self.env)
        )

    @api.model
    @tools.ormcache()
    def _delivery_history_fields(self):
        """The (model, field) pairs of the module's records that hang on a partner."""
        return tuple(
            (name, field.name)
            for name in self.env.registry
            if name.startswith("delivery.")
            and not self.env[name]._abstract
            and not self.env[name]._transient
            and self.env[name]._auto
            for field in self.env[name]._fields.values()
            if field.type == "many2one" and field.comodel_name == "res.partner" and field.store
        )

    def _delivery_concerned(self):
        """Those of these partners that are delivery customers or carry delivery records
        (requests, deliveries, visits, logs...): what a merge or a move takes along."""
        # sudo: the customer flag and the records are looked up to decide, not shown
        partners = self.sudo().with_context(active_test=False)
        concerned = partners.filtered("is_delivery_customer")
        rest = partners - concerned
        for model, field in self._delivery_history_fields():
            if not rest:
                break
            groups = partners.env[model]._read_group([(field, "in", rest.ids)], [field])
            found = partners.browse([partner.id for (partner,) in groups])
            concerned |= found
            rest -= found
        return self.browse(concerned.ids)

    def _changed_by(self, vals, names):
        """Those of these partners whose value of one of ``names`` ``vals`` changes."""
        changed = self.browse()
        for name in set(vals) & set(names):
            field = self._fields[name]
            # sudo: compares the stored value, whatever the user may read
            for partner in self.sudo():
                new = field.convert_to_record(field.convert_to_cache(vals[name], partner), partner)
                if new != partner[name]:
                    changed |= self.browse(partner.id)
        return changed

    def _check_reparent(self, vals):
        """Moving a delivery customer, or a contact into, out of or between delivery
        customers, changes who follows the customer (its portal users, the grants on
        it, its notifications): managers only, and audited (security review H5).
        Returns the partners moved and the customers they concern, for the audit."""
        moved = self._changed_by(vals, REPARENT_FIELDS)
        if self.env.su or not moved:
            return self.browse(), self.browse()
        # sudo: where the partners sit is read to decide, not shown
        sites = moved | moved.sudo().commercial_partner_id.with_env(self.env)
        if vals.get("parent_id"):
            parent = self.browse(vals["parent_id"]).sudo().exists()
            sites |= parent.commercial_partner_id.with_env(self.env)
        concerned = sites._delivery_concerned()
        if not concerned:
            return self.browse(), self.browse()
        if not self.env.user.has_group(GROUP_MANAGER):
            names = moved._delivery_refused_names()
            raise AccessError(
                self.env._(
                    "Only Delivery CRM managers move delivery customers and their contacts "
                    "(%(partners)s): who follows a customer (its portal users, grants and "
                    "notifications) moves with them.",
                    partners=names,
                )
            )
        return moved, concerned

    def _check_contact_email(self, vals):
        """A customer's notifications, with their portal and rating links, go to its
        contacts' addresses: those who look after the customer change them (H5)."""
        if self.env.su or "email" not in vals:
            return
        changed = self._changed_by(vals, ["email"])
        # sudo: the customer of each contact is looked up to decide, not shown
        customers = changed.sudo().commercial_partner_id.filtered("is_delivery_customer")
        denied = customers.with_env(self.env)._delivery_not_editable()
        if denied:
            names = denied._delivery_refused_names()
            raise AccessError(
                self.env._(
                    "The e-mail addresses of %(customers)s's contacts receive its "
                    "notifications and access links: only the people who look after the "
                    "customer, or a Delivery CRM manager, change them.",
                    customers=names,
                )
            )

    @api.model
    def _check_new_contacts(self, vals_list):
        """Staff add contacts to the customers they may change; a contact added to
        another customer would receive its notifications and could be given its
        portal (H5)."""
        if self.env.su:
            return
        parent_ids = {vals["parent_id"] for vals in vals_list if vals.get("parent_id")}
        # sudo: the customer of each parent is looked up to decide, not shown
        parents = self.browse(parent_ids).sudo().exists()
        customers = parents.commercial_partner_id.filtered("is_delivery_customer")
        denied = customers.with_env(self.env)._delivery_not_editable()
        if denied:
            names = denied._delivery_refused_names()
            raise AccessError(
                self.env._(
                    "%(customers)s is not a customer you look after: ask its account "
                    "manager or a Delivery CRM manager to add the contact.",
                    customers=names,
                )
            )

    def _check_ladder_change(self, vals):
        """A manager's tier override belongs to the ladder it was given in, so a new
        ladder ends it: only a manager changes the ladder of a customer while one runs
        (security review M5)."""
        if self.env.su or self.env.user.has_group(GROUP_MANAGER):
            return
        # sudo: the override is read to decide, whatever the user may read
        overridden = (
            self._changed_by(vals, ["tier_ladder_id"])
            .sudo()
            .filtered_domain(self.env["delivery.tier.change"]._running_override_domain())
        )
        if overridden:
            raise AccessError(
                self.env._(
                    "A manager's tier override runs on %(customers)s: changing the ladder "
                    "would end it, so only a manager changes the ladder now.",
                    customers=", ".join(overridden.mapped("display_name")),
                )
            )

    def _system_field_names(self):
        """A first tier given at creation is a manager's (an import of existing
        customers); for everybody else the ladder's rule gives it (M5)."""
        names = super()._system_field_names()
        if self.env.user.has_group(GROUP_MANAGER):
            names = names - {"tier_id"}
        return names

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        # security review H3: create (and import) set what write refuses
        model = self._check_system_fields_create(vals_list)
        self._check_account_manager_fields_create(vals_list)
        self._check_delivery_position_create(vals_list)
        self._check_new_contacts(vals_list)
        for vals in vals_list:
            if vals.get("is_delivery_customer"):
                self._check_new_state(vals)
                vals.setdefault("state_date", fields.Date.context_today(self))
        partners = super(ResPartner, model).create(vals_list).with_env(self.env)
        if any(vals.get("phone") for vals in vals_list):
            partners._normalize_delivery_phones()
        # R9: the initial values, before the profile defaults (logged as changes) are set
        AuditLog = self.env["delivery.audit.log"]
        # sudo: the flag is read to decide, whatever the user may read (an employee
        # outside the CRM creating a contact does not read it)
        customers = partners.sudo().filtered("is_delivery_customer").with_env(self.env)
        AuditLog._log_creation(customers, PARTNER_AUDITED_FIELDS)
        # sudo: the defaults of a profile the user was allowed to create (ladder, entry tier,
        # developer = this user, kept by sudo()), not a change of someone else's customer
        customers.sudo()._init_delivery_profile()
        return partners

    @api.model
    def _check_account_manager_fields_create(self, vals_list):
        """The lifecycle, classification and assignment of a new customer are the
        account managers' too (R9, security review H3): service staff register a
        customer with the defaults, and an account manager decides the rest."""
        if self.env.su or self.env.user.has_group(GROUP_ACCOUNT_MANAGER):
            return
        given = {name for vals in vals_list for name in vals} & ACCOUNT_MANAGER_FIELDS
        if not given:
            return
        defaults = self.default_get(sorted(given))
        reserved = {
            name
            for vals in vals_list
            for name in given & set(vals)
            if vals[name] and vals[name] != defaults.get(name)
        }
        if reserved:
            labels = ", ".join(
                self._fields[name].get_description(self.env)["string"] for name in sorted(reserved)
            )
            raise AccessError(
                self.env._("Only account managers change a customer's %(fields)s.", fields=labels)
            )

    def _check_system_fields_write(self, vals):
        """The fields the module maintains change only through its own code (R9): a
        write of the value a customer already has (Odoo's partner merge) or a manager's
        first tier (an import of existing customers) is fine; otherwise the ladder's
        rule gives the first tier (security review M5)."""
        if self.env.su:
            return
        first_tier = self.env.user.has_group(GROUP_MANAGER)
        for name in sorted(set(vals) & SYSTEM_FIELDS):
            field = self._fields[name]
            # sudo: compares the stored value, whatever the user may read
            for partner in self.sudo():
                new = field.convert_to_record(field.convert_to_cache(vals[name], partner), partner)
                old = partner[name]
                if new == old or (name == "tier_id" and not old and first_tier):
                    continue
                if name == "tier_id":
                    raise UserError(
                        self.env._(
                            "The tier follows the evaluation rules. To set it by hand, a "
                            "manager uses 'Override tier' with a reason and an end date."
                        )
                    )
                raise AccessError(
                    self.env._(
                        "%(field)s of %(customer)s is kept by Delivery CRM itself "
                        "(evaluations, tier overrides, conversions): it cannot be set by hand.",
                        field=field.get_description(self.env)["string"],
                        customer=partner.display_name,
                    )
                )

    def write(self, vals):
        self._check_delivery_profile_write(vals)
        self._check_system_fields_write(vals)
        self._check_contact_email(vals)
        self._check_delivery_position_write(vals)
        vals = self._geocoding_vals(vals)
        if "tier_ladder_id" in vals:
            self._check_ladder_change(vals)
        moved, moved_customers = self._check_reparent(vals)
        if vals.get("customer_state"):
            self._check_state_change(vals)
        if "credit_review_date" in vals:
            vals = dict(vals, credit_review_reminded=False)
        converting = self.browse()
        if vals.get("customer_state") == "active":
            converting = self.filtered(lambda p: p.customer_state == "potential")
        if vals.get("customer_state"):
            vals = dict(vals)
            vals.setdefault("state_date", fields.Date.context_today(self))
            if vals["customer_state"] not in STATES_NEEDING_REASON:
                vals.setdefault("state_reason", False)
        becoming = self.browse()
        if vals.get("is_delivery_customer"):
            becoming = self.filtered(lambda p: not p.is_delivery_customer)
        # R9: the audited fields' values before the write, in one read for the batch
        AuditLog = self.env["delivery.audit.log"]
        audited = AuditLog._audited_fields(self, vals)
        before = AuditLog._snapshot(self, audited) if audited else None
        moved_before = AuditLog._snapshot(moved, REPARENT_AUDITED_FIELDS) if moved else None
        res = super().write(vals)
        if PHONE_SCOPE_FIELDS & vals.keys():
            self._normalize_delivery_phones()
        if audited:
            AuditLog._log_changes(self, audited, before)
        if moved:
            AuditLog._log_moves(moved, moved_before, moved_customers)
        if becoming:
            # a contact becoming a customer: its profile starts with the values it has
            initial = [name for name in PARTNER_AUDITED_FIELDS if name not in audited]
            AuditLog._log_creation(becoming, initial)
        if converting:
            converting._register_conversion()
        if becoming:
            # sudo: see create; the write itself passed the access checks
            becoming.sudo()._init_delivery_profile()
        if "tier_ladder_id" in vals:
            self.env["delivery.tier.change"]._reset_to_ladder(self)
        if vals.get("customer_state") == "terminated":
            self.env["delivery.communication.plan"]._stop_for_customers(self)
        return res

    # ------------------------------------------------------------------ phone numbers
    def _normalize_delivery_phones(self):
        """The phone numbers of delivery customers and their contacts (the SMS notices
        go to them) are stored in E.164 (``+8613900000003``), read in the country of
        the partner's address (else its customer's, else the company's) by Odoo's
        ``phone_validation`` and the ``phonenumbers`` library; a number that is not
        valid there is refused."""
        # sudo: the customer flag of the commercial partner decides, whatever the user
        # may read of it (a contact's editor need not read the company's profile)
        scoped = self.sudo().filtered(
            lambda p: p.phone and p.commercial_partner_id.is_delivery_customer
        )
        for partner in scoped:
            try:
                e164 = partner._phone_format(
                    fname="phone",
                    # a contact without an address of its own reads as its company
                    country=partner.country_id or partner.commercial_partner_id.country_id,
                    force_format="E164",
                    raise_exception=True,
                )
            except UserError as error:
                raise ValidationError(
                    self.env._(
                        "%(partner)s: %(phone)s is not a valid phone number (%(reason)s). "
                        "Give it with its country code, e.g. +86 21 5555 0000 or "
                        "+86 139 0000 0000.",
                        partner=partner.display_name,
                        phone=partner.phone,
                        reason=error.args[0],
                    )
                ) from None
            if e164 != partner.phone:
                # sudo (from above): the number the user just wrote, in its stored form
                # (this write finds it in E.164 and stops)
                partner.write({"phone": e164})

    @api.ondelete(at_uninstall=False)
    def _unlink_except_delivery_customer(self):
        """A delivery customer's history (requests, visits, evaluations, tier and audit
        logs) hangs on it: only managers delete one; staff terminate or archive it."""
        if self.env.su or self.env.user.has_group(GROUP_MANAGER):
            return
        # sudo: the flag is read to decide, whatever fields the user may read
        customers = self.sudo().filtered("is_delivery_customer")
        if customers:
            raise AccessError(
                self.env._(
                    "Only Delivery CRM managers delete delivery customers (%(customers)s): "
                    "terminate or archive them instead.",
                    customers=", ".join(customers.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------ lifecycle
    def _check_new_state(self, vals):
        state = vals.get("customer_state") or "potential"
        if state in STATES_NEEDING_REASON and not (vals.get("state_reason") or "").strip():
            raise UserError(self.env._("A suspended or terminated customer needs a reason."))

    def _check_state_change(self, vals):
        new_state = vals["customer_state"]
        labels = dict(self._fields["customer_state"]._description_selection(self.env))
        if new_state not in labels:
            raise UserError(
                self.env._(
                    "%(state)s is not a customer status: use one of %(states)s.",
                    state=new_state,
                    states=", ".join(labels.values()),
                )
            )
        for partner in self:
            old_state = partner.customer_state or "potential"
            if old_state == new_state:
                continue
            if new_state not in STATE_TRANSITIONS[old_state]:
                raise UserError(
                    self.env._(
                        "%(customer)s is %(old)s and cannot become %(new)s directly.",
                        customer=partner.display_name,
                        old=labels[old_state],
                        new=labels[new_state],
                    )
                )
            if new_state in STATES_NEEDING_REASON and not (vals.get("state_reason") or "").strip():
                raise UserError(
                    self.env._(
                        "Give the reason why %(customer)s is %(new)s.",
                        customer=partner.display_name,
                        new=labels[new_state],
                    )
                )
            if new_state == "active" and not (
                vals.get("account_manager_id") or partner.account_manager_id
            ):
                raise UserError(
                    self.env._(
                        "Assign an account manager to %(customer)s before activating it: "
                        "every active customer has a dedicated person.",
                        customer=partner.display_name,
                    )
                )

    def _register_conversion(self):
        """A prospect became a customer: date the conversion and credit its developer."""
        today = fields.Date.context_today(self)
        for partner in self.filtered(lambda p: not p.conversion_date):
            # sudo: conversion bookkeeping of the activation the user was allowed to make
            partner.sudo().write(
                {
                    "conversion_date": today,
                    "converted_by_id": (partner.developer_id or self.env.user).id,
                    "cooperation_start_date": partner.cooperation_start_date or today,
                }
            )

    def _init_delivery_profile(self):
        """Defaults of a new delivery customer: ladder, entry tier, developer."""
        default_ladder = self.env["delivery.tier.ladder"]._get_default_ladder()
        today = fields.Date.context_today(self)
        for partner in self:
            vals = {}
            if not partner.tier_ladder_id:
                ladder = partner.tier_id.ladder_id or default_ladder
                if ladder:
                    vals["tier_ladder_id"] = ladder.id
            if not partner.developer_id and partner.customer_state == "potential":
                vals["developer_id"] = self.env.user.id
            if not partner.state_date:
                vals["state_date"] = today
            if vals:
                # a new ladder gives the customer its tier there (see write)
                partner.write(vals)
        Change = self.env["delivery.tier.change"]
        Change._reset_to_ladder(self.filtered(lambda partner: not partner.tier_id))
        # a tier given at creation (a manager's import of existing customers): log it
        Change._log_first_tier(
            self.filtered(lambda partner: partner.tier_id and not partner.evaluated_tier_id)
        )

    def _clear_reward_candidate(self):
        """A manager gave the reward (the reward wizard checks it): the customer is no
        longer a candidate until the next excellent evaluation."""
        # sudo: reward_candidate is kept by the module (the evaluation sets it, the
        # reward wizard, for managers only, clears it)
        self.sudo().write({"reward_candidate": False})

    def action_make_delivery_customer(self):
        self.write({"is_delivery_customer": True})

    def action_activate(self):
        self.write({"customer_state": "active"})

    def action_reopen(self):
        self.write({"customer_state": "potential"})

    def action_suspend(self):
        return self._open_state_wizard("suspended")

    def action_terminate(self):
        return self._open_state_wizard("terminated")

    def _open_state_wizard(self, new_state):
        return {
            "type": "ir.actions.act_window",
            "res_model": "delivery.customer.state.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_ids": self.ids,
                "default_new_state": new_state,
            },
        }

    # ------------------------------------------------------------------ tiers
    def action_end_tier_override(self):
        """The form's button: a manager ends the override (see delivery.tier.change)."""
        if not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(self.env._("Only Delivery CRM managers can end a tier override."))
        self.env["delivery.tier.change"]._end_overrides(
            self, self.env._("Override ended by %s", self.env.user.name)
        )

    def action_open_tier_override(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "delivery.tier.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    def _action_view_related(self, xmlid, context):
        """The action ``xmlid`` restricted to this customer's records."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = context
        return action

    def action_view_evaluations(self):
        return self._action_view_related(
            "delivery_crm.delivery_evaluation_action", {"search_default_group_period_type": 1}
        )

    def action_view_shipments(self):
        return self._action_view_related(
            "delivery_crm.delivery_shipment_action", {"default_partner_id": self.id}
        )

    def action_view_visits(self):
        return self._action_view_related(
            "delivery_crm.delivery_visit_action", {"default_partner_id": self.id}
        )

    def action_view_communications(self):
        return self._action_view_related(
            "delivery_crm.delivery_communication_action", {"default_partner_id": self.id}
        )

    def action_log_communication(self):
        """The quick form (a dialog, phone friendly) to log a contact with this
        customer."""
        return self._log_communication_action()

    def _log_communication_action(self, plan=None, channel=None):
        self.ensure_one()
        context = {"default_partner_id": self.id, "dialog_size": "medium"}
        if plan:
            context["default_plan_id"] = plan.id
        if channel:
            context["default_channel"] = channel
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a communication"),
            "res_model": "delivery.communication",
            "view_mode": "form",
            "views": [
                (self.env.ref("delivery_crm.delivery_communication_view_form_quick").id, "form")
            ],
            "target": "new",
            "context": context,
        }

    def action_view_complaints(self):
        return self._action_view_related(
            "delivery_crm.delivery_complaint_action_all",
            {"default_partner_id": self.id, "search_default_filter_open": 1},
        )

    def action_view_tier_changes(self):
        return self._action_view_related(
            "delivery_crm.delivery_tier_change_action", {"default_partner_id": self.id}
        )

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """The form's evaluation history: a score column per registered indicator,
        hidden by default (delivery.evaluation adds them to its own list alike)."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            for node in arch.iterfind(".//field[@name='evaluation_ids']/list"):
                self.env["delivery.evaluation"]._add_score_columns(node, optional="hide")
        return arch, view

    # ------------------------------------------------------------------ task claim
    # (issue 15 item 3): the customer's compensation claims, as a smart button
    claim_count = fields.Integer(
        compute="_compute_claim_figures",
        string="Claims",
        groups=CRM_READ,
        help="Compensation claims filed, neither cancelled nor refused.",
    )
    claim_amount_approved = fields.Monetary(
        compute="_compute_claim_figures",
        string="Claims approved",
        currency_field="claim_currency_id",
        groups=CRM_READ,
    )
    claim_currency_id = fields.Many2one(
        "res.currency", compute="_compute_claim_figures", groups=CRM_READ
    )

    def _compute_claim_figures(self):
        figures = self.env["delivery.claim"]._figures_by_partner(self.ids)
        for partner in self:
            count, approved = figures.get(partner.id, (0, 0.0))
            partner.claim_count = count
            partner.claim_amount_approved = approved
            partner.claim_currency_id = self.env.company.currency_id

    def action_view_claims(self):
        return self._action_view_related(
            "delivery_crm.delivery_claim_action", {"search_default_filter_counted": 1}
        )

    # ------------------------------------------------------------------ status push
    # (issue 15 item 2, 003 §5.2) what each customer and contact is told of its
    # deliveries, and how; a contact without its own choice follows its company
    delivery_notify_scope = fields.Selection(
        NOTIFY_SCOPES,
        string="Delivery notices",
        groups=CRM_READ,
        help="What to be told of the deliveries: every status change, exceptions only "
        "(late, at risk, damaged, lost, failed attempt), or nothing. Empty: as the "
        "company (a contact) or exceptions only (a customer). A contact is told in its "
        "own right once it has chosen.",
    )
    delivery_notify_channel = fields.Selection(
        NOTIFY_CHANNELS,
        string="Notices by",
        groups=CRM_READ,
        help="Empty: as the company (a contact) or mail and SMS (a customer); a channel is "
        "used where the address (e-mail, phone) exists.",
    )

    def _delivery_notice_prefs(self):
        """{partner id: (scope, channel)}: each partner's own choice, else its company's,
        else the defaults (exceptions only, mail and SMS)."""
        prefs = {}
        # sudo: the choices are read to decide who is told, not shown
        for partner in self.sudo():
            company = partner.commercial_partner_id
            prefs[partner.id] = (
                partner.delivery_notify_scope or company.delivery_notify_scope or "exceptions",
                partner.delivery_notify_channel or company.delivery_notify_channel or "both",
            )
        return prefs

    @api.model
    def _delivery_notice_recipients(self, customers, event):
        """Who is told of ``event`` ("exception": a new exception kind; "all": another
        status change) on deliveries of ``customers``: each customer by its choice, and
        its contacts that chose for themselves (opted in). Set-based: one search for the
        whole batch. Returns ``{customer id: [(partner, by_mail, by_sms)]}``."""
        wanted = NOTIFY_EVENTS[event]
        # sudo: addresses and choices are read to decide who is told, not shown
        customers = customers.sudo()
        contacts = self.sudo().search(
            [
                ("commercial_partner_id", "in", customers.ids),
                ("id", "not in", customers.ids),
                # a contact that chose what, or only how (the company's scope, SMS only)
                "|",
                ("delivery_notify_scope", "!=", False),
                ("delivery_notify_channel", "!=", False),
            ]
        )
        partners = customers | contacts
        prefs = partners._delivery_notice_prefs()
        recipients = {customer.id: [] for customer in customers}
        for partner in partners:
            scope, channel = prefs[partner.id]
            if scope not in wanted:
                continue
            by_mail = channel in ("both", "mail") and bool(partner.email)
            # a valid number only (Odoo's E.164 form of it; empty when invalid)
            by_sms = channel in ("both", "sms") and bool(partner.phone_sanitized)
            if by_mail or by_sms:
                recipients.setdefault(partner.commercial_partner_id.id, []).append(
                    (partner, by_mail, by_sms)
                )
        return recipients

    def _delivery_set_notice_prefs(self, scope, channel):
        """Record one partner's choice, as its portal page sends it: each value one of
        the choices, or "company" (a contact following its company). Refuses anything
        else and writes nothing then."""
        self.ensure_one()
        scopes = dict(NOTIFY_SCOPES)
        channels = dict(NOTIFY_CHANNELS)
        follows = self != self.commercial_partner_id
        if scope not in scopes and not (follows and scope == "company"):
            raise UserError(self.env._("Choose what you want to be told of."))
        if channel not in channels and not (follows and channel == "company"):
            raise UserError(self.env._("Choose how you want to be told."))
        # sudo: the portal user writes these two fields of their own partner only (the
        # caller passes ``request.env.user.partner_id``), values checked just above
        self.sudo().write(
            {
                "delivery_notify_scope": scopes.get(scope) and scope,
                "delivery_notify_channel": channels.get(channel) and channel,
            }
        )

    # ------------------------------------------------------------------ location (issue 16)
    # Where a delivery customer is (R5): the position the check-ins are measured
    # against, geocoded from the address by Odoo's base_geolocalize (the provider chosen
    # in Settings: OpenStreetMap by default, AMap for mainland China), on demand
    # ("Geolocate") and daily for the customers without one; account managers may set it
    # by hand, a manager may take a check-in's position (delivery.visit).

    delivery_geo_tried_date = fields.Date(
        string="Geocoding tried on",
        readonly=True,
        copy=False,
        help="The geocoding cron tried this address on that day and found nothing; it "
        "tries again when the address changes.",
    )

    @api.constrains(*POSITION_FIELDS)
    def _check_delivery_position(self):
        for partner in self:
            if not (-90.0 <= partner.partner_latitude <= 90.0) or not (
                -180.0 <= partner.partner_longitude <= 180.0
            ):
                raise ValidationError(
                    self.env._(
                        "%(lat)s, %(lon)s is not a position on Earth: the latitude is "
                        "between -90 and 90, the longitude between -180 and 180.",
                        lat=partner.partner_latitude,
                        lon=partner.partner_longitude,
                    )
                )

    def _check_delivery_position_write(self, vals):
        """A delivery customer's position is what its check-ins are measured against:
        account managers set it by hand; the others geolocate it from the address."""
        if self.env.su or not (set(vals) & set(POSITION_FIELDS)):
            return
        if self.env.user.has_group(GROUP_ACCOUNT_MANAGER):
            return
        # sudo: the customer flag decides, whatever the user may read
        customers = self.sudo().filtered("is_delivery_customer").with_env(self.env)
        if customers._changed_by(vals, POSITION_FIELDS):
            raise AccessError(
                self.env._(
                    "Only account managers set a customer's position by hand; use "
                    "'Geolocate' to find it from the address."
                )
            )

    @api.model
    def _check_delivery_position_create(self, vals_list):
        """See _check_delivery_position_write: a new customer's position too."""
        if self.env.su or self.env.user.has_group(GROUP_ACCOUNT_MANAGER):
            return
        for vals in vals_list:
            if vals.get("is_delivery_customer") and any(vals.get(n) for n in POSITION_FIELDS):
                raise AccessError(
                    self.env._(
                        "Only account managers set a customer's position by hand; use "
                        "'Geolocate' to find it from the address."
                    )
                )

    @api.model
    def _geocoding_vals(self, vals):
        """A changed address is geocoded again by the cron (Odoo's base_geolocalize
        clears the position itself)."""
        if set(vals) & set(ADDRESS_FIELDS) and not all(name in vals for name in POSITION_FIELDS):
            return dict(vals, delivery_geo_tried_date=False)
        return vals

    # ------------------------------------------------------------------ geocoding
    @api.model
    def _geo_localize(self, street="", zip="", city="", state="", country=""):
        """The position of the whole address only (task fix16): Odoo's base_geolocalize
        asks again with the city alone when the street is not found, and would store
        the city centre as the customer's position (the check-ins would all be "far").
        Without a street there is no position either."""
        if not street:
            return None
        geocoder = self.env["base.geocoder"]
        search = geocoder.geo_query_address(
            street=street, zip=zip, city=city, state=state, country=country
        )
        return geocoder.geo_find(search, force_country=country)

    def action_delivery_geolocate(self):
        """Find the position of these partners from their address, with the provider
        chosen in Settings (Odoo's ``geo_localize``)."""
        self.check_access("write")
        if not self:
            return True
        # sudo: the position comes from the geocoder, not from the user, who may change
        # these partners (checked above)
        partners = self.sudo().with_context(force_geo_localize=True)
        partners.geo_localize()
        missing = partners.filtered(
            lambda p: not (p.partner_latitude or p.partner_longitude)
        ).with_env(self.env)
        if missing:
            raise UserError(
                self.env._(
                    "No position found for the address of %(names)s: check the street, "
                    "city and country, or ask an account manager to set it by hand.",
                    names=", ".join(missing.mapped("display_name")),
                )
            )
        return True

    def _delivery_geocode_batch(self):
        """Geocode these partners (the cron's batch); those not found are marked tried
        so the next runs skip them until their address changes."""
        today = fields.Date.context_today(self)
        for partner in self.with_context(force_geo_localize=True):
            # a provider refusing (no key, quota) raises: the run stops with its error,
            # the batches committed are kept and the next run goes on
            partner.geo_localize()
            if not (partner.partner_latitude or partner.partner_longitude):
                partner.delivery_geo_tried_date = today

    @api.model
    def _cron_geolocate_customers(self):
        """Daily: geocode the delivery customers without a position, from their address,
        in batches committed one by one (a killed run resumes with what is left). An
        address not found is tried again once it changes.

        :return: the number of customers tried
        """
        return self._cron_process_batches(
            [
                ("is_delivery_customer", "=", True),
                ("partner_latitude", "=", 0.0),
                ("partner_longitude", "=", 0.0),
                ("delivery_geo_tried_date", "=", False),
                ("street", "!=", False),
            ],
            lambda partners: partners._delivery_geocode_batch(),
            batch_size=self._delivery_geocode_batch_size(),
        )

    @api.model
    def _delivery_geocode_batch_size(self):
        # small batches: each partner is one request to the provider (OpenStreetMap
        # allows one a second)
        return 50

    # ------------------------------------------------------------------ task ben
    # (issue 16 item 5): tier benefits that act. The flags the transport system reads
    # (discount, free delivery), the points balance and the ledgers of what was granted
    benefit_discount_percent = fields.Float(
        compute="_compute_benefit_flags",
        string="Tier discount (%)",
        digits=(5, 2),
        groups=f"{CRM_READ},delivery_crm.group_delivery_crm_transport",
        help="The best discount of the customer's tier's benefits; the transport system "
        "reads it through the API and applies it.",
    )
    benefit_free_delivery = fields.Boolean(
        compute="_compute_benefit_flags",
        string="Free delivery",
        groups=f"{CRM_READ},delivery_crm.group_delivery_crm_transport",
        help="The customer's tier gives free delivery; the transport system reads it "
        "through the API.",
    )
    # task fix16: the first-order discount (新客户：首次消费优惠) and priority booking
    # (优先预约) are flags too; every flag is off unless the customer is in cooperation
    benefit_first_order = fields.Boolean(
        compute="_compute_benefit_flags",
        string="First-order discount due",
        groups=f"{CRM_READ},delivery_crm.group_delivery_crm_transport",
        help="The customer's tier gives a first-order discount and the customer has had "
        "no delivery yet (cancelled ones aside); the transport system reads it through "
        "the API and applies benefit_first_order_percent to that order.",
    )
    benefit_first_order_percent = fields.Float(
        compute="_compute_benefit_flags",
        string="First-order discount (%)",
        digits=(5, 2),
        groups=f"{CRM_READ},delivery_crm.group_delivery_crm_transport",
    )
    benefit_priority = fields.Boolean(
        compute="_compute_benefit_flags",
        string="Priority booking",
        groups=f"{CRM_READ},delivery_crm.group_delivery_crm_transport",
        help="The customer's tier gives priority booking: the transport system reads it "
        "through the API and schedules the customer's orders first.",
    )
    points_rate = fields.Float(
        compute="_compute_benefit_flags",
        string="Points per currency unit",
        digits=(12, 4),
        groups=CRM_READ,
    )
    points_balance = fields.Float(
        compute="_compute_points_balance", string="Points", digits=(16, 2), groups=CRM_READ
    )
    points_move_ids = fields.One2many(
        "delivery.points.move", "partner_id", string="Points ledger", groups=CRM_READ
    )
    benefit_grant_ids = fields.One2many(
        "delivery.benefit.grant", "partner_id", string="Benefits granted", groups=CRM_READ
    )

    @api.depends("tier_id", "customer_state")
    def _compute_benefit_flags(self):
        # sudo: whether the customers have had a delivery (a count, nothing of the
        # deliveries is shown), for the first-order flag whoever reads it
        delivered = {
            partner.id
            for [partner] in self.env["delivery.shipment"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", self.ids),
                    ("outcome", "not in", ["cancelled"]),
                ],
                ["partner_id"],
            )
        }
        for partner in self:
            benefits = self.env["delivery.tier.benefit"]
            # sudo: the customer's status and its tier's benefits (configuration) make
            # the flags, which the caller may read (the transport system reads no status)
            if partner.sudo().customer_state in BENEFIT_CUSTOMER_STATES:
                benefits = partner.sudo().tier_id.all_benefit_ids

            by_kind = benefits.grouped("kind")
            empty = benefits.browse()
            first_order = 0.0
            if partner.id not in delivered:
                first_order = max(
                    by_kind.get("first_order", empty).mapped("discount_percent") or [0.0]
                )
            partner.benefit_discount_percent = max(
                by_kind.get("discount", empty).mapped("discount_percent") or [0.0]
            )
            partner.benefit_first_order = bool(first_order)
            partner.benefit_first_order_percent = first_order
            partner.benefit_free_delivery = "free_delivery" in by_kind
            partner.benefit_priority = "priority" in by_kind
            partner.points_rate = max(by_kind.get("points", empty).mapped("points_rate") or [0.0])

    def _compute_points_balance(self):
        balances = self.env["delivery.points.move"]._balances(self)
        for partner in self:
            partner.points_balance = balances.get(partner.id, 0.0)

    def action_open_points_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Redeem points"),
            "res_model": "delivery.points.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    # (issue 16 item 7): the appreciation events the customer's people were invited to
    appreciation_guest_ids = fields.One2many(
        "delivery.appreciation.guest", "partner_id", string="Appreciation events", groups=CRM_READ
    )
    appreciation_guest_count = fields.Integer(
        compute="_compute_appreciation_guest_count", string="Events", groups=CRM_READ
    )

    def _compute_appreciation_guest_count(self):
        set_related_counts(
            self, "appreciation_guest_count", "delivery.appreciation.guest", "partner_id"
        )

    def action_view_appreciation_guests(self):
        return self._action_view_related(
            "delivery_crm.delivery_appreciation_guest_action", {"create": False}
        )

    # ------------------------------------------------------------------ task pros
    # (issue 16 item 4, 000 §二(五), 004 新客户管理制度 三): the prospects' follow-up
    # rhythm, stale prospects, the conversion figures and the conversion credit
    prospect_followup_days = fields.Integer(
        string="Follow-up every (days)",
        groups=CRM_READ,
        help="How often the developer follows the prospect up. 0: the company's setting.",
    )
    prospect_followup_logged_date = fields.Date(
        string="Follow-up logged",
        readonly=True,
        groups=CRM_READ,
        copy=False,
        help="The last follow-up recorded other than a visit: a follow-up activity marked "
        "done, a communication record.",
    )
    prospect_last_followup_date = fields.Date(
        string="Last follow-up",
        compute="_compute_prospect_last_followup_date",
        store=True,
        groups=CRM_READ,
        help="The last visit done or follow-up recorded.",
    )
    prospect_next_followup_date = fields.Date(
        string="Next follow-up",
        compute="_compute_prospect_schedule",
        search="_search_prospect_next_followup_date",
        groups=CRM_READ,
        help="The last follow-up (or the day it became a prospect) plus the follow-up cadence.",
    )
    prospect_followup_due = fields.Boolean(
        string="Follow-up due",
        compute="_compute_prospect_schedule",
        search="_search_prospect_followup_due",
        groups=CRM_READ,
        help="The next follow-up is today or past, and its reminder is not given yet.",
    )
    prospect_reminded_date = fields.Date(
        string="Follow-up reminded for",
        readonly=True,
        groups=CRM_READ,
        copy=False,
        help="The follow-up date the developer last got an activity for (one per date).",
    )
    prospect_stale = fields.Boolean(
        string="Stale prospect",
        readonly=True,
        index=True,
        groups=CRM_READ,
        copy=False,
        help="No follow-up recorded for the company's number of days: set by the daily "
        "prospect cron, cleared by the next follow-up.",
    )
    prospect_outcome = fields.Selection(
        [("open", "Open"), ("converted", "Converted"), ("lost", "Lost")],
        string="Prospect outcome",
        compute="_compute_prospect_outcome",
        store=True,
        groups=CRM_READ,
        help="Open: still a prospect; converted: it became a customer; lost: terminated "
        "without ever cooperating. Empty for customers that were never prospects.",
    )
    prospect_conversion_rate = fields.Float(
        string="Conversion rate (%)",
        compute="_compute_prospect_outcome",
        store=True,
        aggregator="avg",
        digits=(5, 2),
        groups=CRM_READ,
        help="100 for a converted prospect, 0 otherwise: averaged by channel or developer, "
        "the share of prospects converted.",
    )
    conversion_credited = fields.Boolean(
        string="Conversion credited",
        compute="_compute_conversion_credited",
        groups=CRM_READ,
        help="The conversion counts for the developer in Staff performance: the customer "
        "reached the company's minimum volume within its days after the conversion.",
    )

    @api.depends("last_visit_date", "prospect_followup_logged_date")
    def _compute_prospect_last_followup_date(self):
        for partner in self:
            days = [
                d for d in (partner.last_visit_date, partner.prospect_followup_logged_date) if d
            ]
            partner.prospect_last_followup_date = max(days) if days else False

    @api.depends("customer_state", "conversion_date", "cooperation_start_date")
    def _compute_prospect_outcome(self):
        for partner in self:
            if partner.conversion_date:
                outcome = "converted"
            elif partner.customer_state == "potential":
                outcome = "open"
            elif partner.customer_state == "terminated" and not partner.cooperation_start_date:
                outcome = "lost"
            else:
                outcome = False
            partner.prospect_outcome = outcome
            partner.prospect_conversion_rate = 100.0 if outcome == "converted" else 0.0

    @api.depends_context("tz")
    @api.depends(
        "customer_state",
        "state_date",
        "prospect_last_followup_date",
        "prospect_followup_days",
        "prospect_reminded_date",
    )
    def _compute_prospect_schedule(self):
        rows = {}
        if self.ids:
            rows = {
                row["id"]: row
                for row in self.env.execute_query_dict(self._prospect_schedule_query(self.ids))
            }
        today = fields.Date.context_today(self)
        for partner in self:
            row = rows.get(partner.id)
            partner.prospect_next_followup_date = row and row["next_date"]
            partner.prospect_followup_due = bool(row) and self._prospect_is_due(row, today)

    @staticmethod
    def _prospect_is_due(row, today):
        return row["next_date"] <= today and (
            not row["reminded"] or row["reminded"] < row["next_date"]
        )

    def _search_prospect_followup_due(self, operator, value):
        if operator != "in":
            return NotImplemented
        today = fields.Date.context_today(self)
        query = SQL(
            """
            SELECT s.id FROM (%s) s
             WHERE s.next_date <= %s AND (s.reminded IS NULL OR s.reminded < s.next_date)
            """,
            self._prospect_schedule_query(),
            today,
        )
        domain = Domain("id", "in", query)
        return domain if True in value else ~domain

    def _search_prospect_next_followup_date(self, operator, value):
        if operator not in ("<", "<=", ">", ">=", "=") or not value:
            return NotImplemented
        query = SQL(
            "SELECT s.id FROM (%s) s WHERE s.next_date %s %s",
            self._prospect_schedule_query(),
            SQL(operator),
            fields.Date.to_date(value),
        )
        return [("id", "in", query)]

    def _prospect_schedule_query(self, ids=None):
        """The follow-up rule of the prospects, in one place (the profile, the search and
        the cron read it): the next follow-up is the last one recorded (or the day it
        became a prospect) plus the prospect's cadence (else its company's), and a
        prospect is stale once the company's number of days passed without one. A
        prospect without a company follows the first company's settings."""
        self.flush_model(
            [
                "customer_state",
                "is_delivery_customer",
                "prospect_last_followup_date",
                "prospect_followup_days",
                "prospect_reminded_date",
                "state_date",
                "company_id",
            ]
        )
        self.env["res.company"].flush_model(
            ["delivery_prospect_followup_days", "delivery_prospect_stale_days"]
        )
        return SQL(
            """
            SELECT p.id, p.developer_id, p.prospect_reminded_date AS reminded,
                   base.day + COALESCE(NULLIF(p.prospect_followup_days, 0),
                                       co.delivery_prospect_followup_days) AS next_date,
                   base.day + co.delivery_prospect_stale_days AS stale_from
              FROM res_partner p
              JOIN res_company co ON co.id = COALESCE(
                  p.company_id, (SELECT min(id) FROM res_company WHERE active))
             CROSS JOIN LATERAL (
                 SELECT COALESCE(GREATEST(p.prospect_last_followup_date, p.state_date),
                                 p.create_date::date) AS day
             ) base
             WHERE p.is_delivery_customer AND p.active AND p.customer_state = 'potential'
                   %s
            """,
            SQL("AND p.id IN %s", tuple(ids)) if ids else SQL(),
        )

    @api.constrains("prospect_followup_days")
    def _check_prospect_followup_days(self):
        for partner in self:
            if partner.prospect_followup_days < 0:
                raise ValidationError(
                    self.env._(
                        "%(customer)s: the follow-up cadence is a number of days, 0 for the "
                        "company's setting (not %(days)s).",
                        customer=partner.display_name,
                        days=partner.prospect_followup_days,
                    )
                )

    def _register_prospect_followup(self, day=None):
        """Record a follow-up of these customers on ``day`` (today by default): the hook a
        follow-up activity marked done, a communication record (or any other contact
        with the prospect) calls. It moves the next follow-up and clears the stale
        flag; a later follow-up already recorded stays."""
        day = fields.Date.to_date(day) or fields.Date.context_today(self)
        # sudo: follow-up bookkeeping of a contact the caller recorded, not a profile edit
        partners = self.sudo().filtered(
            lambda p: (
                p.is_delivery_customer
                and (not p.prospect_followup_logged_date or p.prospect_followup_logged_date < day)
            )
        )
        if partners:
            partners.write({"prospect_followup_logged_date": day, "prospect_stale": False})

    @api.model
    def _cron_prospect_followups(self):
        """Daily: flag the stale prospects (one statement) and give each developer an
        activity for each follow-up due, once per due date, in committed batches."""
        self._flag_stale_prospects()
        self.env["ir.cron"]._commit_progress(0)
        today = fields.Date.context_today(self)
        domain = [
            ("is_delivery_customer", "=", True),
            ("customer_state", "=", "potential"),
            ("developer_id", "!=", False),
            ("prospect_followup_due", "=", True),
        ]
        return self._cron_process_batches(
            domain, lambda partners: partners._remind_prospect_followups(today)
        )

    def _flag_stale_prospects(self):
        """Set the stale flag where the rule says so and clear it everywhere else."""
        today = fields.Date.context_today(self)
        self.flush_model(["prospect_stale"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p SET prospect_stale = flag.stale
                  FROM (
                      SELECT p2.id, COALESCE(s.stale_from <= %s, FALSE) AS stale
                        FROM res_partner p2
                        LEFT JOIN (%s) s ON s.id = p2.id
                       WHERE p2.prospect_stale OR s.id IS NOT NULL
                  ) flag
                 WHERE flag.id = p.id AND p.prospect_stale IS DISTINCT FROM flag.stale
                """,
                today,
                self._prospect_schedule_query(),
            )
        )
        self.invalidate_model(["prospect_stale"])

    def _remind_prospect_followups(self, today):
        rows = {
            row["id"]: row
            for row in self.env.execute_query_dict(self._prospect_schedule_query(self.ids))
        }
        for partner in self:
            row = rows.get(partner.id)
            if not row or not self._prospect_is_due(row, today):
                continue
            partner.activity_schedule(
                "delivery_crm.mail_activity_type_prospect_followup",
                date_deadline=row["next_date"],
                user_id=partner.developer_id.id,
            )
            partner.write({"prospect_reminded_date": row["next_date"]})

    @api.depends("conversion_date", "converted_by_id")
    def _compute_conversion_credited(self):
        credited = set()
        converted = self.filtered("conversion_date")
        if converted.ids:
            for model, names in CONVERSION_CREDIT_DEPENDS.items():
                self.env[model].flush_model(names)
            credited = {
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        "SELECT p.id FROM res_partner p WHERE p.id IN %s AND %s",
                        tuple(converted.ids),
                        self._conversion_credited_sql("p"),
                    )
                )
            }
        for partner in self:
            partner.conversion_credited = partner.id in credited

    @api.model
    def _conversion_credited_sql(self, alias):
        """Whether the conversion of the customer ``alias`` (a ``res_partner`` alias)
        counts for its developer, as an SQL condition: one rule for the profile and Staff
        performance. The company may require a minimum revenue and number of deliveries
        (not cancelled) within its number of days from the conversion. The caller
        flushes ``CONVERSION_CREDIT_DEPENDS``."""
        p = SQL.identifier(alias)
        return SQL(
            """
            EXISTS (
                SELECT 1 FROM res_company co
                 WHERE co.id = COALESCE(%(p)s.company_id,
                                        (SELECT min(id) FROM res_company WHERE active))
                   AND (
                       (co.delivery_conversion_min_revenue <= 0
                        AND co.delivery_conversion_min_deliveries <= 0)
                       OR (
                           SELECT COALESCE(sum(s.revenue), 0)
                                      >= co.delivery_conversion_min_revenue
                                  AND count(*) >= co.delivery_conversion_min_deliveries
                             FROM delivery_shipment s
                            WHERE s.partner_id = %(p)s.id
                              AND %(counted)s
                              AND s.date >= %(p)s.conversion_date
                              AND s.date < %(p)s.conversion_date
                                  + co.delivery_conversion_credit_days + 1
                       )
                   )
            )
            """,
            p=p,
            counted=counted_delivery("s"),
        )

    # ------------------------------------------------------------------ task pros
    # (issue 16 item 8, 004 客户管理制度 二.2): behaviour segments, refreshed daily in SQL
    behaviour_segment = fields.Selection(
        BEHAVIOUR_SEGMENTS,
        string="Behaviour segment",
        readonly=True,
        index=True,
        groups=CRM_READ,
        copy=False,
        help="Loyal, satisfied, ordinary or lost, from the deliveries, the cooperation and "
        "the satisfaction, by the company's rules (Settings); refreshed daily. Customers "
        "in cooperation only.",
    )
    behaviour_segment_date = fields.Date(
        string="Segment since", readonly=True, groups=CRM_READ, copy=False
    )

    @api.model
    def _behaviour_segment_query(self, ids):
        """The segment each of the customers ``ids`` belongs in today: the one rule of the
        segments (the cron and every other caller run it). Lost: no delivery for the
        company's number of days since its last one, or since the start of the
        cooperation when it never had one; loyal: cooperating for at least the
        company's months, with deliveries in at least its share of those last months and
        a satisfaction at least its level; satisfied: that satisfaction; else ordinary.
        Only customers in cooperation (active or suspended) have a segment. A customer
        without a company follows the first company's settings."""
        for model, names in SEGMENT_DEPENDS.items():
            self.env[model].flush_model(names)
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT p.id,
                   CASE
                       WHEN NOT p.is_delivery_customer OR NOT p.active
                            OR p.customer_state NOT IN ('active', 'suspended') THEN NULL
                       WHEN COALESCE(d.last_at, p.cooperation_start_date)
                            < %(today)s - co.delivery_segment_lost_days
                           THEN 'lost'
                       WHEN p.kpi_satisfaction >= co.delivery_segment_satisfaction
                            AND p.cooperation_start_date
                                <= %(today)s - make_interval(
                                       months => co.delivery_segment_loyal_months)
                            AND d.active_months * 100.0 / co.delivery_segment_loyal_months
                                >= co.delivery_segment_loyal_retention
                           THEN 'loyal'
                       WHEN p.kpi_satisfaction >= co.delivery_segment_satisfaction
                           THEN 'satisfied'
                       ELSE 'ordinary'
                   END AS segment
              FROM res_partner p
              JOIN res_company co ON co.id = COALESCE(
                  p.company_id, (SELECT min(id) FROM res_company WHERE active))
              LEFT JOIN LATERAL (
                  SELECT max(s.date) AS last_at,
                         count(DISTINCT date_trunc('month', s.date)) FILTER (
                             WHERE s.date >= %(today)s - make_interval(
                                 months => co.delivery_segment_loyal_months)
                         ) AS active_months
                    FROM delivery_shipment s
                   WHERE s.partner_id = p.id AND %(counted)s
              ) d ON TRUE
             WHERE p.id = ANY(%(ids)s)
            """,
            today=today,
            ids=list(ids),
            counted=counted_delivery("s"),
        )

    def _refresh_behaviour_segments(self):
        """Put these partners in their segment (one statement) and start the win-back of
        those that just became lost, once per entry into "lost"."""
        if not self.ids:
            return self.browse()
        today = fields.Date.context_today(self)
        rows = self.env.execute_query(
            SQL(
                """
                WITH rule AS (%(rule)s),
                changed AS (
                    UPDATE res_partner p
                       SET behaviour_segment = r.segment, behaviour_segment_date = %(today)s
                      FROM rule r
                      JOIN res_partner old ON old.id = r.id
                     WHERE p.id = r.id AND p.behaviour_segment IS DISTINCT FROM r.segment
                 RETURNING p.id, old.behaviour_segment AS old_segment, r.segment AS segment
                )
                SELECT id FROM changed
                 WHERE segment = 'lost' AND old_segment IS DISTINCT FROM 'lost'
                """,
                rule=self._behaviour_segment_query(self.ids),
                today=today,
            )
        )
        self.invalidate_recordset(["behaviour_segment", "behaviour_segment_date"])
        lost = self.browse([row[0] for row in rows])
        lost._start_win_back()
        return lost

    def _win_back_user(self):
        """Who wins this lost customer back: its account manager, else its developer,
        else the company's service-centre head, else a Delivery CRM manager."""
        self.ensure_one()
        company = self.company_id or self.env.company
        user = (
            self.account_manager_id or self.developer_id or company.delivery_complaint_manager_id
        ).filtered("active")
        if user:
            return user
        managers = self.env.ref(GROUP_MANAGER).all_user_ids.filtered(
            lambda u: u.active and not u.share and company in u.company_ids
        )
        return managers.sorted("id")[:1]

    def _start_win_back(self):
        """A customer just became lost (流失): the one who looks after it
        (``_win_back_user``) gets a win-back activity and a win-back visit proposed in a
        few days."""
        Visit = self.env["delivery.visit"]
        for partner in self:
            manager = partner._win_back_user()
            if not manager:
                continue
            visit = Visit.with_context(clean_context(self.env.context)).create(
                {
                    "name": self.env._("Win-back visit"),
                    "visit_type": "regular",
                    "origin": "win_back",
                    "partner_id": partner.id,
                    "user_id": manager.id,
                    "company_id": (partner.company_id or self.env.company).id,
                    "planned_date": Visit._working_morning(
                        (partner.company_id or self.env.company).delivery_segment_win_back_days
                    ),
                }
            )
            partner.activity_schedule(
                "delivery_crm.mail_activity_type_win_back",
                user_id=manager.id,
                note=self.env._(
                    "%(customer)s has had no delivery for a while: find out why and win "
                    "them back (a visit is proposed on %(day)s).",
                    customer=partner.display_name,
                    day=visit.planned_date.date(),
                ),
            )

    @api.model
    def _cron_refresh_behaviour_segments(self):
        """Daily: every customer's segment, in batches of ids committed one by one."""
        batch = self._cron_batch_size
        last_id = 0
        while True:
            ids = [
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        """
                        SELECT id FROM res_partner
                         WHERE (is_delivery_customer OR behaviour_segment IS NOT NULL)
                           AND id > %s
                         ORDER BY id LIMIT %s
                        """,
                        last_id,
                        batch,
                    )
                )
            ]
            if not ids:
                break
            self.browse(ids)._refresh_behaviour_segments()
            last_id = ids[-1]
            if not self.env["ir.cron"]._commit_progress(len(ids)):
                break
