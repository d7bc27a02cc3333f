from odoo import api, fields, models


class DeliveryTierChange(models.Model):
    """Log of every change of a customer's tier: who, when, why, from what to what
    (R2, 004 §五). Written by the module only; nobody edits or deletes it."""

    _name = "delivery.tier.change"
    _description = "Customer tier change"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one(
        "res.users", string="Changed by", required=True, default=lambda self: self.env.user
    )
    old_tier_id = fields.Many2one("delivery.tier", string="Previous tier", ondelete="restrict")
    new_tier_id = fields.Many2one("delivery.tier", string="New tier", ondelete="restrict")
    origin = fields.Selection(
        [
            ("evaluation", "Evaluation"),
            ("override", "Manual override"),
            ("override_end", "Override ended"),
            ("manual", "Manual"),
        ],
        required=True,
    )
    reason = fields.Text()
    evaluation_id = fields.Many2one(
        "delivery.evaluation", ondelete="set null", index="btree_not_null"
    )
    override_expiry = fields.Date(string="Override until")
    direction = fields.Selection(
        [("up", "Upgrade"), ("down", "Downgrade"), ("same", "Same level"), ("new", "First tier")],
        readonly=True,
        help="Set when the change is written, from the levels the two tiers had then: a "
        "later change of a tier's level does not rewrite the history.",
    )

    @api.model
    def _direction(self, old_tier, new_tier):
        """up / down / same / new, from the tiers' levels as they are now."""
        if not old_tier:
            return "new"
        if new_tier.level > old_tier.level:
            return "up"
        if new_tier.level < old_tier.level:
            return "down"
        return "same"

    @api.model_create_multi
    def create(self, vals_list):
        Tier = self.env["delivery.tier"]
        for vals in vals_list:
            if not vals.get("direction"):
                vals["direction"] = self._direction(
                    Tier.browse(vals.get("old_tier_id")), Tier.browse(vals.get("new_tier_id"))
                )
        changes = super().create(vals_list)
        changes._notify_customer()
        return changes

    def _notify_customer(self):
        """Tell each active customer whose ladder asks for it of its new tier
        (004 §五.4: by SMS, mail or phone): the tier-change mail where the customer has
        an e-mail address, a text message (queued) where it has a phone number, so a
        customer with only a phone number is told too. The tier a record gets when it
        is created or imported is not announced: it is not a change the customer lived
        through."""
        to_notify = self.filtered(
            lambda change: (
                change.origin != "manual"
                and change.new_tier_id.ladder_id.notify_customer
                and change.partner_id.customer_state == "active"
            )
        )
        to_mail = to_notify.filtered(lambda change: change.partner_id.email)
        if to_mail:
            # sudo: the changes were just written by a user allowed to change the tier;
            # sending their notices only needs the templates, which only Delivery CRM
            # managers may edit (security/mail_template_rules.xml). The mail belongs to
            # the change, not to the customer's chatter.
            template = self.env.ref("delivery_crm.mail_template_tier_change").sudo()
            template.send_mail_batch(to_mail.ids)
        to_text = to_notify.filtered(lambda change: change.partner_id.phone)
        if not to_text:
            return
        # sudo: the template is rendered for the customers of these changes only; staff
        # cannot read SMS templates (only administrators change them)
        sms_template = self.env.ref("delivery_crm.sms_template_tier_change").sudo()
        bodies = sms_template._render_field("body", to_text.ids, compute_lang=True)
        # sudo: the company's text messages to these customers, queued (the SMS cron
        # sends them through IAP outside this transaction). Plain SMS, not a message in
        # the customer's chatter, which every employee reads: the tier is the CRM's
        # (security review M7); the change itself is the history.
        self.env["sms.sms"].sudo().create(
            [
                {
                    "partner_id": change.partner_id.id,
                    "number": change.partner_id._phone_format(number=change.partner_id.phone)
                    or change.partner_id.phone,
                    "body": bodies[change.id],
                    "state": "outgoing",
                }
                for change in to_text
            ]
        )
