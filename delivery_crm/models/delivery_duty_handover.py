from datetime import datetime, timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import is_html_empty

from .delivery_constants import GROUP_MANAGER

HANDOVER_STATES = [
    ("draft", "Being written"),
    ("handed", "Handed over"),
    ("acknowledged", "Taken over"),
]
# what the outgoing shift signed: frozen once handed over (refused back to draft to change)
OUTGOING_FIELDS = {"shift_id", "date", "company_id", "notes", "equipment_notes"}
# callbacks due within this time after the shift's end are handed over
CALLBACK_HORIZON = timedelta(days=1)
# the staff open the record of their shift this long before its end at the earliest
# (task fixduty: not days ahead, which would take the shift's one record)
OPEN_BEFORE_END = timedelta(hours=1)


class DeliveryDutyHandover(models.Model):
    """The shift hand-over record (004 客户服务部 交接班管理规定): one per shift and day.
    The outgoing shift writes its duty record (what is left to do, the equipment) and
    hands over; the list of open matters — the company's open requests, callbacks due,
    open delivery exceptions — is made by the module when the record is created (by
    the outgoing shift, or by the job at the shift's end) and again when it is handed
    over. The incoming shift reads it and acknowledges it (五: both sign), or refuses it
    with its reason (六: 四不接); once acknowledged the record is closed and what was
    not noted is the incoming shift's. Unacknowledged some minutes after the shift's
    end (Settings), it goes to the service-centre head, once."""

    _name = "delivery.duty.handover"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "delivery.system.field.mixin",
        "delivery.cron.mixin",
    ]
    _description = "Shift hand-over"
    _order = "start_datetime desc, id desc"
    _check_company_auto = True
    _system_fields = frozenset(
        {
            "state",
            "origin",
            "start_datetime",
            "end_datetime",
            "handed_by_id",
            "handed_date",
            "acknowledged_by_id",
            "acknowledged_date",
            "escalated",
            "left_out_count",
        }
    )

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    shift_id = fields.Many2one(
        "delivery.duty.shift", required=True, ondelete="restrict", check_company=True, tracking=True
    )
    date = fields.Date(
        required=True, default=fields.Date.context_today, help="The shift's start day."
    )
    start_datetime = fields.Datetime(string="Shift from", readonly=True, index=True)
    end_datetime = fields.Datetime(string="Shift to", readonly=True, index=True)
    state = fields.Selection(
        HANDOVER_STATES, default="draft", required=True, readonly=True, tracking=True, index=True
    )
    origin = fields.Selection(
        [("staff", "The outgoing shift"), ("job", "The job, at the shift's end")],
        string="Opened by",
        default="staff",
        required=True,
        readonly=True,
    )
    notes = fields.Html(
        string="Duty record",
        help="What happened and what is left to do: every pending matter, nothing left out.",
    )
    equipment_notes = fields.Text(
        string="Equipment and workplace",
        help="Telephones, computers... checked at the hand-over: anything damaged or missing "
        "and why.",
    )
    incoming_remarks = fields.Text(
        string="Found by the incoming shift",
        help="What the incoming shift found at the hand-over; the reason when it refuses "
        "the hand-over.",
    )
    outgoing_user_ids = fields.Many2many(
        "res.users", string="Outgoing shift", compute="_compute_duty_users"
    )
    incoming_user_ids = fields.Many2many(
        "res.users", string="Incoming shift", compute="_compute_duty_users"
    )
    handed_by_id = fields.Many2one("res.users", string="Handed over by", readonly=True)
    handed_date = fields.Datetime(string="Handed over on", readonly=True)
    acknowledged_by_id = fields.Many2one("res.users", string="Acknowledged by", readonly=True)
    acknowledged_date = fields.Datetime(string="Acknowledged on", readonly=True)
    escalated = fields.Boolean(
        readonly=True, help="Not acknowledged in time: the service-centre head was told."
    )
    line_ids = fields.One2many("delivery.duty.handover.line", "handover_id", string="Items")
    request_count = fields.Integer(string="Open requests", compute="_compute_counts")
    callback_count = fields.Integer(string="Callbacks due", compute="_compute_counts")
    exception_count = fields.Integer(string="Open exceptions", compute="_compute_counts")
    left_out_count = fields.Integer(
        string="Open matters not listed",
        readonly=True,
        help="The open matters beyond the most urgent ones listed (Settings: items of a "
        "hand-over).",
    )

    _shift_day_unique = models.UniqueIndex(
        "(company_id, shift_id, date)",
        lambda env, diag=None: env._("This shift already has its hand-over record for that day."),
    )

    @api.depends("shift_id", "date")
    def _compute_display_name(self):
        for handover in self:
            handover.display_name = self.env._(
                "Hand-over %(shift)s, %(date)s",
                shift=handover.shift_id.name or "",
                date=handover.date or "",
            )

    @api.depends("start_datetime", "end_datetime", "company_id")
    def _compute_duty_users(self):
        for handover in self:
            handover.outgoing_user_ids = handover._outgoing_rows().user_id
            handover.incoming_user_ids = handover._incoming_rows().user_id

    @api.depends("line_ids.kind")
    def _compute_counts(self):
        for handover in self:
            kinds = handover.line_ids.mapped("kind")
            handover.request_count = kinds.count("request")
            handover.callback_count = kinds.count("callback")
            handover.exception_count = kinds.count("exception")

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        model = self._check_system_fields_create(vals_list)
        if not self.env.su and not self._is_manager():
            # the access rights say so first (the auditors read only)
            self.check_access("create")
            self._check_staff_may_open(vals_list)
        handovers = super(DeliveryDutyHandover, model).create(vals_list).with_env(self.env)
        handovers._set_bounds()
        handovers._collect_items()
        return handovers

    def write(self, vals):
        self._check_system_fields(vals)
        if not self.env.su:
            for handover in self:
                if handover.state == "acknowledged":
                    raise UserError(
                        self.env._(
                            "%(name)s was acknowledged by %(user)s: the record is closed, what "
                            "it did not note is the incoming shift's.",
                            name=handover.display_name,
                            user=handover.acknowledged_by_id.name,
                        )
                    )
                if handover.state == "handed" and OUTGOING_FIELDS & set(vals):
                    raise UserError(
                        self.env._(
                            "%(name)s was handed over: its duty record is what the outgoing "
                            "shift signed. The incoming shift refuses it to have it completed.",
                            name=handover.display_name,
                        )
                    )
        result = super().write(vals)
        if {"shift_id", "date"} & set(vals):
            self._set_bounds()
        return result

    @api.model
    def _check_staff_may_open(self, vals_list):
        """The staff open the record of their own shift (on its roster that day), within
        the hour before its end or after it (task fixduty): checked before anything is
        written."""
        latest_end = fields.Datetime.now() + OPEN_BEFORE_END
        Shift = self.env["delivery.duty.shift"]
        for vals in vals_list:
            shift = Shift.browse(vals.get("shift_id"))
            if not shift:
                continue  # the shift is required: the create refuses it
            day = fields.Date.to_date(vals.get("date")) or fields.Date.context_today(self)
            company_id = vals.get("company_id") or self.env.company.id
            # sudo: the roster is the desk's common knowledge (who is on duty when)
            rostered = (
                self.env["delivery.duty.roster"]
                .sudo()
                .search_count(
                    [
                        ("company_id", "=", company_id),
                        ("shift_id", "=", shift.id),
                        ("date", "=", day),
                        ("user_id", "=", self.env.uid),
                    ],
                    limit=1,
                )
            )
            if not rostered:
                raise UserError(
                    self.env._(
                        "You are not on the roster of %(shift)s on %(date)s: its staff, or a "
                        "manager, open its hand-over record.",
                        shift=shift.name,
                        date=day,
                    )
                )
            end = shift._bounds(day)[1]
            if end and end > latest_end:
                raise UserError(
                    self.env._(
                        "%(shift)s of %(date)s ends at %(end)s UTC: its staff open the hand-over "
                        "record within the hour before its end or after it.",
                        shift=shift.name,
                        date=day,
                        end=fields.Datetime.to_string(end),
                    )
                )

    def _set_bounds(self):
        for handover in self:
            start, end = handover.shift_id._bounds(handover.date)
            if handover.start_datetime != start or handover.end_datetime != end:
                handover._write_system({"start_datetime": start, "end_datetime": end})

    # ------------------------------------------------------------------ the items
    def _outgoing_rows(self):
        self.ensure_one()
        # sudo: the roster is the desk's common knowledge (who is on duty when)
        return (
            self.env["delivery.duty.roster"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("shift_id", "=", self.shift_id.id),
                    ("date", "=", self.date),
                ]
            )
        )

    def _incoming_rows(self):
        """The roster rows on duty when the shift ends: the next shift (交接班 三: it
        arrives before the end)."""
        self.ensure_one()
        if not self.end_datetime:
            return self.env["delivery.duty.roster"]
        # sudo: the roster is the desk's common knowledge (who is on duty when)
        return (
            self.env["delivery.duty.roster"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("start_datetime", "<=", self.end_datetime),
                    ("end_datetime", ">", self.end_datetime),
                ]
            )
        )

    def _collect_items(self):
        """The open matters of the company listed on the record (made again at each
        call while the record is being written): the most urgent first — the requests
        by their SLA deadline, then the callbacks due, then the open delivery
        exceptions — at most the company's number of items; how many were left out
        is kept on the record (task fixduty: bounded, whatever the open matters)."""
        # sudo: the hand-over lists the company's open matters for the whole desk,
        # whoever writes it; the lines copy no content (number, customer, state, owner,
        # deadline), and only the module writes them
        Line = self.env["delivery.duty.handover.line"].sudo()
        for handover in self.sudo():
            handover.line_ids.unlink()
            company = handover.company_id
            cap = company.delivery_handover_max_items
            horizon = (handover.end_datetime or fields.Datetime.now()) + CALLBACK_HORIZON
            requests, left_requests = handover._urgent_requests(cap)
            visits, left_visits = handover._fetch_capped(
                "delivery.visit",
                Domain("company_id", "=", company.id)
                & Domain("visit_type", "=", "return")
                & Domain("state", "=", "planned")
                & Domain("planned_date", "<", horizon),
                ["name", "partner_id", "user_id", "planned_date"],
                "planned_date, id",
                cap - len(requests),
            )
            exceptions, left_exceptions = handover._fetch_capped(
                "delivery.shipment.exception",
                Domain("company_id", "=", company.id) & Domain("state", "!=", "resolved"),
                ["shipment_id", "kind", "partner_id", "state", "user_id", "deadline"],
                "detected_date, id",
                cap - len(requests) - len(visits),
            )
            vals = []
            states = dict(requests._fields["state"]._description_selection(self.env))
            types = dict(requests._fields["request_type"]._description_selection(self.env))
            for request in requests:
                vals.append(
                    {
                        "handover_id": handover.id,
                        "kind": "request",
                        "complaint_id": request.id,
                        "name": f"{request.name} ({types.get(request.request_type, '')})",
                        "partner_id": request.partner_id.id,
                        "status": states.get(request.state),
                        "user_id": request.user_id.id,
                        "deadline": self._request_deadline(request),
                    }
                )
            for visit in visits:
                vals.append(
                    {
                        "handover_id": handover.id,
                        "kind": "callback",
                        "visit_id": visit.id,
                        "name": visit.name,
                        "partner_id": visit.partner_id.id,
                        "status": self.env._("Planned"),
                        "user_id": visit.user_id.id,
                        "deadline": visit.planned_date,
                    }
                )
            kinds = dict(exceptions._fields["kind"]._description_selection(self.env))
            exception_states = dict(exceptions._fields["state"]._description_selection(self.env))
            for exception in exceptions:
                vals.append(
                    {
                        "handover_id": handover.id,
                        "kind": "exception",
                        "exception_id": exception.id,
                        "name": f"{exception.shipment_id.name} ({kinds.get(exception.kind)})",
                        "partner_id": exception.partner_id.id,
                        "status": exception_states.get(exception.state),
                        "user_id": exception.user_id.id,
                        "deadline": exception.deadline,
                    }
                )
            Line.create(vals)
            left_out = left_requests + left_visits + left_exceptions
            if handover.left_out_count != left_out:
                handover._write_system({"left_out_count": left_out})

    @api.model
    def _request_deadline(self, request):
        """The deadline a request is now held to: its first response, once responded
        its resolution."""
        if request.first_response_date:
            return request.sla_resolution_deadline
        return request.sla_response_deadline

    def _open_requests_domain(self):
        self.ensure_one()
        return [
            ("company_id", "=", self.company_id.id),
            ("state", "not in", ["resolved", "closed"]),
        ]

    def _urgent_requests(self, limit):
        """The ``limit`` open requests nearest to their deadline, and how many others
        are open: at most ``limit`` of those not responded yet (by first-response
        deadline) and of those responded (by resolution deadline), merged."""
        self.ensure_one()
        fnames = [
            "name",
            "request_type",
            "partner_id",
            "state",
            "user_id",
            "first_response_date",
            "sla_response_deadline",
            "sla_resolution_deadline",
        ]
        domain = Domain(self._open_requests_domain())
        waiting, _left = self._fetch_capped(
            "delivery.complaint",
            domain & Domain("first_response_date", "=", False),
            fnames,
            "sla_response_deadline, id",
            limit,
        )
        responded, _left = self._fetch_capped(
            "delivery.complaint",
            domain & Domain("first_response_date", "!=", False),
            fnames,
            "sla_resolution_deadline, id",
            limit,
        )

        def urgency(request):
            deadline = self._request_deadline(request)
            return (not deadline, deadline or datetime.min, request.id)

        requests = (waiting | responded).sorted(urgency)[:limit]
        # sudo: see _collect_items (the company's open matters, listed for the desk)
        total = self.env["delivery.complaint"].sudo().search_count(domain)
        return requests, total - len(requests)

    def _fetch_capped(self, model, domain, fnames, order, limit):
        """At most ``limit`` records of ``domain`` (their fields read at once), and
        how many of them are left out."""
        # sudo: see _collect_items (the company's open matters, listed for the desk)
        Model = self.env[model].sudo()
        records = Model.browse()
        if limit > 0:
            records = Model.search_fetch(domain, fnames, order=order, limit=limit)
            if len(records) < limit:
                return records, 0
        return records, Model.search_count(domain) - len(records)

    def action_open_left_out(self):
        """The open requests (the list the hand-over does not show in full)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open requests"),
            "res_model": "delivery.complaint",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": self._open_requests_domain(),
        }

    # ------------------------------------------------------------------ sign-offs
    def _is_manager(self):
        return self.env.user.has_group(GROUP_MANAGER)

    def action_refresh_items(self):
        for handover in self:
            if handover.state != "draft":
                raise UserError(
                    self.env._(
                        "%(name)s was handed over: its items are those handed over.",
                        name=handover.display_name,
                    )
                )
        self.check_access("write")
        self._collect_items()
        return True

    def action_hand_over(self):
        """The outgoing shift signs its duty record (交接班 二, 五)."""
        self.check_access("write")
        now = fields.Datetime.now()
        for handover in self:
            if handover.state != "draft":
                raise UserError(
                    self.env._(
                        "%(name)s is not being written: it cannot be handed over again.",
                        name=handover.display_name,
                    )
                )
            if self.env.user not in handover.outgoing_user_ids and not self._is_manager():
                raise UserError(
                    self.env._(
                        "Only the staff on duty on %(name)s's shift, or a manager, hand it over.",
                        name=handover.display_name,
                    )
                )
            if is_html_empty(handover.notes):
                raise ValidationError(
                    self.env._(
                        "Write the duty record of %(name)s before handing it over: every "
                        "pending matter, nothing left out.",
                        name=handover.display_name,
                    )
                )
            handover._collect_items()
            handover._write_system(
                {"state": "handed", "handed_by_id": self.env.user.id, "handed_date": now}
            )
            for user in handover.incoming_user_ids:
                handover.activity_schedule(
                    "delivery_crm.mail_activity_type_shift_handover",
                    user_id=user.id,
                    date_deadline=fields.Date.context_today(handover),
                    summary=self.env._("Acknowledge the shift hand-over"),
                )
        return True

    def action_acknowledge(self):
        """The incoming shift signs (交接班 五): it takes the items over; the outgoing
        shift is free to leave (it is no longer on duty)."""
        self.check_access("write")
        now = fields.Datetime.now()
        user = self.env.user
        for handover in self:
            if handover.state != "handed":
                raise UserError(
                    self.env._(
                        "%(name)s must be handed over by the outgoing shift before it is "
                        "acknowledged.",
                        name=handover.display_name,
                    )
                )
            if user == handover.handed_by_id:
                # 交接班 五: both parties sign, the outgoing one cannot sign for the other
                raise UserError(
                    self.env._(
                        "You handed %(name)s over: someone else of the next shift, or another "
                        "manager, takes it over.",
                        name=handover.display_name,
                    )
                )
            if user not in handover.incoming_user_ids and not self._is_manager():
                raise UserError(
                    self.env._(
                        "Only the staff on duty on the next shift, or a manager, acknowledge "
                        "%(name)s.",
                        name=handover.display_name,
                    )
                )
            handover._write_system(
                {"state": "acknowledged", "acknowledged_by_id": user.id, "acknowledged_date": now}
            )
            # sudo: the lines are the module's own record of who took the items over
            handover.line_ids.sudo().write({"taken_over_by_id": user.id, "taken_over_date": now})
            handover.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("delivery_crm.mail_activity_type_shift_handover")
                )
            ).action_feedback(feedback=self.env._("Acknowledged by %(user)s", user=user.name))
            handover.message_post(
                body=self.env._(
                    "Acknowledged by %(user)s: %(count)s items taken over.",
                    user=user.name,
                    count=len(handover.line_ids),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_refuse(self):
        """The incoming shift refuses the hand-over (交接班 六, 四不接: a record that is
        not clear, missing equipment...) with its reason; the outgoing shift completes
        it and stays on duty meanwhile."""
        self.check_access("write")
        user = self.env.user
        for handover in self:
            if handover.state != "handed":
                raise UserError(
                    self.env._(
                        "Only a handed-over record can be refused (%(name)s).",
                        name=handover.display_name,
                    )
                )
            if user not in handover.incoming_user_ids and not self._is_manager():
                raise UserError(
                    self.env._(
                        "Only the staff on duty on the next shift, or a manager, refuse %(name)s.",
                        name=handover.display_name,
                    )
                )
            if not (handover.incoming_remarks or "").strip():
                raise ValidationError(
                    self.env._(
                        "Say why %(name)s is refused (Found by the incoming shift).",
                        name=handover.display_name,
                    )
                )
            outgoing = handover.handed_by_id
            handover._write_system({"state": "draft", "handed_by_id": False, "handed_date": False})
            handover.message_post(
                body=Markup("%s<br/>%s")
                % (
                    self.env._("Refused by %(user)s:", user=user.name),
                    handover.incoming_remarks,
                ),
                subtype_xmlid="mail.mt_note",
            )
            if outgoing:
                handover.activity_schedule(
                    "delivery_crm.mail_activity_type_shift_handover",
                    user_id=outgoing.id,
                    summary=self.env._("Complete the refused hand-over"),
                    note=handover.incoming_remarks,
                )
        return True

    # ------------------------------------------------------------------ the job
    @api.model
    def _cron_shift_handovers(self):
        """Every few minutes: open the hand-over record of each rostered shift that
        ended without one (the list of open matters is made then), and tell the
        service-centre head, once, of each record not acknowledged some minutes after
        its shift's end (Settings)."""
        now = fields.Datetime.now()
        self._open_missing(now)
        waiting = Domain("state", "!=", "acknowledged") & Domain("escalated", "=", False)
        companies = [company for (company,) in self._read_group(waiting, ["company_id"])]
        late = Domain.OR(
            Domain("company_id", "=", company.id)
            & Domain(
                "end_datetime",
                "<=",
                now - timedelta(minutes=company.delivery_handover_escalation_minutes),
            )
            for company in companies
        )
        domain = waiting & late
        return self._cron_process_batches(domain, lambda handovers: handovers._escalate())

    @api.model
    def _open_missing(self, now):
        Roster = self.env["delivery.duty.roster"]
        ended = Roster._read_group(
            [("end_datetime", "<=", now), ("end_datetime", ">", now - timedelta(days=1))],
            ["company_id", "shift_id", "date:day"],
        )
        for company, shift, day in ended:
            day = fields.Date.to_date(day)
            exists = self.search_count(
                [("company_id", "=", company.id), ("shift_id", "=", shift.id), ("date", "=", day)],
                limit=1,
            )
            if not exists:
                # sudo: the job opens the record of a shift that ended without one (its
                # origin is the module's mark)
                self.sudo().with_company(company).create(
                    {
                        "company_id": company.id,
                        "shift_id": shift.id,
                        "date": day,
                        "origin": "job",
                    }
                )

    def _escalate(self):
        template = self.env.ref("delivery_crm.mail_template_handover_escalation")
        for handover in self:
            head = handover.company_id.delivery_complaint_manager_id or self.env.ref(
                "base.user_admin"
            )
            handover.activity_schedule(
                "delivery_crm.mail_activity_type_shift_handover",
                user_id=head.id,
                summary=self.env._("Shift hand-over not acknowledged"),
            )
            handover.message_post_with_source(
                template,
                partner_ids=head.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
        self._write_system({"escalated": True})
