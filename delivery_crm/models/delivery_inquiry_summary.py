import statistics
from collections import defaultdict
from datetime import datetime, time

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import date_utils, is_html_empty

# an inquiry is answered once it is resolved (answered on the spot or after a follow-up)
ANSWERED_STATES = ("resolved", "closed")
# an answer after the resolution deadline of its SLA clock
LATE_STATUSES = ("missed", "breached")


def summarise(inquiries):
    """The figures of a quarter's inquiries (plain Python, no database): ``inquiries``
    are dicts with ``id``, ``topic`` (an id or False), ``partner`` (an id or False),
    ``answered`` (bool), ``late`` (bool) and ``hours`` (time to answer, or None).
    Returns ``(totals, lines)``: the totals of the quarter and the lines (dicts with
    ``kind``) by topic, of the questions a customer asked again (same customer, same
    topic, twice or more) and of the inquiries still unanswered."""

    def figures(rows):
        hours = [row["hours"] for row in rows if row["hours"] is not None]
        return {
            "inquiry_count": len(rows),
            "answered_count": sum(1 for row in rows if row["answered"]),
            "open_count": sum(1 for row in rows if not row["answered"]),
            "late_count": sum(1 for row in rows if row["late"]),
            "avg_answer_hours": statistics.fmean(hours) if hours else 0.0,
            "median_answer_hours": statistics.median(hours) if hours else 0.0,
        }

    by_topic = defaultdict(list)
    by_question = defaultdict(list)
    for row in inquiries:
        by_topic[row["topic"]].append(row)
        if row["partner"]:
            by_question[row["partner"], row["topic"]].append(row)
    lines = [
        {"kind": "topic", "topic_id": topic, **figures(rows)}
        for topic, rows in sorted(by_topic.items(), key=lambda item: -len(item[1]))
    ]
    repeated = [
        {"kind": "repeated", "partner_id": partner, "topic_id": topic, **figures(rows)}
        for (partner, topic), rows in by_question.items()
        if len(rows) > 1
    ]
    lines += sorted(repeated, key=lambda line: -line["inquiry_count"])
    lines += [
        {"kind": "open", "complaint_id": row["id"], "topic_id": row["topic"], "inquiry_count": 1}
        for row in inquiries
        if not row["answered"]
    ]
    totals = figures(inquiries)
    totals["repeated_count"] = len(repeated)
    return totals, lines


class DeliveryInquirySummary(models.Model):
    """The quarterly summary of the inquiries of one company (004 客户服务部 咨询服务
    四–五): at the end of each quarter the inquiry records are summed up and reported to
    the head of the customer-service centre, who decides from them what the next
    quarter's bulletin board (宣传栏) tells the customers.

    A daily cron makes, once the quarter is over, one summary per company and quarter
    (``UNIQUE(company_id, date_from)``) and mails it to the service-centre head; the
    figures and lines are kept by the module, the bulletin topics are the managers'."""

    _name = "delivery.inquiry.summary"
    _inherit = ["mail.thread", "delivery.cron.mixin", "delivery.system.field.mixin"]
    _description = "Quarterly inquiry summary"
    _order = "date_from desc, company_id"
    _check_company_auto = True
    _system_fields = frozenset(
        {
            "company_id",
            "date_from",
            "date_to",
            "state",
            "generated_date",
            "mailed_date",
            "line_ids",
            "inquiry_count",
            "answered_count",
            "open_count",
            "late_count",
            "repeated_count",
            "avg_answer_hours",
            "median_answer_hours",
        }
    )

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Bulletin decided")],
        required=True,
        default="draft",
        readonly=True,
        tracking=True,
    )
    generated_date = fields.Datetime(string="Generated on", readonly=True)
    mailed_date = fields.Datetime(string="Sent to the head on", readonly=True)
    head_id = fields.Many2one(
        related="company_id.delivery_complaint_manager_id", string="Service-centre head"
    )
    line_ids = fields.One2many(
        "delivery.inquiry.summary.line", "summary_id", string="Lines", readonly=True
    )
    topic_line_ids = fields.One2many(
        "delivery.inquiry.summary.line",
        "summary_id",
        string="By topic",
        domain=[("kind", "=", "topic")],
        readonly=True,
    )
    repeated_line_ids = fields.One2many(
        "delivery.inquiry.summary.line",
        "summary_id",
        string="Repeated questions",
        domain=[("kind", "=", "repeated")],
        readonly=True,
    )
    open_line_ids = fields.One2many(
        "delivery.inquiry.summary.line",
        "summary_id",
        string="Unanswered inquiries",
        domain=[("kind", "=", "open")],
        readonly=True,
    )
    inquiry_count = fields.Integer(string="Inquiries", readonly=True)
    answered_count = fields.Integer(string="Answered", readonly=True)
    open_count = fields.Integer(string="Unanswered", readonly=True)
    late_count = fields.Integer(string="Answered late", readonly=True)
    repeated_count = fields.Integer(string="Questions asked again", readonly=True)
    avg_answer_hours = fields.Float(
        string="Average time to answer (h)", readonly=True, digits=(16, 1)
    )
    median_answer_hours = fields.Float(
        string="Median time to answer (h)", readonly=True, digits=(16, 1)
    )
    bulletin = fields.Html(
        string="Next quarter's bulletin topics",
        tracking=True,
        help="What the service-centre head decides to publish on the bulletin board next "
        "quarter, from the questions customers asked.",
    )

    _company_quarter_unique = models.Constraint(
        "UNIQUE (company_id, date_from)",
        "There is one inquiry summary per company and quarter.",
    )

    @api.depends("date_from")
    def _compute_display_name(self):
        for summary in self:
            summary.display_name = self.env._(
                "Inquiries %(year)s Q%(quarter)s",
                year=summary.date_from.year if summary.date_from else "",
                quarter=(summary.date_from.month - 1) // 3 + 1 if summary.date_from else "",
            )

    @api.model_create_multi
    def create(self, vals_list):
        # nobody makes a summary by hand (no create right): say so before the fields
        self.check_access("create")
        model = self._check_system_fields_create(vals_list)
        return super(DeliveryInquirySummary, model).create(vals_list)

    def write(self, vals):
        self._check_system_fields(vals)
        if "bulletin" in vals and not self.env.su and "done" in self.mapped("state"):
            raise UserError(
                self.env._("The bulletin of a decided summary cannot be changed; reopen it.")
            )
        return super().write(vals)

    # ------------------------------------------------------------------ actions
    def action_regenerate(self):
        """Count the quarter again (answers given since, topics corrected): a draft
        only."""
        self.check_access("write")
        for summary in self:
            if summary.state != "draft":
                raise UserError(
                    self.env._(
                        "%(name)s is decided: reopen it to count it again.",
                        name=summary.display_name,
                    )
                )
        self._generate()
        for summary in self:
            summary.message_post(
                body=self.env._("Figures counted again by %(user)s.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_done(self):
        """The head decided the next quarter's bulletin topics."""
        self.check_access("write")
        for summary in self:
            if is_html_empty(summary.bulletin):
                raise UserError(
                    self.env._(
                        "Write the next quarter's bulletin topics of %(name)s first.",
                        name=summary.display_name,
                    )
                )
        self._write_system({"state": "done"})
        return True

    def action_reopen(self):
        self.check_access("write")
        self._write_system({"state": "draft"})
        return True

    # ------------------------------------------------------------------ cron
    @api.model
    def _quarter_of(self, company):
        """The last complete quarter in the company's time zone: (first day, last day)."""
        today = fields.Date.context_today(self.with_context(tz=company._delivery_tz()))
        date_from = date_utils.start_of(today, "quarter") - relativedelta(months=3)
        return date_from, date_utils.end_of(date_from, "quarter")

    @api.model
    def _cron_generate_summaries(self):
        """Daily: make the summary of the last complete quarter of every company that
        has none yet and mail it to the service-centre head; mail the summaries not
        sent yet once the company has a head. One company at a time, each committed."""
        # sudo: the cron summarises every company, whatever companies its user sees
        companies = self.env["res.company"].sudo().search([("active", "=", True)], order="id")
        Summary = self.sudo()
        done = 0
        for company in companies:
            date_from, date_to = self._quarter_of(company)
            if not Summary.search_count(
                [("company_id", "=", company.id), ("date_from", "=", date_from)]
            ):
                summary = Summary.create(
                    {"company_id": company.id, "date_from": date_from, "date_to": date_to}
                )
                summary._generate()
                done += 1
            Summary.search(
                [("company_id", "=", company.id), ("mailed_date", "=", False)], order="id"
            )._send_to_head()
            if not self.env["ir.cron"]._commit_progress(1):
                break
        return done

    # ------------------------------------------------------------------ figures
    def _inquiry_rows(self):
        """The inquiries of the summary's quarter (received in it), as
        :func:`summarise` reads them."""
        self.ensure_one()
        start, end = self._quarter_bounds()
        # sudo: the summary counts every inquiry of its company, whoever generates it
        inquiries = (
            self.env["delivery.complaint"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch(
                [
                    ("request_type", "=", "inquiry"),
                    ("company_id", "=", self.company_id.id),
                    ("received_date", ">=", start),
                    ("received_date", "<", end),
                ],
                ["inquiry_topic_id", "partner_id", "state", "resolution_time"]
                + ["sla_resolution_status"],
                order="id",
            )
        )
        return [
            {
                "id": inquiry.id,
                "topic": inquiry.inquiry_topic_id.id,
                "partner": inquiry.partner_id.id,
                "answered": inquiry.state in ANSWERED_STATES,
                "late": inquiry.state in ANSWERED_STATES
                and inquiry.sla_resolution_status in LATE_STATUSES,
                "hours": inquiry.resolution_time if inquiry.state in ANSWERED_STATES else None,
            }
            for inquiry in inquiries
        ]

    def _quarter_bounds(self):
        """The quarter's first and last moments (excluded) in UTC."""
        self.ensure_one()
        zone = pytz.timezone(self.company_id._delivery_tz() or "UTC")
        start, end = (
            zone.localize(datetime.combine(day, time.min)).astimezone(pytz.UTC).replace(tzinfo=None)
            for day in (self.date_from, self.date_to + relativedelta(days=1))
        )
        return start, end

    def _generate(self):
        """(Re)count the figures and lines of the summaries."""
        now = fields.Datetime.now()
        for summary in self:
            totals, lines = summarise(summary._inquiry_rows())
            # sudo: the lines are a log only the summary writes
            summary.line_ids.sudo().unlink()
            self.env["delivery.inquiry.summary.line"].sudo().create(
                [dict(line, summary_id=summary.id) for line in lines]
            )
            summary._write_system(dict(totals, generated_date=now))

    def _send_to_head(self):
        """Mail the summaries to their company's service-centre head (once)."""
        template = self.env.ref("delivery_crm.mail_template_inquiry_summary")
        for summary in self:
            head = summary.company_id.delivery_complaint_manager_id
            if not head:
                continue
            summary.with_context(lang=head.lang).message_post_with_source(
                template,
                partner_ids=head.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
            summary._write_system({"mailed_date": fields.Datetime.now()})
