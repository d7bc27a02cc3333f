import itertools

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# the request priority (001 §七.1: urgency x importance) -> the company field holding the
# share of the base SLA times it gets; "0" (neither urgent nor important) gets them whole
SLA_PRIORITY_SHARE_FIELDS = {
    "1": "delivery_sla_priority_normal_percent",
    "2": "delivery_sla_priority_high_percent",
    "3": "delivery_sla_priority_urgent_percent",
}


# the settings of the warning signs (delivery.customer.risk.report)
RISK_SETTINGS = {
    "delivery_risk_window_days",
    "delivery_risk_falling_percent",
    "delivery_risk_complaint_count",
}


class ResCompany(models.Model):
    _inherit = "res.company"

    delivery_complaint_calendar_id = fields.Many2one(
        "resource.calendar",
        string="SLA working hours",
        help="Count complaint SLA deadlines in these working hours. Empty: around the "
        "clock (policy: 24-hour hotline).",
    )
    delivery_complaint_warning_percent = fields.Integer(
        string="SLA warning (%)",
        default=20,
        help="Warn the owner when this share of an SLA's time is left.",
    )
    delivery_complaint_no_answer_days = fields.Integer(
        string="Close without rating after (days)",
        default=7,
        help="A resolved request the customer does not rate within this many days is "
        "closed as 'no answer'.",
    )
    delivery_complaint_manager_id = fields.Many2one(
        "res.users",
        string="Service-centre head",
        domain=[("share", "=", False)],
        help="Head of the customer-service centre: receives SLA breaches and poor ratings of "
        "requests whose service team has no leader, major incidents and the quarterly "
        "inquiry summary.",
    )

    delivery_complaint_reopen_days = fields.Integer(
        string="Customers may reopen for (days)",
        default=14,
        help="A customer who is not satisfied may reopen a closed request from the portal "
        "for this many days after it was closed (a resolved one at any time).",
    )
    delivery_portal_request_limit = fields.Integer(
        string="Portal requests per hour",
        default=10,
        help="A portal user may file at most this many requests an hour (0: no limit).",
    )
    # SLA by priority (001 §七.1): the share of the base times each priority gets
    delivery_sla_priority_normal_percent = fields.Integer(
        string="Normal priority (% of the SLA time)",
        default=80,
        help="Important but not urgent requests get this share of the base SLA times.",
    )
    delivery_sla_priority_high_percent = fields.Integer(
        string="High priority (% of the SLA time)",
        default=65,
        help="Urgent but not important requests get this share of the base SLA times.",
    )
    delivery_sla_priority_urgent_percent = fields.Integer(
        string="Urgent priority (% of the SLA time)",
        default=50,
        help="Urgent and important requests get this share of the base SLA times.",
    )

    delivery_visit_radius_km = fields.Float(
        string="Check-in radius (km)",
        default=1.0,
        help="A visit checked in farther than this from the customer's address is flagged.",
    )
    delivery_visit_alarm_id = fields.Many2one(
        "calendar.alarm",
        string="Visit reminder",
        default=lambda self: self.env.ref("calendar.alarm_notif_3", raise_if_not_found=False),
        help="The reminder of the visits' meetings in Odoo's calendar.",
    )

    # service targets (003 §1.2, §八; R8): read by every report, dashboard and alert,
    # the key-customer report, the SLA fallback and the evaluation scheme defaults
    delivery_target_satisfaction = fields.Float(
        string="Satisfaction target (%)",
        default=90.0,
        help="Customer satisfaction must reach at least this share of satisfied answers "
        "(policy: 90% or more).",
    )
    delivery_target_complaint_rate = fields.Float(
        string="Complaint rate target (%)",
        default=5.0,
        help="Complaints per hundred deliveries (cancelled ones left out) must stay below "
        "this (policy: under 5%).",
    )
    delivery_target_first_response_hours = fields.Float(
        string="First response target (hours)",
        default=2.0,
        help="A first answer within this many hours (policy: 2 hours); the SLA of a "
        "request no policy or tier covers.",
    )
    delivery_target_resolution_hours = fields.Float(
        string="Solution target (hours)",
        default=24.0,
        help="A solution within this many hours (policy: 24 hours); the SLA of a "
        "request no policy or tier covers.",
    )
    delivery_target_on_time_rate = fields.Float(
        string="On-time rate target (%)",
        default=90.0,
        help="At least this share of the finished deliveries must be delivered on time.",
    )
    # customers at risk (R11 dashboard): the warning signs
    delivery_risk_window_days = fields.Integer(
        string="Risk window (days)",
        default=90,
        help="Revenue and complaints are compared over windows of this many days.",
    )
    delivery_risk_falling_percent = fields.Float(
        string="Falling volume below (%)",
        default=80.0,
        help="A customer whose revenue of the last window falls below this share of the "
        "window before is at risk.",
    )
    delivery_risk_complaint_count = fields.Integer(
        string="Repeated complaints from",
        default=2,
        help="A customer who made this many complaints in the last window is at risk.",
    )
    # task claim (issue 15 item 3): who approves compensation claims
    delivery_claim_staff_limit = fields.Monetary(
        string="Staff approval limit",
        currency_field="currency_id",
        default=500.0,
        help="Service staff approve compensation claims up to this amount; a manager "
        "approves the claims above it.",
    )
    delivery_claim_approver_id = fields.Many2one(
        "res.users",
        string="Claim approver",
        domain=[("share", "=", False)],
        help="Gets the claims above the staff approval limit to approve (else the "
        "service-centre head, else the Delivery CRM managers).",
    )
    _delivery_claim_staff_limit_positive = models.Constraint(
        "CHECK (delivery_claim_staff_limit >= 0)",
        "The staff approval limit of claims cannot be negative.",
    )

    _delivery_complaint_warning_range = models.Constraint(
        "CHECK (delivery_complaint_warning_percent BETWEEN 0 AND 100)",
        "The SLA warning share must be between 0 and 100%.",
    )
    _delivery_visit_radius_positive = models.Constraint(
        "CHECK (delivery_visit_radius_km > 0)",
        "The check-in radius must be positive.",
    )
    _delivery_portal_request_limit_positive = models.Constraint(
        "CHECK (delivery_portal_request_limit >= 0)",
        "The number of portal requests an hour cannot be negative.",
    )
    _delivery_complaint_reopen_days_positive = models.Constraint(
        "CHECK (delivery_complaint_reopen_days >= 0)",
        "The reopening period cannot be negative.",
    )
    _delivery_complaint_no_answer_positive = models.Constraint(
        "CHECK (delivery_complaint_no_answer_days > 0)",
        "The no-answer period must be at least one day.",
    )

    @api.constrains(*SLA_PRIORITY_SHARE_FIELDS.values())
    def _check_delivery_sla_priority_shares(self):
        """Every priority has an effect, and a higher one is never due later:
        100 % > normal > high > urgent > 0 %."""
        for company in self:
            shares = [100] + [company[field] for field in SLA_PRIORITY_SHARE_FIELDS.values()] + [0]
            if any(higher <= lower for higher, lower in itertools.pairwise(shares)):
                raise ValidationError(
                    self.env._(
                        "The SLA shares by priority must fall as the priority rises, each "
                        "between 0 and 100 %%: low 100 %% > normal (%(normal)s %%) > high "
                        "(%(high)s %%) > urgent (%(urgent)s %%) > 0.",
                        normal=company.delivery_sla_priority_normal_percent,
                        high=company.delivery_sla_priority_high_percent,
                        urgent=company.delivery_sla_priority_urgent_percent,
                    )
                )

    def _delivery_sla_priority_share(self, priority):
        """The share (0-1] of the base SLA times a request of ``priority`` gets."""
        self.ensure_one()
        field = SLA_PRIORITY_SHARE_FIELDS.get(priority or "0")
        return self[field] / 100.0 if field else 1.0

    @api.constrains(
        "delivery_target_satisfaction",
        "delivery_target_complaint_rate",
        "delivery_target_on_time_rate",
        "delivery_target_first_response_hours",
        "delivery_target_resolution_hours",
        "delivery_risk_window_days",
        "delivery_risk_falling_percent",
        "delivery_risk_complaint_count",
    )
    def _check_delivery_targets(self):
        percents = (
            "delivery_target_satisfaction",
            "delivery_target_complaint_rate",
            "delivery_target_on_time_rate",
            "delivery_risk_falling_percent",
        )
        for company in self:
            for field in percents:
                if not 0 < company[field] <= 100:
                    raise ValidationError(
                        self.env._(
                            "%(company)s: %(setting)s must be above 0 and at most 100 "
                            "(not %(value)s).",
                            company=company.name,
                            setting=self._fields[field]._description_string(self.env),
                            value=company[field],
                        )
                    )
            response = company.delivery_target_first_response_hours
            resolution = company.delivery_target_resolution_hours
            if response <= 0 or resolution < response:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the first response target must be positive and the "
                        "solution target at least as long (not %(response)s h and "
                        "%(resolution)s h).",
                        company=company.name,
                        response=response,
                        resolution=resolution,
                    )
                )
            if company.delivery_risk_window_days < 1 or company.delivery_risk_complaint_count < 1:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the risk window and the number of repeated complaints "
                        "must be at least 1.",
                        company=company.name,
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if RISK_SETTINGS & set(vals):
            # the customers at risk are materialised: new signs show at once, not at the
            # next hourly refresh. sudo: the refresh rewrites the whole table from the
            # data and the saved settings; nothing of the caller's chooses its rows
            self.env["delivery.customer.risk.report"].sudo()._refresh()
        return result

    def _delivery_tz(self):
        """The company's time zone for periods and months (its address's, else the
        user's, else UTC), as the evaluation uses it."""
        self.ensure_one()
        return self.partner_id.tz or self.env.user.tz or "UTC"

    # sampled return visits after ordinary deliveries (003 §7.1; the rate is the tier's)
    delivery_return_visit_delay_days = fields.Integer(
        string="Return visit after delivery (days)",
        default=3,
        help="A delivery sampled for a return visit is followed up this many days after "
        "it was delivered.",
    )
    delivery_return_visit_sample_gap_days = fields.Integer(
        string="Sampled return visits at most every (days)",
        default=30,
        help="A customer gets at most one return visit after a sampled delivery in this "
        "many days (and never two planned at once).",
    )

    # key-account plans measured (helper comm, 001 §九.2): next year's proposed targets
    delivery_key_account_growth_percent = fields.Float(
        string="Key-account plan growth (%)",
        default=10.0,
        help="After the annual review, next year's draft key-account plans propose the "
        "year's deliveries and revenue plus this share as targets.",
    )

    @api.constrains("delivery_key_account_growth_percent")
    def _check_delivery_key_account_growth(self):
        for company in self:
            if not -100 <= company.delivery_key_account_growth_percent <= 1000:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the growth of next year's key-account plans is "
                        "between -100 %% and 1000 %% (not %(value)s).",
                        company=company.name,
                        value=company.delivery_key_account_growth_percent,
                    )
                )

    _delivery_return_visit_delay_positive = models.Constraint(
        "CHECK (delivery_return_visit_delay_days >= 1)",
        "A return visit after a delivery waits at least one day.",
    )
    _delivery_return_visit_gap_positive = models.Constraint(
        "CHECK (delivery_return_visit_sample_gap_days >= 0)",
        "The gap between sampled return visits cannot be negative.",
    )
    # ------------------------------------------------------------------ delivery exceptions
    # (issue 15 item 1) the detection job's warning window and the desk's deadline
    delivery_exception_at_risk_hours = fields.Integer(
        string="At-risk window (hours)",
        default=0,
        help="Flag a delivery still on the road this many hours before its promised time "
        "(an at-risk exception, the customer told); 0: off.",
    )
    delivery_exception_deadline_hours = fields.Integer(
        string="Exception deadline (hours)",
        default=24,
        help="The service desk handles a delivery exception within this many hours of "
        "its detection; past it the exception is overdue and escalated.",
    )

    delivery_exception_lookback_days = fields.Integer(
        string="Late deliveries looked for (days)",
        default=7,
        help="The detection job flags jobs still on the road whose promised time passed "
        "within this many days: older ones (a backlog the transport system never closed, "
        "a first run after an upgrade) are not announced to customers as news.",
    )

    @api.constrains("delivery_exception_lookback_days")
    def _check_delivery_exception_lookback(self):
        for company in self:
            if company.delivery_exception_lookback_days < 1:
                raise ValidationError(
                    self.env._(
                        "%(company)s: late deliveries are looked for over 1 day at least.",
                        company=company.name,
                    )
                )

    @api.constrains("delivery_exception_at_risk_hours", "delivery_exception_deadline_hours")
    def _check_delivery_exception_hours(self):
        for company in self:
            if (
                company.delivery_exception_at_risk_hours < 0
                or company.delivery_exception_deadline_hours < 1
            ):
                raise ValidationError(
                    self.env._(
                        "%(company)s: the at-risk window cannot be negative and the "
                        "exception deadline must be at least 1 hour.",
                        company=company.name,
                    )
                )

    # task pros (issue 16 item 4): prospects' follow-ups, new customers' evaluation,
    # the developer's conversion credit
    delivery_prospect_followup_days = fields.Integer(
        string="Follow up prospects every (days)",
        default=7,
        help="The developer gets a follow-up activity this many days after the last "
        "follow-up of a prospect (a prospect may have a cadence of its own).",
    )
    delivery_prospect_stale_days = fields.Integer(
        string="Prospect stale after (days)",
        default=30,
        help="A prospect without any follow-up recorded for this many days is flagged stale.",
    )
    delivery_new_customer_months = fields.Integer(
        string="New customers for (months)",
        default=6,
        help="A customer whose cooperation began within this many months before the end "
        "of an evaluation period is evaluated with the 'New customers' scheme, when one "
        "is active (0: never).",
    )
    delivery_conversion_credit_days = fields.Integer(
        string="Conversion credit window (days)",
        default=90,
        help="The minimum volume of a conversion is reached within this many days after it.",
    )
    delivery_conversion_min_revenue = fields.Monetary(
        string="Conversion credit: minimum revenue",
        currency_field="currency_id",
        default=0.0,
        help="The developer is credited with a conversion in Staff performance only once "
        "the new customer's deliveries reach this revenue within the window (0: no minimum).",
    )
    delivery_conversion_min_deliveries = fields.Integer(
        string="Conversion credit: minimum deliveries",
        default=0,
        help="The developer is credited with a conversion in Staff performance only once "
        "the new customer has this many deliveries within the window (0: no minimum).",
    )

    # task pros (issue 16 item 8): the rules of the behaviour segments
    delivery_segment_lost_days = fields.Integer(
        string="Lost after (days without delivery)",
        default=90,
        help="A customer in cooperation that had deliveries but none for this many days is "
        "lost: its account manager gets a win-back activity and visit.",
    )
    delivery_segment_loyal_months = fields.Integer(
        string="Loyal after (months)",
        default=12,
        help="A loyal customer has cooperated for at least this many months.",
    )
    delivery_segment_loyal_retention = fields.Float(
        string="Loyal retention (%)",
        default=80.0,
        help="A loyal customer had deliveries in at least this share of the months of the "
        "loyalty period (the last months above).",
    )
    delivery_segment_satisfaction = fields.Float(
        string="Satisfied from (%)",
        default=85.0,
        help="A customer whose latest evaluated satisfaction reaches this level is satisfied "
        "(loyal with the two conditions above).",
    )
    delivery_segment_win_back_days = fields.Integer(
        string="Win-back visit after (days)",
        default=3,
        help="A lost customer's win-back visit is proposed this many days ahead.",
    )

    @api.constrains(
        "delivery_segment_lost_days",
        "delivery_segment_loyal_months",
        "delivery_segment_loyal_retention",
        "delivery_segment_satisfaction",
        "delivery_segment_win_back_days",
    )
    def _check_delivery_segment_settings(self):
        for company in self:
            for field in (
                "delivery_segment_lost_days",
                "delivery_segment_loyal_months",
                "delivery_segment_win_back_days",
            ):
                if company[field] < 1:
                    raise ValidationError(
                        self.env._(
                            "%(company)s: %(setting)s must be at least 1 (not %(value)s).",
                            company=company.name,
                            setting=self._fields[field]._description_string(self.env),
                            value=company[field],
                        )
                    )
            for field in ("delivery_segment_loyal_retention", "delivery_segment_satisfaction"):
                if not 0 < company[field] <= 100:
                    raise ValidationError(
                        self.env._(
                            "%(company)s: %(setting)s must be above 0 and at most 100 "
                            "(not %(value)s).",
                            company=company.name,
                            setting=self._fields[field]._description_string(self.env),
                            value=company[field],
                        )
                    )

    @api.constrains(
        "delivery_prospect_followup_days",
        "delivery_prospect_stale_days",
        "delivery_new_customer_months",
        "delivery_conversion_credit_days",
        "delivery_conversion_min_revenue",
        "delivery_conversion_min_deliveries",
    )
    def _check_delivery_prospect_settings(self):
        at_least_one = (
            "delivery_prospect_followup_days",
            "delivery_prospect_stale_days",
            "delivery_conversion_credit_days",
        )
        not_negative = (
            "delivery_new_customer_months",
            "delivery_conversion_min_revenue",
            "delivery_conversion_min_deliveries",
        )
        for company in self:
            for field in at_least_one + not_negative:
                floor = 1 if field in at_least_one else 0
                if company[field] < floor:
                    raise ValidationError(
                        self.env._(
                            "%(company)s: %(setting)s must be at least %(floor)s (not %(value)s).",
                            company=company.name,
                            setting=self._fields[field]._description_string(self.env),
                            floor=floor,
                            value=company[field],
                        )
                    )

    # task req (issue 17 item 1): progress reports of requirements carried out
    delivery_requirement_progress_days = fields.Integer(
        string="Requirement progress report every (days)",
        default=7,
        help="While a customer's requirement is carried out, its contact is mailed a "
        "progress report (tasks done and open, next report) this often (001 §六.4).",
    )
    _delivery_requirement_progress_days_positive = models.Constraint(
        "CHECK (delivery_requirement_progress_days > 0)",
        "The requirement progress reports must be at least one day apart.",
    )
    # task fix16 (issue 16 review): how far back the points job credits deliveries
    delivery_points_catch_up_days = fields.Integer(
        string="Points: credit deliveries of the last (days)",
        default=30,
        help="The daily points job credits the deliveries delivered this many days ago or "
        "less and not credited yet; older ones are never credited (a new points benefit "
        "does not credit the customer's whole history).",
    )

    @api.constrains("delivery_points_catch_up_days")
    def _check_delivery_points_catch_up_days(self):
        for company in self:
            if company.delivery_points_catch_up_days < 1:
                raise ValidationError(
                    self.env._(
                        "%(company)s: %(setting)s must be at least 1 (not %(value)s).",
                        company=company.name,
                        setting=self._fields["delivery_points_catch_up_days"]._description_string(
                            self.env
                        ),
                        value=company.delivery_points_catch_up_days,
                    )
                )

    # task duty (issue 17 item 3): shift hand-overs and major incidents (004 客户服务部
    # 值班管理规定 二, 交接班管理规定)
    delivery_handover_escalation_minutes = fields.Integer(
        string="Hand-over acknowledged within (minutes)",
        default=30,
        help="A shift hand-over not acknowledged this long after the shift's end goes to "
        "the service-centre head.",
    )
    delivery_incident_key_sla_breach = fields.Boolean(
        string="Key account's SLA breach is a major incident",
        default=True,
        help="A breached first-response or resolution deadline of a key account's request "
        "goes at once to the service-centre head and the staff on duty.",
    )
    delivery_incident_complaints_per_hour = fields.Integer(
        string="Complaints within an hour for a major incident",
        default=5,
        help="This many complaints received within an hour (company-wide) are a major "
        "incident; 0 turns the rule off.",
    )
    delivery_incident_key_exception = fields.Boolean(
        string="Key account's lost or damaged delivery is a major incident",
        default=True,
    )
    # task fixduty: the hand-over lists the most urgent open matters, this many at most
    delivery_handover_max_items = fields.Integer(
        string="Items of a shift hand-over",
        default=100,
        help="A shift hand-over lists this many open matters at most, the most urgent "
        "first; it says how many more are open.",
    )

    @api.constrains(
        "delivery_handover_escalation_minutes",
        "delivery_incident_complaints_per_hour",
        "delivery_handover_max_items",
    )
    def _check_delivery_duty_settings(self):
        for company in self:
            for field, floor in (
                ("delivery_handover_escalation_minutes", 1),
                ("delivery_incident_complaints_per_hour", 0),
                ("delivery_handover_max_items", 1),
            ):
                if company[field] < floor:
                    raise ValidationError(
                        self.env._(
                            "%(company)s: %(setting)s must be at least %(floor)s (not %(value)s).",
                            company=company.name,
                            setting=self._fields[field]._description_string(self.env),
                            floor=floor,
                            value=company[field],
                        )
                    )

    # task train (issue 17 item 6): how soon a failed exam is re-trained
    delivery_retraining_days = fields.Integer(
        string="Re-train a failed exam within (days)",
        default=14,
        help="A failed exam proposes a re-training of its topic this many days later.",
    )

    @api.constrains("delivery_retraining_days")
    def _check_delivery_retraining_days(self):
        for company in self:
            if company.delivery_retraining_days < 0:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the days to re-train a failed exam cannot be negative.",
                        company=company.name,
                    )
                )
