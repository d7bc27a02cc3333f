import math
from datetime import datetime, time, timedelta

import pytz
from psycopg2 import IntegrityError

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, clean_context, is_html_empty

from .calendar_event import SYNC_CONTEXT_KEY
from .delivery_constants import GROUP_MANAGER
from .delivery_tools import check_value_types

EARTH_RADIUS_KM = 6371.0088
# return-visit scores: 4 and 5 count as satisfied (as Odoo's ratings do), 1 and 2 are poor
SATISFACTION_SCORES = [
    ("1", "Very dissatisfied"),
    ("2", "Dissatisfied"),
    ("3", "Neutral"),
    ("4", "Satisfied"),
    ("5", "Very satisfied"),
]
SATISFIED_SCORE = 4
POOR_SCORE = 2
# what a recorded visit says: who visited which customer, what kind of visit, and the
# score the customer gave (the staff KPIs and the evaluation count them)
RECORDED_FIELDS = frozenset({"partner_id", "user_id", "visit_type", "satisfaction_score"})
# a customer is "new" (its first deliveries get their own return visit, origin
# first_delivery) until it has a delivery older than this; the sampled return visits
# after ordinary deliveries (003 §7.1) are for the other customers
FIRST_DELIVERY_DAYS = 30
# how far back, beyond the company's delay, the sampling looks for deliveries: a day or
# a week the scheduler did not run is caught up, older deliveries are left alone
SAMPLE_CATCH_UP_DAYS = 7
# what the visit's calendar event shows: a change of these is carried to the event
CALENDAR_FIELDS = frozenset(
    {"name", "partner_id", "user_id", "participant_ids", "contact_ids", "location"}
    | {"planned_date", "duration"}
)


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between two points given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class DeliveryVisit(models.Model):
    """A visit to a customer (拜访 / 回访, 001 §五; 000 §二(五), §三(二)–(四)): planned with
    its purpose, place, people, itinerary and preparation, then recorded with what was
    discussed, the customer's feedback, what was solved and the next steps. Field staff
    check in and out from their phone; the distance to the customer is kept."""

    _name = "delivery.visit"
    _description = "Customer visit"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "delivery.cron.mixin",
        "delivery.system.field.mixin",
    ]
    _order = "planned_date desc, id desc"
    _check_company_auto = True
    # what the check-in, the check-out and the recording keep (security review L3):
    # set by the actions only, on no other path (see delivery.system.field.mixin)
    _system_fields = frozenset(
        {
            "state",
            "visit_date",
            "location_status",
            "check_in_date",
            "check_in_latitude",
            "check_in_longitude",
            "check_in_accuracy",
            "check_in_distance",
            "check_out_date",
            "check_out_latitude",
            "check_out_longitude",
            "time_on_site",
            "calendar_event_id",
        }
    )

    name = fields.Char(string="Purpose", required=True, tracking=True)
    visit_type = fields.Selection(
        [
            ("first", "First visit / development"),
            ("regular", "Regular visit"),
            ("return", "Return visit"),
            ("care", "Care visit"),
        ],
        string="Type",
        required=True,
        default="regular",
        tracking=True,
    )
    origin = fields.Selection(
        [
            ("manual", "Planned by hand"),
            ("cadence", "Tier cadence"),
            ("complaint", "Closed request"),
            ("first_delivery", "First deliveries"),
            ("delivery_sample", "Sampled delivery"),
            ("win_back", "Win-back of a lost customer"),
        ],
        required=True,
        default="manual",
        readonly=True,
    )
    state = fields.Selection(
        [("planned", "Planned"), ("done", "Done"), ("cancelled", "Cancelled")],
        required=True,
        default="planned",
        tracking=True,
        index=True,
        copy=False,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain=[("is_delivery_customer", "=", True)],
    )
    contact_ids = fields.Many2many(
        "res.partner",
        "delivery_visit_contact_rel",
        "visit_id",
        "partner_id",
        string="Customer contacts",
        domain="[('parent_id', '=', partner_id)]",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Visited by",
        required=True,
        index=True,
        tracking=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        check_company=True,
    )
    participant_ids = fields.Many2many(
        "res.users",
        "delivery_visit_participant_rel",
        "visit_id",
        "user_id",
        string="Colleagues",
        domain=[("share", "=", False)],
    )
    complaint_id = fields.Many2one(
        "delivery.complaint", string="Request", index="btree_not_null", check_company=True
    )
    shipment_id = fields.Many2one(
        "delivery.shipment",
        string="Delivery",
        index="btree_not_null",
        readonly=True,
        check_company=True,
        help="The delivery this return visit was sampled after (003 §7.1).",
    )
    color = fields.Integer()

    # ------------------------------------------------------------------ plan
    planned_date = fields.Datetime(
        string="Planned for", required=True, index=True, tracking=True, default=fields.Datetime.now
    )
    duration = fields.Float(string="Planned duration (h)", default=1.0)
    planned_end = fields.Datetime(compute="_compute_planned_end", string="Planned end")
    location = fields.Char(string="Place")
    itinerary = fields.Text()
    preparation = fields.Text(string="Preparation notes")

    # ------------------------------------------------------------------ record
    visit_date = fields.Datetime(
        string="Visited on", readonly=True, copy=False, index=True, tracking=True
    )
    actual_location = fields.Char(string="Actual place", copy=False)
    content = fields.Html(string="Discussion", copy=False)
    feedback = fields.Text(string="Customer feedback", copy=False)
    problems_solved = fields.Text(string="Problems solved", copy=False)
    next_step_ids = fields.One2many(
        "delivery.visit.next.step", "visit_id", string="Next steps", copy=False
    )
    satisfaction_score = fields.Selection(
        SATISFACTION_SCORES,
        string="Customer satisfaction",
        copy=False,
        tracking=True,
        help="Asked at return visits; it feeds the satisfaction indicator of the evaluation.",
    )

    # ------------------------------------------------------------------ check-in
    check_in_date = fields.Datetime(readonly=True, copy=False)
    check_in_latitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    check_in_longitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    check_in_accuracy = fields.Float(string="Accuracy (m)", readonly=True, copy=False)
    check_in_distance = fields.Float(
        string="Distance to customer (km)", digits=(10, 3), readonly=True, copy=False
    )
    location_status = fields.Selection(
        [
            ("pending", "Not checked in"),
            ("ok", "At the customer"),
            ("far", "Far from the customer"),
            ("no_location", "No location"),
            ("no_customer_location", "Customer not geolocated"),
            ("uncertain", "Position uncertain"),
        ],
        default="pending",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    check_out_date = fields.Datetime(readonly=True, copy=False)
    calendar_event_id = fields.Many2one(
        "calendar.event",
        string="Calendar event",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The meeting of this visit in Odoo's calendar: moving one moves the other.",
    )
    check_out_latitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    check_out_longitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    time_on_site = fields.Float(
        string="Time on site (h)", compute="_compute_time_on_site", store=True, aggregator="avg"
    )

    # the cadence plans one visit at a time, and the first deliveries one return visit
    _one_planned_cadence_visit = models.UniqueIndex(
        "(partner_id) WHERE state = 'planned' AND origin = 'cadence'",
        "A customer already has a planned visit from the tier cadence.",
    )
    _one_first_delivery_visit = models.UniqueIndex(
        "(partner_id) WHERE origin = 'first_delivery' AND state != 'cancelled'",
        "A customer gets one return visit after their first deliveries.",
    )
    # the sampling never floods a customer: one open sampled return visit at a time
    _one_open_sampled_visit = models.UniqueIndex(
        "(partner_id) WHERE origin = 'delivery_sample' AND state = 'planned'",
        "A customer already has a planned return visit after a sampled delivery.",
    )

    @api.depends("planned_date", "duration")
    def _compute_planned_end(self):
        for visit in self:
            visit.planned_end = visit.planned_date and visit.planned_date + timedelta(
                hours=visit.duration or 0.0
            )

    @api.depends("check_in_date", "check_out_date")
    def _compute_time_on_site(self):
        for visit in self:
            if visit.check_in_date and visit.check_out_date:
                seconds = (visit.check_out_date - visit.check_in_date).total_seconds()
                visit.time_on_site = seconds / 3600.0
            else:
                visit.time_on_site = 0.0

    @api.constrains("duration")
    def _check_duration(self):
        for visit in self:
            if visit.duration < 0 or visit.duration > 24:
                raise ValidationError(
                    self.env._("A visit lasts between 0 and 24 hours (%(name)s).", name=visit.name)
                )

    @api.constrains("complaint_id", "partner_id")
    def _check_complaint(self):
        for visit in self:
            if visit.complaint_id and visit.complaint_id.partner_id != visit.partner_id:
                raise ValidationError(
                    self.env._("The request of a visit must be the visited customer's.")
                )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            self.location = self.location or self._address_of(self.partner_id)
            self.contact_ids = self.contact_ids.filtered(lambda c: c.parent_id == self.partner_id)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_value_types(self, vals)
            if vals.get("state", "planned") != "planned":
                raise UserError(self.env._("A visit is planned first, then recorded."))
        # without the context defaults of the system fields (a default_state="done"
        # would create a recorded visit)
        model = self._check_system_fields_create(vals_list)
        visits = super(DeliveryVisit, model).create(vals_list).with_env(self.env)
        for visit in visits.filtered(lambda v: not v.location):
            visit.location = self._address_of(visit.partner_id)
        visits._create_calendar_events()
        return visits

    def write(self, vals):
        self._check_system_fields(vals)
        if (
            not self.env.su
            and RECORDED_FIELDS & vals.keys()
            and any(visit.state == "done" for visit in self)
        ):
            raise UserError(
                self.env._(
                    "A recorded visit is history: its customer, visitor, type and "
                    "satisfaction score cannot change."
                )
            )
        if "planned_date" in vals and not self.env.su:
            self._check_not_moved_to_past(vals["planned_date"])
        res = super().write(vals)
        if "state" in vals:
            self._follow_state_on_calendar()
        if CALENDAR_FIELDS & vals.keys() and not self.env.context.get(SYNC_CONTEXT_KEY):
            self._update_calendar_events()
        return res

    def unlink(self):
        events = self.calendar_event_id
        res = super().unlink()
        # sudo: the events belonged to the visits the user was just allowed to delete
        events.sudo().with_context(**{SYNC_CONTEXT_KEY: True}).unlink()
        return res

    def _check_not_moved_to_past(self, value):
        """A planned visit is moved to the future only (an event dragged into the past
        in the calendar included): what is past is recorded, not planned."""
        try:
            new = fields.Datetime.to_datetime(value)
        except (TypeError, ValueError):
            return  # the ORM refuses it with its own message
        if not new or new >= fields.Datetime.now():
            return
        moved = self.filtered(lambda v: v.state == "planned" and v.planned_date != new)
        if moved:
            raise UserError(
                self.env._(
                    "%(name)s cannot be moved into the past (%(date)s): plan it for a "
                    "time to come, or record it if it took place.",
                    name=moved[0].name,
                    date=fields.Datetime.to_string(new),
                )
            )

    # ------------------------------------------------------------------ calendar
    def _calendar_event_values(self):
        """The visit's meeting in Odoo's calendar: the visitor (organiser) and the
        colleagues, and the customer's contacts chosen on the visit that have an e-mail
        (they get Odoo's invitation with its .ics file); the company's reminder."""
        self.ensure_one()
        partners = (
            self.user_id.partner_id
            | self.participant_ids.partner_id
            | self.contact_ids.filtered("email")
        )
        start = self.planned_date
        return {
            "name": self.env._(
                "Visit: %(customer)s - %(purpose)s",
                customer=self.partner_id.display_name,
                purpose=self.name,
            ),
            "start": start,
            "stop": start + timedelta(hours=self.duration or 0.0),
            "allday": False,
            "user_id": self.user_id.id,
            "partner_ids": [Command.set(partners.ids)],
            "location": self.location or False,
        }

    def _create_calendar_events(self):
        """An event for each of these planned visits without one."""
        visits = self.filtered(lambda v: v.state == "planned" and not v.calendar_event_id)
        if not visits:
            return
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for visit in visits:
            vals = visit._calendar_event_values()
            vals.update(
                {
                    "res_model_id": model_id,
                    "res_id": visit.id,
                    "alarm_ids": [Command.set(visit.company_id.delivery_visit_alarm_id.ids)],
                }
            )
            vals_list.append(vals)
        # sudo: the visit's own meeting, made with the visit the user was allowed to
        # create or change; the user stays the author of the invitations
        events = (
            self.env["calendar.event"]
            .sudo()
            .with_context(clean_context(self.env.context), **{SYNC_CONTEXT_KEY: True})
            .create(vals_list)
        )
        for visit, event in zip(visits, events, strict=True):
            # sudo: the link is the module's bookkeeping (a system field)
            visit.sudo().with_context(**{SYNC_CONTEXT_KEY: True}).write(
                {"calendar_event_id": event.id}
            )

    def _update_calendar_events(self):
        """Carry the visits' plan (time, people, place) to their events."""
        for visit in self.filtered(lambda v: v.state == "planned" and v.calendar_event_id):
            event = visit.calendar_event_id
            vals = visit._calendar_event_values()
            if set(event.partner_ids.ids) == set(vals["partner_ids"][0][2]):
                del vals["partner_ids"]  # no new invitation when nobody changes
            # sudo: see _create_calendar_events
            event.sudo().with_context(
                clean_context(self.env.context), **{SYNC_CONTEXT_KEY: True}
            ).write(vals)

    def _follow_calendar_event(self):
        """The visits follow their events, moved in the calendar."""
        for visit in self:
            event = visit.calendar_event_id
            vals = {"planned_date": event.start, "duration": event.duration}
            if visit.planned_date != event.start or visit.duration != event.duration:
                visit.with_context(**{SYNC_CONTEXT_KEY: True}).write(vals)

    def _follow_state_on_calendar(self):
        """A cancelled visit's event is archived (and back when the visit is planned
        again); a recorded visit keeps its event, the record of the meeting."""
        # sudo: the visits' own events (see _create_calendar_events)
        visits = self.sudo().with_context(**{SYNC_CONTEXT_KEY: True, "active_test": False})
        cancelled = visits.filtered(lambda v: v.state == "cancelled").calendar_event_id
        cancelled.filtered("active").action_archive()
        planned = visits.filtered(lambda v: v.state == "planned")
        planned.calendar_event_id.filtered(lambda e: not e.active).action_unarchive()
        planned.with_env(self.env)._create_calendar_events()

    @api.model
    def _address_of(self, partner):
        parts = [
            partner.street,
            partner.street2,
            partner.city,
            partner.state_id.name,
            partner.country_id.name,
        ]
        return ", ".join(part for part in parts if part)

    # ------------------------------------------------------------------ check-in / out
    def action_check_in_at(self, latitude=None, longitude=None, accuracy=None):
        """Check in now, at the position the phone gave (None: refused or unavailable,
        the visit goes on but is flagged "no location")."""
        self.ensure_one()
        if self.state != "planned":
            raise UserError(self.env._("Only a planned visit can be checked in."))
        if self.check_in_date:
            raise UserError(self.env._("%(name)s is already checked in.", name=self.name))
        position = self._valid_position(latitude, longitude)
        accuracy = self._valid_accuracy(accuracy)
        vals = {"check_in_date": fields.Datetime.now(), "location_status": "no_location"}
        if position:
            vals.update(
                {
                    "check_in_latitude": position[0],
                    "check_in_longitude": position[1],
                    "check_in_accuracy": accuracy,
                }
            )
            vals.update(self._distance_values(*position, accuracy=accuracy))
        self._write_system(vals)
        if vals["location_status"] == "uncertain":
            self.message_post(
                body=self.env._(
                    "Checked in with a position accurate to %(accuracy).0f m only (radius: "
                    "%(radius).1f km): the distance to the customer cannot be trusted.",
                    accuracy=accuracy,
                    radius=self.company_id.delivery_visit_radius_km,
                ),
                subtype_xmlid="mail.mt_note",
            )
        if vals["location_status"] == "far":
            self.message_post(
                body=self.env._(
                    "Checked in %(distance).1f km from the customer's address (limit: "
                    "%(radius).1f km).",
                    distance=vals["check_in_distance"],
                    radius=self.company_id.delivery_visit_radius_km,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_check_out_at(self, latitude=None, longitude=None):
        self.ensure_one()
        if not self.check_in_date:
            raise UserError(self.env._("Check in before checking out."))
        if self.check_out_date:
            raise UserError(self.env._("%(name)s is already checked out.", name=self.name))
        position = self._valid_position(latitude, longitude)
        vals = {"check_out_date": fields.Datetime.now()}
        if position:
            vals.update({"check_out_latitude": position[0], "check_out_longitude": position[1]})
        self._write_system(vals)
        return True

    def _valid_position(self, latitude, longitude):
        if latitude is None or longitude is None or latitude is False or longitude is False:
            return None
        try:
            lat, lon = float(latitude), float(longitude)
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("The position must be two numbers.")) from error
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise UserError(
                self.env._("%(lat)s, %(lon)s is not a position on Earth.", lat=lat, lon=lon)
            )
        return lat, lon

    def _valid_accuracy(self, accuracy):
        """The accuracy the browser reports (metres, 95 % confidence; 0: unknown)."""
        if accuracy is None or accuracy is False:
            return 0.0
        try:
            value = float(accuracy)
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("The accuracy must be a number of metres.")) from error
        if not (0.0 <= value < 1e7):
            raise UserError(
                self.env._("%(accuracy)s m is not the accuracy of a position.", accuracy=value)
            )
        return value

    def _distance_values(self, latitude, longitude, accuracy=0.0):
        """Distance from the customer's geolocated address, and whether it is within the
        company's check-in radius: "uncertain" when the phone's position is less
        accurate than the radius (the distance says nothing then), "far" beyond it."""
        customer = self.partner_id
        if not (customer.partner_latitude or customer.partner_longitude):
            return {"check_in_distance": 0.0, "location_status": "no_customer_location"}
        distance = haversine_km(
            latitude, longitude, customer.partner_latitude, customer.partner_longitude
        )
        radius = self.company_id.delivery_visit_radius_km
        if accuracy and accuracy / 1000.0 > radius:
            status = "uncertain"
        else:
            status = "far" if distance > radius else "ok"
        return {"check_in_distance": distance, "location_status": status}

    def action_use_check_in_position(self):
        """A manager takes this check-in's position as the customer's location (the
        customer's address could not be geocoded, or is wrong). The change is in the
        audit log as every change of the customer's position."""
        self.ensure_one()
        if not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(
                self.env._("Only managers take a check-in's position as the customer's.")
            )
        if not self.check_in_date or self.location_status == "no_location":
            raise UserError(
                self.env._("%(name)s has no check-in position to take.", name=self.name)
            )
        radius = self.company_id.delivery_visit_radius_km
        if self.location_status == "uncertain" or self.check_in_accuracy / 1000.0 > radius:
            raise UserError(
                self.env._(
                    "The check-in of %(name)s is accurate to %(accuracy).0f m only (radius: "
                    "%(radius).1f km): its position cannot be taken as the customer's "
                    "location. Take a precise check-in, or set the position by hand.",
                    name=self.name,
                    accuracy=self.check_in_accuracy,
                    radius=radius,
                )
            )
        self.partner_id.write(
            {
                "partner_latitude": self.check_in_latitude,
                "partner_longitude": self.check_in_longitude,
                "date_localization": fields.Date.context_today(self),
            }
        )
        self._write_system(
            self._distance_values(
                self.check_in_latitude, self.check_in_longitude, self.check_in_accuracy
            )
        )
        self.message_post(
            body=self.env._(
                "%(user)s took this check-in's position as the location of %(customer)s.",
                user=self.env.user.name,
                customer=self.partner_id.display_name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return True

    # ------------------------------------------------------------------ record
    def action_done(self):
        """Record the visit: the discussion is required, and at a return visit the
        customer's satisfaction; next steps become activities."""
        for visit in self:
            if visit.state != "planned":
                raise UserError(
                    self.env._("%(name)s is not a planned visit.", name=visit.display_name)
                )
            missing = []
            if is_html_empty(visit.content):
                missing.append(self.env._("what was discussed"))
            if visit.visit_type == "return" and not visit.satisfaction_score:
                missing.append(self.env._("the customer's satisfaction"))
            if missing:
                raise ValidationError(
                    self.env._(
                        "%(name)s cannot be recorded yet. Missing: %(missing)s.",
                        name=visit.display_name,
                        missing="; ".join(missing),
                    )
                )
            # without a check-in, a visit recorded afterwards took place when planned
            when = visit.check_in_date or min(visit.planned_date, fields.Datetime.now())
            visit._write_system({"state": "done", "visit_date": when})
            visit.next_step_ids._schedule()
            visit.activity_ids.action_feedback(feedback=self.env._("Visit recorded."))
            if visit.satisfaction_score and int(visit.satisfaction_score) <= POOR_SCORE:
                visit._schedule_poor_score_investigation()
            # on the visit, not on the customer: every employee reads the contacts'
            # chatter, the visits only those the record rules let (security review M7)
            visit.message_post(
                body=self.env._(
                    "%(type)s recorded by %(user)s: %(name)s",
                    type=dict(visit._fields["visit_type"]._description_selection(self.env))[
                        visit.visit_type
                    ],
                    user=visit.user_id.name,
                    name=visit.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_cancel(self):
        if any(visit.state == "done" for visit in self):
            raise UserError(self.env._("A recorded visit cannot be cancelled."))
        self._write_system({"state": "cancelled"})
        self.activity_unlink(["delivery_crm.mail_activity_type_return_visit"])
        return True

    def action_reset(self):
        self.filtered(lambda v: v.state == "cancelled")._write_system({"state": "planned"})
        return True

    def _schedule_poor_score_investigation(self):
        """A poor return-visit score opens an investigation for the manager (002 §三.3.2)."""
        self.ensure_one()
        manager = (
            self.partner_id.service_team_id.leader_id
            or self.company_id.delivery_complaint_manager_id
            or self.user_id
        )
        self.activity_schedule(
            "delivery_crm.mail_activity_type_complaint_investigation",
            user_id=manager.id,
            note=self.env._(
                "%(customer)s gave %(score)s at the return visit %(name)s (feedback: "
                "%(feedback)s). Find out why and act on it.",
                customer=self.partner_id.display_name,
                score=self.satisfaction_score,
                name=self.name,
                feedback=self.feedback or "-",
            ),
        )

    # ------------------------------------------------------------------ proposals
    @api.model
    def _propose_return_visit(
        self, partner, user, origin, name, complaint=None, days=2, shipment=None, **kwargs
    ):
        """A planned return visit for ``partner``, owned by ``user``, with an activity
        that reminds them of it. Whatever the caller's context: its ``default_*`` keys
        (a ``default_satisfaction_score``...) would forge the visit (security review M2)."""
        visit = self.with_context(clean_context(self.env.context)).create(
            {
                "name": name,
                "visit_type": kwargs.get("visit_type", "return"),
                "origin": origin,
                "partner_id": partner.id,
                "user_id": user.id,
                # the company of what the visit follows (a request, a delivery), else the
                # customer's: a shared customer's delivery of another company is visited
                # in that company
                "company_id": (
                    (complaint.company_id if complaint else None)
                    or (shipment.company_id if shipment else None)
                    or partner.company_id
                    or self.env.company
                ).id,
                "complaint_id": complaint.id if complaint else False,
                "shipment_id": shipment.id if shipment else False,
                "planned_date": self._working_morning(days),
            }
        )
        visit.activity_schedule(
            "delivery_crm.mail_activity_type_return_visit",
            user_id=user.id,
            date_deadline=visit.planned_date.date(),
            note=kwargs.get("note")
            or self.env._(
                "Call %(customer)s back and record their satisfaction.",
                customer=partner.display_name,
            ),
        )
        return visit

    @api.model
    def _working_morning(self, days):
        """10:00 in the user's timezone, ``days`` days from today, as naive UTC."""
        tz = pytz.timezone(self.env.user.tz or self.env.company.partner_id.tz or "UTC")
        day = fields.Date.context_today(self) + timedelta(days=days)
        return (
            tz.localize(datetime.combine(day, time(10, 0)))
            .astimezone(pytz.UTC)
            .replace(tzinfo=None)
        )

    # ------------------------------------------------------------------ planning
    @api.model
    def _plan_cadence_visits(self, partners):
        """A regular visit for each customer of ``partners`` due one, for the account
        manager, on the due day (today at the earliest)."""
        today = fields.Date.context_today(self)
        for partner in partners:
            due = max(partner.next_visit_due or today, today)
            self.create(
                {
                    "name": self.env._("Regular visit (%(tier)s)", tier=partner.tier_id.name),
                    "visit_type": "regular",
                    "origin": "cadence",
                    "partner_id": partner.id,
                    "user_id": partner.account_manager_id.id,
                    "company_id": (partner.company_id or self.env.company).id,
                    "planned_date": self._working_morning((due - today).days),
                }
            )

    @api.model
    def _plan_first_delivery_visits(self, partners):
        """The return visit after the first deliveries of each customer of ``partners``."""
        for partner in partners:
            self._propose_return_visit(
                partner,
                partner.account_manager_id,
                "first_delivery",
                self.env._("Return visit after the first deliveries"),
            )

    # ------------------------------------------------------------------ crons
    @api.model
    def _cron_plan_visits(self):
        """Daily: plan the visits the tiers' cadence calls for, the return visit after a
        new customer's first deliveries, and the due steps of communication plans. Each
        step's domain excludes what it has done, so a second run does nothing."""
        Partner = self.env["res.partner"]
        horizon = fields.Date.context_today(self) + timedelta(days=7)
        done = Partner._cron_process_batches(
            [
                ("is_delivery_customer", "=", True),
                ("customer_state", "=", "active"),
                ("account_manager_id", "!=", False),
                ("next_visit_due", "<=", horizon),
                ("visit_ids", "not any", [("state", "=", "planned")]),
            ],
            lambda partners: self._plan_cadence_visits(partners),
        )
        since = fields.Datetime.now() - timedelta(days=FIRST_DELIVERY_DAYS)
        done += Partner._cron_process_batches(
            [
                ("is_delivery_customer", "=", True),
                ("customer_state", "=", "active"),
                ("account_manager_id", "!=", False),
                (
                    "shipment_ids",
                    "any",
                    [("status", "=", "delivered"), ("delivered_datetime", ">=", since)],
                ),
                ("visit_ids", "not any", [("origin", "=", "first_delivery")]),
                (
                    "shipment_ids",
                    "not any",
                    [("status", "=", "delivered"), ("delivered_datetime", "<", since)],
                ),
            ],
            lambda partners: self._plan_first_delivery_visits(partners),
        )
        done += self.env["delivery.communication.plan"]._cron_process_due()
        return done

    # ------------------------------------------------------------------ delivery samples
    @api.model
    def _sampled_deliveries_query(self, after_partner_id, limit):
        """The deliveries sampled for a return visit (003 §7.1), the first one of each
        customer after ``after_partner_id``, at most ``limit`` customers:
        ``(partner_id, shipment_id)`` rows. The one definition of the sample:

        - delivered (status delivered) between the company's delay
          (``delivery_return_visit_delay_days``) and that delay plus
          ``SAMPLE_CATCH_UP_DAYS`` days ago;
        - in the sample of its customer's tier: a hash of the delivery's id below the
          tier's rate (``return_visit_sample_rate``, % of the deliveries) — the same
          delivery is always in or out, whatever the run;
        - never sampled before (no visit of this delivery);
        - of an active customer with an account manager that is no longer new (a
          delivery older than ``FIRST_DELIVERY_DAYS``) and has no planned return visit
          after its first deliveries;
        - whose customer has no planned sampled return visit and none planned in the
          company's gap (``delivery_return_visit_sample_gap_days``) recorded.
        """
        now = fields.Datetime.now()
        return SQL(
            """
            SELECT s.partner_id, min(s.id)
              FROM delivery_shipment s
              JOIN res_company c ON c.id = s.company_id
              JOIN res_partner p ON p.id = s.partner_id
              JOIN delivery_tier t ON t.id = p.tier_id
             WHERE s.status = 'delivered'
               AND s.delivered_datetime < %(now)s
                       - make_interval(days => c.delivery_return_visit_delay_days)
               AND s.delivered_datetime >= %(now)s
                       - make_interval(days => c.delivery_return_visit_delay_days + %(catch_up)s)
               AND t.return_visit_sample_rate > 0
               AND mod(hashint4(s.id)::int8 + 2147483648, 10000)
                       < t.return_visit_sample_rate * 100
               AND s.partner_id > %(after)s
               AND p.active AND p.is_delivery_customer AND p.customer_state = 'active'
               AND p.account_manager_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM delivery_visit v WHERE v.shipment_id = s.id)
               AND EXISTS (
                   SELECT 1 FROM delivery_shipment old
                    WHERE old.partner_id = p.id AND old.status = 'delivered'
                      AND old.delivered_datetime < %(new_since)s)
               AND NOT EXISTS (
                   SELECT 1 FROM delivery_visit v
                    WHERE v.partner_id = p.id
                      AND ((v.origin = 'first_delivery' AND v.state = 'planned')
                           OR (v.origin = 'delivery_sample'
                               AND (v.state = 'planned'
                                    OR (v.state = 'done'
                                        AND v.visit_date >= %(now)s - make_interval(
                                            days => c.delivery_return_visit_sample_gap_days))))))
             GROUP BY s.partner_id
             ORDER BY s.partner_id
             LIMIT %(limit)s
            """,
            now=now,
            catch_up=SAMPLE_CATCH_UP_DAYS,
            after=after_partner_id,
            new_since=now - timedelta(days=FIRST_DELIVERY_DAYS),
            limit=limit,
        )

    @api.model
    def _cron_plan_sampled_return_visits(self):
        """Daily: a return visit for the account manager after a sample of the
        ordinary deliveries of existing customers (003 §7.1, the sample and its rules:
        ``_sampled_deliveries_query``). Batched by customer, each batch locked (a
        concurrent worker skips it) and committed; a customer planned is out of the
        sample until its visit is recorded, so a second run plans nothing new.

        :return: the number of return visits planned
        """
        for model in ("delivery.shipment", "delivery.visit", "res.partner", "delivery.tier"):
            self.env[model].flush_model()
        batch_size = self._cron_batch_size
        Partner = self.env["res.partner"]
        after, planned = 0, 0
        while True:
            rows = self.env.execute_query(self._sampled_deliveries_query(after, batch_size))
            if not rows:
                break
            after = rows[-1][0]
            shipments = dict(rows)
            # a customer a concurrent worker holds is left to it
            partners = Partner.browse(list(shipments)).try_lock_for_update()
            for partner in partners:
                shipment = self.env["delivery.shipment"].browse(shipments[partner.id])
                try:
                    with self.env.cr.savepoint():
                        self._propose_return_visit(
                            partner,
                            partner.account_manager_id,
                            "delivery_sample",
                            self.env._(
                                "Return visit after delivery %(reference)s",
                                reference=shipment.name,
                            ),
                            shipment=shipment,
                        )
                except IntegrityError:
                    # planned meanwhile by a concurrent worker: the unique index
                    # _one_open_sampled_visit is the last word
                    continue
                planned += 1
            if not self.env["ir.cron"]._commit_progress(len(rows)) or len(rows) < batch_size:
                break
        return planned

    # ------------------------------------------------------------------ evaluation feed
    @api.model
    def _satisfaction_by_partner(self, partner_ids, start, end):
        """Share of satisfied scores of the return visits made over [start, end):
        ``{partner_id: (percent, count)}``."""
        self.flush_model(["partner_id", "state", "satisfaction_score", "visit_date"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, count(*),
                       count(*) FILTER (WHERE satisfaction_score::int >= %(satisfied)s)
                  FROM delivery_visit
                 WHERE state = 'done' AND satisfaction_score IS NOT NULL
                   AND partner_id = ANY(%(partners)s)
                   AND visit_date >= %(start)s AND visit_date < %(end)s
                 GROUP BY partner_id
                """,
                satisfied=SATISFIED_SCORE,
                partners=list(partner_ids),
                start=start,
                end=end,
            )
        )
        return {pid: (satisfied * 100.0 / count, count) for pid, count, satisfied in rows}
