from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_datetime

# a change of these after the invitations is told to the guests (task fix16)
MOVING_FIELDS = {"date_begin", "location"}


class DeliveryAppreciationEvent(models.Model):
    """A customer appreciation event (客户答谢会, 001 §八.2) with its guest list: the
    customers' people invited (``delivery.appreciation.guest``), the invitations mailed,
    their replies and their attendance. Each guest customer gets a care event of kind
    "appreciation" (its care history) that follows the guest: planned when invited, done
    when they attended, cancelled otherwise.

    A light model of the module's own rather than Odoo's ``event`` app (README,
    "Appreciation events"): ``event`` registers people per ticket with badges, stages,
    seats and a website/ticketing footprint, under its own access groups; here a guest
    is a customer's contact, seen through the CRM's record rules (assigned customers)."""

    _name = "delivery.appreciation.event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Customer appreciation event"
    _order = "date_begin desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Event", required=True, tracking=True)
    date_begin = fields.Datetime(string="Starts", required=True, tracking=True)
    location = fields.Char(tracking=True)
    description = fields.Html(string="Programme")
    user_id = fields.Many2one(
        "res.users",
        string="Organiser",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("invited", "Invitations sent"),
            ("done", "Held"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="draft",
        readonly=True,
        tracking=True,
        copy=False,
    )
    guest_ids = fields.One2many(
        "delivery.appreciation.guest", "event_id", string="Guests", copy=False
    )
    guest_count = fields.Integer(compute="_compute_counts", string="Invited")
    accepted_count = fields.Integer(compute="_compute_counts", string="Accepted")
    declined_count = fields.Integer(compute="_compute_counts", string="Declined")
    attended_count = fields.Integer(compute="_compute_counts", string="Attended")

    @api.depends("guest_ids.state", "guest_ids.attended")
    def _compute_counts(self):
        for event in self:
            guests = event.guest_ids
            event.guest_count = len(guests)
            event.accepted_count = len(guests.filtered(lambda g: g.state == "accepted"))
            event.declined_count = len(guests.filtered(lambda g: g.state == "declined"))
            event.attended_count = len(guests.filtered("attended"))

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("state", "draft") != "draft" for vals in vals_list):
            raise AccessError(self.env._("A new event starts as a draft."))
        return super().create(vals_list)

    def write(self, vals):
        if "state" in vals and not self.env.su:
            raise AccessError(
                self.env._("An event's status follows its buttons; it is not written directly.")
            )
        before = {event: (event.date_begin, event.location) for event in self}
        result = super().write(vals)
        if MOVING_FIELDS & vals.keys():
            moved = self.filtered(
                lambda e: e.state == "invited" and (e.date_begin, e.location) != before[e]
            )
            moved._tell_guests_of_the_change()
        return result

    def _tell_guests_of_the_change(self):
        """The event moved after its invitations (task fix16): each invited guest gets
        a notice with the new date and place and the reply links (their reply is kept;
        they may answer again), and the guest customers' care events move to the new
        day."""
        template = self.env.ref("delivery_crm.mail_template_appreciation_change")
        for event in self:
            guests = event.guest_ids.filtered(lambda g: g.state != "to_invite")
            for guest in guests:
                template.send_mail(guest.id, email_layout_xmlid="mail.mail_notification_light")
            # sudo: the care events mirror the guest list of an event the caller may
            # change (the write passed its access checks)
            cares = guests.care_event_id.sudo().filtered(lambda c: c.state == "planned")
            cares.write({"date": fields.Date.context_today(self, event.date_begin)})
            when = format_datetime(self.env, event.date_begin, dt_format="medium")
            for care in cares:
                care._message_log(
                    body=self.env._(
                        "%(event)s moved: %(when)s, %(place)s; the invited guests were told.",
                        event=event.name,
                        when=when,
                        place=event.location or "-",
                    )
                )

    def _set_state(self, state):
        self.check_access("write")
        # sudo: the caller's write access on the event was checked above; the status is
        # the action's own
        self.sudo().write({"state": state})

    # ------------------------------------------------------------------ actions
    def action_send_invitations(self):
        """Mail the invitation to every guest not yet invited; each guest customer's
        care history gets the event. Refused, with nothing sent, when a guest has no
        email address or the event is over."""
        for event in self:
            if event.state not in ("draft", "invited"):
                raise UserError(
                    self.env._("Invitations are sent before the event is held or cancelled.")
                )
            if event.date_begin < fields.Datetime.now():
                raise UserError(self.env._("This event has already started."))
            guests = event.guest_ids.filtered(lambda g: g.state == "to_invite")
            if not guests:
                raise UserError(self.env._("Add the guests to invite first."))
            no_email = guests.filtered(lambda g: not g.contact_id.email)
            if no_email:
                raise UserError(
                    self.env._(
                        "These guests have no email address: %(names)s",
                        names=", ".join(no_email.contact_id.mapped("display_name")),
                    )
                )
            guests._invite()
            event._set_state("invited")
        return True

    def action_done(self):
        """The event was held: the care events of the guests who attended are done,
        the others' cancelled."""
        for event in self:
            if event.state != "invited":
                raise UserError(self.env._("Only an event whose invitations were sent is held."))
            if event.date_begin > fields.Datetime.now():
                raise UserError(self.env._("The event has not started yet."))
            event._set_state("done")
            event.guest_ids._close_care_events()
        return True

    def action_cancel(self):
        for event in self:
            if event.state in ("done", "cancelled"):
                raise UserError(self.env._("A held or cancelled event cannot be cancelled."))
            event._set_state("cancelled")
            event.guest_ids._close_care_events(cancelled=True)
        return True
