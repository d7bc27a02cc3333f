from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from .delivery_constants import CRM_READ
from .delivery_tools import check_value_types

# the kinds of delivery exception (one row each per delivery, delivery.shipment.exception):
# late = not delivered by the promised time (found by the job) or delivered late;
# at_risk = due within the company's warning window (optional); damaged and lost = the
# outcome; failed_attempt = the transport system reports a failed delivery attempt
EXCEPTION_KINDS = [
    ("late", "Late"),
    ("at_risk", "At risk of delay"),
    ("damaged", "Damaged"),
    ("lost", "Lost"),
    ("failed_attempt", "Failed delivery attempt"),
]
# the outcomes that are an exception of the same kind
EXCEPTION_OUTCOMES = ("late", "damaged", "lost")
# a job on the road: the detection job looks at these
OPEN_STATUSES = ("created", "in_transit")
# the status changes a customer who asked for "all" is told of
PUSHED_STATUSES = ("in_transit", "delivered", "exception", "cancelled")
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
    _inherit = ["mail.thread", "mail.activity.mixin", "delivery.cron.mixin"]
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
    # the notices' words, in the recipient's language (mail and SMS templates)
    status_label = fields.Char(compute="_compute_status_label", groups=CRM_READ)
    notice_kind_label = fields.Char(compute="_compute_notice_kind_label", groups=CRM_READ)
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
    failed_attempt_datetime = fields.Datetime(
        string="Failed attempt on",
        tracking=True,
        copy=False,
        groups=CRM_READ,
        help="Set by the transport system (or by hand) when a delivery attempt failed "
        "(nobody there, refused, wrong address): raises a failed-attempt exception.",
    )
    status_push_pending = fields.Boolean(
        readonly=True,
        copy=False,
        groups=CRM_READ,
        help="A status change of a transport-system batch the customer asked to be told "
        "of: the notice job sends it, started at once after the batch.",
    )
    exception_ids = fields.One2many(
        "delivery.shipment.exception", "shipment_id", string="Exceptions", groups=CRM_READ
    )
    exception_notified = fields.Boolean(
        string="Customer notified",
        compute="_compute_exception_notified",
        store=True,
        help="The customer was told of an exception of this delivery (each kind once).",
        groups="delivery_crm.group_delivery_crm_user",
    )
    notes = fields.Text(groups="delivery_crm.group_delivery_crm_user")

    _reference_unique = models.Constraint(
        "UNIQUE(partner_id, name)",
        lambda env, diag=None: env._(
            "This customer already has a delivery record with this reference."
        ),
    )
    # covering: the list of an account manager counts the deliveries of their customers
    # (the record rules: customer and company), and a user's dashboard counts their
    # customers' deliveries by outcome, from the index alone
    _partner_date_idx = models.Index("(partner_id, date) INCLUDE (company_id, outcome)")
    # the notice job's queue: few rows at a time, found without a scan
    _status_push_pending_idx = models.Index("(id) WHERE status_push_pending")

    @api.depends("outcome")
    @api.depends_context("lang")
    def _compute_outcome_label(self):
        labels = dict(self._fields["outcome"]._description_selection(self.env))
        for shipment in self:
            shipment.outcome_label = labels.get(shipment.outcome, "")

    @api.depends("status")
    @api.depends_context("lang")
    def _compute_status_label(self):
        labels = dict(self._fields["status"]._description_selection(self.env))
        for shipment in self:
            shipment.status_label = labels.get(shipment.status, "")

    @api.depends_context("lang", "delivery_exception_kind")
    def _compute_notice_kind_label(self):
        """The exception kind a notice is about (``delivery_exception_kind`` in the
        context), as its template says it."""
        kinds = self.env["delivery.shipment.exception"]._fields["kind"]
        labels = dict(kinds._description_selection(self.env))
        kind = self.env.context.get("delivery_exception_kind")
        for shipment in self:
            shipment.notice_kind_label = labels.get(kind, "")

    @api.depends("exception_ids.announced_date")
    def _compute_exception_notified(self):
        for shipment in self:
            shipment.exception_notified = any(shipment.exception_ids.mapped("announced_date"))

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
        shipments._sync_outcome(dict.fromkeys(shipments.ids, "created"))
        return shipments

    def write(self, vals):
        check_value_types(self, vals)
        synced_fields = {
            "delivered_datetime",
            "promised_datetime",
            "outcome",
            "status",
            "failed_attempt_datetime",
        }
        syncing = synced_fields & vals.keys() and not self.env.context.get("delivery_crm_sync")
        # the statuses before the write, in one read: a change is pushed to who asked
        statuses = {shipment.id: shipment.status for shipment in self} if syncing else None
        res = super().write(vals)
        if syncing:
            self._sync_outcome(statuses)
        return res

    def _expected_outcome(self):
        """The outcome the delivery time gives (None when it gives none)."""
        self.ensure_one()
        if self.outcome in FINAL_OUTCOMES or not self.delivered_datetime:
            return None
        if self.promised_datetime and self.delivered_datetime > self.promised_datetime:
            return "late"
        return "delivered"

    def _sync_outcome(self, statuses_before=None):
        """Keep outcome and status consistent with the delivery times, raise the
        exceptions the outcome or a failed attempt gives (each kind once per delivery:
        ``delivery.shipment.exception``), and push the status changes to the customers
        who asked for them (``res.partner._delivery_notice_recipients``)."""
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
        by_kind = defaultdict(list)
        for shipment in self:
            if shipment.outcome in EXCEPTION_OUTCOMES:
                by_kind[shipment.outcome].append(shipment.id)
            if shipment.failed_attempt_datetime:
                by_kind["failed_attempt"].append(shipment.id)
        # sudo: exceptions are the module's own records, raised whoever writes the
        # delivery (the transport system's integration user has no Delivery CRM group)
        Exception_ = self.env["delivery.shipment.exception"].sudo()
        raised = Exception_.browse()
        for kind, ids in by_kind.items():
            raised |= Exception_._raise_for(kind, self.browse(ids))
        self._resolve_at_risk()
        if statuses_before:
            changed = self.filtered(
                lambda s: (
                    s.status != statuses_before.get(s.id)
                    and s.status in PUSHED_STATUSES
                    # a new exception's notice tells it already
                    and s not in raised.shipment_id
                )
            )
            if self.env.context.get("delivery_crm_defer_notices"):
                changed._defer_status_push()
            else:
                changed._push_status()

    def _resolve_at_risk(self):
        """A delivery flagged at risk that arrives on time closes its at-risk exception
        (and its owner's to-do): nothing is left for the desk to chase."""
        arrived = self.filtered(lambda s: s.outcome == "delivered")
        if not arrived:
            return
        # sudo: the exceptions are the module's own records, closed whoever wrote the
        # delivery (the transport system's integration user)
        at_risk = (
            self.env["delivery.shipment.exception"]
            .sudo()
            .search(
                [
                    ("shipment_id", "in", arrived.ids),
                    ("kind", "=", "at_risk"),
                    ("state", "!=", "resolved"),
                ]
            )
        )
        if at_risk:
            note = self.env._("Delivered on time.")
            at_risk.write({"state": "resolved", "resolution_note": note})
            at_risk.activity_feedback(
                ["mail.mail_activity_data_todo"], feedback=note, only_automated=False
            )

    def _defer_status_push(self):
        """Leave the status notices of these deliveries to the notice job (a batch of
        the transport system), for the customers who asked to be told of every change."""
        recipients = self.env["res.partner"]._delivery_notice_recipients(self.partner_id, "all")
        wanted = self.filtered(lambda s: recipients.get(s.partner_id.id))
        if not wanted:
            return
        # sudo: the flag is the module's own bookkeeping, set whoever wrote the delivery
        wanted.sudo().with_context(delivery_crm_sync=True).write({"status_push_pending": True})
        # sudo: starting the module's own job; the transport user may not read crons
        self.env.ref("delivery_crm.ir_cron_delivery_exception_notices").sudo()._trigger()

    @api.model
    def _exception_due_domain(self, kind, now, window_end=None):
        """The jobs on the road that are due an exception ``kind`` (the job's domain,
        made false by raising it): late past the promised time, at risk within the
        warning window."""
        domain = Domain("status", "in", OPEN_STATUSES) & Domain(
            "exception_ids", "not any", [("kind", "=", kind)]
        )
        if kind == "late":
            return domain & Domain("promised_datetime", "<", now)
        return (
            domain
            & Domain("promised_datetime", ">=", now)
            & Domain("promised_datetime", "<", window_end)
        )

    # ------------------------------------------------------------------ notices
    def _announce_exceptions(self, exceptions):
        """Tell each delivery's customer (and the contacts who asked) of its new
        ``exceptions``, in each one's language and by the channels each one chose
        (000 §四(五).3, 003 §5.2); mail posted on the delivery, SMS queued (the SMS job
        sends them outside this transaction). Records on each exception when and how
        it was told."""
        mail = self.env.ref("delivery_crm.mail_template_delivery_exception")
        sms = self.env.ref("delivery_crm.sms_template_delivery_exception")
        recipients = self.env["res.partner"]._delivery_notice_recipients(
            self.partner_id, "exception"
        )
        now = fields.Datetime.now()
        for exception in exceptions:
            shipment = exception.shipment_id
            by_mail, by_sms = shipment._send_notice(
                recipients.get(shipment.partner_id.id, []),
                mail,
                sms,
                {"delivery_exception_kind": exception.kind},
            )
            if by_mail or by_sms:
                # sudo: what the customer was told is the module's own record of it
                exception.sudo().write(
                    {
                        "announced_date": now,
                        "announced_by_mail": by_mail,
                        "announced_by_sms": by_sms,
                    }
                )

    def _send_pending_status_push(self):
        """The notice job's part: the deferred status notices, then the flag cleared."""
        self._push_status()
        # sudo: the flag is the module's own bookkeeping
        self.sudo().with_context(delivery_crm_sync=True).write({"status_push_pending": False})

    def _push_status(self):
        """Tell the customers who asked for every status change (003 §5.2)."""
        if not self:
            return
        mail = self.env.ref("delivery_crm.mail_template_delivery_status")
        sms = self.env.ref("delivery_crm.sms_template_delivery_status")
        recipients = self.env["res.partner"]._delivery_notice_recipients(self.partner_id, "all")
        for shipment in self:
            shipment._send_notice(recipients.get(shipment.partner_id.id, []), mail, sms, {})

    def _send_notice(self, recipients, mail, sms, context):
        """Post ``mail`` to the recipients told by mail and queue ``sms`` to those told
        by SMS, one message per language. ``recipients``: ``[(partner, by_mail,
        by_sms)]``. Returns whether a mail was sent and whether an SMS was queued."""
        self.ensure_one()
        by_lang = defaultdict(lambda: ([], []))
        for partner, by_mail, by_sms in recipients:
            mails, texts = by_lang[partner.lang or ""]
            if by_mail:
                mails.append(partner.id)
            if by_sms:
                texts.append(partner.id)
        sent_mail = sent_sms = False
        # sudo: the notice is the module's own, sent whoever wrote the delivery (the
        # transport system's user, the job); its recipients were chosen above
        shipment = self.sudo()
        for lang, (mails, texts) in by_lang.items():
            ctx = dict(context, delivery_notice_lang=lang or False)
            if mails:
                # queued (force_send=False): the mail queue job sends it, never this write
                shipment.with_context(**ctx).message_post_with_source(
                    mail, partner_ids=mails, subtype_xmlid="mail.mt_comment", force_send=False
                )
                sent_mail = True
            if texts:
                # queued: the SMS cron sends it (through IAP) outside this transaction
                shipment.with_context(**ctx)._message_sms_with_template(
                    template=sms, partner_ids=texts, put_in_queue=True
                )
                sent_sms = True
        return sent_mail, sent_sms

    # ------------------------------------------------------------------ actions
    def action_in_transit(self):
        self.filtered(lambda s: s.status == "created").write({"status": "in_transit"})

    def action_delivered(self):
        self.filtered(lambda s: not s.delivered_datetime).write(
            {"delivered_datetime": fields.Datetime.now()}
        )

    def action_cancel(self):
        self.write({"outcome": "cancelled"})
