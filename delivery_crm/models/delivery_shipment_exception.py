from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from .delivery_constants import CRM_READ
from .delivery_shipment import EXCEPTION_KINDS

# the complaint type of the request opened from an exception of each kind
COMPLAINT_TYPE_BY_KIND = {
    "late": "delivery_crm.delivery_complaint_type_delay",
    "at_risk": "delivery_crm.delivery_complaint_type_delay",
    "damaged": "delivery_crm.delivery_complaint_type_damage",
    "lost": "delivery_crm.delivery_complaint_type_loss",
    "failed_attempt": "delivery_crm.delivery_complaint_type_other",
}
EXCEPTION_STATES = [("open", "Open"), ("in_progress", "In progress"), ("resolved", "Resolved")]


class DeliveryShipmentException(models.Model):
    """A problem of one delivery, one row per delivery and kind (000 §四(四).4, §四(五).3):
    the UNIQUE(shipment, kind) index is what "announced once per kind" means, and what
    keeps two cron workers or two writes from raising (and announcing) it twice. The
    service desk works them as a queue: an owner (the customer's account manager, else
    its service team's leader, as requests are routed), a deadline, a state."""

    _name = "delivery.shipment.exception"
    _inherit = ["mail.thread", "mail.activity.mixin", "delivery.system.field.mixin"]
    _description = "Delivery exception"
    _order = "detected_date desc, id desc"
    _check_company_auto = True
    _system_fields = frozenset(
        {
            "shipment_id",
            "kind",
            "detected_date",
            "deadline",
            "announced_date",
            "announced_by_mail",
            "announced_by_sms",
            "notice_pending",
            "escalated",
            "resolved_date",
            "complaint_id",
        }
    )

    shipment_id = fields.Many2one(
        "delivery.shipment",
        string="Delivery",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
        check_company=True,
    )
    kind = fields.Selection(EXCEPTION_KINDS, required=True, readonly=True, tracking=True)
    detected_date = fields.Datetime(
        string="Detected on", required=True, readonly=True, default=fields.Datetime.now
    )
    partner_id = fields.Many2one(
        related="shipment_id.partner_id", string="Customer", store=True, index=True
    )
    company_id = fields.Many2one(related="shipment_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        index=True,
        tracking=True,
        domain=[("share", "=", False)],
        check_company=True,
        help="Who handles it: the customer's account manager, else the leader of its "
        "service team (as requests are routed).",
    )
    team_id = fields.Many2one(
        "delivery.service.team", string="Service team", check_company=True, readonly=True
    )
    deadline = fields.Datetime(
        readonly=True,
        help="Detected time plus the company's exception deadline (Settings).",
    )
    state = fields.Selection(
        EXCEPTION_STATES, required=True, default="open", tracking=True, index=True
    )
    resolution_note = fields.Text(string="Resolution")
    resolved_date = fields.Datetime(string="Resolved on", readonly=True, copy=False)
    announced_date = fields.Datetime(
        string="Customer told on",
        readonly=True,
        copy=False,
        help="When the customer (and the contacts who asked for it) was told; empty "
        "when nobody wished to be told.",
    )
    notice_pending = fields.Boolean(
        readonly=True,
        copy=False,
        help="Raised by a batch of the transport system: the customer is told by the "
        "notice job, started at once after the batch (not inside the API call).",
    )
    announced_by_mail = fields.Boolean(string="Told by e-mail", readonly=True, copy=False)
    announced_by_sms = fields.Boolean(string="Told by SMS", readonly=True, copy=False)
    escalated = fields.Boolean(
        readonly=True, copy=False, help="Still open after its deadline: the manager was asked."
    )
    is_overdue = fields.Boolean(
        string="Overdue", compute="_compute_is_overdue", search="_search_is_overdue"
    )
    complaint_id = fields.Many2one(
        "delivery.complaint",
        string="Request",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        groups=CRM_READ,
    )

    _shipment_kind_unique = models.Constraint(
        "UNIQUE(shipment_id, kind)",
        lambda env, diag=None: env._("This delivery already has an exception of this kind."),
    )
    # the notice job's queue: few rows at a time, found without a scan
    _notice_pending_idx = models.Index("(id) WHERE notice_pending")

    @api.depends("deadline", "state")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for exception in self:
            exception.is_overdue = bool(
                exception.state != "resolved" and exception.deadline and exception.deadline < now
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        overdue = Domain("state", "!=", "resolved") & Domain("deadline", "<", fields.Datetime.now())
        return overdue if (True in value) == (operator == "in") else ~overdue

    @api.depends("shipment_id", "kind")
    def _compute_display_name(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for exception in self:
            exception.display_name = (
                f"{exception.shipment_id.name or ''}: {labels.get(exception.kind, '')}"
            )

    # ------------------------------------------------------------------ CRUD
    def write(self, vals):
        self._check_system_fields(vals)
        if vals.get("state") == "resolved":
            vals = dict(vals, resolved_date=fields.Datetime.now())
        elif vals.get("state"):
            vals = dict(vals, resolved_date=False)
        return super().write(vals)

    # ------------------------------------------------------------------ actions
    def action_start(self):
        self.filtered(lambda e: e.state == "open").write({"state": "in_progress"})

    def action_resolve(self):
        missing = self.filtered(lambda e: not (e.resolution_note or "").strip())
        if missing:
            raise UserError(
                self.env._(
                    "Say how the exception was resolved before closing it (%(exceptions)s).",
                    exceptions=", ".join(missing.mapped("display_name")),
                )
            )
        self.write({"state": "resolved"})

    def action_reopen(self):
        self.filtered(lambda e: e.state == "resolved").write({"state": "open"})

    def action_open_request(self):
        """Open a customer request (a complaint) for the delivery's customer from this
        exception, or show the one already opened."""
        self.ensure_one()
        if not self.complaint_id:
            labels = dict(self._fields["kind"]._description_selection(self.env))
            complaint = self.env["delivery.complaint"].create(
                {
                    "partner_id": self.partner_id.id,
                    "shipment_id": self.shipment_id.id,
                    "company_id": self.company_id.id,
                    "request_type": "complaint",
                    "type_id": self.env.ref(COMPLAINT_TYPE_BY_KIND[self.kind]).id,
                    "channel": "other",
                    "subject": self.env._(
                        "Delivery %(ref)s: %(kind)s",
                        ref=self.shipment_id.name,
                        kind=labels[self.kind],
                    ),
                }
            )
            self._write_system({"complaint_id": complaint.id})
            if self.state == "open":
                self.state = "in_progress"
        return {
            "type": "ir.actions.act_window",
            "res_model": "delivery.complaint",
            "res_id": self.complaint_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ raising
    @api.model
    def _raise_for(self, kind, shipments, now=None):
        """Raise the exceptions ``kind`` of ``shipments`` that do not exist yet, and
        announce them. Set-based: one INSERT ... ON CONFLICT DO NOTHING for the whole
        batch (a row another transaction or an earlier run made stays alone), the owner,
        team and deadline computed in the same statement from the customer and the
        company's setting. Returns the exceptions created."""
        created = self._insert_rows(kind, shipments.ids, now or fields.Datetime.now())
        if created:
            created._plan_activities()
            # task duty (issue 17 item 3): a key account's lost or damaged delivery
            self.env["delivery.major.incident"]._raise_key_exceptions(created)
            if self.env.context.get("delivery_crm_defer_notices"):
                created._defer_notices()
            else:
                created.shipment_id._announce_exceptions(created)
        return created

    def _defer_notices(self):
        """Leave the notices of these exceptions to the notice job and start it now (a
        batch of the transport system answers without rendering a mail per late job;
        the customer is told seconds later, by a cron worker)."""
        # sudo: the flag is the module's own bookkeeping, whoever raised the exception
        self.sudo()._write_system({"notice_pending": True})
        # sudo: starting the module's own job; the transport user may not read crons
        self.env.ref("delivery_crm.ir_cron_delivery_exception_notices").sudo()._trigger()

    @api.model
    def _cron_send_notices(self):
        """The notices left by the transport system's batches (``_defer_notices``, and
        the status changes of ``delivery.shipment._defer_status_push``), in locked,
        committed batches; each is told once (the flag is cleared with its notice, in
        the same transaction)."""
        Shipment = self.env["delivery.shipment"]
        Shipment._cron_process_batches(
            Domain("status_push_pending", "=", True),
            lambda shipments: shipments._send_pending_status_push(),
        )
        domain = Domain("notice_pending", "=", True)
        batch_size = self.env["delivery.cron.mixin"]._cron_batch_size
        done = 0
        while True:
            exceptions = self.search(domain, limit=batch_size, order="id").try_lock_for_update()
            if not exceptions:
                break
            exceptions.shipment_id._announce_exceptions(exceptions)
            exceptions._write_system({"notice_pending": False})
            done += len(exceptions)
            remaining = self.search_count(domain) if len(exceptions) == batch_size else 0
            time_left = self.env["ir.cron"]._commit_progress(len(exceptions), remaining=remaining)
            if not remaining or not time_left:
                break
        return done

    @api.model
    def _insert_rows(self, kind, shipment_ids, now):
        """The one place exception rows are made (the job, the delivery writes and the
        19.0.1.3.0 migration): returns those created."""
        if not shipment_ids:
            return self.browse()
        self.env["delivery.shipment"].flush_model()
        self.env["res.partner"].flush_model(["account_manager_id", "service_team_id"])
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO delivery_shipment_exception
                       (shipment_id, kind, detected_date, partner_id, company_id, user_id,
                        team_id, deadline, state, create_uid, create_date, write_uid,
                        write_date)
                SELECT s.id, %(kind)s, %(now)s, s.partner_id, s.company_id,
                       COALESCE(p.account_manager_id, t.leader_id), p.service_team_id,
                       %(now)s + make_interval(
                           hours => GREATEST(COALESCE(c.delivery_exception_deadline_hours, 24), 1)
                       ),
                       'open', %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM delivery_shipment s
                  JOIN res_partner p ON p.id = s.partner_id
                  JOIN res_company c ON c.id = s.company_id
                  LEFT JOIN delivery_service_team t ON t.id = p.service_team_id
                 WHERE s.id = ANY(%(ids)s)
                 ORDER BY s.id
                    ON CONFLICT (shipment_id, kind) DO NOTHING
                RETURNING id
                """,
                kind=kind,
                now=now,
                uid=self.env.uid,
                ids=list(shipment_ids),
            )
        )
        created = self.browse(row[0] for row in self.env.cr.fetchall())
        # the rows were written in SQL: what the ORM cached of the deliveries is stale
        self.env["delivery.shipment"].browse(shipment_ids).invalidate_recordset(
            ["exception_ids", "exception_notified"]
        )
        return created

    def _plan_activities(self):
        """A to-do for each owner, due by the exception's deadline (one create)."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        labels = dict(self._fields["kind"]._description_selection(self.env))
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": exception.id,
                "activity_type_id": todo.id,
                "user_id": exception.user_id.id,
                "date_deadline": fields.Date.to_date(exception.deadline),
                "summary": self.env._(
                    "Delivery exception %(ref)s: %(kind)s",
                    ref=exception.shipment_id.name,
                    kind=labels[exception.kind],
                ),
            }
            for exception in self
            if exception.user_id
        ]
        # sudo: the to-dos are the module's own routing, planned whoever raised the exception
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            vals_list
        )

    # ------------------------------------------------------------------ the job
    @api.model
    def _cron_detect(self):
        """Every 15 minutes: deliveries not delivered by their promised time (late), those
        due within the company's warning window (at risk, when set), and open exceptions
        past their deadline (escalated once). Batched, committed, resumable, safe with two
        workers (``delivery.cron.mixin``: a batch's deliveries locked SKIP LOCKED; the
        unique index is the last word)."""
        Shipment = self.env["delivery.shipment"]
        now = fields.Datetime.now()
        for company in self.env["res.company"].search(
            [("delivery_exception_lookback_days", ">", 0)]
        ):
            since = now - timedelta(days=max(company.delivery_exception_lookback_days, 1))
            Shipment._cron_process_batches(
                Shipment._exception_due_domain("late", now)
                & Domain("promised_datetime", ">=", since)
                & Domain("company_id", "=", company.id),
                lambda shipments: self._raise_for("late", shipments, now),
            )
        for company in self.env["res.company"].search(
            [("delivery_exception_at_risk_hours", ">", 0)]
        ):
            window = now + timedelta(hours=company.delivery_exception_at_risk_hours)
            Shipment._cron_process_batches(
                Shipment._exception_due_domain("at_risk", now, window)
                & Domain("company_id", "=", company.id),
                lambda shipments: self._raise_for("at_risk", shipments, now),
            )
        self._escalate_overdue(now)

    def _escalation_domain(self, now):
        return Domain(
            [("state", "!=", "resolved"), ("escalated", "=", False), ("deadline", "<", now)]
        )

    @api.model
    def _escalate_overdue(self, now):
        """Ask the team leader (else the service-centre head) about each open
        exception past its deadline, once (the flag makes the domain false)."""
        domain = self._escalation_domain(now)
        batch_size = self.env["delivery.cron.mixin"]._cron_batch_size
        while True:
            exceptions = self.search(domain, limit=batch_size, order="id").try_lock_for_update()
            if not exceptions:
                break
            exceptions._escalate()
            remaining = self.search_count(domain) if len(exceptions) == batch_size else 0
            time_left = self.env["ir.cron"]._commit_progress(len(exceptions), remaining=remaining)
            if not remaining or not time_left:
                break

    def _escalate(self):
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for exception in self:
            manager = (
                exception.team_id.leader_id or exception.company_id.delivery_complaint_manager_id
            )
            if manager:
                vals_list.append(
                    {
                        "res_model_id": model_id,
                        "res_id": exception.id,
                        "activity_type_id": todo.id,
                        "user_id": manager.id,
                        "date_deadline": fields.Date.context_today(self),
                        "summary": self.env._(
                            "Overdue delivery exception: %(exception)s",
                            exception=exception.display_name,
                        ),
                    }
                )
        # sudo: the escalation is the module's own routing, done by the job
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            vals_list
        )
        self._write_system({"escalated": True})
