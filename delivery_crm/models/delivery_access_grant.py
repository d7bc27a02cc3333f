from odoo import api, fields, models


class DeliveryAccessGrant(models.Model):
    """A manager's temporary grant to a colleague of another department (sales, marketing,
    technical: 001 §三, §四.3) to read one customer's delivery-CRM data. The access ends
    by itself at the end date: the record rules only honour grants running now."""

    _name = "delivery.access.grant"
    _inherit = ["mail.thread"]
    _description = "Temporary access to a customer's data"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        domain=[("is_company", "=", True)],
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Granted to",
        required=True,
        index=True,
        domain=[("share", "=", False)],
        tracking=True,
    )
    reason = fields.Text(required=True, tracking=True)
    date_start = fields.Datetime(
        string="From", required=True, default=fields.Datetime.now, tracking=True
    )
    date_end = fields.Datetime(string="Until", required=True, tracking=True)
    revoke_date = fields.Datetime(string="Revoked on", readonly=True, copy=False, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    @api.model
    def _active_grants(self, user):
        now = fields.Datetime.now()
        return self.search(
            [
                ("user_id", "=", user.id),
                ("revoke_date", "=", False),
                ("date_start", "<=", now),
                ("date_end", ">", now),
            ]
        )
