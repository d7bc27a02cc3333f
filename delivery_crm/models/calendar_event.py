from odoo import models

# set while a visit and its event follow each other: the write it causes is not
# followed back
SYNC_CONTEXT_KEY = "delivery_visit_calendar_sync"


class CalendarEvent(models.Model):
    """The meeting a planned visit owns (``res_model``/``res_id`` point to the visit):
    moving it in Odoo's calendar (or in a calendar synced with it) moves the visit."""

    _inherit = "calendar.event"

    def _get_activity_excluded_models(self):
        # the visit is its own reminder (its event and the return-visit activities):
        # no extra "Meeting" activity on it
        return super()._get_activity_excluded_models() + ["delivery.visit"]

    def write(self, vals):
        res = super().write(vals)
        if not self.env.context.get(SYNC_CONTEXT_KEY) and {"start", "stop"} & vals.keys():
            # sudo: finds the visits of these events whatever the user may read; they
            # are moved with the user's rights (a visit the user may not change is
            # refused, and the event with it)
            visits = (
                self.env["delivery.visit"]
                .sudo()
                .search([("calendar_event_id", "in", self.ids), ("state", "=", "planned")])
                .with_env(self.env)
            )
            visits._follow_calendar_event()
        return res
