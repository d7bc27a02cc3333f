from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

# the longest a grant may run (001 §四.3: shared for a need, not for good)
MAX_GRANT_DAYS = 30

# the departments that reach a customer's data only through a grant (001 §三)
GRANT_DEPARTMENTS = [
    ("sales", "Sales"),
    ("marketing", "Marketing"),
    ("technical", "Technical"),
    ("other", "Other"),
]

GRANT_STATES = [
    ("scheduled", "Scheduled"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
]

# what a grant is: fixed when it is given (a change is a new grant)
GRANT_TERMS = frozenset(
    {
        "partner_id",
        "user_id",
        "department",
        "reason",
        "date_start",
        "date_end",
        "company_id",
    }
)
# what revoking writes, once
GRANT_REVOKE = frozenset({"revoke_date", "revoked_by_id"})

# the customer's records a grant opens, for the smart buttons: (count field, model)
GRANT_RECORDS = {
    "complaint_count": "delivery.complaint",
    "visit_count": "delivery.visit",
    "evaluation_count": "delivery.evaluation",
    "shipment_count": "delivery.shipment",
}


class DeliveryAccessGrant(models.Model):
    """A manager's (the creator's) temporary grant to a colleague of another department
    (sales, marketing, technical: 001 §三, §四.3) to read one customer's delivery-CRM
    data. The access ends by itself at the end date: the record rules only honour grants
    running now, whatever the cron did. A grant cannot be changed once given, only
    revoked, nor deleted: it is the record of who was let see what, and why."""

    _name = "delivery.access.grant"
    _inherit = ["mail.thread", "delivery.cron.mixin"]
    _description = "Temporary access to a customer's data"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain=[("is_delivery_customer", "=", True)],
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Granted to",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("share", "=", False)],
        tracking=True,
    )
    department = fields.Selection(
        GRANT_DEPARTMENTS,
        required=True,
        tracking=True,
        help="The department of the colleague who needs the data.",
    )
    reason = fields.Text(required=True, tracking=True)
    date_start = fields.Datetime(
        string="From", required=True, default=fields.Datetime.now, tracking=True
    )
    date_end = fields.Datetime(
        string="Until",
        required=True,
        tracking=True,
        help="The access ends by itself at this time, at most 30 days after its start.",
    )
    revoke_date = fields.Datetime(string="Revoked on", readonly=True, copy=False, tracking=True)
    revoked_by_id = fields.Many2one(
        "res.users",
        string="Revoked by",
        readonly=True,
        copy=False,
        ondelete="restrict",
        tracking=True,
    )
    state = fields.Selection(
        GRANT_STATES,
        string="Status",
        compute="_compute_state",
        search="_search_state",
        help="Computed from the dates at each read: the access itself follows the dates, "
        "not this status.",
    )
    expiry_notified = fields.Boolean(
        string="Expiry notified",
        readonly=True,
        copy=False,
        help="The granting manager was told that the grant expired.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    complaint_count = fields.Integer(string="Requests", compute="_compute_record_counts")
    visit_count = fields.Integer(string="Visits", compute="_compute_record_counts")
    evaluation_count = fields.Integer(string="Evaluations", compute="_compute_record_counts")
    shipment_count = fields.Integer(string="Deliveries", compute="_compute_record_counts")

    # ------------------------------------------------------------------ computes
    @api.depends("partner_id", "user_id")
    def _compute_display_name(self):
        for grant in self:
            grant.display_name = f"{grant.partner_id.display_name} → {grant.user_id.display_name}"

    @api.model
    def _state_domain(self, state, now):
        running = Domain("revoke_date", "=", False)
        return {
            "revoked": Domain("revoke_date", "!=", False),
            "scheduled": running & Domain("date_start", ">", now),
            "active": running & Domain("date_start", "<=", now) & Domain("date_end", ">", now),
            "expired": running & Domain("date_end", "<=", now),
        }[state]

    @api.depends("date_start", "date_end", "revoke_date")
    def _compute_state(self):
        now = fields.Datetime.now()
        for grant in self:
            if grant.revoke_date:
                grant.state = "revoked"
            elif grant.date_end and grant.date_end <= now:
                grant.state = "expired"
            elif grant.date_start and grant.date_start > now:
                grant.state = "scheduled"
            else:
                grant.state = "active"

    def _search_state(self, operator, value):
        if operator != "in":
            return NotImplemented
        now = fields.Datetime.now()
        states = {state for state, _label in GRANT_STATES}
        return Domain.OR(self._state_domain(state, now) for state in value if state in states)

    @api.depends_context("uid")
    @api.depends("partner_id")
    def _compute_record_counts(self):
        """What the current user reaches of the customer's records (the grantee: what the
        grant opens, nothing once it ended)."""
        counts = {}
        for field, model in GRANT_RECORDS.items():
            rows = self.env[model]._read_group(
                [("partner_id", "in", self.partner_id.ids)], ["partner_id"], ["__count"]
            )
            counts[field] = {partner.id: count for partner, count in rows}
        for grant in self:
            for field in GRANT_RECORDS:
                grant[field] = counts[field].get(grant.partner_id.id, 0)

    # ------------------------------------------------------------------ constraints
    @api.constrains("date_start", "date_end")
    def _check_duration(self):
        for grant in self:
            if grant.date_end <= grant.date_start:
                raise ValidationError(self.env._("The end of a grant must come after its start."))
            if grant.date_end - grant.date_start > timedelta(days=MAX_GRANT_DAYS):
                raise ValidationError(
                    self.env._(
                        "A grant lasts at most %(days)s days: end it by %(limit)s (UTC) at "
                        "the latest, and give a new one if the need goes on.",
                        days=MAX_GRANT_DAYS,
                        limit=fields.Datetime.to_string(
                            grant.date_start + timedelta(days=MAX_GRANT_DAYS)
                        ),
                    )
                )

    @api.constrains("partner_id")
    def _check_partner(self):
        # sudo: the customer flag is read to validate the grant, not shown
        for grant in self.sudo():
            if not grant.partner_id.is_delivery_customer:
                raise ValidationError(
                    self.env._(
                        "%(partner)s is not a delivery customer: only a customer's "
                        "delivery-CRM data can be shared.",
                        partner=grant.partner_id.display_name,
                    )
                )

    @api.constrains("user_id", "company_id")
    def _check_user(self):
        # sudo: the grantee's user type and companies are checked, not shown
        for grant in self.sudo():
            if not grant.user_id._is_internal():
                raise ValidationError(
                    self.env._(
                        "%(user)s is not an internal user: grants are for the company's employees.",
                        user=grant.user_id.display_name,
                    )
                )
            if grant.company_id not in grant.user_id.company_ids:
                raise ValidationError(
                    self.env._(
                        "%(user)s does not work for %(company)s.",
                        user=grant.user_id.display_name,
                        company=grant.company_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        grants = super().create(vals_list)
        grants._notify_grantee()
        return grants

    def write(self, vals):
        if GRANT_TERMS & set(vals):
            raise UserError(
                self.env._("A grant cannot be changed once given: revoke it and give a new one.")
            )
        if GRANT_REVOKE & set(vals):
            if not vals.get("revoke_date"):
                raise UserError(
                    self.env._("A revoked grant stays revoked: give a new one instead.")
                )
            # revoking ends the access now: the log holds when it happened and who did it
            vals = {
                **vals,
                "revoke_date": fields.Datetime.now(),
                "revoked_by_id": self.env.uid,
            }
            ended = self.filtered(lambda g: g.state in ("expired", "revoked"))
            if ended:
                raise UserError(
                    self.env._(
                        "These grants have already ended: %(grants)s",
                        grants=", ".join(ended.mapped("display_name")),
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Access grants are the record of who was let see a customer's data: they "
                "cannot be deleted. Revoke a grant to end it."
            )
        )

    # ------------------------------------------------------------------ actions
    def action_revoke(self):
        """End the access now (managers: the write access)."""
        self.write({"revoke_date": fields.Datetime.now()})
        for grant in self:
            grant.message_post(
                body=self.env._(
                    "%(manager)s revoked your access to the data of %(customer)s.",
                    manager=self.env.user.display_name,
                    customer=grant.partner_id.display_name,
                ),
                subtype_xmlid="mail.mt_comment",
                partner_ids=grant.user_id.partner_id.ids,
            )
        return True

    def action_view_profile(self):
        """The customer's profile, not its sensitive part, for the grantee while the grant
        runs (the record rules of the shared profile decide; this says why not)."""
        self.ensure_one()
        if self.user_id != self.env.user:
            raise UserError(
                self.env._(
                    "This grant is for %(user)s: only they read the profile of %(customer)s "
                    "through it.",
                    user=self.user_id.display_name,
                    customer=self.partner_id.display_name,
                )
            )
        if self.state != "active":
            raise UserError(
                self.env._(
                    "The grant to %(customer)s is not running (status: %(state)s): the "
                    "profile opens only while a grant runs.",
                    customer=self.partner_id.display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[self.state],
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer profile"),
            "res_model": "delivery.shared.profile",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"create": False},
        }

    def _action_view_records(self, model, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("partner_id", "=", self.partner_id.id)],
            "context": {"create": False},
        }

    def action_view_complaints(self):
        return self._action_view_records("delivery.complaint", self.env._("Requests"))

    def action_view_visits(self):
        return self._action_view_records("delivery.visit", self.env._("Visits"))

    def action_view_evaluations(self):
        return self._action_view_records("delivery.evaluation", self.env._("Evaluations"))

    def action_view_shipments(self):
        return self._action_view_records("delivery.shipment", self.env._("Deliveries"))

    # ------------------------------------------------------------------ business
    @api.model
    def _active_grants(self, user):
        return self.search(
            Domain("user_id", "=", user.id) & self._state_domain("active", fields.Datetime.now())
        )

    def _notify_grantee(self):
        """Mail the colleague what was granted and until when (a grant given after the
        fact, already ended, is only logged)."""
        template = self.env.ref("delivery_crm.mail_template_access_grant_granted")
        for grant in self.filtered(lambda g: g.state in ("scheduled", "active")):
            grant.message_post_with_source(
                template,
                partner_ids=grant.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )

    @api.model
    def _cron_notify_expired(self):
        """Tell the granting manager once that a grant expired (the access itself ended
        at its end date, whether this runs or not)."""
        domain = Domain("expiry_notified", "=", False) & self._state_domain(
            "expired", fields.Datetime.now()
        )
        return self._cron_process_batches(domain, lambda grants: grants._notify_expired())

    def _notify_expired(self):
        template = self.env.ref("delivery_crm.mail_template_access_grant_expired")
        for grant in self:
            grant.message_post_with_source(
                template,
                partner_ids=grant.create_uid.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
        self.write({"expiry_notified": True})
