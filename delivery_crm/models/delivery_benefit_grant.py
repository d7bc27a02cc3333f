import calendar
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.fields import Domain

from .delivery_tier_benefit import BENEFIT_KINDS


class DeliveryBenefitGrant(models.Model):
    """What each customer received of its tier's benefits, and when (004 门店客户分级 §四):
    one row per benefit, customer and occasion (a gift for a contact's birthday of a
    year, a year-end gift, an executive review of a period), with the gift record (a care
    event) or the planned review visit it made. A ledger of its own rather than care
    events: care events are working records people edit, cancel and re-plan, a grant is
    history (what was granted stays said) and its ``occasion`` key makes the daily cron
    idempotent through a unique index. Written by the system only."""

    _name = "delivery.benefit.grant"
    _inherit = ["delivery.system.log.mixin"]
    _description = "Tier benefit granted"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    benefit_id = fields.Many2one("delivery.tier.benefit", required=True, ondelete="restrict")
    kind = fields.Selection(BENEFIT_KINDS, required=True)
    tier_id = fields.Many2one("delivery.tier", ondelete="set null")
    date = fields.Date(string="Granted on", required=True)
    occasion_date = fields.Date(string="For")
    occasion = fields.Char(required=True, help="Which occasion or period: one grant each.")
    name = fields.Char(string="Description", required=True)
    contact_id = fields.Many2one("res.partner", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Account manager", ondelete="set null")
    care_event_id = fields.Many2one("delivery.care.event", string="Gift", ondelete="set null")
    visit_id = fields.Many2one("delivery.visit", string="Review visit", ondelete="set null")

    _occasion_once = models.UniqueIndex(
        "(partner_id, benefit_id, occasion)",
        "A benefit is granted once per customer and occasion.",
    )

    # ------------------------------------------------------------------ occasions
    @api.model
    def _gift_occasions(self, benefit, partner, today):
        """``[(occasion key, occasion date, contact or None)]``: the gifts of ``benefit``
        due for ``partner`` from ``today`` (the occasion within its lead days)."""
        horizon = today + timedelta(days=benefit.lead_days)
        if benefit.gift_occasion == "year_end":
            year_end = date(today.year, 12, 31)
            return [(f"year_end:{today.year}", year_end, None)] if horizon >= year_end else []
        result = []
        contacts = partner.child_ids.filtered(lambda c: not c.is_company and c.birthday)
        for contact in contacts:
            for year in {today.year, horizon.year}:
                day = min(
                    contact.birthday.day, calendar.monthrange(year, contact.birthday.month)[1]
                )
                birthday = date(year, contact.birthday.month, day)
                if today <= birthday <= horizon:
                    result.append((f"birthday:{year}:{contact.id}", birthday, contact))
        return result

    @api.model
    def _review_occasion(self, benefit, today):
        """The review period of ``benefit`` ``today`` falls in: (key, first day)."""
        months = benefit.review_interval_months
        index = (today.month - 1) // months
        return f"review:{today.year}:{months}:{index}", date(today.year, index * months + 1, 1)

    # ------------------------------------------------------------------ acting
    def _grant_gift(self, benefit, partner, tier, occasion, day, contact):
        env = self.env
        if contact:
            title = env._("%(benefit)s for %(contact)s", benefit=benefit.name, contact=contact.name)
        else:
            title = env._("%(benefit)s (%(year)s)", benefit=benefit.name, year=day.year)
        event = env["delivery.care.event"].create(
            {
                "name": title,
                "kind": "gift",
                "partner_id": partner.id,
                "contact_ids": [(6, 0, contact.ids if contact else [])],
                "date": day,
                "user_id": partner.account_manager_id.id,
                "company_id": (partner.company_id or env.company).id,
            }
        )
        event.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=partner.account_manager_id.id,
            date_deadline=max(day - timedelta(days=1), fields.Date.context_today(self)),
            summary=env._("Prepare the gift: %(gift)s", gift=title),
            note=env._(
                "A tier benefit of %(customer)s (%(tier)s). Record the gift and its cost on "
                "the care event, and mark it done once given.",
                customer=partner.display_name,
                tier=tier.name,
            ),
        )
        return {
            "name": title,
            "care_event_id": event.id,
            "contact_id": contact.id if contact else False,
        }

    def _grant_review(self, benefit, partner, tier):
        env = self.env
        name = env._("%(benefit)s (%(tier)s)", benefit=benefit.name, tier=tier.name)
        visit = env["delivery.visit"]._propose_return_visit(
            partner,
            partner.account_manager_id,
            "benefit",
            name,
            days=7,
            visit_type="review",
            note=env._(
                "Hold the executive review with %(customer)s: results of the period, "
                "service, plans.",
                customer=partner.display_name,
            ),
        )
        return {"name": name, "visit_id": visit.id}

    @api.model
    def _act_on_partners(self, partners, gifts, reviews, today):
        """Grant what is due to ``partners`` (``gifts``/``reviews``: ``{tier: benefits}``)."""
        done = self.search(
            [("partner_id", "in", partners.ids), ("date", ">=", today - timedelta(days=400))]
        )
        granted = {(g.partner_id.id, g.benefit_id.id, g.occasion) for g in done}
        rows = []
        for partner in partners:
            tier = partner.tier_id
            due = []
            for benefit in gifts.get(tier, []):
                for occasion, day, contact in self._gift_occasions(benefit, partner, today):
                    due.append((benefit, occasion, day, contact))
            for benefit in reviews.get(tier, []):
                occasion, day = self._review_occasion(benefit, today)
                due.append((benefit, occasion, day, None))
            for benefit, occasion, day, contact in due:
                if (partner.id, benefit.id, occasion) in granted:
                    continue
                if benefit.kind == "gift":
                    values = self._grant_gift(benefit, partner, tier, occasion, day, contact)
                else:
                    values = self._grant_review(benefit, partner, tier)
                granted.add((partner.id, benefit.id, occasion))
                rows.append(
                    {
                        "partner_id": partner.id,
                        "company_id": (partner.company_id or self.env.company).id,
                        "benefit_id": benefit.id,
                        "kind": benefit.kind,
                        "tier_id": tier.id,
                        "date": today,
                        "occasion_date": day,
                        "occasion": occasion,
                        "user_id": partner.account_manager_id.id,
                        **values,
                    }
                )
        self.create(rows)

    @api.model
    def _cron_act_on_benefits(self):
        """Daily: the gifts due (a task and a gift record for the account manager, the
        benefit's lead days before a contact's birthday or the year end) and the
        executive reviews due (a planned review visit once per period) of the active
        customers with an account manager, in committed batches. A grant is made once
        per customer, benefit and occasion: a second run does nothing."""
        Tier = self.env["delivery.tier"]
        gifts = Tier._tiers_with_benefit("gift")
        reviews = Tier._tiers_with_benefit("review")
        tiers = list({tier.id for tier in [*gifts, *reviews]})
        if not tiers:
            return 0
        today = fields.Date.context_today(self)
        domain = Domain(
            [
                ("is_delivery_customer", "=", True),
                ("customer_state", "=", "active"),
                ("account_manager_id", "!=", False),
                ("tier_id", "in", tiers),
            ]
        )
        Partner = self.env["res.partner"]
        done = 0
        last_id = 0
        while True:
            partners = Partner.search(domain & Domain("id", ">", last_id), limit=500, order="id")
            if not partners:
                break
            self._act_on_partners(partners, gifts, reviews, today)
            done += len(partners)
            last_id = partners[-1].id
            remaining = Partner.search_count(domain & Domain("id", ">", last_id), limit=1)
            if not self.env["ir.cron"]._commit_progress(len(partners), remaining=remaining):
                break
            if not remaining:
                break
        return done


class DeliveryVisit(models.Model):
    _inherit = "delivery.visit"

    visit_type = fields.Selection(
        selection_add=[("review", "Executive review")], ondelete={"review": "set default"}
    )
    origin = fields.Selection(
        selection_add=[("benefit", "Tier benefit")], ondelete={"benefit": "set default"}
    )
