from datetime import date

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .delivery_constants import GROUP_MANAGER

FREQUENCIES = [
    ("weekly", "Weekly"),
    ("biweekly", "Every two weeks"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("half_yearly", "Twice a year"),
    ("yearly", "Once a year"),
]
# what an approved plan locks: a manager resets it to draft to change it
LOCKED_FIELDS = {
    "partner_id",
    "year",
    "company_id",
    "user_id",
    "evaluation_id",
    "objectives",
    "volume_target",
    "revenue_target",
    "service_measures",
    "visit_frequency",
    "communication_frequency",
}
APPROVAL_FIELDS = {"state", "approved_by_id", "approved_date"}


class DeliveryKeyAccountPlan(models.Model):
    """The yearly plan of a key customer (大客户年度维护工作计划, 001 §九.2; R11),
    drawn up after the annual review: objectives, planned volume and revenue, service
    measures, how often the customer is visited and contacted, and who is responsible.
    Staff draft it; a Delivery CRM manager approves it, which locks it."""

    _name = "delivery.key.account.plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Key-account plan"
    _order = "year desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Key customer",
        required=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
        domain="[('is_delivery_customer', '=', True), ('customer_class', '=', 'key')]",
    )
    year = fields.Integer(
        required=True,
        default=lambda self: fields.Date.context_today(self).year,
        tracking=True,
        help="The year the plan is for; it follows the annual review of the year before.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        tracking=True,
        index=True,
        domain=[("share", "=", False)],
        help="Who carries the plan out; the customer's account manager by default.",
    )
    evaluation_id = fields.Many2one(
        "delivery.evaluation",
        string="Annual review",
        compute="_compute_evaluation_id",
        store=True,
        readonly=False,
        ondelete="set null",
        check_company=True,
        domain="[('partner_id', '=', partner_id), ('period_type', '=', 'annual')]",
        help="The annual evaluation the plan follows: the customer's evaluation of the "
        "year before the plan's year, when there is one.",
    )
    evaluation_score = fields.Float(
        related="evaluation_id.total_score", string="Review score", digits=(5, 2)
    )
    evaluation_action = fields.Selection(
        related="evaluation_id.recommended_action", string="Recommended action"
    )
    objectives = fields.Html(help="What the cooperation should achieve this year.")
    volume_target = fields.Integer(string="Planned deliveries", tracking=True)
    revenue_target = fields.Monetary(
        string="Revenue target", currency_field="currency_id", tracking=True
    )
    service_measures = fields.Html(
        string="Service measures",
        help="Differentiated service for the customer: dedicated staff, priority "
        "handling, custom services, training...",
    )
    visit_frequency = fields.Selection(FREQUENCIES, string="Visits", tracking=True)
    communication_frequency = fields.Selection(FREQUENCIES, string="Communication", tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("approved", "Approved")],
        required=True,
        default="draft",
        readonly=True,
        tracking=True,
        index=True,
        copy=False,
    )
    approved_by_id = fields.Many2one("res.users", string="Approved by", readonly=True, copy=False)
    approved_date = fields.Date(string="Approved on", readonly=True, copy=False)

    _partner_year_unique = models.Constraint(
        "UNIQUE (partner_id, year)",
        "A key customer has one plan per year.",
    )
    _year_check = models.Constraint(
        "CHECK (year BETWEEN 2000 AND 2999)",
        "The year of a key-account plan must be a four-digit year.",
    )
    _targets_positive = models.Constraint(
        "CHECK (volume_target >= 0 AND revenue_target >= 0)",
        "The targets of a key-account plan cannot be negative.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("partner_id", "year")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._(
                "%(year)s plan of %(customer)s",
                year=plan.year or "",
                customer=plan.partner_id.display_name or "",
            )

    @api.depends("partner_id")
    def _compute_user_id(self):
        for plan in self:
            plan.user_id = plan.partner_id.account_manager_id or plan.user_id or self.env.user

    @api.depends("partner_id", "year")
    def _compute_evaluation_id(self):
        plans = self.filtered(lambda p: p.partner_id and p.year)
        (self - plans).evaluation_id = False
        if not plans:
            return
        evaluations = self.env["delivery.evaluation"].search(
            [
                ("partner_id", "in", plans.partner_id.ids),
                ("period_type", "=", "annual"),
                ("period_start", "in", list({date(p.year - 1, 1, 1) for p in plans})),
            ]
        )
        by_key = {(e.partner_id, e.period_start.year): e for e in evaluations}
        for plan in plans:
            plan.evaluation_id = by_key.get((plan.partner_id, plan.year - 1), False)

    # ------------------------------------------------------------------ constraints
    @api.constrains("partner_id")
    def _check_key_customer(self):
        for plan in self:
            if plan.partner_id.customer_class != "key":
                raise ValidationError(
                    self.env._(
                        "%(customer)s is not a key customer: key-account plans are for "
                        "key customers only.",
                        customer=plan.partner_id.display_name,
                    )
                )

    @api.constrains("partner_id", "evaluation_id")
    def _check_evaluation(self):
        for plan in self.filtered("evaluation_id"):
            evaluation = plan.evaluation_id
            if evaluation.partner_id != plan.partner_id or evaluation.period_type != "annual":
                raise ValidationError(
                    self.env._(
                        "The review of a key-account plan must be an annual evaluation of "
                        "%(customer)s.",
                        customer=plan.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if any(APPROVAL_FIELDS & vals.keys() for vals in vals_list):
            self._check_manager()
        return super().create(vals_list)

    def write(self, vals):
        if APPROVAL_FIELDS & vals.keys():
            self._check_manager()
        if (
            LOCKED_FIELDS & vals.keys()
            and vals.get("state") != "draft"
            and any(plan.state == "approved" for plan in self)
        ):
            raise UserError(
                self.env._(
                    "An approved key-account plan cannot be changed: a manager resets it "
                    "to draft first."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------ actions
    def action_approve(self):
        """Approve the plans (managers only, 001 §九.2): they are locked from now on."""
        self._check_manager()
        if any(plan.state != "draft" for plan in self):
            raise UserError(self.env._("Only a draft key-account plan can be approved."))
        self.write(
            {
                "state": "approved",
                "approved_by_id": self.env.user.id,
                "approved_date": fields.Date.context_today(self),
            }
        )
        return True

    def action_reset_to_draft(self):
        """Unlock approved plans to change them (managers only)."""
        self._check_manager()
        if any(plan.state != "approved" for plan in self):
            raise UserError(self.env._("Only an approved key-account plan can be reset."))
        self.write({"state": "draft", "approved_by_id": False, "approved_date": False})
        return True

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(
                self.env._("Only Delivery CRM managers can approve key-account plans.")
            )
