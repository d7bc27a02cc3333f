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
        compute="_compute_direction",
        store=True,
    )

    @api.depends("old_tier_id.level", "new_tier_id.level")
    def _compute_direction(self):
        for change in self:
            if not change.old_tier_id:
                change.direction = "new"
            elif change.new_tier_id.level > change.old_tier_id.level:
                change.direction = "up"
            elif change.new_tier_id.level < change.old_tier_id.level:
                change.direction = "down"
            else:
                change.direction = "same"

    @api.model_create_multi
    def create(self, vals_list):
        changes = super().create(vals_list)
        changes._notify_customer()
        return changes

    def _notify_customer(self):
        """Queue the tier-change mail (and an SMS where the customer has a phone number)
        to each active customer with an email address whose ladder asks for it
        (004 §五.4). The tier a record gets when it is created
        or imported is not announced: it is not a change the customer lived through."""
        template = self.env.ref("delivery_crm.mail_template_tier_change")
        to_notify = self.filtered(
            lambda change: (
                change.origin != "manual"
                and change.new_tier_id.ladder_id.notify_customer
                and change.partner_id.customer_state == "active"
                and change.partner_id.email
            )
        )
        if not to_notify:
            return
        # sudo: the changes were just written by a user allowed to change the tier;
        # sending their notices only needs the templates, which users may not edit.
        template.sudo().send_mail_batch(to_notify.ids)
        to_text = to_notify.filtered(lambda change: change.partner_id.phone)
        # sudo: the template is rendered for the customers of these changes only; staff
        # cannot read mail/SMS templates, and posting the SMS on the partner needs the
        # partner's write access, which the tier change itself already was allowed
        sms_template = self.env.ref("delivery_crm.sms_template_tier_change").sudo()
        bodies = sms_template._render_field("body", to_text.ids, compute_lang=True)
        for change in to_text:
            # sudo: see the template above; queued: the SMS cron sends it (through IAP)
            # outside this transaction
            change.partner_id.sudo()._message_sms(
                bodies[change.id], partner_ids=change.partner_id.ids, put_in_queue=True
            )
