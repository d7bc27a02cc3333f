from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

# the request's two clocks: the first response and the resolution
SLA_CLOCKS = [("response", "First response"), ("resolution", "Resolution")]
SLA_STATUSES = [
    ("on_time", "On track"),
    ("at_risk", "At risk"),
    ("breached", "Breached"),
    ("met", "Met"),
    ("missed", "Missed"),
]
ESCALATIONS = [("none", "None"), ("warning", "Warned"), ("breach", "Breach escalated")]
# states of the request in which its clocks run
RUNNING_STATES = ("registered", "acknowledged", "investigating", "resolving", "reopened")


class DeliveryComplaintSla(models.Model):
    """One service-level clock of a request (the first response, the resolution): its
    target, the start it runs from, its deadline and warning time in the company's
    working hours, and where it stands. The module keeps these rows (the request's
    intake, workflow and re-triage, and the escalation job); nobody writes them over
    RPC (access rights). The request shows their deadlines and statuses as its own
    stored fields (``sla_response_deadline``, ``sla_status``...), computed from here.

    A clock runs while the request is handled and stops when it is reached (the first
    response, the resolution); the time the request waits on the customer is not
    counted (the request's ``sla_paused_hours``: a clock counts the hours paused since
    it started, ``paused_base`` being the request's paused hours at its start)."""

    _name = "delivery.complaint.sla"
    _description = "Service level clock of a request"
    _order = "complaint_id, clock"
    _check_company_auto = True

    complaint_id = fields.Many2one(
        "delivery.complaint", string="Request", required=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="complaint_id.company_id", store=True)
    clock = fields.Selection(SLA_CLOCKS, required=True, readonly=True)
    hours = fields.Float(string="Target (h)", readonly=True)
    start_date = fields.Datetime(
        string="Runs from",
        readonly=True,
        help="The receipt, or for the resolution the last reopening.",
    )
    paused_base = fields.Float(
        string="Paused before (h)",
        readonly=True,
        help="Hours the request was paused before this clock started.",
    )
    deadline = fields.Datetime(readonly=True, index=True)
    warning_date = fields.Datetime(string="Warn from", readonly=True, index=True)
    status = fields.Selection(
        SLA_STATUSES, default="on_time", required=True, readonly=True, index=True
    )
    escalation = fields.Selection(ESCALATIONS, default="none", required=True, readonly=True)
    reached_date = fields.Datetime(
        string="Reached on",
        readonly=True,
        help="The first response or the resolution: the clock stops there.",
    )

    _clock_unique = models.UniqueIndex("(complaint_id, clock)")

    # ------------------------------------------------------------------ working time
    def _calendar(self):
        return self.complaint_id.company_id.delivery_complaint_calendar_id

    def _add_hours(self, start, hours):
        """``start`` (naive UTC) plus ``hours``, in working hours when the company
        has an SLA calendar, else in calendar hours (003 §3.1: 24-hour hotline)."""
        calendar = self._calendar()
        if not calendar:
            return start + timedelta(hours=hours)
        result = calendar.plan_hours(hours, pytz.UTC.localize(start), compute_leaves=True)
        if not result:
            raise UserError(
                self.env._(
                    "The working hours %(calendar)s leave no time to plan %(hours)s hours.",
                    calendar=calendar.name,
                    hours=hours,
                )
            )
        return result.astimezone(pytz.UTC).replace(tzinfo=None)

    def _hours_between(self, start, end):
        """SLA hours between two naive UTC datetimes (negative when end < start)."""
        calendar = self._calendar()
        if not calendar:
            return (end - start).total_seconds() / 3600.0
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        hours = calendar.get_work_hours_count(
            pytz.UTC.localize(start), pytz.UTC.localize(end), compute_leaves=True
        )
        return sign * hours

    # ------------------------------------------------------------------ planning
    def _planned(self, hours, start=None):
        """Deadline and warning time of the clock for a target of ``hours``: from its
        start plus the hours the request was paused since then."""
        self.ensure_one()
        complaint = self.complaint_id
        start = start or self.start_date
        warning_share = complaint.company_id.delivery_complaint_warning_percent / 100.0
        paused = complaint.sla_paused_hours - self.paused_base
        return {
            "deadline": self._add_hours(start, hours + paused),
            "warning_date": self._add_hours(start, hours * (1 - warning_share) + paused),
        }

    @api.model
    def _start(self, complaints):
        """Both clocks of new requests, from their receipt."""
        # sudo: the clocks are the module's own rows (no user writes them), started
        # for requests the caller has just created
        clocks = self.sudo().create(
            [
                {
                    "complaint_id": complaint.id,
                    "clock": clock,
                    "start_date": complaint.received_date,
                    "paused_base": 0.0,
                }
                for complaint in complaints
                for clock, _label in SLA_CLOCKS
            ]
        )
        clocks._plan()
        return clocks

    def _plan(self, keep_hours=False):
        """Targets, deadlines and warnings of the clocks not reached yet, from the
        request's type, tier, priority and the policy (``delivery.sla.policy``)."""
        for complaint, clocks in self.grouped("complaint_id").items():
            targets = complaint._sla_target_hours()
            for clock in clocks.filtered(lambda c: not c.reached_date):
                vals = clock._planned(targets[clock.clock])
                if not keep_hours:
                    vals["hours"] = targets[clock.clock]
                clock.write(vals)

    def _retriage(self, old_received):
        """Re-triage (001 §七.1): the clocks not reached yet follow the request's new
        urgency, importance, customer, tier, type or receipt (a clock still running
        from the old receipt moves with it). A clock whose new deadline is ahead again
        is back on track (a new breach is a new escalation). Returns the changed
        deadlines: {clock: (old, new)}."""
        now = fields.Datetime.now()
        changes = {}
        for complaint, clocks in self.grouped("complaint_id").items():
            targets = complaint._sla_target_hours()
            for clock in clocks.filtered(lambda c: not c.reached_date):
                old_deadline = clock.deadline
                vals = {"hours": targets[clock.clock]}
                if clock.start_date == old_received:
                    vals["start_date"] = complaint.received_date
                vals.update(clock._planned(vals["hours"], start=vals.get("start_date")))
                if vals["deadline"] > now:
                    ahead = vals["warning_date"] > now
                    if clock.status == "breached" or (ahead and clock.status == "at_risk"):
                        vals.update(status="on_time", escalation="none")
                clock.write(vals)
                if clock.deadline != old_deadline:
                    changes[clock] = (old_deadline, clock.deadline)
        return changes

    def _restart(self, now):
        """A reopened request gets a new resolution clock from now; a new breach of it
        is a new escalation. The target of the first resolution stays the target."""
        for clock in self:
            clock.write(
                {
                    "start_date": now,
                    "paused_base": clock.complaint_id.sla_paused_hours,
                    "status": "on_time",
                    "escalation": "none",
                    "reached_date": False,
                }
            )
        self._plan(keep_hours=True)

    def _resume(self, paused_since, now):
        """Leaving the pause: push the clocks not reached yet by the time spent
        waiting."""
        for clock in self.filtered(lambda c: not c.reached_date):
            vals = {}
            for name in ("deadline", "warning_date"):
                remaining = clock._hours_between(paused_since, clock[name])
                vals[name] = (
                    clock._add_hours(now, remaining)
                    if remaining > 0
                    else now + timedelta(hours=remaining)
                )
            clock.write(vals)

    def _reach(self, now):
        """The clock is reached at ``now``: met when within its deadline."""
        for clock in self.filtered(lambda c: not c.reached_date):
            clock.write(
                {"reached_date": now, "status": "met" if now <= clock.deadline else "missed"}
            )

    def _elapsed(self, now):
        """Working hours from the request's receipt to ``now``, pauses excluded."""
        self.ensure_one()
        complaint = self.complaint_id
        elapsed = self._hours_between(complaint.received_date, now) - complaint.sla_paused_hours
        return max(elapsed, 0.0)

    # ------------------------------------------------------------------ escalation
    @api.model
    def _escalation_domain(self, now):
        """Running clocks that passed their warning time while on track, or their
        deadline before being escalated as breached."""
        return Domain("complaint_id.state", "in", list(RUNNING_STATES)) & (
            self._warning_due_domain(now) | self._breach_due_domain(now)
        )

    @api.model
    def _warning_due_domain(self, now):
        """On track, past the warning time: the owner is warned."""
        return Domain("status", "=", "on_time") & Domain("warning_date", "<=", now)

    @api.model
    def _breach_due_domain(self, now):
        """Not escalated as breached yet, past the deadline: the breach is escalated."""
        return Domain("status", "in", ["on_time", "at_risk"]) & Domain("deadline", "<=", now)

    @api.model
    def _cron_escalate(self):
        """Warn the owner of requests about to miss an SLA, and escalate a breach to the
        owner and the manager: each once per clock (the status moves on, so a second
        run finds nothing to do). Batched and committed as the module's other jobs
        (``delivery.cron.mixin``); the clocks and their requests are locked with SKIP
        LOCKED, so a request being changed meanwhile waits for the next batch."""
        now = fields.Datetime.now()
        domain = self._escalation_domain(now)
        batch_size = self.env["delivery.complaint"]._cron_batch_size
        busy = []
        done = 0
        while True:
            clocks = self.search(
                domain & Domain("complaint_id", "not in", busy), limit=batch_size, order="id"
            )
            if not clocks:
                break
            # the request first (its SLA fields follow its clocks), then its clocks;
            # what another transaction holds is left for the next run
            complaints = clocks.complaint_id.try_lock_for_update()
            locked = clocks.filtered_domain(
                [("complaint_id", "in", complaints.ids)]
            ).try_lock_for_update()
            held = (clocks.complaint_id - complaints) | (clocks - locked).complaint_id
            busy += held.ids
            clocks = locked.filtered_domain([("complaint_id", "not in", held.ids)])
            clocks._escalate(now)
            done += len(clocks)
            remaining = self.search_count(domain & Domain("complaint_id", "not in", busy))
            time_left = self.env["ir.cron"]._commit_progress(len(clocks), remaining=remaining)
            if not remaining or not time_left:
                break
        return done

    def _escalate(self, now):
        breached = self.filtered_domain(self._breach_due_domain(now))
        warned = (self - breached).filtered_domain(self._warning_due_domain(now))
        for clock in self:
            if clock in breached:
                clock.complaint_id._sla_notify(clock, breach=True)
                clock.write({"status": "breached", "escalation": "breach"})
            elif clock in warned:
                clock.complaint_id._sla_notify(clock, breach=False)
                clock.write({"status": "at_risk", "escalation": "warning"})
        # task duty (issue 17 item 3): a key account's breach is a major incident, at once
        self.env["delivery.major.incident"]._raise_sla_breaches(breached)
