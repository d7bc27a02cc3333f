from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .delivery_constants import CRM_READ

CLAIM_KINDS = [
    ("delay", "Delay"),
    ("damage", "Damage"),
    ("loss", "Loss"),
    ("other", "Other"),
]
CLAIM_STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("review", "Under review"),
    ("approved", "Approved"),
    ("refused", "Refused"),
    ("paid", "Paid"),
    ("cancelled", "Cancelled"),
]
# the workflow, written once: action -> (the states it starts from, the state it gives)
FLOWS = {
    "submit": (("draft",), "submitted"),
    "review": (("submitted",), "review"),
    "approve": (("submitted", "review"), "approved"),
    "refuse": (("submitted", "review"), "refused"),
    "pay": (("approved",), "paid"),
    "cancel": (("draft", "submitted", "review"), "cancelled"),
}
# the kinds of claim that need evidence (photos, a proof of value) before they are
# submitted: a delay is proven by the delivery record itself
EVIDENCE_KINDS = ("damage", "loss")
# what a user may still change by hand in each state (the owner always; the rest
# through the workflow buttons): the claim as filed is fixed once submitted, the
# decision once taken, the payment once recorded
EDITABLE = {
    "draft": None,  # everything
    "submitted": {"amount_approved", "refusal_reason", "complaint_id", "user_id"},
    "review": {"amount_approved", "refusal_reason", "complaint_id", "user_id"},
    "approved": {"payment_date", "payment_reference", "user_id"},
    "refused": {"user_id"},
    "paid": {"user_id"},
    "cancelled": {"user_id"},
}
# the claims the evaluation and the reports count: filed (submitted) and neither
# withdrawn (cancelled) nor found unfounded (refused)
COUNTED_STATES = ("submitted", "review", "approved", "paid")
SETTLED_STATES = ("approved", "paid")
TEMPLATES = {
    "submitted": "delivery_crm.mail_template_claim_received",
    "approved": "delivery_crm.mail_template_claim_approved",
    "refused": "delivery_crm.mail_template_claim_refused",
    "paid": "delivery_crm.mail_template_claim_paid",
}
GROUP_MANAGER = "delivery_crm.group_delivery_crm_manager"
ACTIVITY_TYPE = "mail.mail_activity_data_todo"


class DeliveryClaim(models.Model):
    """A claim for compensation on a delivery (004 银行客户服务管理制度, 补偿; 000
    §四(五).3): what the customer claims and why, with its evidence; the approval
    within the approver's limit (service staff up to the company's limit, managers
    above); the refusal with its reason; the payment with its date and reference. The
    customer is told at each step and follows the claim in the portal."""

    _name = "delivery.claim"
    _description = "Compensation claim"
    _inherit = [
        "portal.mixin",
        # brings mail.thread
        "delivery.customer.portal.mixin",
        "mail.activity.mixin",
        "delivery.system.field.mixin",
    ]
    _order = "id desc"
    _check_company_auto = True
    # the number, the workflow and its decision are kept by the module
    _system_fields = frozenset(
        {"name", "state", "submitted_date", "approver_id", "approval_date", "refused_date"}
    )

    name = fields.Char(
        string="Number", required=True, readonly=True, copy=False, default="/", index=True
    )
    shipment_id = fields.Many2one(
        "delivery.shipment",
        string="Delivery",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
    )
    partner_id = fields.Many2one(
        related="shipment_id.partner_id", string="Customer", store=True, index=True
    )
    contact_id = fields.Many2one(
        "res.partner",
        tracking=True,
        help="Who filed the claim for the customer; told at each step (else the customer).",
    )
    complaint_id = fields.Many2one(
        "delivery.complaint",
        string="Request",
        index="btree_not_null",
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
        help="The customer's request (complaint) the claim comes with, if any.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(CLAIM_KINDS, required=True, default="delay", tracking=True)
    amount_claimed = fields.Monetary(
        string="Claimed amount", currency_field="currency_id", required=True, tracking=True
    )
    description = fields.Text(help="What happened and what the amount covers.")
    state = fields.Selection(
        CLAIM_STATES, required=True, default="draft", readonly=True, tracking=True, index=True
    )
    submitted_date = fields.Datetime(
        string="Filed on",
        readonly=True,
        copy=False,
        index=True,
        help="When the claim was submitted: it places the claim in an evaluation period.",
    )
    amount_approved = fields.Monetary(
        string="Approved amount", currency_field="currency_id", tracking=True, copy=False
    )
    approver_id = fields.Many2one(
        "res.users", string="Approved by", readonly=True, copy=False, groups=CRM_READ
    )
    approval_date = fields.Datetime(readonly=True, copy=False)
    refused_date = fields.Datetime(readonly=True, copy=False)
    refusal_reason = fields.Text(copy=False, tracking=True)
    payment_date = fields.Date(copy=False, tracking=True)
    payment_reference = fields.Char(copy=False, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        index=True,
        check_company=True,
        domain=[("share", "=", False)],
        default=lambda self: self.env.user if not self.env.user.share else False,
        groups=CRM_READ,
    )
    attachment_count = fields.Integer(string="Evidence", compute="_compute_attachment_count")
    above_limit = fields.Boolean(
        compute="_compute_above_limit",
        groups=CRM_READ,
        help="The claimed amount is above the staff approval limit: a manager approves it.",
    )

    # ------------------------------------------------------------------ computes
    def _compute_attachment_count(self):
        counts = dict(
            self.env["ir.attachment"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for claim in self:
            claim.attachment_count = counts.get(claim.id, 0)

    @api.depends("amount_claimed", "company_id")
    def _compute_above_limit(self):
        for claim in self:
            claim.above_limit = claim.amount_claimed > claim.company_id.delivery_claim_staff_limit

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for claim in self:
            claim.access_url = f"/my/claims/{claim.id}"

    # ------------------------------------------------------------------ constraints
    @api.constrains("amount_claimed", "amount_approved")
    def _check_amounts(self):
        for claim in self:
            claim._check_amount_values(claim.amount_claimed, claim.amount_approved)

    # one claim per delivery and kind at a time: a refused or cancelled one may be filed
    # again, another open one would count the same loss twice (the claims indicator)
    _one_open_claim = models.UniqueIndex(
        "(shipment_id, kind) WHERE state NOT IN ('refused', 'cancelled')",
        lambda env, diag=None: env._(
            "This delivery already has a claim of this kind: follow that one (a refused "
            "or cancelled claim may be filed again)."
        ),
    )

    @api.model
    def _check_no_open_claim(self, vals_list):
        """A clear message before the unique index (``_one_open_claim``) refuses it."""
        keys = [(vals.get("shipment_id"), vals.get("kind")) for vals in vals_list]
        # sudo: another user's claim on the delivery counts too; only its name is told
        open_claims = self.sudo().search(
            [
                ("shipment_id", "in", [shipment for shipment, _kind in keys if shipment]),
                ("state", "not in", ("refused", "cancelled")),
            ]
        )
        taken = {(claim.shipment_id.id, claim.kind): claim for claim in open_claims}
        seen = set()
        for key in keys:
            if key in taken or key in seen:
                raise ValidationError(
                    self.env._(
                        "This delivery already has a claim of this kind (%(claim)s): follow "
                        "that one (a refused or cancelled claim may be filed again).",
                        claim=taken[key].name if key in taken else "",
                    )
                )
            seen.add(key)

    @api.constrains("contact_id", "shipment_id")
    def _check_contact(self):
        """The claim's mails (amounts, reasons) go to the contact: one of the customer's."""
        for claim in self:
            # sudo: the contact's company link decides, whatever the user may read of it
            contact = claim.contact_id.sudo()
            if contact and contact.commercial_partner_id != claim.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "The contact of a claim must be one of the customer's (%(customer)s).",
                        customer=claim.partner_id.display_name,
                    )
                )

    @api.constrains("complaint_id", "shipment_id")
    def _check_complaint_customer(self):
        for claim in self:
            if claim.complaint_id and claim.complaint_id.partner_id != claim.partner_id:
                raise ValidationError(
                    self.env._("The request of a claim must be one of the same customer's.")
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        model = self._check_system_fields_create(vals_list)
        for vals in vals_list:
            self._check_amount_values(vals.get("amount_claimed", 0.0), vals.get("amount_approved"))
        if not self.env.su:
            # a claim is filed on a delivery its author reaches (the record rules)
            shipment_ids = {vals["shipment_id"] for vals in vals_list if vals.get("shipment_id")}
            self.env["delivery.shipment"].browse(shipment_ids).check_access("read")
        self._check_no_open_claim(vals_list)
        for vals in vals_list:
            vals["name"] = self.env["ir.sequence"].next_by_code("delivery.claim") or "/"
        return super(DeliveryClaim, model).create(vals_list).with_env(self.env)

    def write(self, vals):
        self._check_system_fields(vals)
        if not self.env.su:
            self._check_editable(vals)
        if {"amount_claimed", "amount_approved"} & vals.keys():
            for claim in self:
                claim._check_amount_values(
                    vals.get("amount_claimed", claim.amount_claimed),
                    vals.get("amount_approved", claim.amount_approved),
                )
        return super().write(vals)

    @api.model
    def _check_amount_values(self, claimed, approved):
        """Refuse the amounts before anything is written: a claimed amount above 0, an
        approved amount from 0 to the claimed amount."""
        claimed = claimed or 0.0
        if claimed <= 0:
            raise ValidationError(
                self.env._("The claimed amount must be positive (not %(amount)s).", amount=claimed)
            )
        approved = approved or 0.0
        if approved < 0 or approved > claimed:
            raise ValidationError(
                self.env._(
                    "The approved amount (%(approved)s) must be positive and at most the "
                    "claimed amount (%(claimed)s).",
                    approved=approved,
                    claimed=claimed,
                )
            )

    def _check_editable(self, vals):
        """A claim as filed is fixed once submitted, and its decision once taken."""
        for claim in self:
            editable = EDITABLE[claim.state]
            if editable is None:
                continue
            if locked := sorted(set(vals) - editable - {"message_main_attachment_id"}):
                raise UserError(
                    self.env._(
                        "The claim %(claim)s is %(state)s: %(fields)s can no longer be changed.",
                        claim=claim.name,
                        state=claim._state_label(),
                        fields=", ".join(
                            self._fields[name]._description_string(self.env) for name in locked
                        ),
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(claim.state not in ("draft", "cancelled") for claim in self):
            raise UserError(self.env._("Only draft or cancelled claims can be deleted."))

    # ------------------------------------------------------------------ helpers
    def _state_label(self, state=None):
        self.ensure_one()
        labels = dict(self._fields["state"]._description_selection(self.env))
        return labels[state or self.state]

    def _check_flow(self, action):
        """Refuse ``action`` on a claim that is not in one of its starting states."""
        starts, _target = FLOWS[action]
        steps = {
            "submit": self.env._("submitted"),
            "review": self.env._("taken under review"),
            "approve": self.env._("approved"),
            "refuse": self.env._("refused"),
            "pay": self.env._("marked paid"),
            "cancel": self.env._("cancelled"),
        }
        for claim in self:
            if claim.state not in starts:
                raise UserError(
                    self.env._(
                        "The claim %(claim)s is %(state)s: it cannot be %(step)s now.",
                        claim=claim.name,
                        state=claim._state_label(),
                        step=steps[action],
                    )
                )

    def _staff_limit(self):
        self.ensure_one()
        return self.company_id.delivery_claim_staff_limit

    def _customer_recipient(self):
        self.ensure_one()
        return self.contact_id or self.partner_id

    def _notify_customer(self):
        """Tell the customer of the step the claim reached (the template of its
        state): a public message, mailed to them and shown in their portal."""
        for claim in self:
            template = self.env.ref(TEMPLATES[claim.state], raise_if_not_found=False)
            recipient = claim._customer_recipient()
            if not template or not recipient:
                continue
            claim.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                partner_ids=recipient.ids,
                email_layout_xmlid="mail.mail_notification_light",
            )

    def _approvers(self):
        """Who approves a claim above the staff limit: the company's claim approver,
        else its service-centre head, else its Delivery CRM managers."""
        self.ensure_one()
        company = self.company_id
        approver = company.delivery_claim_approver_id or company.delivery_complaint_manager_id
        if approver:
            return approver
        return (
            self.env.ref(GROUP_MANAGER)
            .all_user_ids.filtered(lambda u: company in u.company_ids and not u.share)
            .sorted("id")
        )

    def _schedule_review(self):
        """The activity of a submitted claim: its approvers' when it is above the staff
        limit, else its owner's."""
        for claim in self:
            if claim.amount_claimed > claim._staff_limit():
                users = claim._approvers()
                summary = self.env._(
                    "Approve claim %(claim)s (above the staff limit)", claim=claim.name
                )
            else:
                users = claim.user_id
                summary = self.env._("Review claim %(claim)s", claim=claim.name)
            for user in users:
                # sudo: the activity is the module's hand-over of the claim to its
                # approver or owner; the claim itself was changed by the caller
                claim.sudo().activity_schedule(ACTIVITY_TYPE, summary=summary, user_id=user.id)

    def _close_activities(self, feedback):
        # sudo: the claim's review activities belong to its owner or approvers; they
        # are done once the claim is decided, whoever decided it
        self.sudo().activity_ids.action_feedback(feedback=feedback)

    # ------------------------------------------------------------------ workflow
    def action_submit(self):
        self._check_flow("submit")
        # sudo: only whether each claim has files is read (the caller reads the claim)
        with_files = set(
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids)])
            .mapped("res_id")
        )
        for claim in self:
            if claim.kind in EVIDENCE_KINDS and claim.id not in with_files:
                raise UserError(
                    self.env._(
                        "Attach the evidence (photos, proof of value) to the claim "
                        "%(claim)s before submitting it.",
                        claim=claim.name,
                    )
                )
        self._write_system({"state": "submitted", "submitted_date": fields.Datetime.now()})
        self._schedule_review()
        self._notify_customer()
        return True

    def action_review(self):
        self._check_flow("review")
        self._write_system({"state": "review"})
        return True

    def action_approve(self):
        self._check_flow("approve")
        is_manager = self.env.user.has_group(GROUP_MANAGER)
        for claim in self:
            amount = claim.amount_approved
            if amount <= 0:
                raise UserError(
                    self.env._(
                        "Enter the approved amount of the claim %(claim)s (more than 0, at "
                        "most the claimed %(claimed)s).",
                        claim=claim.name,
                        claimed=claim.amount_claimed,
                    )
                )
            if amount > claim.amount_claimed:
                raise UserError(
                    self.env._(
                        "The approved amount (%(approved)s) of the claim %(claim)s is more "
                        "than the claimed amount (%(claimed)s).",
                        approved=amount,
                        claim=claim.name,
                        claimed=claim.amount_claimed,
                    )
                )
            limit = claim._staff_limit()
            # the claim as filed decides who approves it (its review activity went to
            # the approvers): approving less than the limit does not make it staff's
            if max(amount, claim.amount_claimed) > limit and not is_manager:
                raise UserError(
                    self.env._(
                        "You may approve claims up to %(limit)s %(currency)s: the claim "
                        "%(claim)s (%(amount)s %(currency)s) needs a manager's approval.",
                        limit=limit,
                        currency=claim.currency_id.name,
                        claim=claim.name,
                        amount=max(amount, claim.amount_claimed),
                    )
                )
        self._write_system(
            {
                "state": "approved",
                "approver_id": self.env.user.id,
                "approval_date": fields.Datetime.now(),
            }
        )
        self._close_activities(self.env._("Approved"))
        self._notify_customer()
        return True

    def action_refuse(self):
        self._check_flow("refuse")
        for claim in self:
            if not (claim.refusal_reason or "").strip():
                raise UserError(
                    self.env._(
                        "Give the reason for refusing the claim %(claim)s: the customer is "
                        "told of it.",
                        claim=claim.name,
                    )
                )
        self._write_system({"state": "refused", "refused_date": fields.Datetime.now()})
        self._close_activities(self.env._("Refused"))
        self._notify_customer()
        return True

    def action_pay(self):
        self._check_flow("pay")
        for claim in self:
            if not claim.payment_date or not (claim.payment_reference or "").strip():
                raise UserError(
                    self.env._(
                        "Enter the payment date and reference of the claim %(claim)s "
                        "before marking it paid.",
                        claim=claim.name,
                    )
                )
        self._write_system({"state": "paid"})
        self._notify_customer()
        return True

    def action_cancel(self):
        self._check_flow("cancel")
        self._write_system({"state": "cancelled"})
        self._close_activities(self.env._("Cancelled"))
        return True

    def action_view_attachments(self):
        self.ensure_one()
        title = self.env._("Evidence")
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "ir.attachment",
            "view_mode": "kanban,list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    # ------------------------------------------------------------------ portal
    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Claim %(name)s", name=self.name)

    # ------------------------------------------------------------------ reports
    @api.model
    def _figures_by_partner(self, partner_ids):
        """{partner_id: (claims counted, approved amount)} of ``partner_ids``: the
        claims counted (``COUNTED_STATES``) and the amount of the settled ones."""
        rows = self._read_group(
            [("partner_id", "in", partner_ids), ("state", "in", COUNTED_STATES)],
            ["partner_id", "state"],
            ["__count", "amount_approved:sum"],
        )
        figures = {}
        for partner, state, count, approved in rows:
            total_count, total_approved = figures.get(partner.id, (0, 0.0))
            figures[partner.id] = (
                total_count + count,
                total_approved + (approved if state in SETTLED_STATES else 0.0),
            )
        return figures
