from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL, date_utils
from odoo.tools.misc import format_date

from .delivery_constants import GROUP_MANAGER
from .delivery_rates import above_target, below_target
from .delivery_shipment import EXCEPTION_OUTCOMES

# key customers still looked after (a terminated customer leaves the report)
REPORTED_STATES = ("potential", "active", "suspended")


class DeliveryKeyAccountReport(models.Model):
    """The monthly analysis of the key customers of one company (大客户信息分析报告,
    001 §四.2; R11), mailed to the company's Delivery CRM managers.

    A daily cron composes, once the month is over, one report per company and month:
    for each key customer its tier, its latest evaluation score, the satisfaction,
    complaint rate and on-time rate of the month (computed as the evaluation computes
    them, against the company's targets; "no data" when there is nothing to measure),
    the deliveries, revenue and exceptions of the month, the other requests and the
    last visit; all figures come from a few grouped queries, whatever the number of
    customers. The rendered report is kept
    here and posted to the managers; ``UNIQUE(company_id, month)`` and the state make
    it go out once a month however often the cron runs."""

    _name = "delivery.key.account.report"
    _inherit = ["mail.thread"]
    _description = "Key customer monthly report"
    _order = "month desc, company_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    month = fields.Date(
        required=True, readonly=True, help="First day of the month the report analyses."
    )
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent")], required=True, default="draft", readonly=True
    )
    body_html = fields.Html(string="Report", readonly=True, sanitize_style=True)
    customer_count = fields.Integer(string="Key customers", readonly=True)
    recipient_ids = fields.Many2many("res.partner", string="Sent to", readonly=True)
    sent_date = fields.Datetime(string="Sent on", readonly=True)

    _company_month_unique = models.Constraint(
        "UNIQUE (company_id, month)",
        "There is one key customer report per company and month.",
    )

    @api.depends("month", "company_id")
    def _compute_display_name(self):
        for report in self:
            report.display_name = self.env._(
                "Key customers %(month)s",
                month=format_date(self.env, report.month, date_format="MMMM y")
                if report.month
                else "",
            )

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_send_monthly_reports(self):
        """Daily: send the report of the last complete month of every company whose
        report has not gone out yet. A company without managers or key customers gets
        no report."""
        # sudo: the cron reports on every company, whatever companies its user sees
        companies = self.env["res.company"].sudo().search([("active", "=", True)], order="id")
        for company in companies:
            tz = self._company_tz(company)
            today = fields.Date.context_today(self.with_context(tz=tz))
            month = date_utils.start_of(today, "month") - relativedelta(months=1)
            # sudo: the report of another company than the cron user's is written too
            report = self.sudo().search(
                [("company_id", "=", company.id), ("month", "=", month)], limit=1
            )
            if report.state == "sent":
                continue
            managers = self._managers(company)
            if not managers:
                continue
            lang = self._report_lang(company, managers)
            rows = self.with_context(lang=lang)._key_customer_rows(company, month)
            if not rows:
                continue
            if not report:
                # sudo: nobody creates reports by hand; the cron writes them
                report = self.sudo().create({"company_id": company.id, "month": month})
            report.with_context(lang=lang)._send(rows, managers)
            self.env["ir.cron"]._commit_progress(1)

    @api.model
    def _company_tz(self, company):
        return company._delivery_tz()

    @api.model
    def _managers(self, company):
        """The active Delivery CRM managers who work in ``company``."""
        # sudo: the cron looks for the managers of every company
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("all_group_ids", "in", self.env.ref(GROUP_MANAGER).ids),
                    ("company_ids", "in", company.ids),
                    ("share", "=", False),
                ],
                order="id",
            )
        )

    # ------------------------------------------------------------------ figures
    @api.model
    def _key_customers(self, company):
        """The key customers of ``company``; customers shared by every company are
        reported in the first company (as the evaluation does)."""
        # sudo: the cron reads every company's customers
        Partner = self.env["res.partner"].sudo().with_context(active_test=True)
        first_company = self.env["res.company"].sudo().search([], order="id", limit=1)
        companies = company.ids + ([False] if company == first_company else [])
        return Partner.search(
            [
                ("is_delivery_customer", "=", True),
                ("customer_class", "=", "key"),
                ("customer_state", "in", REPORTED_STATES),
                ("company_id", "in", companies),
            ],
            order="name, id",
        )

    @api.model
    def _key_customer_rows(self, company, month):
        """One dict of figures per key customer of ``company`` for ``month`` (its
        first day), from grouped queries: no query per customer. A rate without data
        is ``None``; ``misses`` names the targets the customer missed this month."""
        customers = self._key_customers(company)
        if not customers:
            return []
        customers.fetch(["name", "tier_id", "account_manager_id", "last_visit_date"])
        tz = self._company_tz(company)
        # sudo: the report counts every request and delivery of its customers, whoever
        # handles them; it is for the managers
        Evaluation = self.env["delivery.evaluation"].sudo()
        # the month's figures as the evaluation computes them: one definition per rate
        raw = Evaluation._compute_raw(customers, "monthly", month, tz)
        bounds = Evaluation._period_bounds("monthly", month, tz)
        in_month = [
            ("partner_id", "in", customers.ids),
            ("date", ">=", bounds["start"]),
            ("date", "<", bounds["end"]),
            ("outcome", "in", EXCEPTION_OUTCOMES),
        ]
        # sudo: as above
        exceptions = dict(
            self.env["delivery.shipment"].sudo()._read_group(in_month, ["partner_id"], ["__count"])
        )
        # sudo: as above
        other_requests = dict(
            self.env["delivery.complaint"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", customers.ids),
                    ("received_date", ">=", bounds["start"]),
                    ("received_date", "<", bounds["end"]),
                    ("request_type", "!=", "complaint"),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        scores = self._latest_scores(customers)
        plan_months = self._plan_months(customers, month)
        rows = []
        for customer in customers:
            figures = raw[customer.id]
            satisfaction = figures["satisfaction"]
            complaint_rate = figures["complaint_rate"]
            on_time_rate = figures["on_time_rate"]
            misses = set()
            if below_target(satisfaction, company.delivery_target_satisfaction):
                misses.add("satisfaction")
            if above_target(complaint_rate, company.delivery_target_complaint_rate):
                misses.add("complaint_rate")
            if below_target(on_time_rate, company.delivery_target_on_time_rate):
                misses.add("on_time_rate")
            rows.append(
                {
                    "partner": customer,
                    "name": customer.name,
                    "tier": customer.tier_id.display_name or "",
                    "account_manager": customer.account_manager_id.name or "",
                    "score": scores.get(customer.id),
                    "satisfaction": satisfaction,
                    "satisfaction_count": figures["satisfaction_count"],
                    "deliveries": figures["delivery_count"],
                    "revenue": figures["revenue"],
                    "exceptions": exceptions.get(customer, 0),
                    "on_time_rate": on_time_rate,
                    "complaints": figures["complaint_count"],
                    "requests": other_requests.get(customer, 0),
                    "complaint_rate": complaint_rate,
                    "last_visit_date": customer.last_visit_date,
                    "misses": misses,
                    "alert": bool(misses),
                    # the approved key-account plan, cumulated to the month's end
                    "plan": plan_months.get(customer.id),
                    "plan_progress": self._plan_progress(plan_months.get(customer.id)),
                }
            )
        rows.sort(key=lambda r: (-r["revenue"], r["name"] or ""))
        return rows

    @api.model
    def _plan_months(self, customers, month):
        """{customer id: the month's line of its approved key-account plan of the
        month's year}, the plans' figures refreshed first (001 §九.2)."""
        # sudo: the report measures every key customer's plan; it is for the managers
        plans = (
            self.env["delivery.key.account.plan"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", customers.ids),
                    ("year", "=", month.year),
                    ("state", "=", "approved"),
                ]
            )
        )
        plans._refresh_measures()
        return {line.plan_id.partner_id.id: line for line in plans.month_ids if line.month == month}

    @api.model
    def _plan_progress(self, line):
        """The share of the plan's targets reached to the end of the month, as text in
        the language of the context (None without an approved plan)."""
        if not line:
            return None
        return self.env._(
            "Deliveries %(deliveries)s %%, revenue %(revenue)s %%, visits %(visits)s %%, "
            "communications %(communications)s %%",
            deliveries=f"{line.deliveries_percent:.0f}",
            revenue=f"{line.revenue_percent:.0f}",
            visits=f"{line.visits_percent:.0f}",
            communications=f"{line.communications_percent:.0f}",
        )

    @api.model
    def _latest_scores(self, customers):
        """{customer id: score of its latest evaluation}, for the customers evaluated
        with a score (a customer absent has no score: "not evaluated yet")."""
        customers.flush_recordset(["kpi_score", "kpi_date"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id, kpi_score FROM res_partner WHERE id IN %s"
                " AND kpi_score IS NOT NULL AND kpi_date IS NOT NULL",
                tuple(customers.ids),
            )
        )
        return {partner_id: float(score) for partner_id, score in rows}

    # ------------------------------------------------------------------ sending
    @api.model
    def _report_lang(self, company, managers):
        """The managers' language when they share one, else the company's."""
        langs = set(managers.mapped("lang")) - {False}
        if len(langs) == 1:
            return langs.pop()
        return company.partner_id.lang or "en_US"

    def _render_body(self, rows):
        """The report as HTML, in the language of the context."""
        self.ensure_one()
        company = self.company_id
        env = self.env
        lang = env.lang or "en_US"
        values = {
            "report": self,
            "company": company,
            "currency": company.currency_id,
            "month_label": format_date(env, self.month, date_format="MMMM y", lang_code=lang),
            "rows": rows,
            "totals": {
                "deliveries": sum(r["deliveries"] for r in rows),
                "revenue": sum(r["revenue"] for r in rows),
                "exceptions": sum(r["exceptions"] for r in rows),
                "complaints": sum(r["complaints"] for r in rows),
                "requests": sum(r["requests"] for r in rows),
                "alerts": sum(1 for r in rows if r["alert"]),
            },
            "note": self.env._(
                "Highlighted rows miss a service target this month: satisfaction of at "
                "least %(satisfaction)s%%, a complaint rate under %(complaint)s%% or an "
                "on-time rate of at least %(on_time)s%%. Satisfaction counts the month's "
                "ratings, return-visit scores and surveys; the complaint rate is the "
                'complaints per hundred deliveries not cancelled. "No data": nothing to '
                "measure this month. The evaluation score is that of each customer's "
                "latest evaluation.",
                satisfaction=f"{company.delivery_target_satisfaction:g}",
                complaint=f"{company.delivery_target_complaint_rate:g}",
                on_time=f"{company.delivery_target_on_time_rate:g}",
            ),
            "format_date": lambda day: format_date(env, day, lang_code=lang) if day else "",
        }
        return env["ir.qweb"]._render("delivery_crm.key_account_report_body", values)

    def _send(self, rows, managers):
        """Render the report for ``rows`` (in the language of the context), keep it and
        post it to ``managers``."""
        self.ensure_one()
        body = self._render_body(rows)
        company = self.company_id
        subject = self.env._(
            "%(company)s: key customers of %(month)s",
            company=company.name,
            month=format_date(self.env, self.month, date_format="MMMM y"),
        )
        self.write(
            {
                "body_html": body,
                "customer_count": len(rows),
                "recipient_ids": [Command.set(managers.partner_id.ids)],
                "state": "sent",
                "sent_date": fields.Datetime.now(),
            }
        )
        self.message_post(
            body=body,
            subject=subject,
            partner_ids=managers.partner_id.ids,
            author_id=company.partner_id.id,
            email_from=company.email_formatted or None,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
