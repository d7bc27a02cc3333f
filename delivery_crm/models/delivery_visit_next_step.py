from odoo import fields, models


class DeliveryVisitNextStep(models.Model):
    """A next step agreed at a visit; recording the visit turns each into a follow-up
    activity on the customer for its owner (001 §五.3)."""

    _name = "delivery.visit.next.step"
    _description = "Visit next step"
    _order = "visit_id, date_deadline, id"
    _check_company_auto = True

    visit_id = fields.Many2one("delivery.visit", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="visit_id.company_id", store=True)
    name = fields.Char(string="Next step", required=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        check_company=True,
    )
    date_deadline = fields.Date(string="Due", required=True, default=fields.Date.context_today)
    activity_id = fields.Many2one("mail.activity", readonly=True, copy=False)

    def _schedule(self):
        for step in self.filtered(lambda s: not s.activity_id):
            step.activity_id = step.visit_id.partner_id.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=step.date_deadline,
                summary=step.name,
                note=self.env._("Agreed at the visit %(visit)s.", visit=step.visit_id.display_name),
                user_id=step.user_id.id,
            )
