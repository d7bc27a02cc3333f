from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from .delivery_constants import GROUP_STAFF


class DeliveryDutyRoster(models.Model):
    """Who is on duty on which day and shift (004 客户服务部 值班管理规定): one row per
    person, day and shift; the calendar and list of the roster. Who is on duty now is
    :meth:`_on_duty_users`, the one rule the hand-overs and major incidents use."""

    _name = "delivery.duty.roster"
    _description = "Duty roster entry"
    _order = "start_datetime desc, shift_id, user_id"
    _check_company_auto = True

    date = fields.Date(
        required=True, index=True, default=fields.Date.context_today, help="The shift's start day."
    )
    shift_id = fields.Many2one(
        "delivery.duty.shift", required=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="shift_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="On duty",
        required=True,
        index=True,
        domain=[("share", "=", False)],
        check_company=True,
    )
    start_datetime = fields.Datetime(
        string="From", compute="_compute_bounds", store=True, index=True
    )
    end_datetime = fields.Datetime(string="To", compute="_compute_bounds", store=True, index=True)
    note = fields.Char()
    is_on_duty_now = fields.Boolean(
        string="On duty now", compute="_compute_is_on_duty_now", search="_search_is_on_duty_now"
    )

    _user_shift_day_unique = models.UniqueIndex(
        "(user_id, shift_id, date)",
        lambda env, diag=None: env._(
            "This person is already on duty on this shift that day: one roster entry per "
            "person, shift and day."
        ),
    )

    @api.depends(
        "date", "shift_id.start_hour", "shift_id.end_hour", "shift_id.ends_next_day", "shift_id.tz"
    )
    def _compute_bounds(self):
        for row in self:
            if row.date and row.shift_id:
                row.start_datetime, row.end_datetime = row.shift_id._bounds(row.date)
            else:
                row.start_datetime = row.end_datetime = False

    def _compute_is_on_duty_now(self):
        on_duty = self._on_duty_rows()
        for row in self:
            row.is_on_duty_now = row in on_duty

    def _search_is_on_duty_now(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        positive = (True in value) == (operator == "in")
        return Domain("id", "in" if positive else "not in", self._on_duty_rows().ids)

    @api.constrains("user_id")
    def _check_entry(self):
        for row in self:
            if not row.user_id.has_group(GROUP_STAFF):
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot be on duty: only service-desk users are rostered.",
                        user=row.user_id.name,
                    )
                )

    # ------------------------------------------------------------------ who is on duty
    @api.model
    def _on_duty_rows(self, at=None, company=None):
        """The roster rows on duty at ``at`` (now by default): the shifts running then,
        and the shifts that ended within a day whose hand-over the next shift has not
        acknowledged yet (交接班 五: the outgoing staff start leaving once the incoming
        shift signed the record)."""
        at = at or fields.Datetime.now()
        company_ids = company.ids if company else self.env.companies.ids
        # sudo: who is on duty is the desk's common knowledge (names, shifts), read by
        # the module's notifications whatever the caller's own rules
        Roster = self.sudo()
        running = Roster.search(
            [
                ("company_id", "in", company_ids),
                ("start_datetime", "<=", at),
                ("end_datetime", ">", at),
            ]
        )
        ended = Roster.search(
            [
                ("company_id", "in", company_ids),
                ("end_datetime", "<=", at),
                ("end_datetime", ">", at - timedelta(days=1)),
            ]
        )
        if ended:
            # sudo: only whether each hand-over was acknowledged (the desk's common knowledge)
            handovers = (
                # sudo: who is on duty reads every hand-over of the company, whoever asks
                self.env["delivery.duty.handover"]
                .sudo()
                .search(
                    [
                        ("company_id", "in", ended.company_id.ids),
                        ("shift_id", "in", ended.shift_id.ids),
                        ("date", "in", list(set(ended.mapped("date")))),
                        ("state", "=", "acknowledged"),
                    ]
                )
            )
            done = {(h.company_id.id, h.shift_id.id, h.date) for h in handovers}
            ended = ended.filtered(lambda r: (r.company_id.id, r.shift_id.id, r.date) not in done)
        return (running | ended).with_env(self.env)

    @api.model
    def _on_duty_users(self, at=None, company=None):
        """The users on duty at ``at`` (see :meth:`_on_duty_rows`)."""
        return self._on_duty_rows(at=at, company=company).user_id
