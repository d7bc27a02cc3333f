from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .delivery_constants import GROUP_MANAGER

RECOGNITION_KINDS = [
    ("award", "Award"),
    ("commendation", "Commendation"),
    ("customer_praise", "Customer praise"),
    ("criticism", "Criticism"),
    ("penalty", "Penalty"),
]
# the kinds that recognise good work; the others sanction poor service (000 §七(二))
POSITIVE_KINDS = ("award", "commendation", "customer_praise")


class DeliveryStaffRecognition(models.Model):
    """Awards, commendations, customer praise and sanctions of a staff member (000 §七:
    激励与约束机制 — customer development, customer satisfaction and customer
    maintenance awards; criticism and penalties for poor service; 003 §2.2 表彰和奖励;
    002 §五.2). Granted by a manager only, counted on the staff performance report."""

    _name = "delivery.staff.recognition"
    _description = "Staff award or sanction"
    _inherit = ["mail.thread", "delivery.system.field.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    user_id = fields.Many2one(
        "res.users",
        string="Staff member",
        required=True,
        index=True,
        tracking=True,
        domain=[("share", "=", False)],
        check_company=True,
    )
    kind = fields.Selection(RECOGNITION_KINDS, required=True, default="commendation", tracking=True)
    reason = fields.Selection(
        [
            ("development", "Customer development"),
            ("satisfaction", "Customer satisfaction"),
            ("maintenance", "Customer relationship maintenance"),
            ("complaints", "Complaints about service quality"),
            ("other", "Other"),
        ],
        required=True,
        default="satisfaction",
        tracking=True,
    )
    name = fields.Char(string="Description", required=True, tracking=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(
        currency_field="currency_id", help="The bonus paid or the fine, if any."
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        help="The customer concerned (the one praising, developed or maintained).",
    )
    granted_by_id = fields.Many2one(
        "res.users",
        string="Granted by",
        readonly=True,
        default=lambda self: self.env.user,
        help="The manager who granted it.",
    )
    positive = fields.Boolean(compute="_compute_positive", store=True)

    _system_fields = frozenset({"granted_by_id"})

    @api.depends("kind")
    def _compute_positive(self):
        for record in self:
            record.positive = record.kind in POSITIVE_KINDS

    @api.constrains("amount", "name")
    def _check_values(self):
        for record in self:
            if record.amount < 0:
                raise ValidationError(
                    self.env._("The amount of an award or a penalty cannot be negative.")
                )
            if not (record.name or "").strip():
                raise ValidationError(self.env._("Describe the award or the sanction."))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_granted_by_manager()
        model = self._check_system_fields_create(vals_list)
        records = super(DeliveryStaffRecognition, model).create(vals_list)
        # after the defaults: the error rolls the creation back
        records._check_not_for_oneself()
        return records

    def write(self, vals):
        self._check_granted_by_manager()
        self._check_not_for_oneself()
        self._check_system_fields(vals)
        result = super().write(vals)
        if "user_id" in vals:
            self._check_not_for_oneself()
        return result

    def _check_granted_by_manager(self):
        """Only a manager grants or changes an award or a sanction, whatever the path
        (the access rights say the same; this says it clearly, in superuser mode too)."""
        if not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(
                self.env._("Only Delivery CRM managers grant awards and sanctions to staff.")
            )

    def _check_not_for_oneself(self):
        """Nobody grants, changes or receives through a change an award or a sanction of
        their own (it counts on their own staff performance, 000 §七), an administrator
        neither: another manager records it."""
        if self.env.user in self.user_id:
            raise AccessError(
                self.env._(
                    "You cannot grant or change an award or a sanction of your own: "
                    "another manager records it."
                )
            )
