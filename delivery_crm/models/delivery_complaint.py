import re
from datetime import date, timedelta

import lxml.etree
import lxml.html
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, clean_context, is_html_empty

from odoo.addons.rating.models.rating_data import (
    RATING_LIMIT_MIN,
    RATING_LIMIT_OK,
    RATING_LIMIT_SATISFIED,
)

from .delivery_complaint_sla import ESCALATIONS, RUNNING_STATES, SLA_STATUSES
from .delivery_constants import CRM_READ, GROUP_STAFF, PRIORITIES, REQUEST_TYPES
from .delivery_tools import check_value_types

STATES = [
    ("registered", "Registered"),
    ("acknowledged", "Acknowledged"),
    ("investigating", "Investigating"),
    ("resolving", "Resolving"),
    ("waiting", "Waiting on customer"),
    ("reopened", "Reopened: not satisfied"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
]
# reached only when the customer is not satisfied (a poor rating, a reopening from the
# portal): never by a plain state write (003 §6.1 "不满意则继续处理直至客户满意")
CUSTOMER_REOPEN_STATE = "reopened"
# the workflow of each kind of request: state -> states it may go to
FLOWS = {
    # 001 §七: register, apologise, investigate, correct and prevent, feed back, close
    "complaint": {
        "registered": ("acknowledged",),
        "acknowledged": ("investigating", "waiting"),
        "investigating": ("resolving", "waiting"),
        "resolving": ("resolved", "waiting"),
        "resolved": ("closed", "investigating"),
        "closed": ("investigating",),
        # back with its owner: investigate again or decide new actions; closed only by
        # a manager with a reason (see _can_close)
        "reopened": ("investigating", "resolving", "waiting", "closed"),
    },
    # 000 §四(三): answered on the spot, or followed up against a deadline
    "inquiry": {
        "registered": ("acknowledged", "resolved"),
        "acknowledged": ("resolved", "waiting"),
        "resolved": ("closed", "acknowledged"),
        "closed": ("acknowledged",),
        "reopened": ("acknowledged", "resolved", "waiting", "closed"),
    },
    # 001 §六: identify, analyse (investigating), respond: carry it out with an action
    # plan (resolving) or explain why not with a follow-up plan (resolved), track,
    # delivered (resolved) and confirmed by the customer (closed)
    "requirement": {
        "registered": ("acknowledged", "investigating"),
        "acknowledged": ("investigating", "waiting"),
        "investigating": ("resolving", "resolved", "waiting"),
        "resolving": ("resolved", "waiting"),
        "resolved": ("closed", "investigating"),
        "closed": ("investigating",),
        "reopened": ("investigating", "resolving", "waiting", "closed"),
    },
}
FLOWS["suggestion"] = FLOWS["inquiry"]
# the button (action method) that moves a request to each state of FLOWS; from a
# resolved or closed request, a state other than closed is reached by "Reopen"
TRANSITION_ACTIONS = {
    "acknowledged": "action_acknowledge",
    "investigating": "action_investigate",
    "resolving": "action_resolving",
    "resolved": "action_resolve",
    "closed": "action_close",
    "waiting": "action_wait_customer",
}
# the moment each state is reached: (date field, user field)
STEP_FIELDS = {
    "acknowledged": ("acknowledged_date", "acknowledged_uid"),
    "investigating": ("investigation_date", "investigation_uid"),
    "resolving": ("resolving_date", "resolving_uid"),
    "resolved": ("resolved_date", "resolved_uid"),
    "closed": ("closed_date", "closed_uid"),
}
# worst first: the request's overall SLA status is the worst of its two clocks
SLA_SEVERITY = ["breached", "missed", "at_risk", "on_time", "met"]
# what sets the SLA clocks: changing one re-triages the request (001 §七.1)
SLA_TRIAGE_FIELDS = {
    "urgency",
    "importance",
    "partner_id",
    "tier_id",
    "request_type",
    "type_id",
    "received_date",
    "company_id",
}
PRIORITY_MATRIX = {
    ("urgent", "important"): "3",
    ("urgent", "normal"): "2",
    ("normal", "important"): "1",
    ("normal", "normal"): "0",
}
SEQUENCE_CODES = {
    "complaint": "delivery.complaint",
    "inquiry": "delivery.complaint.inquiry",
    "suggestion": "delivery.complaint.suggestion",
    "requirement": "delivery.complaint.requirement",
}


# what :func:`counted_ratings` reads (flushed before a query uses it)
COUNTED_RATING_DEPENDS = {
    "rating.rating": ["res_model", "res_id", "partner_id", "rating", "consumed", "rated_on"],
    "res.partner": ["commercial_partner_id"],
    "delivery.complaint": ["partner_id", "company_id", "user_id"],
}


def counted_ratings(partner_ids=None, owned=False):
    """The ratings of requests the satisfaction counts (security review H1): one per
    request, its latest rating given by a contact of its customer (a rating of a
    resolution closes or reopens the request; the last one is the customer's verdict).
    Rows: ``rating_id``, ``complaint_id``, ``partner_id`` (the request's customer),
    ``rating``, ``rated_on``, and the request's ``company_id`` and ``user_id`` (its
    owner: the reports credit the rating to them without reading the requests again).
    Every query of the ratings of requests (evaluation, satisfaction trend, staff KPIs)
    reads them from here.

    :param partner_ids: only the requests of these customers (a list of ids): the
        filter must be inside, PostgreSQL cannot push it below the ``DISTINCT ON``, and
        a batch of the evaluation would read every rating of the database otherwise
    :param owned: only the requests someone owns (the staff KPIs credit a rating to the
        request's owner), filtered inside for the same reason"""
    return SQL(
        """
        SELECT DISTINCT ON (r.res_id)
               r.id AS rating_id, r.res_id AS complaint_id, c.partner_id,
               r.rating, r.rated_on, c.company_id, c.user_id
          FROM rating_rating r
          JOIN delivery_complaint c ON c.id = r.res_id
          JOIN res_partner author ON author.id = r.partner_id
         WHERE r.res_model = 'delivery.complaint' AND r.consumed AND r.rating > 0
           AND r.rated_on IS NOT NULL
           AND author.commercial_partner_id = c.partner_id
           AND %s AND %s
         ORDER BY r.res_id, r.rated_on DESC, r.id DESC
        """,
        SQL("TRUE") if partner_ids is None else SQL("c.partner_id = ANY(%s)", list(partner_ids)),
        SQL("c.user_id IS NOT NULL") if owned else SQL("TRUE"),
    )


def flush_counted_ratings(env):
    for model, fnames in COUNTED_RATING_DEPENDS.items():
        env[model].flush_model(fnames)


# a rating link (``/rate/<token>/<value>``) in a message body
RATING_LINK = re.compile(r"/rate/[\w-]+/\d+")
REMOTE_SOURCE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


def without_remote_images(body):
    """``body`` (HTML) without the images it would fetch from elsewhere: a mail's
    remote <img> (or a style's ``url(...)``, a ``background`` or ``srcset``) would be
    loaded by every reader and by the PDF engine when the handling form is printed (a
    request to any address the sender chooses). Inline (cid:, data:) and attached
    images stay."""
    text = str(body or "").lower()
    if not body or not any(mark in text for mark in ("<img", "url(", "background", "srcset")):
        return body
    root = lxml.html.fragment_fromstring(str(body), create_parent="div")
    for image in root.iter("img"):
        if REMOTE_SOURCE.match(image.get("src") or ""):
            image.drop_tree()
    for element in root.iter(lxml.etree.Element):
        if "url(" in (element.get("style") or "").lower():
            del element.attrib["style"]
        for name in ("background", "srcset"):
            element.attrib.pop(name, None)
    inner = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return escape(root.text or "") + Markup(inner)


class DeliveryComplaint(models.Model):
    """A complaint, inquiry, suggestion or requirement taken in by the service desk
    (R7): intake from every channel, workflow with the gates of 001 §六–§七, SLA
    clocks with escalation, first-contact ownership, the customer's rating (R8) and
    the customer portal."""

    _name = "delivery.complaint"
    _description = "Customer request"
    _inherit = [
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "rating.mixin",
        "delivery.cron.mixin",
        "delivery.system.field.mixin",
        "delivery.customer.portal.mixin",
    ]
    _order = "priority desc, received_date desc, id desc"
    _rec_name = "subject"
    _rec_names_search = ["name", "subject"]
    _primary_email = "email_from"
    _check_company_auto = True
    # posting on a request mails the customer as the company: it needs write access
    # (the customer replies from the portal: see delivery.customer.portal.mixin)
    _mail_post_access = "write"
    # what the workflow, the clocks and the rating maintain (the intake fills the
    # number and the tier): set by hand on no path (see delivery.system.field.mixin)
    _system_fields = frozenset(
        {
            "name",
            "tier_id",
            "resume_state",
            *(field for pair in STEP_FIELDS.values() for field in pair),
            "close_reason",
            "close_comment",
            "reopen_count",
            "reopened_date",
            "reopen_reason",
            "rated_date",
            "rating_investigated_id",
            "first_response_date",
            "first_response_time",
            "resolution_time",
            "sla_paused_since",
            "sla_paused_hours",
            "counts_as_complaint",
            # the SLA clocks are rows of delivery.complaint.sla; these show them
            "sla_ids",
            "sla_response_hours",
            "sla_resolution_hours",
            "sla_response_deadline",
            "sla_resolution_deadline",
            "sla_response_status",
            "sla_resolution_status",
            "response_escalation",
            "resolution_escalation",
            # task req: the requirement's progress reports and delivery confirmation
            "requirement_progress_date",
            "requirement_progress_next_date",
            "delivery_confirmed_date",
            "delivery_confirmed_partner_id",
            "delivery_confirmed_uid",
            "delivery_confirmation_chased_date",
        }
    )

    # ------------------------------------------------------------------ intake
    name = fields.Char(
        string="Number", required=True, readonly=True, copy=False, default="/", index="trigram"
    )
    subject = fields.Char(string="Summary", required=True, tracking=True)
    request_type = fields.Selection(
        REQUEST_TYPES, string="Request type", required=True, default="complaint", tracking=True
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        check_company=True,
        domain=[("is_delivery_customer", "=", True)],
    )
    contact_id = fields.Many2one(
        "res.partner",
        check_company=True,
        help="The person who made the request, to whom the answers go.",
        groups=CRM_READ,
    )
    email_from = fields.Char(string="Email", groups=CRM_READ)
    phone = fields.Char(groups=CRM_READ)
    channel = fields.Selection(
        [
            ("hotline", "Hotline"),
            ("email", "Email"),
            ("portal", "Online (portal)"),
            ("onsite", "On site"),
            ("wechat", "WeChat"),
            ("letter", "Letter"),
            ("other", "Other"),
        ],
        required=True,
        default="hotline",
        groups=CRM_READ,
    )
    received_date = fields.Datetime(
        string="Received", required=True, default=fields.Datetime.now, index=True, tracking=True
    )
    shipment_id = fields.Many2one(
        "delivery.shipment",
        string="Delivery",
        index="btree_not_null",
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
    )
    type_id = fields.Many2one("delivery.complaint.type", string="Complaint type", tracking=True)
    urgency = fields.Selection(
        [("normal", "Not urgent"), ("urgent", "Urgent")], required=True, default="normal"
    )
    importance = fields.Selection(
        [("normal", "Not important"), ("important", "Important")],
        required=True,
        default="normal",
        groups=CRM_READ,
    )
    priority = fields.Selection(
        PRIORITIES,
        compute="_compute_priority",
        store=True,
        index=True,
        tracking=True,
        groups=CRM_READ,
    )
    description = fields.Html()
    tier_id = fields.Many2one(
        "delivery.tier",
        string="Customer tier",
        readonly=True,
        help="The customer's tier when the request was received; it sets the SLA.",
        groups=CRM_READ,
    )
    color = fields.Integer(groups=CRM_READ)
    # security review M4: a portal user reads the fields the portal shows only
    # (``controllers/portal.py``); who registered and last changed the request, and the
    # copies of its mails, are internal
    email_cc = fields.Char(groups=CRM_READ)
    create_uid = fields.Many2one("res.users", string="Created by", readonly=True, groups=CRM_READ)
    write_uid = fields.Many2one(
        "res.users", string="Last Updated by", readonly=True, groups=CRM_READ
    )

    # ------------------------------------------------------------------ workflow
    state = fields.Selection(
        STATES,
        required=True,
        default="registered",
        tracking=True,
        index=True,
        group_expand="_group_expand_states",
        copy=False,
    )
    resume_state = fields.Selection(STATES, readonly=True, copy=False, groups=CRM_READ)
    # read by the form of every reader of the request (its buttons follow it)
    workflow_actions = fields.Json(
        compute="_compute_workflow_actions",
        compute_sudo=True,
        string="Workflow actions",
        help="The workflow buttons the request offers in its state.",
    )
    acknowledged_date = fields.Datetime(readonly=True, copy=False, groups=CRM_READ)
    acknowledged_uid = fields.Many2one(
        "res.users", string="Acknowledged by", readonly=True, groups=CRM_READ
    )
    investigation_date = fields.Datetime(
        string="Investigation started", readonly=True, copy=False, groups=CRM_READ
    )
    investigation_uid = fields.Many2one(
        "res.users", string="Investigated by", readonly=True, groups=CRM_READ
    )
    resolving_date = fields.Datetime(
        string="Resolution started", readonly=True, copy=False, groups=CRM_READ
    )
    resolving_uid = fields.Many2one(
        "res.users", string="Resolution started by", readonly=True, groups=CRM_READ
    )
    resolved_date = fields.Datetime(string="Resolved on", readonly=True, copy=False, index=True)
    resolved_uid = fields.Many2one(
        "res.users", string="Resolved by", readonly=True, groups=CRM_READ
    )
    closed_date = fields.Datetime(readonly=True, copy=False)
    closed_uid = fields.Many2one("res.users", string="Closed by", readonly=True, groups=CRM_READ)
    close_reason = fields.Selection(
        [
            ("rated", "Customer satisfied"),
            ("no_answer", "No answer from the customer"),
            ("manager", "Closed by a manager"),
            ("confirmed", "Customer confirmed delivery"),
        ],
        readonly=True,
        copy=False,
        groups=CRM_READ,
    )
    close_comment = fields.Text(
        string="Why a manager closed it",
        readonly=True,
        copy=False,
        help="The reason a manager gave for closing the request without the customer's "
        "satisfied rating.",
        groups=CRM_READ,
    )
    reopen_count = fields.Integer(string="Reopened", readonly=True, copy=False, groups=CRM_READ)
    reopened_date = fields.Datetime(
        string="Last reopened",
        readonly=True,
        copy=False,
        help="When the customer last sent the request back, not satisfied.",
        groups=CRM_READ,
    )
    reopen_reason = fields.Text(
        string="Why the customer is not satisfied",
        readonly=True,
        copy=False,
        groups=CRM_READ,
    )
    rated_date = fields.Datetime(
        string="Rated",
        readonly=True,
        copy=False,
        help="When the customer last rated it.",
        groups=CRM_READ,
    )

    # ------------------------------------------------------------------ ownership (internal)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        index=True,
        domain=[("share", "=", False)],
        check_company=True,
        groups=CRM_READ,
        help="First-contact ownership: who took the request owns it until it is "
        "closed and does its return visit, unless it is handed over.",
    )
    team_id = fields.Many2one(
        "delivery.service.team",
        string="Service team",
        tracking=True,
        check_company=True,
        groups=CRM_READ,
    )
    account_manager_id = fields.Many2one(
        related="partner_id.account_manager_id", string="Account manager", groups=CRM_READ
    )
    handover_ids = fields.One2many(
        "delivery.complaint.handover", "complaint_id", string="Hand-overs", groups=CRM_READ
    )
    visit_ids = fields.One2many(
        "delivery.visit", "complaint_id", string="Return visits", groups=CRM_READ
    )

    # ------------------------------------------------------------------ investigation (internal)
    root_cause_id = fields.Many2one(
        "delivery.complaint.root.cause", string="Root cause", tracking=True, groups=CRM_READ
    )
    root_cause_detail = fields.Text(string="Findings", groups=CRM_READ)
    department_id = fields.Many2one(
        "delivery.department",
        string="Responsible department",
        tracking=True,
        check_company=True,
        groups=CRM_READ,
    )
    responsible_id = fields.Many2one(
        "res.users",
        string="Responsible person",
        tracking=True,
        domain=[("share", "=", False)],
        check_company=True,
        groups=CRM_READ,
    )
    action_ids = fields.One2many(
        "delivery.complaint.action", "complaint_id", string="Actions", groups=CRM_READ
    )
    internal_note = fields.Html(string="Internal notes", groups=CRM_READ)
    feasibility = fields.Selection(
        [("feasible", "Feasible"), ("not_feasible", "Not feasible")],
        tracking=True,
        help="Requirements: the analysis' conclusion.",
        groups=CRM_READ,
    )
    feasibility_reason = fields.Text(string="Analysis", groups=CRM_READ)
    # task req (issue 17 item 1): a requirement carried out (001 §六.2–§六.4)
    requirement_gap = fields.Text(
        string="Gaps",
        help="Requirements: what the company's service lacks today to meet it (001 §六.2).",
        groups=CRM_READ,
    )
    requirement_effort_days = fields.Float(
        string="Effort (person-days)",
        help="Requirements: the estimated effort to carry it out.",
        groups=CRM_READ,
    )
    requirement_competitor = fields.Text(
        string="Competitors' offer",
        help="Requirements: what competitors offer for it, where known.",
        groups=CRM_READ,
    )
    requirement_alternative = fields.Text(
        string="Alternative offered",
        help="Requirements that cannot be met: what the customer is offered instead (001 §六.3).",
        groups=CRM_READ,
    )
    requirement_followup_date = fields.Date(
        string="Follow up on",
        help="Requirements that cannot be met: when the owner comes back to the customer.",
        groups=CRM_READ,
    )
    requirement_task_ids = fields.One2many(
        "delivery.requirement.task",
        "complaint_id",
        string="Action plan",
        help="The customer sees the task names in the plan and progress reports mailed to them.",
        groups=CRM_READ,
    )
    requirement_task_open_count = fields.Integer(
        string="Tasks open", compute="_compute_requirement_task_counts", compute_sudo=True
    )
    requirement_task_done_count = fields.Integer(
        string="Tasks done", compute="_compute_requirement_task_counts", compute_sudo=True
    )
    requirement_progress_date = fields.Datetime(
        string="Last progress report", readonly=True, copy=False, groups=CRM_READ
    )
    requirement_progress_next_date = fields.Date(
        string="Next progress report", readonly=True, copy=False, index="btree_not_null"
    )
    delivery_confirmed_date = fields.Datetime(
        string="Delivery confirmed on", readonly=True, copy=False
    )
    delivery_confirmed_partner_id = fields.Many2one(
        "res.partner", string="Delivery confirmed by", readonly=True, copy=False, groups=CRM_READ
    )
    delivery_confirmed_uid = fields.Many2one(
        "res.users", string="Confirmation recorded by", readonly=True, copy=False, groups=CRM_READ
    )
    delivery_confirmation_chased_date = fields.Date(
        string="Delivery confirmation chased on",
        readonly=True,
        copy=False,
        help="When the owner was asked to get the delivery confirmed by the customer.",
        groups=CRM_READ,
    )
    delivery_confirmation_note = fields.Text(
        string="How the customer confirmed",
        copy=False,
        help="Requirements delivered: how the customer confirmed the delivery (a call, a "
        "meeting, a letter...), recorded by staff.",
        groups=CRM_READ,
    )
    awaits_delivery_confirmation = fields.Boolean(
        compute="_compute_awaits_delivery_confirmation",
        compute_sudo=True,
        help="A requirement carried out and delivered, waiting for the customer to "
        "confirm the delivery.",
    )
    resolution = fields.Html(
        string="Result / answer", help="What was done or answered; it is sent to the customer."
    )

    # ------------------------------------------------------------------ SLA
    # the clocks (delivery.complaint.sla, one row per clock) are the truth; the
    # request shows their targets, deadlines and statuses under its own names (views,
    # filters, reports, exports, the portal and the API read these)
    sla_ids = fields.One2many(
        "delivery.complaint.sla", "complaint_id", string="SLA clocks", groups=CRM_READ
    )
    sla_response_hours = fields.Float(
        string="First response target (h)",
        compute="_compute_sla_targets",
        compute_sudo=True,
        groups=CRM_READ,
    )
    sla_resolution_hours = fields.Float(
        string="Resolution target (h)",
        compute="_compute_sla_targets",
        compute_sudo=True,
        groups=CRM_READ,
    )
    sla_response_deadline = fields.Datetime(
        string="Respond by", compute="_compute_sla_clocks", store=True, index=True
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolve by", compute="_compute_sla_clocks", store=True, index=True
    )
    sla_paused_since = fields.Datetime(readonly=True, copy=False, groups=CRM_READ)
    sla_paused_hours = fields.Float(
        string="Hours paused", readonly=True, copy=False, groups=CRM_READ
    )
    first_response_date = fields.Datetime(string="First response on", readonly=True, copy=False)
    sla_response_status = fields.Selection(
        SLA_STATUSES,
        string="First response SLA",
        compute="_compute_sla_clocks",
        store=True,
        groups=CRM_READ,
    )
    sla_resolution_status = fields.Selection(
        SLA_STATUSES,
        string="Resolution SLA",
        compute="_compute_sla_clocks",
        store=True,
        groups=CRM_READ,
    )
    # readable by the portal: the request lists and form decorate with it (for every
    # reader of the request), and it follows from what the portal shows (the deadlines
    # and the dates of the first response and the resolution)
    sla_status = fields.Selection(
        SLA_STATUSES,
        string="SLA",
        compute="_compute_sla_status",
        store=True,
        index=True,
    )
    response_escalation = fields.Selection(
        ESCALATIONS, compute="_compute_sla_targets", compute_sudo=True, groups=CRM_READ
    )
    resolution_escalation = fields.Selection(
        ESCALATIONS, compute="_compute_sla_targets", compute_sudo=True, groups=CRM_READ
    )
    first_response_time = fields.Float(
        string="First response (h)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Hours from receipt to the first response, pauses excluded.",
        groups=CRM_READ,
    )
    resolution_time = fields.Float(
        string="Resolution (h)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Hours from receipt to the resolution, pauses excluded.",
        groups=CRM_READ,
    )
    counts_as_complaint = fields.Boolean(
        string="Counted as a complaint",
        compute="_compute_counts_as_complaint",
        store=True,
        help="Counted in the customer's complaint rate (evaluation, reports, staff KPIs). "
        "A complaint by e-mail counts once staff acknowledged it: anyone can write an "
        "e-mail in a customer's name.",
        groups=CRM_READ,
    )
    rating_investigated_id = fields.Many2one(
        "rating.rating", readonly=True, copy=False, groups=CRM_READ
    )

    _first_response_after_receipt = models.Constraint(
        "CHECK (first_response_date IS NULL OR first_response_date >= received_date)",
        "The first response cannot come before the request was received.",
    )
    _name_company_unique = models.Constraint(
        "UNIQUE(name, company_id)", "A request number must be unique per company."
    )
    # the staff performance reads the requests attributed to a responsible person and
    # the reopened ones, a few of all, from these rather than from a scan of every request
    _responsible_idx = models.Index("(responsible_id) WHERE responsible_id IS NOT NULL")
    _reopened_date_idx = models.Index("(reopened_date) WHERE reopened_date IS NOT NULL")

    # ------------------------------------------------------------------ computes
    @api.depends("urgency", "importance")
    def _compute_priority(self):
        for complaint in self:
            complaint.priority = PRIORITY_MATRIX[
                (complaint.urgency or "normal", complaint.importance or "normal")
            ]

    @api.depends("request_type", "channel", "acknowledged_date")
    def _compute_counts_as_complaint(self):
        for complaint in self:
            complaint.counts_as_complaint = complaint.request_type == "complaint" and (
                complaint.channel != "email" or bool(complaint.acknowledged_date)
            )

    @api.depends("sla_ids.clock", "sla_ids.deadline", "sla_ids.status")
    def _compute_sla_clocks(self):
        for complaint in self:
            response, resolution = (complaint._sla_clocks(c) for c in ("response", "resolution"))
            complaint.sla_response_deadline = response.deadline
            complaint.sla_resolution_deadline = resolution.deadline
            complaint.sla_response_status = response.status or "on_time"
            complaint.sla_resolution_status = resolution.status or "on_time"

    @api.depends("sla_ids.clock", "sla_ids.hours", "sla_ids.escalation")
    def _compute_sla_targets(self):
        for complaint in self:
            response, resolution = (complaint._sla_clocks(c) for c in ("response", "resolution"))
            complaint.sla_response_hours = response.hours
            complaint.sla_resolution_hours = resolution.hours
            complaint.response_escalation = response.escalation or "none"
            complaint.resolution_escalation = resolution.escalation or "none"

    @api.depends("sla_response_status", "sla_resolution_status")
    def _compute_sla_status(self):
        for complaint in self:
            statuses = {complaint.sla_response_status, complaint.sla_resolution_status}
            complaint.sla_status = next(s for s in SLA_SEVERITY if s in statuses | {"met"})

    @api.depends("requirement_task_ids.state")
    def _compute_requirement_task_counts(self):
        for complaint in self:
            tasks = complaint.requirement_task_ids
            done = len(tasks.filtered(lambda t: t.state == "done"))
            complaint.requirement_task_done_count = done
            complaint.requirement_task_open_count = len(tasks) - done

    @api.depends("request_type", "state", "requirement_task_ids", "delivery_confirmed_date")
    def _compute_awaits_delivery_confirmation(self):
        for complaint in self:
            complaint.awaits_delivery_confirmation = complaint._awaits_delivery_confirmation()

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for complaint in self:
            complaint.access_url = f"/my/complaints/{complaint.id}"

    @api.depends("name", "subject")
    def _compute_display_name(self):
        for complaint in self:
            complaint.display_name = (
                f"{complaint.name} {complaint.subject}"
                if complaint.name and complaint.name != "/"
                else complaint.subject
            )

    @api.model
    def _group_expand_states(self, states, domain):
        return [key for key, _label in STATES]

    # ------------------------------------------------------------------ constraints
    @api.constrains("request_type", "type_id")
    def _check_type_id(self):
        for complaint in self:
            if complaint.request_type == "complaint" and not complaint.type_id:
                raise ValidationError(
                    self.env._("Complaint %(name)s needs a complaint type.", name=complaint.name)
                )

    @api.constrains("partner_id", "contact_id")
    def _check_contact(self):
        for complaint in self:
            contact, customer = complaint.contact_id, complaint.partner_id
            if contact and customer and contact.commercial_partner_id != customer:
                raise ValidationError(
                    self.env._(
                        "%(contact)s is not a contact of %(customer)s.",
                        contact=contact.display_name,
                        customer=customer.display_name,
                    )
                )

    @api.constrains("shipment_id", "partner_id")
    def _check_shipment(self):
        for complaint in self:
            if complaint.shipment_id and complaint.shipment_id.partner_id != complaint.partner_id:
                raise ValidationError(
                    self.env._(
                        "Delivery %(shipment)s belongs to another customer.",
                        shipment=complaint.shipment_id.name,
                    )
                )

    @api.constrains("received_date")
    def _check_received_date(self):
        now = fields.Datetime.now() + timedelta(minutes=5)
        for complaint in self:
            if complaint.received_date > now:
                raise ValidationError(self.env._("A request cannot be received in the future."))

    # ------------------------------------------------------------------ onchanges
    @api.onchange("contact_id")
    def _onchange_contact_id(self):
        if self.contact_id:
            self.partner_id = self.contact_id.commercial_partner_id
            self.email_from = self.contact_id.email or self.email_from
            self.phone = self.contact_id.phone or self.phone

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        """Propose the customer's service team (the owner stays who took the request)."""
        if self.partner_id:
            self.team_id = self.partner_id.service_team_id or self.team_id
            if not self.email_from:
                self.email_from = self.partner_id.email
            if self.shipment_id and self.shipment_id.partner_id != self.partner_id:
                self.shipment_id = False

    def _order_to_sql(self, order, query, alias=None, reverse=False):
        """A user who may not read the priority (a portal customer: it tells the
        internal importance) gets the requests newest first by default."""
        if (order or self._order) == self._order and not self._has_field_access(
            self._fields["priority"], "read"
        ):
            order = "received_date desc, id desc"
        return super()._order_to_sql(order, query, alias=alias, reverse=reverse)

    # ------------------------------------------------------------------ CRUD
    def _system_field_names(self):
        """Archiving a request takes it out of every figure: managers only."""
        names = super()._system_field_names()
        if self.env.user.has_group("delivery_crm.group_delivery_crm_manager"):
            return names
        return names | {"active"}

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name") == "/":
                del vals["name"]  # "not numbered yet", as the form sends it
        model = self._check_system_fields_create(vals_list)
        for vals in vals_list:
            check_value_types(self, vals)
            self._prepare_intake(vals)
        complaints = super(DeliveryComplaint, model).create(vals_list).with_env(self.env)
        complaints._sla_start()
        complaints.filtered("department_id")._notify_department()
        for complaint in complaints:
            recipient = complaint._customer_recipient()
            if recipient:
                complaint.message_subscribe(partner_ids=recipient.ids)
        # task duty (issue 17 item 3): many complaints within an hour, a major incident
        self.env["delivery.major.incident"]._check_complaint_burst(complaints)
        return complaints

    def _prepare_intake(self, vals):
        """Fill the number, the customer from the contact, the tier, and the owner
        (first-contact ownership: the internal user who takes the request in; for
        portal and email requests, the customer's account manager or team leader)."""
        if vals.setdefault("state", "registered") != "registered":
            # (set here, so that a default_state context key cannot skip the workflow)
            raise UserError(
                self.env._("A request starts as registered; its steps follow the workflow.")
            )
        Partner = self.env["res.partner"]
        company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
        request_type = vals.get("request_type") or "complaint"
        if not vals.get("name") or vals["name"] == "/":
            vals["name"] = (
                self.env["ir.sequence"]
                .with_company(company)
                # an unknown type is refused by the ORM's selection check just below
                .next_by_code(SEQUENCE_CODES.get(request_type, SEQUENCE_CODES["complaint"]))
                or "/"
            )
        contact = Partner.browse(vals.get("contact_id"))
        if contact and not vals.get("partner_id"):
            vals["partner_id"] = contact.commercial_partner_id.id
        elif vals.get("partner_id"):
            vals["partner_id"] = Partner.browse(vals["partner_id"]).commercial_partner_id.id
        # sudo: the customer's tier, team and account manager are read to route the
        # request, also when a portal user or the mail gateway files it; nothing of
        # them is returned to the caller.
        customer = Partner.browse(vals.get("partner_id")).sudo()
        if customer and not vals.get("tier_id"):
            vals["tier_id"] = customer.tier_id.id
        if customer and not vals.get("team_id"):
            vals["team_id"] = customer.service_team_id.id
        if not vals.get("email_from"):
            vals["email_from"] = contact.email or customer.email
        if not vals.get("user_id"):
            user = self.env.user
            internal_intake = vals.get("channel") not in ("portal", "email")
            if (
                internal_intake
                and not user.share
                and not user._is_superuser()
                and (user.has_group(GROUP_STAFF))
            ):
                vals["user_id"] = user.id
            else:
                owner = customer.account_manager_id or customer.service_team_id.leader_id
                vals["user_id"] = owner.id

    def write(self, vals):
        self._check_system_fields(vals)
        check_value_types(self, vals)
        # the owner changes only through _handover / action_take_ownership, which write
        # past this check (a context key would let any RPC caller skip it)
        if "user_id" in vals:
            self._check_owner_change(vals["user_id"])
        if vals.get("partner_id") and "tier_id" not in vals:
            # sudo: the new customer's tier sets the SLA, whoever re-triages the request
            vals["tier_id"] = self.env["res.partner"].browse(vals["partner_id"]).sudo().tier_id.id
        before = (
            {complaint.id: complaint._sla_triage_key() for complaint in self}
            if SLA_TRIAGE_FIELDS & vals.keys()
            else None
        )
        departments = {c.id: c.department_id for c in self} if vals.get("department_id") else {}
        if "state" not in vals:
            result = super().write(vals)
        else:
            result = True
            new_state = vals["state"]
            for complaint in self:
                complaint._check_transition(new_state, vals)
            now = fields.Datetime.now()
            # a state change is applied per record: each may come from another state
            other_vals = {key: value for key, value in vals.items() if key != "state"}
            for complaint in self:
                old_state = complaint.state
                if other_vals:
                    super(DeliveryComplaint, complaint).write(other_vals)
                # the gate sees the values written with the state, before the state moves
                if new_state != old_state:
                    complaint._check_gate(new_state)
                super(DeliveryComplaint, complaint).write(
                    {"state": new_state, **complaint._transition_values(new_state, now)}
                )
                complaint._after_transition(old_state, new_state, now)
        if before is not None:
            self._sla_retriage(before)
        if departments:
            self.filtered(
                lambda c: c.department_id and c.department_id != departments[c.id]
            )._notify_department()
        return result

    # ------------------------------------------------------------------ workflow rules
    def _check_owner_change(self, user_id):
        """Ownership changes only through a hand-over, or by a manager."""
        if self.env.is_superuser() or self.env.user.has_group(
            "delivery_crm.group_delivery_crm_manager"
        ):
            return
        for complaint in self:
            if complaint.user_id and complaint.user_id.id != user_id:
                raise UserError(
                    self.env._(
                        "%(name)s is owned by %(owner)s: use Hand over to pass it on.",
                        name=complaint.display_name,
                        owner=complaint.user_id.name,
                    )
                )

    def _next_states(self):
        """The states the request may go to from its state (``FLOWS``): the one rule
        of the workflow, which the transitions check and the form's buttons follow."""
        self.ensure_one()
        if self.state == "waiting":
            return (self.resume_state,) if self.resume_state else ()
        return FLOWS.get(self.request_type, {}).get(self.state, ())

    def _workflow_actions(self):
        """The buttons (action methods) that move the request to its next states."""
        self.ensure_one()
        if self.state == "waiting":
            return ["action_resume"] if self.resume_state else []
        actions = []
        for target in self._next_states():
            reopening = self.state in ("resolved", "closed") and target != "closed"
            action = "action_reopen" if reopening else TRANSITION_ACTIONS[target]
            if action not in actions:
                actions.append(action)
        return actions

    @api.depends("request_type", "state", "resume_state")
    def _compute_workflow_actions(self):
        for complaint in self:
            complaint.workflow_actions = complaint._workflow_actions()

    def _check_transition(self, new_state, vals=None):
        self.ensure_one()
        if new_state == self.state:
            return
        allowed = self._next_states()
        if new_state == CUSTOMER_REOPEN_STATE:
            # only the customer sends a request back (_reopen_by_customer), with why
            reopening = self.env.su and (vals or {}).get("reopen_reason")
            allowed = (new_state,) if reopening and self._customer_may_reopen() else ()
        if new_state not in allowed:
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "%(name)s cannot go from %(old)s to %(new)s.",
                    name=self.display_name,
                    old=labels[self.state],
                    new=labels[new_state],
                )
            )

    def _transition_values(self, new_state, now):
        """Who and when of the step, pause bookkeeping, reopening."""
        self.ensure_one()
        vals = {}
        if new_state == self.state:
            return vals
        step = STEP_FIELDS.get(new_state)
        reopening = self.state in ("resolved", "closed") and new_state not in ("closed",)
        if step and not (self.state == "waiting" and self[step[0]]):
            vals.update({step[0]: now, step[1]: self.env.uid})
        if new_state == "waiting":
            vals.update({"resume_state": self.state, "sla_paused_since": now})
        if reopening:
            vals.update(
                {
                    "reopen_count": self.reopen_count + 1,
                    "resolved_date": False,
                    "resolved_uid": False,
                    "closed_date": False,
                    "closed_uid": False,
                    "close_reason": False,
                    "resolution_time": 0.0,
                    "delivery_confirmed_date": False,
                    "delivery_confirmed_partner_id": False,
                    "delivery_confirmed_uid": False,
                }
            )
        return vals

    def _check_gate(self, new_state):
        """What the seeds demand before a request may reach ``new_state``."""
        self.ensure_one()
        missing = []
        complaint = self.request_type == "complaint"
        if new_state in ("acknowledged", "resolved") and not self._ensure_customer_recipient():
            missing.append(self.env._("a customer contact or email to answer to"))
        if new_state == "resolving" and complaint:
            # 001 §七.2: the investigation names the cause and who is responsible
            if not self.root_cause_id:
                missing.append(self.env._("the root cause"))
            if not self.department_id:
                missing.append(self.env._("the responsible department"))
            if not self.responsible_id:
                missing.append(self.env._("the responsible person"))
        if new_state == "resolved":
            if is_html_empty(self.resolution):
                missing.append(self.env._("the result or answer sent to the customer"))
            if complaint:
                # 001 §七.3: corrective and preventive actions, each owned and dated; the
                # corrective ones carried out (preventive ones may go on, tracked)
                kinds = set(self.action_ids.mapped("kind"))
                if "corrective" not in kinds:
                    missing.append(self.env._("a corrective action"))
                if "preventive" not in kinds:
                    missing.append(self.env._("a preventive action"))
                still_open = self.action_ids.filtered(
                    lambda a: a.kind == "corrective" and not a.done
                )
                if still_open:
                    missing.append(
                        self.env._(
                            "the corrective actions still open done: %(actions)s",
                            actions=", ".join(f"{a.name} ({a.owner_id.name})" for a in still_open),
                        )
                    )
        if self.request_type == "requirement":
            missing += self._requirement_missing(new_state)
        # a requirement carried out closes on the customer's confirmation instead
        # (_requirement_missing)
        if new_state == "closed" and not self._is_carried_out() and not self._can_close():
            days = self.company_id.delivery_complaint_no_answer_days
            missing.append(
                self.env._(
                    "the customer's satisfied rating, %(days)s days without an answer since "
                    "the resolution, or a manager's close with a reason",
                    days=days,
                )
            )
        if missing:
            raise ValidationError(
                self.env._(
                    "%(name)s cannot be moved on yet. Missing: %(missing)s.",
                    name=self.display_name,
                    missing="; ".join(missing),
                )
            )

    def _can_close(self):
        """Closed only when the customer is satisfied (003 §6.1 直至客户满意): a satisfied
        rating of the resolution, no answer within the company's period, or a manager's
        close with a recorded reason (:meth:`_close_by_manager`)."""
        self.ensure_one()
        if self.close_reason == "manager":
            return True
        if self.state != "resolved":
            return False
        if self._rated_since_resolution():
            return self.rating_last_value >= RATING_LIMIT_SATISFIED
        days = self.company_id.delivery_complaint_no_answer_days
        return bool(
            self.resolved_date
            and self.resolved_date + timedelta(days=days) <= fields.Datetime.now()
        )

    def _rated_since_resolution(self):
        self.ensure_one()
        return bool(
            self.rated_date and self.resolved_date and self.rated_date >= self.resolved_date
        )

    def _customer_may_reopen(self):
        """A customer who is not satisfied may send back a resolved request, or one
        closed within the company's reopening period."""
        self.ensure_one()
        if self.state == "resolved":
            return True
        if self.state != "closed" or not self.closed_date:
            return False
        days = self.company_id.delivery_complaint_reopen_days
        return self.closed_date + timedelta(days=days) >= fields.Datetime.now()

    def _after_transition(self, old_state, new_state, now):
        self.ensure_one()
        if old_state == new_state:
            return
        if old_state == "waiting":
            self._sla_resume(now)
        if new_state == "closed" and not self.close_reason:
            rated = self._rated_since_resolution()
            self._write_system({"close_reason": "rated" if rated else "no_answer"})
        if new_state not in ("registered", "waiting"):
            self._sla_mark_first_response(now)
        if self.request_type == "requirement" and self._requirement_after_transition(
            old_state, new_state, now
        ):
            pass  # the requirement's own answers (task req)
        elif new_state == "resolved":
            self._sla_mark_resolved(now)
            self._notify_customer("delivery_crm.mail_template_complaint_resolved")
        elif new_state == "acknowledged" and old_state == "registered":
            self._notify_customer("delivery_crm.mail_template_complaint_acknowledged")
        elif new_state == "closed":
            self._schedule_return_visit()
        if old_state in ("resolved", "closed") and new_state not in ("closed",):
            self._sla_restart_resolution(now)
        if new_state == CUSTOMER_REOPEN_STATE:
            self._schedule_reopen_investigation()
            self._notify_customer("delivery_crm.mail_template_complaint_reopened")

    # ------------------------------------------------------------------ SLA clocks
    def _sla_clocks(self, clock=None):
        """The request's SLA clocks (``delivery.complaint.sla``), ``clock`` only when
        given; in superuser mode: the module keeps them, nobody writes them by hand."""
        # sudo: the clock rows have no write access for anyone (system rows); the
        # module's code keeps them for the requests the caller works on
        clocks = self.sudo().sla_ids
        if clock:
            clocks = clocks.filtered(lambda c: c.clock == clock)
        return clocks

    def _sla_target_hours(self):
        """{clock: hours} of the request: the policy's, the tier's or the company's
        times, shortened for its priority (``delivery.sla.policy._sla_hours``)."""
        self.ensure_one()
        response, resolution = self.env["delivery.sla.policy"]._sla_hours(
            self.request_type, self.tier_id, self.priority, self.company_id
        )
        return {"response": response, "resolution": resolution}

    def _sla_start(self):
        """Start both clocks from the receipt with the hours of the policy, the tier or
        the company's targets, shortened for the request's priority."""
        self.env["delivery.complaint.sla"]._start(self)

    def _sla_triage_key(self):
        self.ensure_one()
        return (
            self.request_type,
            self.tier_id.id,
            self.priority,
            self.received_date,
            self.company_id.id,
        )

    def _sla_retriage(self, before):
        """Re-triage (001 §七.1): the clocks not met yet follow a new urgency,
        importance, customer, tier, type or receipt; the chatter says so."""
        for complaint in self:
            if complaint._sla_triage_key() == before[complaint.id] or complaint.state in (
                "resolved",
                "closed",
            ):
                continue
            changed = complaint._sla_clocks()._retriage(old_received=before[complaint.id][3])
            changes = [
                self.env._(
                    "%(what)s by %(new)s UTC (was %(old)s UTC)",
                    what=self.env._("respond")
                    if clock.clock == "response"
                    else self.env._("resolve"),
                    new=fields.Datetime.to_string(new),
                    old=fields.Datetime.to_string(old),
                )
                for clock, (old, new) in changed.items()
            ]
            if changes:
                complaint.message_post(
                    body=self.env._(
                        "Service level recomputed after re-triage (priority %(priority)s, "
                        "tier %(tier)s): %(changes)s.",
                        priority=dict(
                            complaint._fields["priority"]._description_selection(self.env)
                        ).get(complaint.priority),
                        tier=complaint.tier_id.display_name or "-",
                        changes="; ".join(changes),
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _sla_restart_resolution(self, now):
        """A reopened request gets a new resolution clock from now."""
        self._sla_clocks("resolution")._restart(now)

    def _sla_resume(self, now):
        """Leaving the pause: the hours spent waiting are not counted, and the running
        clocks move by them."""
        paused_since = self.sla_paused_since or now
        clocks = self._sla_clocks()
        waited = max(clocks[:1]._hours_between(paused_since, now), 0.0) if clocks else 0.0
        self._write_system(
            {"sla_paused_since": False, "sla_paused_hours": self.sla_paused_hours + waited}
        )
        clocks._resume(paused_since, now)

    def _sla_mark_first_response(self, now):
        for complaint in self.filtered(lambda c: not c.first_response_date):
            clock = complaint._sla_clocks("response")
            complaint._write_system(
                {"first_response_date": now, "first_response_time": clock._elapsed(now)}
            )
            clock._reach(now)

    def _sla_mark_resolved(self, now):
        # once per resolution: a requirement's clock stops at its answer (the plan),
        # not again when it is delivered
        clock = self._sla_clocks("resolution").filtered(lambda c: not c.reached_date)
        if not clock:
            return
        self._write_system({"resolution_time": clock._elapsed(now)})
        clock._reach(now)

    # ------------------------------------------------------------------ messages
    def _customer_recipient(self):
        """The partner answers go to: the contact, else the customer."""
        self.ensure_one()
        return self.contact_id or self.partner_id

    def _ensure_customer_recipient(self):
        """A request from an unknown email address gets a contact for that address
        (as Odoo's helpdesk does) before it is answered."""
        self.ensure_one()
        if not self._customer_recipient() and self.email_from:
            contact = self._partner_find_from_emails_single([self.email_from])
            if contact:
                self._write_system({"contact_id": contact.id})
                self.message_subscribe(partner_ids=contact.ids)
        return self._customer_recipient()

    def _notify_customer(self, template_xmlid):
        """Post ``template_xmlid`` on the chatter as a public message to the customer
        (it is mailed to them, and shown in their portal)."""
        self.ensure_one()
        template = self.env.ref(template_xmlid)
        recipient = self._customer_recipient()
        messages = self.message_post_with_source(
            template,
            subtype_xmlid="mail.mt_comment",
            partner_ids=recipient.ids,
            email_layout_xmlid="mail.mail_notification_light",
        )
        self._keep_rating_links_out_of_history(messages)

    def _keep_rating_links_out_of_history(self, messages):
        """The rating links of a mail rate as the customer (security review H2): the
        mail carries them (it is rendered when posted), the request's history, which
        staff and every reader of the request see, points to the request's portal
        page instead, where the customer finds their rating."""
        self.ensure_one()
        target = f"{self.access_url}#complaint_rating"
        for message in messages:
            body = str(message.body or "")
            if not RATING_LINK.search(body):
                continue
            # sudo: only the module's own notification is rewritten, right after it
            # was posted and mailed; the customer's mail keeps its links
            message.sudo().body = Markup(RATING_LINK.sub(target, body))

    def _schedule_return_visit(self):
        """First-contact ownership includes the return visit (004 客户服务管理制度): a
        planned return visit for the owner, on which they record the satisfaction."""
        self.ensure_one()
        if not self.partner_id:
            return
        # the customer (portal, rating link) or a cron may close it: never their task
        owner = self.user_id or self._escalation_manager() or self.env.ref("base.user_admin")
        # sudo: closing may be done by the customer (rating) or a cron; the visit is the
        # company's own follow-up, created for the owner, without the caller's context
        # defaults (a default_state or default_satisfaction_score would forge it)
        self.env["delivery.visit"].with_context(
            clean_context(self.env.context)
        ).sudo()._propose_return_visit(
            self.partner_id,
            owner,
            "complaint",
            self.env._("Return visit: %(name)s", name=self.display_name),
            complaint=self,
        )

    def _get_allowed_message_params(self):
        """A rating comes only from the customer's rating flow (the token link of the
        "resolved" mail and the portal): never with a chatter message."""
        return super()._get_allowed_message_params() - {"rating_value"}

    def message_post(self, **kwargs):
        if kwargs.get("rating_value"):
            raise UserError(
                self.env._("A request is rated through its rating link, not with a message.")
            )
        return super().message_post(**kwargs)

    def _message_update_content(self, message, /, *, body, rating_value=None, **kwargs):
        if rating_value:
            raise UserError(
                self.env._("A request is rated through its rating link, not with a message.")
            )
        return super()._message_update_content(message, body=body, **kwargs)

    def _message_post_after_hook(self, message, msg_vals):
        """A message from the customer while the request waits on them resumes it."""
        result = super()._message_post_after_hook(message, msg_vals)
        customer_partners = self.partner_id | self.contact_id
        if (
            self.state == "waiting"
            and message.message_type in ("email", "comment")
            and message.author_id
            and message.author_id.commercial_partner_id in customer_partners.commercial_partner_id
        ):
            # sudo: the customer's answer resumes the clock; the customer could not
            # otherwise write the request, and only the state changes
            self.sudo().write({"state": self.resume_state})
        elif (
            self.request_type == "requirement"
            and self.state == "resolving"
            and message.message_type in ("email", "comment")
            and message.author_id
            and message.author_id.commercial_partner_id in customer_partners.commercial_partner_id
        ):
            self._schedule_requirement_feedback()
        return result

    def _rating_get_operator(self):
        # sudo: the owner is rated; portal customers cannot read the internal field
        return self.sudo().user_id.partner_id

    def _rating_get_partner(self):
        return self._customer_recipient()

    def _accepts_rating(self):
        """Whether the customer may rate the request now: once per resolution, after
        it. A rating closes the resolved request or sends it back (reopened); a
        request closed for want of an answer still takes its late rating, once."""
        self.ensure_one()
        if self.state == "resolved":
            return True
        return bool(
            self.state == "closed"
            and self.close_reason == "no_answer"
            and not self._rated_since_resolution()
        )

    def _rating_refusal(self, rating):
        """Why ``rating`` (a rating row of this request) cannot be given now, or
        ``False``: a rating link is used once, and a resolution is rated once (the
        satisfaction counts one answer per request)."""
        self.ensure_one()
        if rating.consumed:
            return self.env._(
                "This rating link was already used: %(name)s has been rated.",
                name=self.display_name,
            )
        if not self._accepts_rating():
            return self.env._(
                "%(name)s cannot be rated now: it was already rated, or it is not resolved yet.",
                name=self.display_name,
            )
        return False

    @api.private
    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        """The customer's rating decides (003 §6.1 "不满意则继续处理直至客户满意"): a
        satisfied one closes a resolved request; any other sends it back to its owner
        (reopened, with an investigation activity, the customer told what happens
        next); a poor one also opens an investigation for the manager (002 §三.3.2).

        Only the customer's rating flow applies a rating (security review H1, H2):
        the rating pages (``/rate/<token>``) with the token the customer was sent. It
        is private (no RPC); without a token only the superuser's code passes a
        rating. A token rates once, and a resolution is rated once."""
        if token:
            # sudo: the token is the customer's secret (the "resolved" mail and their
            # portal page); it selects the one rating of a request it was made for
            rating = (
                self.env["rating.rating"]
                .sudo()
                .search([("access_token", "=", token), ("res_model", "=", self._name)], limit=1)
            )
            if not rating:
                raise UserError(self.env._("This rating link is not valid."))
        elif not self.env.su:
            raise AccessError(
                self.env._("A request is rated by its customer, through their rating link.")
            )
        if rating:
            refusal = self.browse(rating.res_id)._rating_refusal(rating)
            if refusal:
                raise UserError(refusal)
        rating = super().rating_apply(
            rate,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        complaint = self.browse(rating.res_id)
        if rating.rating < RATING_LIMIT_MIN:
            return rating  # "no rating": nothing to act on
        complaint._write_system({"rated_date": fields.Datetime.now()})
        satisfied = rating.rating >= RATING_LIMIT_SATISFIED
        reopen = not satisfied and complaint._customer_may_reopen()
        if rating.rating < RATING_LIMIT_OK and complaint.rating_investigated_id != rating:
            manager = complaint._escalation_manager()
            # reopened, the owner investigates anyway: the manager is told when not them
            if not reopen or (manager and manager != complaint.user_id):
                complaint._schedule_poor_rating_investigation(rating)
            complaint._write_system({"rating_investigated_id": rating.id})
        if satisfied:
            if complaint.state == "resolved" and complaint._awaits_delivery_confirmation():
                # a satisfied rating of the delivery is the customer's confirmation
                complaint._confirm_delivery(
                    rating.partner_id, self.env._("Rated the delivery as satisfied.")
                )
            elif complaint.state == "resolved":
                complaint.write({"state": "closed"})
        elif reopen:
            complaint._reopen_by_customer(
                rating.feedback
                or self.env._(
                    "Rated %(rating)s out of 5: not satisfied.", rating=int(rating.rating)
                )
            )
        return rating

    def _reopen_by_customer(self, reason):
        """The customer is not satisfied: the request goes back to its owner."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Tell us what is still wrong, so we can put it right."))
        if not self._customer_may_reopen():
            raise UserError(
                self.env._(
                    "%(name)s can no longer be reopened: it was closed more than %(days)s "
                    "days ago. Please file a new request.",
                    name=self.display_name,
                    days=self.company_id.delivery_complaint_reopen_days,
                )
            )
        self._write_system(
            {
                "state": CUSTOMER_REOPEN_STATE,
                "reopened_date": fields.Datetime.now(),
                "reopen_reason": reason,
            }
        )

    def _schedule_reopen_investigation(self):
        """The owner takes the reopened request up again (first-contact ownership,
        004 首问责任制 一), due by the new resolution deadline."""
        self.ensure_one()
        owner = self.user_id or self._escalation_manager() or self.env.ref("base.user_admin")
        self.activity_schedule(
            "delivery_crm.mail_activity_type_complaint_investigation",
            user_id=owner.id,
            date_deadline=fields.Date.context_today(self, self.sla_resolution_deadline),
            summary=self.env._("Customer not satisfied: %(name)s", name=self.display_name),
            note=self.env._(
                "%(customer)s is not satisfied with the resolution of %(name)s: %(reason)s. "
                "Find out why, put it right and resolve it again.",
                customer=self.partner_id.display_name or self.email_from or "-",
                name=self.display_name,
                reason=self.reopen_reason or "-",
            ),
        )

    def _close_by_manager(self, reason):
        """A manager closes a request the customer has not accepted, with the reason
        on record (e.g. the customer's demand is beyond the contract)."""
        if not (
            self.env.is_superuser()
            or self.env.user.has_group("delivery_crm.group_delivery_crm_manager")
        ):
            raise UserError(
                self.env._("Only a Delivery CRM manager closes a request without the customer.")
            )
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the request is closed without the customer."))
        for complaint in self:
            if complaint.state not in ("resolved", CUSTOMER_REOPEN_STATE):
                raise UserError(
                    self.env._(
                        "%(name)s is not resolved nor reopened: take it through the "
                        "workflow first.",
                        name=complaint.display_name,
                    )
                )
            complaint._write_system({"close_reason": "manager", "close_comment": reason})
            complaint.write({"state": "closed"})
            complaint.message_post(
                body=self.env._(
                    "Closed by %(manager)s: %(reason)s", manager=self.env.user.name, reason=reason
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _schedule_poor_rating_investigation(self, rating):
        self.ensure_one()
        manager = self._escalation_manager()
        self.activity_schedule(
            "delivery_crm.mail_activity_type_complaint_investigation",
            user_id=(manager or self.user_id or self.env.ref("base.user_admin")).id,
            note=self.env._(
                "%(customer)s is not satisfied with %(name)s (feedback: %(feedback)s). "
                "Find out why and act on it.",
                customer=self.partner_id.display_name or self.email_from,
                name=self.display_name,
                feedback=rating.feedback or "-",
            ),
        )
        self._write_system({"rating_investigated_id": rating.id})

    # ------------------------------------------------------------------ mail gateway
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A mail to a service team's alias files a request for the sender's customer."""
        values = dict(custom_values or {})
        author = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        values.setdefault("subject", msg_dict.get("subject") or self.env._("(no subject)"))
        values.setdefault("channel", "email")
        values.setdefault("description", without_remote_images(msg_dict.get("body")))
        if author and not author.user_ids.filtered(lambda u: not u.share):
            values.setdefault("contact_id", author.id)
            values.setdefault("partner_id", author.commercial_partner_id.id)
        if values.get("request_type", "complaint") == "complaint" and not values.get("type_id"):
            values["type_id"] = self.env.ref("delivery_crm.delivery_complaint_type_other").id
        return super().message_new(msg_dict, custom_values=values)

    # ------------------------------------------------------------------ actions
    def _set_state(self, state):
        self.write({"state": state})
        return True

    def action_acknowledge(self):
        return self._set_state("acknowledged")

    def action_investigate(self):
        return self._set_state("investigating")

    def action_resolving(self):
        return self._set_state("resolving")

    def action_resolve(self):
        return self._set_state("resolved")

    def action_close(self):
        return self._set_state("closed")

    def action_wait_customer(self):
        return self._set_state("waiting")

    def action_resume(self):
        for complaint in self:
            complaint.write({"state": complaint.resume_state or "acknowledged"})
        return True

    def action_reopen(self):
        for complaint in self:
            # where a closed request goes back to (FLOWS), from resolved as well
            back = FLOWS[complaint.request_type]["closed"]
            complaint.write({"state": next(state for state in back if state != "closed")})
        return True

    def action_take_ownership(self):
        """Take an unowned request (one that arrived through the portal or by mail)."""
        for complaint in self:
            if complaint.user_id:
                raise UserError(
                    self.env._(
                        "%(name)s is already owned by %(owner)s.",
                        name=complaint.display_name,
                        owner=complaint.user_id.name,
                    )
                )
        self._write_system({"user_id": self.env.uid})
        return True

    def action_view_rating(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rating.rating_rating_action")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {}
        return action

    def _handover(self, user, reason):
        """Hand the request over to ``user`` (logged in the hand-over log and chatter)."""
        if not (reason or "").strip():
            raise UserError(self.env._("Say why you hand the request over."))
        if not user or user.share:
            raise UserError(self.env._("Hand the request over to an internal user."))
        for complaint in self:
            if complaint.user_id == user:
                raise UserError(
                    self.env._(
                        "%(name)s is already owned by %(user)s.",
                        name=complaint.display_name,
                        user=user.name,
                    )
                )
            if complaint.state == "closed":
                raise UserError(self.env._("%(name)s is closed.", name=complaint.display_name))
            # sudo: the hand-over log is written by this method only (nobody else may
            # create its rows); who and when are set here, never from the caller's
            # context (a default_* key would otherwise forge them)
            self.env["delivery.complaint.handover"].with_context(
                clean_context(self.env.context)
            ).sudo().create(
                {
                    "complaint_id": complaint.id,
                    "from_user_id": complaint.user_id.id,
                    "to_user_id": user.id,
                    "reason": reason,
                    "user_id": self.env.uid,
                    "date": fields.Datetime.now(),
                }
            )
            complaint._write_system({"user_id": user.id})
            complaint.message_post(
                body=self.env._(
                    "Handed over from %(old)s to %(new)s: %(reason)s",
                    old=complaint.handover_ids[:1].from_user_id.name or "-",
                    new=user.name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _reply(self, body, canned=None):
        """Answer the customer (a public message): it is the first response when none
        was given yet."""
        self.ensure_one()
        if is_html_empty(body):
            raise UserError(self.env._("The answer is empty."))
        recipient = self._customer_recipient()
        if not recipient:
            raise UserError(
                self.env._("%(name)s has no customer contact to answer.", name=self.display_name)
            )
        self.message_post(
            body=body,
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
            partner_ids=recipient.ids,
        )
        if self.state in RUNNING_STATES:
            self._sla_mark_first_response(fields.Datetime.now())
        if canned:
            # sudo: staff may not write the library; only its usage counter changes
            canned.sudo().use_count += 1

    # ------------------------------------------------------------------ escalation
    def _escalation_manager(self):
        self.ensure_one()
        return self.team_id.leader_id or self.company_id.delivery_complaint_manager_id

    @api.model
    def _cron_escalate_sla(self):
        """Warn the owner of requests about to miss an SLA, and escalate a breach to the
        owner and the manager: each once per clock (``delivery.complaint.sla``)."""
        done = self.env["delivery.complaint.sla"]._cron_escalate()
        # overdue corrective and preventive actions, once each (001 §七.3)
        done += self.env["delivery.complaint.action"]._cron_escalate_overdue()
        # overdue tasks of requirements' action plans, once each (001 §六.4, task req)
        return done + self.env["delivery.requirement.task"]._cron_escalate_overdue()

    def _sla_notify(self, clock, breach):
        """Activity + mail to the owner about ``clock`` (a delivery.complaint.sla row);
        on a breach, to the manager too."""
        self.ensure_one()
        deadline = clock.deadline
        what = (
            self.env._("first response") if clock.clock == "response" else self.env._("resolution")
        )
        users = self.user_id | self.responsible_id
        if breach:
            users |= self._escalation_manager()
        if not users:
            users = self.env.ref("base.user_admin")
        if breach:
            summary = self.env._("SLA breached: %(what)s", what=what)
            body = self.env._(
                "%(name)s missed its %(what)s deadline (%(deadline)s UTC). Escalated.",
                name=self.display_name,
                what=what,
                deadline=fields.Datetime.to_string(deadline),
            )
        else:
            summary = self.env._("SLA at risk: %(what)s", what=what)
            body = self.env._(
                "%(name)s must get its %(what)s before %(deadline)s UTC.",
                name=self.display_name,
                what=what,
                deadline=fields.Datetime.to_string(deadline),
            )
        for user in users:
            self.activity_schedule(
                "delivery_crm.mail_activity_type_sla_escalation",
                user_id=user.id,
                summary=summary,
                note=body,
            )
        self.message_post(
            body=body,
            subtype_xmlid="mail.mt_note",
            partner_ids=users.partner_id.ids,
        )

    @api.model
    def _ensure_numbering_years(self):
        """Create this year's and next year's numbering ranges of the request sequences
        ahead of time (at install and by a daily cron; idempotent): left to the first
        requests of a year, two requests filed at once would both create the range and
        one of them would fail."""
        today = fields.Date.context_today(self)
        # sudo: the numbering ranges are technical records of the module's own sequences
        sequences = (
            self.env["ir.sequence"]
            .sudo()
            .search([("code", "in", list(SEQUENCE_CODES.values())), ("use_date_range", "=", True)])
        )
        Range = self.env["ir.sequence.date_range"].sudo()
        for sequence in sequences:
            for year in (today.year, today.year + 1):
                first_day = date(year, 1, 1)
                if not Range.search_count(
                    [
                        ("sequence_id", "=", sequence.id),
                        ("date_from", "<=", first_day),
                        ("date_to", ">=", first_day),
                    ]
                ):
                    sequence._create_date_range_seq(first_day)

    @api.model
    def _cron_close_unanswered(self):
        """Close resolved requests the customer did not rate within the company's
        "no answer after N days" period."""
        done = 0
        now = fields.Datetime.now()
        companies = self._read_group([("state", "=", "resolved")], ["company_id"])
        for (company,) in companies:
            limit = now - timedelta(days=company.delivery_complaint_no_answer_days)
            domain = [
                ("company_id", "=", company.id),
                ("state", "=", "resolved"),
                ("resolved_date", "<=", limit),
                # a requirement carried out is closed by the customer's confirmation
                "|",
                ("request_type", "!=", "requirement"),
                ("requirement_task_ids", "=", False),
            ]
            done += self._cron_process_batches(
                domain,
                lambda batch: batch.write({"state": "closed"}),
            )
            # a requirement delivered and not confirmed: its owner gets it confirmed, once
            chase = [
                ("company_id", "=", company.id),
                ("request_type", "=", "requirement"),
                ("state", "=", "resolved"),
                ("resolved_date", "<=", limit),
                ("requirement_task_ids", "!=", False),
                ("delivery_confirmed_date", "=", False),
                ("delivery_confirmation_chased_date", "=", False),
            ]
            done += self._cron_process_batches(
                chase, lambda batch: batch._chase_delivery_confirmation()
            )
        return done

    def _chase_delivery_confirmation(self):
        for complaint in self:
            complaint.activity_schedule(
                "delivery_crm.mail_activity_type_requirement_task",
                user_id=complaint._requirement_owner().id,
                summary=self.env._(
                    "Get the delivery confirmed: %(name)s", name=complaint.display_name
                ),
                note=self.env._(
                    "%(name)s was delivered and the customer has not confirmed it: ask them "
                    "to confirm the delivery, then record how.",
                    name=complaint.display_name,
                ),
            )
            complaint._write_system(
                {"delivery_confirmation_chased_date": fields.Date.context_today(complaint)}
            )

    # ------------------------------------------------------------------ evaluation feeds
    @api.model
    def _satisfaction_by_partner(self, partner_ids, start, end):
        """Share of satisfied ratings (Odoo's "satisfied" threshold) of the requests
        of each customer, rated over [start, end), one per request (see
        :func:`counted_ratings`): ``{partner_id: (percent, count)}``."""
        flush_counted_ratings(self.env)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.partner_id, count(*),
                       count(*) FILTER (WHERE r.rating >= %(satisfied)s)
                  FROM (%(ratings)s) r
                 WHERE r.partner_id = ANY(%(partners)s)
                   AND r.rated_on >= %(start)s AND r.rated_on < %(end)s
                 GROUP BY r.partner_id
                """,
                satisfied=RATING_LIMIT_SATISFIED,
                ratings=counted_ratings(partner_ids),
                partners=list(partner_ids),
                start=start,
                end=end,
            )
        )
        return {pid: (satisfied * 100.0 / count, count) for pid, count, satisfied in rows}

    @api.model
    def _complaint_counts(self, partner_ids, start, end):
        groups = self.with_context(active_test=True)._read_group(
            [
                ("counts_as_complaint", "=", True),
                ("partner_id", "in", list(partner_ids)),
                ("received_date", ">=", start),
                ("received_date", "<", end),
            ],
            ["partner_id"],
            ["__count"],
        )
        return {partner.id: count for partner, count in groups}

    # ------------------------------------------------------------------ portal
    def _get_report_base_filename(self):
        self.ensure_one()
        return self.name

    # ------------------------------------------------------------------ requirements (task req)
    # 001 §六: a requirement is analysed (feasibility, gaps, effort, competitors), then
    # answered: carried out with an action plan of tasks (delivery.requirement.task),
    # the customer told of the progress every N days until it is delivered and they
    # confirm it, or explained with a follow-up plan when it cannot be met.
    def _is_carried_out(self):
        """A requirement with an action plan: closed only when delivered (every task
        done) and confirmed by the customer."""
        self.ensure_one()
        # sudo: whether it has a plan decides its close, whoever closes it (the customer
        # from the portal, a cron); nothing of the tasks is returned
        return self.request_type == "requirement" and bool(self.sudo().requirement_task_ids)

    def _awaits_delivery_confirmation(self):
        self.ensure_one()
        # sudo: as in _is_carried_out; the portal shows the confirmation button from it
        return bool(
            self.state == "resolved"
            and self._is_carried_out()
            and not self.sudo().delivery_confirmed_date
        )

    def _requirement_missing(self, new_state):
        """What a requirement lacks to reach ``new_state`` (part of :meth:`_check_gate`)."""
        self.ensure_one()
        # sudo: the gate reads the analysis and the plan whoever moves the request (the
        # customer's confirmation from the portal closes it)
        req = self.sudo()
        tasks = req.requirement_task_ids
        missing = []
        if new_state == "resolving" or (new_state == "resolved" and not tasks):
            missing += req._requirement_analysis_missing(new_state)
        open_tasks = tasks.filtered(lambda t: t.state != "done")
        if tasks and new_state in ("resolved", "closed") and open_tasks:
            missing.append(
                self.env._(
                    "the tasks still open done: %(tasks)s",
                    tasks=", ".join(f"{t.name} ({t.owner_id.name})" for t in open_tasks),
                )
            )
        if tasks and new_state == "closed" and not req.delivery_confirmed_date:
            missing.append(self.env._("the customer's confirmation of the delivery"))
        return missing

    def _requirement_analysis_missing(self, new_state):
        """The answer (001 §六.2–§六.3): the analysis, then the plan to carry it out
        (``resolving``) or the follow-up plan of a requirement that cannot be met
        (``resolved``)."""
        self.ensure_one()
        missing = []
        if not self.feasibility or not (self.feasibility_reason or "").strip():
            missing.append(self.env._("the analysis: feasible or not, and why"))
        if not (self.requirement_gap or "").strip():
            missing.append(self.env._("the gaps to close"))
        if new_state == "resolving":
            if not self._ensure_customer_recipient():
                missing.append(self.env._("a customer contact or email to answer to"))
            if self.feasibility == "not_feasible":
                missing.append(
                    self.env._(
                        "a feasible analysis (a requirement that cannot be met is answered "
                        "with Respond and a follow-up plan)"
                    )
                )
            if self.requirement_effort_days <= 0:
                missing.append(self.env._("the estimated effort"))
            if not self.requirement_task_ids:
                missing.append(self.env._("an action plan: at least one task"))
        elif self.feasibility == "feasible":
            missing.append(self.env._("an action plan: a feasible requirement is carried out"))
        elif self.feasibility == "not_feasible":
            if not (self.requirement_alternative or "").strip():
                missing.append(self.env._("the alternative offered to the customer"))
            if not self.requirement_followup_date:
                missing.append(self.env._("the follow-up date"))
            elif self.requirement_followup_date < fields.Date.context_today(self):
                missing.append(self.env._("a follow-up date that is not past"))
        return missing

    def _requirement_after_transition(self, old_state, new_state, now):
        """The requirement's answers; ``True`` when the step's mail was sent here."""
        self.ensure_one()
        if new_state == "resolving" and old_state != "waiting":
            # the plan is the answer (001 §六.3): the resolution clock stops here, the
            # customer gets the plan and then a progress report every N days (§六.4)
            self._sla_mark_resolved(now)
            self._write_system({"requirement_progress_next_date": self._next_progress_date()})
            self._notify_customer("delivery_crm.mail_template_requirement_plan")
            return True
        if new_state == "resolved" and self._is_carried_out():
            self._sla_mark_resolved(now)
            self._write_system(
                {
                    "requirement_progress_next_date": False,
                    "delivery_confirmation_chased_date": False,
                }
            )
            self._notify_customer("delivery_crm.mail_template_requirement_delivered")
            return True
        if new_state == "resolved":
            self._sla_mark_resolved(now)
            self._schedule_requirement_followup()
            self._notify_customer("delivery_crm.mail_template_requirement_declined")
            return True
        return False

    def _next_progress_date(self):
        self.ensure_one()
        days = self.company_id.delivery_requirement_progress_days
        return fields.Date.context_today(self) + timedelta(days=days)

    def _requirement_owner(self):
        self.ensure_one()
        return self.user_id or self._escalation_manager() or self.env.ref("base.user_admin")

    def _schedule_requirement_followup(self):
        """001 §六.3 后续应对计划: the owner comes back to the customer on the date."""
        self.ensure_one()
        self.activity_schedule(
            "delivery_crm.mail_activity_type_requirement_task",
            user_id=self._requirement_owner().id,
            date_deadline=self.requirement_followup_date,
            summary=self.env._("Follow up the requirement: %(name)s", name=self.display_name),
            note=self.env._(
                "%(name)s could not be met. Offered instead: %(alternative)s. Come back to "
                "the customer.",
                name=self.display_name,
                alternative=self.requirement_alternative or "-",
            ),
        )

    def _schedule_requirement_feedback(self):
        """001 §六.4 根据大客户反馈意见,及时调整需求响应方案: the customer's word on a
        requirement being carried out is the owner's to act on."""
        self.ensure_one()
        # sudo: the customer's message (portal or mail) gives the owner a to-do; the
        # customer could not schedule activities
        self.sudo().activity_schedule(
            "delivery_crm.mail_activity_type_requirement_task",
            user_id=self._requirement_owner().id,
            summary=self.env._("Customer feedback on %(name)s", name=self.display_name),
            note=self.env._("Read the customer's feedback and adjust the action plan if needed."),
        )

    def _notify_department(self):
        """The department the request is given to is told, once per assignment
        (002 §四.3.2, 004 首问责任制 二)."""
        for complaint in self:
            department = complaint.department_id
            department._notify_assignment(
                complaint,
                self.env._(
                    "%(name)s was assigned to %(department)s (owner %(owner)s).",
                    name=complaint.display_name,
                    department=department.name,
                    owner=complaint.user_id.name or "-",
                ),
            )

    def _confirm_delivery(self, partner, note):
        """The customer confirmed the delivery of a requirement carried out: it is
        recorded (who, when, how) and the requirement closes."""
        self.ensure_one()
        if not self._awaits_delivery_confirmation():
            raise UserError(
                self.env._(
                    "%(name)s is not a delivered requirement waiting for the customer's "
                    "confirmation.",
                    name=self.display_name,
                )
            )
        note = (note or "").strip()
        if not note:
            raise UserError(self.env._("Say how the customer confirmed the delivery."))
        self._write_system(
            {
                "delivery_confirmed_date": fields.Datetime.now(),
                "delivery_confirmed_partner_id": partner.id,
                "delivery_confirmed_uid": self.env.uid,
                "close_reason": "confirmed",
            }
        )
        self.message_post(
            body=self.env._(
                "Delivery confirmed by %(partner)s: %(note)s",
                partner=partner.display_name or "-",
                note=note,
            ),
            subtype_xmlid="mail.mt_note",
        )
        self.write({"state": "closed"})
        return True

    def action_confirm_delivery(self):
        """Staff record the customer's confirmation (by phone, in a meeting...)."""
        for complaint in self:
            complaint._confirm_delivery(
                complaint._customer_recipient(), complaint.delivery_confirmation_note
            )
        return True

    @api.model
    def _cron_requirement_progress(self):
        """Mail the customer of each requirement being carried out a progress report
        every N days (001 §六.4 定期向大客户反馈需求响应的进展情况), logged on it."""
        domain = [
            ("request_type", "=", "requirement"),
            ("state", "=", "resolving"),
            ("requirement_progress_next_date", "<=", fields.Date.context_today(self)),
        ]
        return self._cron_process_batches(domain, lambda batch: batch._send_progress_report())

    def _send_progress_report(self):
        for complaint in self:
            complaint._write_system(
                {
                    "requirement_progress_date": fields.Datetime.now(),
                    "requirement_progress_next_date": complaint._next_progress_date(),
                }
            )
            if complaint._customer_recipient():
                complaint._notify_customer("delivery_crm.mail_template_requirement_progress")

    # ------------------------------------------------------------------ task inq (issue 17)
    # what an inquiry is about: the quarterly inquiry summary counts by it (咨询服务 四)
    inquiry_topic_id = fields.Many2one(
        "delivery.inquiry.topic", string="Inquiry topic", tracking=True, groups=CRM_READ
    )
    # the emergency plans activated on the request (002 §三.2.3), never shown to customers
    emergency_activation_ids = fields.One2many(
        "delivery.emergency.activation",
        "complaint_id",
        string="Emergency plans activated",
        groups=CRM_READ,
    )
