from odoo import api, fields, models
from odoo.exceptions import ValidationError

# what a benefit does (004 门店客户分级 §四): one kind each, acted on by
# delivery.benefit.grant._cron_act_on_benefits (gift, review), read as flags on the
# customer (discount, first-order discount, free delivery, priority booking),
# accrued in delivery.points.move (points)
BENEFIT_KINDS = [
    ("gift", "Gift"),
    ("review", "Executive review"),
    ("discount", "Discount"),
    ("first_order", "First-order discount"),
    ("free_delivery", "Free delivery"),
    ("priority", "Priority booking"),
    ("points", "Points"),
    ("other", "Other (label only)"),
]
GIFT_OCCASIONS = [("birthday", "Contact's birthday"), ("year_end", "Year end")]


class DeliveryTierBenefit(models.Model):
    _name = "delivery.tier.benefit"
    _description = "Customer tier benefit"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        BENEFIT_KINDS,
        required=True,
        default="other",
        help="What the benefit does. Gift: a task and a gift record for the account "
        "manager before the occasion. Executive review: a planned review visit every "
        "period. Discount, first-order discount (until the customer's first delivery), "
        "free delivery and priority booking: flags on the customer that the transport "
        "system reads. Points: points accrue from delivery revenue. Other: a label, "
        "nothing is done.",
    )
    gift_occasion = fields.Selection(GIFT_OCCASIONS, string="Occasion", default="birthday")
    lead_days = fields.Integer(
        string="Days before",
        default=7,
        help="How many days before the occasion the gift is prepared.",
    )
    review_interval_months = fields.Integer(
        string="Every (months)", default=3, help="One executive review per period of this length."
    )
    discount_percent = fields.Float(string="Discount (%)", digits=(5, 2))
    points_rate = fields.Float(
        string="Points per currency unit",
        digits=(12, 4),
        help="Points the customer earns for each currency unit of delivery revenue.",
    )

    _lead_days_positive = models.Constraint(
        "CHECK (lead_days >= 0)", "The days before an occasion cannot be negative."
    )

    @api.constrains("kind", "review_interval_months", "discount_percent", "points_rate")
    def _check_kind_values(self):
        for benefit in self:
            if benefit.points_rate < 0 or (benefit.kind == "points" and not benefit.points_rate):
                raise ValidationError(self.env._("A points benefit needs a positive points rate."))
            if benefit.kind in ("discount", "first_order") and not (
                0 < benefit.discount_percent <= 100
            ):
                raise ValidationError(
                    self.env._("A discount must be more than 0% and at most 100%.")
                )
            if benefit.kind == "review" and not 1 <= benefit.review_interval_months <= 12:
                raise ValidationError(
                    self.env._("An executive review is due every 1 to 12 months.")
                )
            if benefit.kind == "gift" and not benefit.gift_occasion:
                raise ValidationError(self.env._("A gift benefit needs its occasion."))
