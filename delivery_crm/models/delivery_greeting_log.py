from odoo import fields, models


class DeliveryGreetingLog(models.Model):
    """One greeting sent to one person for one occasion in one year (R6).

    Written by the greeting cron before the greeting is sent; the greeting mail belongs
    to the row (``message_id``), not to the person's chatter. The unique key makes a
    second greeting of the same person for the same occasion and year impossible, even
    when the cron runs twice or on two workers at once. The log is append-only: nobody
    but the superuser may change or delete it (access rights)."""

    _name = "delivery.greeting.log"
    _description = "Greeting sent"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Greeted", required=True, ondelete="cascade", readonly=True
    )
    customer_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        string="Customer",
        store=True,
        index=True,
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True)
    occasion_id = fields.Many2one(
        "delivery.care.occasion", required=True, ondelete="restrict", index=True, readonly=True
    )
    kind = fields.Selection(related="occasion_id.kind")
    year = fields.Integer(required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    message_id = fields.Many2one("mail.message", ondelete="set null", readonly=True)

    _partner_occasion_year_unique = models.Constraint(
        "UNIQUE (partner_id, occasion_id, year)",
        "A person is greeted once per occasion and year.",
    )
