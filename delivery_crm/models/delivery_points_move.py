from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, float_round

from .delivery_constants import BENEFIT_CUSTOMER_STATES, GROUP_MANAGER, GROUP_STAFF

POINTS_ORIGINS = [
    ("delivery", "Delivery"),
    ("redemption", "Redemption"),
    ("adjustment", "Adjustment"),
    ("reversal", "Delivery correction"),
]
# the deliveries delivered this many days ago or less (the company's setting
# delivery_points_catch_up_days) are credited by the points cron: a delivery is
# credited once, by the first run after it is delivered (a new points benefit does not
# credit the customer's whole history)


class DeliveryPointsMove(models.Model):
    """The points ledger (积分累计, 004 门店客户分级 §四): one row per credit (a delivered
    shipment, at the rate of the customer's tier's points benefit), redemption or
    manual adjustment. Written by the system only (the cron, and the redemption wizard
    once the user's right is checked): a row says what happened and is never changed;
    a mistake is corrected by an adjustment. The balance is the sum of the rows."""

    _name = "delivery.points.move"
    _inherit = ["delivery.system.log.mixin"]
    _description = "Customer points move"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    date = fields.Date(required=True, index=True)
    points = fields.Float(required=True, digits=(16, 2))
    origin = fields.Selection(POINTS_ORIGINS, required=True)
    reference = fields.Char(help="The delivery, or what the points were redeemed for.")
    shipment_id = fields.Many2one(
        "delivery.shipment", string="Delivery", index="btree_not_null", ondelete="restrict"
    )
    user_id = fields.Many2one("res.users", string="Recorded by", readonly=True)
    revenue = fields.Float(
        string="Revenue counted",
        digits=(16, 2),
        readonly=True,
        help="The delivery revenue this row credits (or takes back, negative): the "
        "delivery's credited revenue is the sum of its rows.",
    )

    _shipment_once = models.UniqueIndex(
        "(shipment_id) WHERE origin = 'delivery'",
        "A delivery earns points once.",
    )
    _points_not_zero = models.Constraint("CHECK (points != 0)", "A points move cannot be zero.")

    # ------------------------------------------------------------------ balance
    def _balances(self, partners):
        """``{partner_id: balance}`` for ``partners`` (one query)."""
        # sudo: the sums are shown to whoever reads the customer's balance field
        groups = self.sudo()._read_group(
            [("partner_id", "in", partners.ids)], ["partner_id"], ["points:sum"]
        )
        return {partner.id: total for partner, total in groups}

    # ------------------------------------------------------------------ redemption
    @api.model
    def _record(self, partner, points, origin, reference):
        """Redeem (``points`` < 0) or adjust the points of ``partner`` as the current
        user: a redemption by CRM staff who may see the customer, within its balance; an
        adjustment by a manager. Clear error and nothing written otherwise."""
        env = self.env
        if origin not in ("redemption", "adjustment"):
            raise UserError(env._("Points are redeemed or adjusted here, nothing else."))
        group = GROUP_MANAGER if origin == "adjustment" else GROUP_STAFF
        if not env.user.has_group(group):
            raise AccessError(
                env._("Only Delivery CRM managers can adjust points.")
                if origin == "adjustment"
                else env._("Only Delivery CRM staff can redeem points.")
            )
        partner.check_access("read")
        if not env.user.has_group(GROUP_MANAGER) and not partner.delivery_assigned:
            raise AccessError(
                env._("You can redeem the points of the customers assigned to you only.")
            )
        points = float_round(points or 0.0, precision_digits=2)
        if not partner.is_delivery_customer:
            raise UserError(env._("Only a delivery customer has points."))
        if origin == "redemption" and points <= 0:
            raise UserError(env._("Enter the number of points to redeem (more than 0)."))
        if origin == "adjustment" and not points:
            raise UserError(env._("An adjustment cannot be zero."))
        if not (reference or "").strip():
            raise UserError(env._("Say what the points are for."))
        # the customer's row is locked: two redemptions at once cannot both pass the
        # balance check
        env.cr.execute(
            SQL("SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE", partner.id)
        )
        balance = self._balances(partner).get(partner.id, 0.0)
        signed = -points if origin == "redemption" else points
        if balance + signed < 0:
            raise UserError(
                env._(
                    "%(customer)s has %(balance)s points: %(points)s cannot be redeemed.",
                    customer=partner.display_name,
                    balance=balance,
                    points=points,
                )
            )
        # sudo: the ledger is written by the system only; the caller's right, the
        # customer's visibility and the balance were checked above
        return self.sudo().create(
            {
                "partner_id": partner.id,
                "company_id": (partner.company_id or env.company).id,
                "date": fields.Date.context_today(self),
                "points": signed,
                "origin": origin,
                "reference": reference.strip(),
                "user_id": env.uid,
            }
        )

    # ------------------------------------------------------------------ accrual
    @api.model
    def _points_rates(self):
        """``{tier_id: points per currency unit}``: the best points benefit of each tier."""
        tiers = self.env["delivery.tier"]._tiers_with_benefit("points")
        return {tier.id: max(benefits.mapped("points_rate")) for tier, benefits in tiers.items()}

    @api.model
    def _uncredited_domain(self, tier_ids):
        """The deliveries to credit: delivered lately (each company's number of days) to
        customers in cooperation whose tier has a points benefit, not credited yet."""
        now = fields.Datetime.now()
        # sudo: the companies' catch-up setting, read by the cron for every company
        companies = self.env["res.company"].sudo().search([("active", "=", True)], order="id")
        recent = Domain.OR(
            Domain("company_id", "=", company.id)
            & Domain(
                "delivered_datetime",
                ">=",
                now - timedelta(days=company.delivery_points_catch_up_days),
            )
            for company in companies
        )
        # sudo: the ids of the deliveries already credited, to leave them out
        credited = self.sudo()._search([("origin", "=", "delivery"), ("shipment_id", "!=", False)])
        return recent & Domain(
            [
                ("status", "=", "delivered"),
                ("revenue", ">", 0),
                ("partner_id.tier_id", "in", tier_ids),
                ("partner_id.customer_state", "in", list(BENEFIT_CUSTOMER_STATES)),
                ("id", "not in", credited.subselect("shipment_id")),
            ]
        )

    @api.model
    def _credit_shipments(self, shipments, rates):
        self.create(
            [
                {
                    "partner_id": shipment.partner_id.id,
                    "company_id": shipment.company_id.id,
                    "date": fields.Date.context_today(self, shipment.delivered_datetime),
                    "points": points,
                    "revenue": shipment.revenue,
                    "origin": "delivery",
                    "reference": shipment.name,
                    "shipment_id": shipment.id,
                }
                for shipment in shipments
                if (
                    points := float_round(
                        shipment.revenue * rates[shipment.partner_id.tier_id.id],
                        precision_digits=2,
                    )
                )
            ]
        )

    @api.model
    def _correct_credited_shipments(self):
        """Set-based, idempotent: a credited delivery no longer delivered (cancelled,
        returned, lost) is taken back whole; one whose revenue changed is adjusted at
        the rate it was credited at. One ``reversal`` row per delivery and change: after
        it, the delivery's rows count its current revenue (0 when not delivered) and the
        next run finds nothing to do.

        :return: the number of rows written"""
        self.flush_model()
        self.env["delivery.shipment"].flush_model(["status", "revenue", "name"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT m.shipment_id, s.partner_id, m.company_id, s.name,
                       SUM(m.points) AS points, SUM(m.revenue) AS counted,
                       CASE WHEN s.status = 'delivered' THEN s.revenue ELSE 0 END AS due,
                       (array_agg(m.points / NULLIF(m.revenue, 0))
                            FILTER (WHERE m.origin = 'delivery'))[1] AS rate
                  FROM delivery_points_move m
                  JOIN delivery_shipment s ON s.id = m.shipment_id
                 WHERE m.shipment_id IS NOT NULL
                 GROUP BY m.shipment_id, s.partner_id, m.company_id, s.name, s.status,
                          s.revenue
                HAVING round(SUM(m.revenue)::numeric, 2) <> round(
                           (CASE WHEN s.status = 'delivered' THEN s.revenue ELSE 0 END)::numeric,
                           2)
                 ORDER BY m.shipment_id
                """
            )
        )
        today = fields.Date.context_today(self)
        vals_list = []
        for shipment_id, partner_id, company_id, name, points, counted, due, rate in rows:
            change = -points if not due else float_round((due - counted) * (rate or 0.0), 2)
            if float_round(change, precision_digits=2):
                vals_list.append(
                    {
                        "partner_id": partner_id,
                        "company_id": company_id,
                        "date": today,
                        "points": change,
                        "revenue": due - counted,
                        "origin": "reversal",
                        "reference": name,
                        "shipment_id": shipment_id,
                    }
                )
        self.create(vals_list)
        return len(vals_list)

    @api.model
    def _cron_accrue_points(self):
        """Daily: correct the credited deliveries cancelled or re-priced since, then
        credit the points of the deliveries delivered lately to customers in cooperation
        whose tier has a points benefit, once per delivery (the domain excludes the
        credited ones and a unique index is the last word), in committed batches."""
        self._correct_credited_shipments()
        rates = self._points_rates()
        if not rates:
            return 0
        Shipment = self.env["delivery.shipment"]
        done = 0
        domain = self._uncredited_domain(list(rates))
        while True:
            shipments = Shipment.search(domain, limit=1000, order="id").try_lock_for_update()
            # shipments without points (a tiny revenue) are marked by nothing: skip them
            # by id so a batch is never read twice
            if not shipments:
                break
            self._credit_shipments(shipments, rates)
            done += len(shipments)
            domain = self._uncredited_domain(list(rates)) & Domain("id", ">", shipments[-1].id)
            remaining = Shipment.search_count(domain, limit=1)
            if not self.env["ir.cron"]._commit_progress(len(shipments), remaining=remaining):
                break
            if not remaining:
                break
        return done
