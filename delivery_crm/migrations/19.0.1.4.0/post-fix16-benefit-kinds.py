"""19.0.1.4.0 (task fix16, issue 16 review): the shipped benefits of 004 门店 §四 act.
The first-order discount (新客户) is a flag until the first delivery, the member prices
(普通客户：会员价格) a discount next to a points benefit of their own (积分累计), and the
priority booking (优先预约) a flag. The shipped benefits are noupdate data: an existing
database gets them here. A benefit a manager already gave another kind is left alone;
running it again changes nothing."""

from odoo import SUPERUSER_ID, Command, api

FIRST_ORDER_PERCENT = 10.0
MEMBER_PERCENT = 5.0
OLD_MEMBER_NAME = "Member prices and points"


def _points_benefit(env):
    points = env.ref("delivery_crm.delivery_tier_benefit_points", raise_if_not_found=False)
    if points:
        return points
    points = env["delivery.tier.benefit"].create(
        {
            "name": "Loyalty points",
            "kind": "points",
            "points_rate": 1.0,
            "sequence": 25,
            "description": "Loyalty points on every delivery.",
        }
    )
    env["ir.model.data"]._update_xmlids(
        [
            {
                "xml_id": "delivery_crm.delivery_tier_benefit_points",
                "record": points,
                "noupdate": True,
            }
        ]
    )
    return points


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    first_order = env.ref(
        "delivery_crm.delivery_tier_benefit_first_order", raise_if_not_found=False
    )
    if first_order and first_order.kind == "other":
        first_order.write({"kind": "first_order", "discount_percent": FIRST_ORDER_PERCENT})
    priority = env.ref(
        "delivery_crm.delivery_tier_benefit_priority_delivery", raise_if_not_found=False
    )
    if priority and priority.kind == "other":
        priority.write({"kind": "priority"})
    member = env.ref("delivery_crm.delivery_tier_benefit_member_price", raise_if_not_found=False)
    if not member or member.kind not in ("points", "other"):
        return
    # the member prices become a discount; their points move to a benefit of their own,
    # given to the tiers that gave the member prices
    points = _points_benefit(env)
    tiers = (
        env["delivery.tier"]
        .with_context(active_test=False)
        .search([("benefit_ids", "in", member.ids)])
    )
    tiers.write({"benefit_ids": [Command.link(points.id)]})
    values = {"kind": "discount", "discount_percent": MEMBER_PERCENT, "points_rate": 0.0}
    if member.with_context(lang="en_US").name == OLD_MEMBER_NAME:
        values["name"] = "Member prices"
    member.write(values)
