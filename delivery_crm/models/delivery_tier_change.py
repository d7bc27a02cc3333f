from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, Query

from .delivery_constants import GROUP_MANAGER, PARTNER_OVERRIDE_FIELDS

# what a move does to a manual override (see _move_tiers)
OVERRIDE_KEEP = "keep"  # a running override keeps the effective tier; an expired one ends
OVERRIDE_END = "end"  # any override ends
OVERRIDE_START = "start"  # the move is a manager's override


class DeliveryTierChange(models.Model):
    """Log of every change of a customer's tier: who, when, why, from what to what
    (R2, 004 §五). Written by the module only; nobody edits or deletes it.

    Moving tiers belongs here: :meth:`_move_tiers` is the one way a customer's tier
    changes (the evaluation runs, a manager's override, its end and expiry, a new
    ladder, a first tier), set-based, in one statement whatever the number of
    customers: it moves the tiers, writes these rows with their direction, copies them
    into the audit log and tells the customers.
    """

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

    # ------------------------------------------------------------------ the tier API
    @api.model
    def _move_tiers(
        self, moves, origin, *, graded=False, override=OVERRIDE_END, expiry=None, force_log=False
    ):
        """Move the tiers of customers: the one way a tier changes (R2).

        :param moves: ``(partner_id, tier_id, reason, evaluation_id)`` tuples (the last
            two may be left out); a ``tier_id`` of None takes the customer back to its
            evaluated tier (else it keeps the one it has): the end of an override
        :param origin: the ``origin`` of the rows logged
        :param graded: ``tier_id`` is the tier the ladder's rules give: it becomes the
            customer's evaluated tier too
        :param override: what happens to a manager's override: :data:`OVERRIDE_KEEP`
            (an evaluation: an override still running keeps the effective tier until
            it expires, R2), :data:`OVERRIDE_END` (it ends) or :data:`OVERRIDE_START`
            (this move is a manager's override, with ``reason`` until ``expiry``)
        :param force_log: log every move, also to the tier the customer has (an
            override, its end, a first tier); otherwise only the moves that change it
        :return: the ``delivery.tier.change`` rows written

        One statement moves every customer, logs each change with its direction (from
        the levels the tiers have now, kept as history) and who made it; the changes
        then join the audit log (R9) and are announced to the customers. The tier's
        history is these rows: no chatter message per customer. Access is the
        caller's to check: this is bookkeeping of a change the caller may make.
        """
        moves = [tuple(move) + (False, None)[len(move) - 2 :] for move in moves]
        if not moves:
            return self.browse()
        partner_ids, tier_ids, reasons, evaluation_ids = zip(*moves, strict=True)
        running = self._running_override_sql("p")
        if override == OVERRIDE_KEEP:
            kept = running
            new_override = [
                SQL("CASE WHEN %s THEN p.%s END", running, SQL.identifier(name))
                for name in PARTNER_OVERRIDE_FIELDS
            ]
        elif override == OVERRIDE_START:
            kept = SQL("FALSE")
            new_override = [
                SQL("m.tier_id"),
                SQL("m.reason"),
                SQL("%s::date", expiry),
                SQL("%s::int4", self.env.uid),
            ]
        else:
            kept = SQL("FALSE")
            partner_fields = self.env["res.partner"]._fields
            new_override = [
                SQL("NULL::%s", SQL(partner_fields[name].column_type[1]))
                for name in PARTNER_OVERRIDE_FIELDS
            ]
        # the partner columns a move sets, in the order of ``target``'s new_* columns
        columns = ["tier_id", "evaluated_tier_id", *PARTNER_OVERRIDE_FIELDS]
        new_columns = [SQL.identifier(f"new_{name}") for name in columns]
        self.env["res.partner"].flush_model(["company_id", *columns])
        self.env["delivery.tier"].flush_model(["level"])
        now = fields.Datetime.now()
        rows = self.env.execute_query(
            SQL(
                """
                WITH move AS (
                    SELECT * FROM unnest(%(partner_ids)s::int4[], %(tier_ids)s::int4[],
                                         %(reasons)s::text[], %(evaluation_ids)s::int4[])
                           AS m(partner_id, tier_id, reason, evaluation_id)
                ),
                target AS (
                    SELECT p.id AS partner_id, p.company_id, p.tier_id AS old_tier_id,
                           m.reason, m.evaluation_id,
                           CASE WHEN %(kept)s THEN p.tier_id
                                ELSE COALESCE(m.tier_id, p.evaluated_tier_id, p.tier_id)
                           END AS new_tier_id,
                           CASE WHEN %(graded)s THEN m.tier_id ELSE p.evaluated_tier_id
                           END AS new_evaluated_tier_id,
                           %(new_override)s
                      FROM move m JOIN res_partner p ON p.id = m.partner_id
                ),
                moved AS (
                    UPDATE res_partner p
                       SET (%(columns)s, write_uid, write_date)
                           = (%(new_columns)s, %(uid)s, %(now)s)
                      FROM target t
                     WHERE p.id = t.partner_id
                       AND (%(old_values)s) IS DISTINCT FROM (%(new_values)s)
                )
                INSERT INTO delivery_tier_change
                       (partner_id, company_id, date, user_id, old_tier_id, new_tier_id,
                        origin, reason, evaluation_id, override_expiry, direction,
                        create_uid, create_date, write_uid, write_date)
                SELECT t.partner_id, t.company_id, %(now)s, %(uid)s, t.old_tier_id,
                       t.new_tier_id, %(origin)s, t.reason, t.evaluation_id, %(expiry)s,
                       CASE WHEN t.old_tier_id IS NULL THEN 'new'
                            WHEN new_t.level > old_t.level THEN 'up'
                            WHEN new_t.level < old_t.level THEN 'down' ELSE 'same' END,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM target t
                  LEFT JOIN delivery_tier new_t ON new_t.id = t.new_tier_id
                  LEFT JOIN delivery_tier old_t ON old_t.id = t.old_tier_id
                 WHERE %(force_log)s OR t.old_tier_id IS DISTINCT FROM t.new_tier_id
                 ORDER BY t.partner_id
                RETURNING id, partner_id, old_tier_id IS DISTINCT FROM new_tier_id
                """,
                partner_ids=list(partner_ids),
                tier_ids=[tier_id or None for tier_id in tier_ids],
                reasons=[reason or None for reason in reasons],
                evaluation_ids=[evaluation_id or None for evaluation_id in evaluation_ids],
                kept=kept,
                graded=bool(graded),
                new_override=SQL(", ").join(
                    SQL("%s AS %s", value, SQL.identifier(f"new_{name}"))
                    for value, name in zip(new_override, PARTNER_OVERRIDE_FIELDS, strict=True)
                ),
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                new_columns=SQL(", ").join(SQL("t.%s", column) for column in new_columns),
                old_values=SQL(", ").join(SQL("p.%s", SQL.identifier(name)) for name in columns),
                new_values=SQL(", ").join(SQL("t.%s", column) for column in new_columns),
                origin=origin,
                expiry=expiry if override == OVERRIDE_START else None,
                force_log=bool(force_log),
                uid=self.env.uid,
                now=now,
            )
        )
        self.env["res.partner"].invalidate_model([*columns, "write_uid", "write_date"])
        self.invalidate_model()
        if not rows:
            return self.browse()
        # R9: the moves join the audit log, in one INSERT ... SELECT (a move to the tier
        # the customer had changes nothing there)
        self.env["delivery.audit.log"]._log_tier_changes(
            [change_id for change_id, _partner_id, moved in rows if moved]
        )
        self._notify_reachable([(change_id, partner_id) for change_id, partner_id, _moved in rows])
        return self.browse(change_id for change_id, _partner_id, _moved in rows)

    @api.model
    def _running_override_domain(self):
        """The customers whose manager's override still runs: set, and not expired
        (it runs through its expiry day). The one statement of this rule; the
        set-based moves use its SQL form, :meth:`_running_override_sql`."""
        today = fields.Date.context_today(self)
        return [
            ("tier_override_tier_id", "!=", False),
            "|",
            ("tier_override_expiry", "=", False),
            ("tier_override_expiry", ">=", today),
        ]

    @api.model
    def _running_override_sql(self, alias):
        """:meth:`_running_override_domain` as a SQL condition on the ``res_partner``
        row aliased ``alias`` (compiled by the ORM, so the two cannot differ)."""
        partners = self.env["res.partner"]
        domain = Domain(self._running_override_domain()).optimize_full(partners)
        query = Query(self.env, alias, SQL.identifier(partners._table))
        return SQL("(%s)", domain._to_sql(partners, alias, query))

    @api.model
    def _start_override(self, partners, tier, reason, expiry):
        """A manager sets the tier of ``partners`` by hand, with a reason, until
        ``expiry`` (R2): the override wizard's action."""
        if not self.env.user.has_group(GROUP_MANAGER):
            raise AccessError(self.env._("Only Delivery CRM managers can override a tier."))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("A tier override needs a reason."))
        if not expiry or expiry <= fields.Date.context_today(self):
            raise UserError(self.env._("A tier override needs an end date in the future."))
        for partner in partners:
            if tier.ladder_id != partner.tier_ladder_id:
                raise UserError(
                    self.env._(
                        "Tier %(tier)s is not in the ladder of %(customer)s.",
                        tier=tier.display_name,
                        customer=partner.display_name,
                    )
                )
        return self._move_tiers(
            [(partner.id, tier.id, reason) for partner in partners],
            "override",
            override=OVERRIDE_START,
            expiry=expiry,
            force_log=True,
        )

    @api.model
    def _end_overrides(self, partners, reason):
        """Stop the overrides of ``partners``: each goes back to its evaluated tier.
        Called by a manager's button (``res.partner.action_end_tier_override``) and
        the daily expiry cron (:meth:`_cron_expire_overrides`)."""
        # sudo: whether an override runs is read to decide, whatever the user may read
        overridden = partners.sudo().filtered("tier_override_tier_id")
        return self._move_tiers(
            [(partner.id, None, reason) for partner in overridden],
            "override_end",
            force_log=True,
        )

    @api.model
    def _cron_expire_overrides(self):
        """Daily: the overrides past their end date (set, and no longer running) give
        way to the evaluated tier; batched over the customers (delivery.cron.mixin)."""
        expired = Domain("tier_override_tier_id", "!=", False) & ~Domain(
            self._running_override_domain()
        )
        reason = self.env._("Override expired")
        return self.env["res.partner"]._cron_process_batches(
            expired, lambda partners: self._end_overrides(partners, reason)
        )

    @api.model
    def _reset_to_ladder(self, partners):
        """Give each customer of ``partners`` whose tier is not in its ladder the tier
        its latest KPIs earn there, or the ladder's entry (lowest) tier when they earn
        none (a new customer, a new ladder). The override, if any, was given in the old
        ladder and ends (a running one is ended by a manager only: see
        ``res.partner._check_ladder_change``)."""
        # sudo: the profile is read to decide the tier, whatever the user may read
        partners = partners.sudo().filtered(
            lambda p: p.is_delivery_customer and p.tier_id.ladder_id != p.tier_ladder_id
        )
        Tier = self.env["delivery.tier"]
        reason = self.env._("Initial tier of the ladder")
        moves = []
        for partner in partners:
            score = partner.kpi_score if partner.kpi_date else None
            tier = Tier._match_tier(partner.tier_ladder_id, score, partner.kpi_volume)
            moves.append((partner.id, tier.id, reason))
        return self._move_tiers(moves, "manual", graded=True)

    @api.model
    def _log_first_tier(self, partners):
        """A tier given at creation (a manager's import of existing customers): it is
        the customer's evaluated tier too, and its first history row."""
        reason = self.env._("Initial tier")
        return self._move_tiers(
            [(partner.id, partner.tier_id.id, reason) for partner in partners],
            "manual",
            graded=True,
            force_log=True,
        )

    # ------------------------------------------------------------------ notices
    @api.model
    def _notify_reachable(self, changes):
        """Announce the changes ``changes`` (``(change_id, partner_id)`` pairs) to those
        of their customers who can be told (an e-mail address or a phone number for the
        text message): looked up in one query rather than by reading every customer."""
        self.env["res.partner"].flush_model(["customer_state", "email", "phone"])
        reachable = {
            partner_id
            for (partner_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT id FROM res_partner
                     WHERE id IN %s AND customer_state = 'active'
                       AND (COALESCE(email, '') != '' OR COALESCE(phone, '') != '')
                    """,
                    tuple({partner_id for _id, partner_id in changes}),
                )
            )
        }
        self.browse(
            change_id for change_id, partner_id in changes if partner_id in reachable
        )._notify_customer()

    def _notify_customer(self):
        """Tell each active customer whose ladder asks for it of its new tier
        (004 §五.4: by SMS, mail or phone): the tier-change mail where the customer has
        an e-mail address, a text message (queued) where it has a valid phone number, so a
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
        # a valid number only: ``phone_sanitized`` is Odoo's E.164 form of the phone,
        # empty when phone_validation finds it invalid (a number kept from before
        # numbers were validated); the SMS gateway would refuse it
        to_text = to_notify.filtered(lambda change: change.partner_id.phone_sanitized)
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
                    "number": change.partner_id.phone_sanitized,
                    "body": bodies[change.id],
                    "state": "outgoing",
                }
                for change in to_text
            ]
        )
