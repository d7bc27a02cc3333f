import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .delivery_constants import GROUP_MANAGER

# what the invitation, the replies and the attendance record: written by the module's
# actions only (once the caller's write access is checked), never directly
GUEST_SYSTEM_FIELDS = frozenset(
    {"state", "invitation_date", "reply_date", "attended", "care_event_id", "access_token"}
)

GUEST_STATES = [
    ("to_invite", "To invite"),
    ("invited", "Invited"),
    ("accepted", "Accepted"),
    ("declined", "Declined"),
]


class DeliveryAppreciationGuest(models.Model):
    """A person invited to an appreciation event: a contact of a delivery customer (or
    the customer itself when it is a person), the invitation, the reply (by staff, or by
    the guest through the links of the invitation) and the attendance."""

    _name = "delivery.appreciation.guest"
    _description = "Appreciation event guest"
    _order = "event_id, partner_id, id"
    _check_company_auto = True
    _rec_name = "contact_id"

    event_id = fields.Many2one(
        "delivery.appreciation.event",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="event_id.company_id", store=True, index=True)
    event_state = fields.Selection(related="event_id.state", string="Event status")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain="[('is_delivery_customer', '=', True)]",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Guest",
        required=True,
        ondelete="restrict",
        domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]",
    )
    email = fields.Char(related="contact_id.email")
    note = fields.Char(help="What to prepare for the guest: seat, diet, companion...")
    state = fields.Selection(
        GUEST_STATES, required=True, default="to_invite", readonly=True, copy=False
    )
    invitation_date = fields.Datetime(string="Invited on", readonly=True, copy=False)
    reply_date = fields.Datetime(string="Replied on", readonly=True, copy=False)
    attended = fields.Boolean(readonly=True, copy=False)
    care_event_id = fields.Many2one(
        "delivery.care.event", string="Care event", readonly=True, copy=False
    )
    access_token = fields.Char(readonly=True, copy=False, groups="base.group_system")

    _guest_once = models.UniqueIndex(
        "(event_id, contact_id)", "This person is already on the guest list."
    )

    @api.constrains("partner_id", "contact_id")
    def _check_contact(self):
        for guest in self:
            if guest.contact_id.commercial_partner_id != guest.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "%(guest)s is not a person of %(customer)s.",
                        guest=guest.contact_id.display_name,
                        customer=guest.partner_id.display_name,
                    )
                )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.contact_id and self.contact_id.commercial_partner_id != self.partner_id:
            self.contact_id = False

    # ------------------------------------------------------------------ CRUD
    def _check_system_fields(self, fields_written):
        if not self.env.su and GUEST_SYSTEM_FIELDS & set(fields_written):
            raise AccessError(
                self.env._(
                    "Invitations, replies and attendance are recorded with the event's "
                    "buttons, not written directly."
                )
            )

    def _write_system(self, vals):
        """Write the fields the actions keep, once the caller may write the guests."""
        self.check_access("write")
        # sudo: the caller's write access on these guests was checked above; the fields
        # are the action's own (GUEST_SYSTEM_FIELDS)
        return self.sudo().write(vals)

    def _check_inviter(self):
        """Staff invite the people of the customers assigned to them; managers anyone's
        (task fix16: the care event of an invitation is for the customer's account
        manager, made past the caller's care rules)."""
        if self.env.su or self.env.user.has_group(GROUP_MANAGER):
            return
        foreign = self.partner_id.filtered(lambda p: not p.delivery_assigned)
        if foreign:
            raise AccessError(
                self.env._(
                    "You invite the people of your own customers: %(customers)s is not "
                    "assigned to you (a manager invites them).",
                    customers=", ".join(foreign.mapped("display_name")),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # the web client sends the defaults of the read-only fields
            self._check_system_fields(
                name for name, value in vals.items() if value and value != "to_invite"
            )
        guests = super().create(vals_list)
        guests._check_inviter()
        if any(guest.event_id.state in ("done", "cancelled") for guest in guests):
            raise UserError(self.env._("A held or cancelled event takes no more guests."))
        return guests

    def write(self, vals):
        self._check_system_fields(vals)
        if {"event_id", "partner_id", "contact_id"} & set(vals) and any(
            guest.state != "to_invite" for guest in self
        ):
            raise UserError(self.env._("An invited guest cannot be changed; add another one."))
        result = super().write(vals)
        if "partner_id" in vals:
            self._check_inviter()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invited(self):
        if any(guest.state != "to_invite" for guest in self):
            raise UserError(self.env._("An invited guest stays on the list (their reply is kept)."))

    # ------------------------------------------------------------------ invitation
    def _invite(self):
        """Mail the invitation with its reply links and note the event in the care
        history of each guest customer (one care event per customer and event)."""
        template = self.env.ref("delivery_crm.mail_template_appreciation_invitation")
        now = fields.Datetime.now()
        for guest in self:
            # the reply token is kept from users (a staff user could otherwise reply for
            # the guest through the link); it is set once here
            guest._write_system(
                {
                    "state": "invited",
                    "invitation_date": now,
                    "access_token": uuid.uuid4().hex,
                    "care_event_id": guest._customer_care_event().id,
                }
            )
            template.send_mail(guest.id, email_layout_xmlid="mail.mail_notification_light")
            # sudo: the customer's care event mirrors its guests (the guest was written)
            guest.care_event_id.sudo()._message_log(
                body=self.env._(
                    "%(guest)s invited to %(event)s",
                    guest=guest.contact_id.name,
                    event=guest.event_id.name,
                )
            )

    def _customer_care_event(self):
        """The care event of this guest's customer for the event (made for its first
        guest)."""
        self.ensure_one()
        same = self.event_id.guest_ids.filtered(
            lambda g: g.partner_id == self.partner_id and g.care_event_id
        )
        if same:
            return same[0].care_event_id
        event = self.event_id
        # sudo: the care event mirrors the guest list, which the caller may write; it
        # is for the account manager, whom the caller's care rules may not cover
        return (
            self.env["delivery.care.event"]
            .sudo()
            .create(
                {
                    "name": event.name,
                    "kind": "appreciation",
                    "partner_id": self.partner_id.id,
                    "date": fields.Date.context_today(self, event.date_begin),
                    "user_id": (self.partner_id.account_manager_id or event.user_id).id,
                    "company_id": event.company_id.id,
                }
            )
        )

    def _reply_url(self, answer):
        self.ensure_one()
        # sudo: the guest's own token, written into their own invitation
        token = self.sudo().access_token
        return f"{self.get_base_url()}/appreciation/{self.id}/{token}/{answer}"

    # ------------------------------------------------------------------ replies
    def _record_reply(self, answer):
        """``answer``: "accepted" or "declined"."""
        if answer not in ("accepted", "declined"):
            raise UserError(self.env._("A guest accepts or declines."))
        for guest in self:
            if guest.state == "to_invite" or guest.event_id.state != "invited":
                raise UserError(
                    self.env._("Replies are recorded for invited guests before the event.")
                )
            guest._write_system({"state": answer, "reply_date": fields.Datetime.now()})
            values = {"guest": guest.contact_id.name, "event": guest.event_id.name}
            if answer == "accepted":
                body = self.env._("%(guest)s accepted the invitation to %(event)s", **values)
            else:
                body = self.env._("%(guest)s declined the invitation to %(event)s", **values)
            # sudo: the customer's care event mirrors its guests; the caller's right on
            # the guest was checked by _write_system above
            guest.care_event_id.sudo()._message_log(body=body)

    def action_accept(self):
        self._record_reply("accepted")
        return True

    def action_decline(self):
        self._record_reply("declined")
        return True

    def action_attended(self):
        for guest in self:
            if guest.state == "to_invite" or guest.event_id.state not in ("invited", "done"):
                raise UserError(self.env._("Attendance is recorded for invited guests."))
            if guest.event_id.date_begin > fields.Datetime.now():
                raise UserError(self.env._("The event has not started yet."))
            guest._write_system({"attended": True})
            # sudo: the customer's care event mirrors its guests (the guest was written)
            guest.care_event_id.sudo()._message_log(
                body=self.env._(
                    "%(guest)s attended %(event)s",
                    guest=guest.contact_id.name,
                    event=guest.event_id.name,
                )
            )
            if guest.event_id.state == "done":
                guest._close_care_events()
        return True

    def _close_care_events(self, cancelled=False):
        """The care event of each guest customer: done if one of its guests attended,
        cancelled otherwise."""
        # sudo: the care events mirror the guests, which the caller may write
        for care in self.care_event_id.sudo():
            guests = self.filtered(lambda g, c=care: g.care_event_id.id == c.id)
            attended = any(guests.mapped("attended"))
            if care.state == "planned":
                if attended and not cancelled:
                    care.action_done()
                else:
                    care.action_cancel()
            elif care.state == "cancelled" and attended and not cancelled:
                care.action_plan()
                care.action_done()
