from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .delivery_constants import CRM_READ
from .delivery_tools import check_value_types

EXCEPTION_OUTCOMES = ("late", "damaged", "lost")
FINAL_OUTCOMES = ("damaged", "lost", "cancelled")
STATUS_BY_OUTCOME = {
    "delivered": "delivered",
    "late": "delivered",
    "damaged": "exception",
    "lost": "exception",
    "cancelled": "cancelled",
}


class DeliveryShipment(models.Model):
    """One delivery job of a customer (R3): the business record the cooperation
    evaluation measures volume, on-time rate and damage rate with."""

    _name = "delivery.shipment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Delivery record"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, index="trigram", tracking=True)
    # security review M4: a portal user reads the fields the portal shows only
    # (``controllers/portal.py``); who created and last changed the record is internal
    create_uid = fields.Many2one("res.users", string="Created by", readonly=True, groups=CRM_READ)
    write_uid = fields.Many2one(
        "res.users", string="Last Updated by", readonly=True, groups=CRM_READ
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
        domain="[('is_delivery_customer', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", groups=CRM_READ)
    date = fields.Datetime(
        string="Order date",
        required=True,
        index=True,
        default=fields.Datetime.now,
        help="When the job was created (the order date); it places the job in an "
        "evaluation period.",
    )
    revenue = fields.Monetary(
        currency_field="currency_id", tracking=True, groups="delivery_crm.group_delivery_crm_user"
    )
    pieces = fields.Integer()
    weight = fields.Float(string="Weight (kg)", digits=(12, 3))
    promised_datetime = fields.Datetime(string="Promised delivery", tracking=True)
    delivered_datetime = fields.Datetime(string="Delivered on", tracking=True)
    outcome = fields.Selection(
        [
            ("delivered", "Delivered on time"),
            ("late", "Delivered late"),
            ("damaged", "Damaged"),
            ("lost", "Lost"),
            ("cancelled", "Cancelled"),
        ],
        tracking=True,
        index=True,
        help="Set from the delivery time when the job is delivered (on time or late); "
        "damaged, lost and cancelled are set by hand or by the transport system.",
    )
    outcome_label = fields.Char(compute="_compute_outcome_label", groups=CRM_READ)
    status = fields.Selection(
        [
            ("created", "Created"),
            ("in_transit", "In transit"),
            ("delivered", "Delivered"),
            ("exception", "Exception"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="created",
        tracking=True,
        index=True,
    )
    on_time = fields.Boolean(
        compute="_compute_on_time",
        store=True,
        help="Delivered, undamaged, no later than promised.",
        groups=CRM_READ,
    )
    exception_notified = fields.Boolean(
        string="Customer notified",
        readonly=True,
        copy=False,
        help="The customer was told of the delay, damage or loss (sent once).",
        groups="delivery_crm.group_delivery_crm_user",
    )
    notes = fields.Text(groups="delivery_crm.group_delivery_crm_user")

    _reference_unique = models.Constraint(
        "UNIQUE(partner_id, name)",
        lambda env, diag=None: env._(
            "This customer already has a delivery record with this reference."
        ),
    )
    _partner_date_idx = models.Index("(partner_id, date)")

    @api.depends("outcome")
    @api.depends_context("lang")
    def _compute_outcome_label(self):
        labels = dict(self._fields["outcome"]._description_selection(self.env))
        for shipment in self:
            shipment.outcome_label = labels.get(shipment.outcome, "")

    @api.depends("outcome", "delivered_datetime", "promised_datetime")
    def _compute_on_time(self):
        for shipment in self:
            shipment.on_time = shipment.outcome == "delivered"

    @api.constrains("revenue", "pieces", "weight")
    def _check_amounts(self):
        for shipment in self:
            if shipment.revenue < 0 or shipment.pieces < 0 or shipment.weight < 0:
                raise ValidationError(
                    self.env._(
                        "Delivery %(ref)s: revenue, pieces and weight cannot be negative.",
                        ref=shipment.name,
                    )
                )

    @api.constrains("date", "delivered_datetime", "promised_datetime")
    def _check_dates(self):
        for shipment in self:
            if shipment.delivered_datetime and shipment.delivered_datetime < shipment.date:
                raise ValidationError(
                    self.env._(
                        "Delivery %(ref)s: it cannot be delivered before it was created.",
                        ref=shipment.name,
                    )
                )
            if shipment.promised_datetime and shipment.promised_datetime < shipment.date:
                raise ValidationError(
                    self.env._(
                        "Delivery %(ref)s: the promised time is before the job was created.",
                        ref=shipment.name,
                    )
                )

    @api.constrains("partner_id")
    def _check_partner(self):
        for shipment in self:
            # sudo: only reads the customer flag, which a transport-system API user
            # may not have the Delivery CRM group to see
            if not shipment.partner_id.sudo().is_delivery_customer:
                raise ValidationError(
                    self.env._(
                        "Delivery %(ref)s: %(partner)s is not a delivery customer.",
                        ref=shipment.name,
                        partner=shipment.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_value_types(self, vals)
        shipments = super().create(vals_list)
        shipments._sync_outcome()
        return shipments

    def write(self, vals):
        check_value_types(self, vals)
        res = super().write(vals)
        synced_fields = {"delivered_datetime", "promised_datetime", "outcome", "status"}
        if synced_fields & vals.keys() and not self.env.context.get("delivery_crm_sync"):
            self._sync_outcome()
        return res

    def _expected_outcome(self):
        """The outcome the delivery time gives (None when it gives none)."""
        self.ensure_one()
        if self.outcome in FINAL_OUTCOMES or not self.delivered_datetime:
            return None
        if self.promised_datetime and self.delivered_datetime > self.promised_datetime:
            return "late"
        return "delivered"

    def _sync_outcome(self):
        """Keep outcome and status consistent with the delivery times, then notify
        the customer of new exceptions."""
        for shipment in self:
            vals = {}
            expected = shipment._expected_outcome()
            if expected and expected != shipment.outcome:
                vals["outcome"] = expected
            outcome = vals.get("outcome", shipment.outcome)
            status = STATUS_BY_OUTCOME.get(outcome)
            if status and status != shipment.status:
                vals["status"] = status
            if vals:
                shipment.with_context(delivery_crm_sync=True).write(vals)
        self.filtered(
            lambda s: s.outcome in EXCEPTION_OUTCOMES and not s.exception_notified
        )._notify_exception()

    def _notify_exception(self):
        """Tell the customer once of a delay, damage or loss (000 §四(五).3,
        003 §5.2): mail, and SMS where the customer has a phone number."""
        template = self.env.ref("delivery_crm.mail_template_delivery_exception")
        sms_template = self.env.ref("delivery_crm.sms_template_delivery_exception")
        for shipment in self:
            customer = shipment.partner_id
            if customer.email:
                shipment.message_post_with_source(
                    template,
                    partner_ids=customer.ids,
                    subtype_xmlid="mail.mt_comment",
                )
            if customer.phone:
                # queued: the SMS cron sends it (through IAP) outside this transaction
                shipment._message_sms_with_template(
                    template=sms_template, partner_ids=customer.ids, put_in_queue=True
                )
        # sudo: the flag is the module's own bookkeeping, set whatever the caller may write
        self.sudo().write({"exception_notified": True})

    # ------------------------------------------------------------------ actions
    def action_in_transit(self):
        self.filtered(lambda s: s.status == "created").write({"status": "in_transit"})

    def action_delivered(self):
        self.filtered(lambda s: not s.delivered_datetime).write(
            {"delivered_datetime": fields.Datetime.now()}
        )

    def action_cancel(self):
        self.write({"outcome": "cancelled"})
