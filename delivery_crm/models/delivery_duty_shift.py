from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.base.models.res_partner import _tz_get


def _hour_label(hour):
    """08:30 for 8.5."""
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class DeliveryDutyShift(models.Model):
    """A shift of the customer-service centre's duty (004 客户服务部 值班管理规定 一: a
    24-hour duty): its start and end time of day in its time zone, a night shift
    ending the next day. The company's shifts are configured, not fixed: morning,
    evening and night with the hours of each company."""

    _name = "delivery.duty.shift"
    _description = "Duty shift"
    _order = "company_id, sequence, start_hour, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    start_hour = fields.Float(
        string="Starts at", required=True, help="Time of day, in the shift's time zone."
    )
    end_hour = fields.Float(
        string="Ends at", required=True, help="Time of day, in the shift's time zone."
    )
    ends_next_day = fields.Boolean(
        string="Ends the next day",
        help="A night shift: it ends the day after it starts (e.g. 22:00 to 08:00).",
    )
    tz = fields.Selection(
        _tz_get,
        string="Time zone",
        required=True,
        default=lambda self: self.env.user.tz or "UTC",
    )
    active = fields.Boolean(default=True)

    @api.constrains("start_hour", "end_hour", "ends_next_day")
    def _check_hours(self):
        for shift in self:
            for hour in (shift.start_hour, shift.end_hour):
                if not 0 <= hour < 24:
                    raise ValidationError(
                        self.env._(
                            "Shift %(name)s: a time of day is between 00:00 and 23:59 "
                            "(not %(hour)s).",
                            name=shift.name,
                            hour=hour,
                        )
                    )
            if not shift.ends_next_day and shift.end_hour <= shift.start_hour:
                raise ValidationError(
                    self.env._(
                        "Shift %(name)s ends (%(end)s) before it starts (%(start)s). A night "
                        "shift that ends the next day is marked so.",
                        name=shift.name,
                        end=_hour_label(shift.end_hour),
                        start=_hour_label(shift.start_hour),
                    )
                )
            if shift.ends_next_day and shift.end_hour > shift.start_hour:
                raise ValidationError(
                    self.env._(
                        "Shift %(name)s would last more than 24 hours (%(start)s to %(end)s "
                        "the next day).",
                        name=shift.name,
                        end=_hour_label(shift.end_hour),
                        start=_hour_label(shift.start_hour),
                    )
                )

    @api.depends("name", "start_hour", "end_hour")
    def _compute_display_name(self):
        for shift in self:
            shift.display_name = (
                f"{shift.name or ''} ({_hour_label(shift.start_hour)}"
                f"-{_hour_label(shift.end_hour)})"
            )

    def _bounds(self, day):
        """Start and end (naive UTC) of this shift on ``day`` (its start day)."""
        self.ensure_one()
        zone = pytz.timezone(self.tz or "UTC")
        result = []
        for hour, offset in ((self.start_hour, 0), (self.end_hour, int(self.ends_next_day))):
            minutes = round(hour * 60)
            local = datetime.combine(
                day + timedelta(days=offset), time(minutes // 60, minutes % 60)
            )
            result.append(zone.localize(local).astimezone(pytz.UTC).replace(tzinfo=None))
        return tuple(result)
