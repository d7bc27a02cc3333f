from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

ACTIVITY_TYPE = "delivery_crm.mail_activity_type_complaint_action"


class DeliveryComplaintAction(models.Model):
    """A corrective or preventive action decided for a complaint, with its owner and
    deadline (001 §七.3: 纠正措施 / 预防措施). The owner gets an activity with the
    deadline; an action done needs a note; an overdue one is escalated once (by the
    SLA escalation job) to the complaint's manager. A complaint is not resolved while a
    corrective action is open; a preventive one may stay open (it is tracked) and can
    carry an effectiveness check."""

    _name = "delivery.complaint.action"
    _description = "Complaint corrective or preventive action"
    _inherit = ["delivery.cron.mixin", "delivery.system.field.mixin"]
    _order = "complaint_id, deadline, id"
    _check_company_auto = True
    # kept by the module: the owner's activity, the escalation, the day it was done
    _system_fields = frozenset({"activity_id", "escalated", "done_date"})

    complaint_id = fields.Many2one(
        "delivery.complaint", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="complaint_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("corrective", "Corrective"), ("preventive", "Preventive")],
        required=True,
        default="corrective",
    )
    name = fields.Text(string="Action", required=True)
    owner_id = fields.Many2one(
        "res.users",
        required=True,
        domain=[("share", "=", False)],
        check_company=True,
    )
    deadline = fields.Date(required=True, index=True)
    done = fields.Boolean()
    done_date = fields.Date(readonly=True, copy=False)
    done_note = fields.Text(string="What was done", copy=False)
    overdue = fields.Boolean(compute="_compute_overdue", search="_search_overdue")
    escalated = fields.Boolean(
        readonly=True, copy=False, help="The overdue action was escalated to the manager."
    )
    activity_id = fields.Many2one("mail.activity", readonly=True, copy=False, ondelete="set null")
    # preventive actions: was it effective? (001 §七.4: 确保问题得到彻底解决,防止再次发生)
    effectiveness_date = fields.Date(
        string="Check effectiveness on",
        help="When the owner checks that the preventive action works; they get an "
        "activity on that day once the action is done.",
    )
    effectiveness_result = fields.Selection(
        [("effective", "Effective"), ("not_effective", "Not effective")], copy=False
    )
    effectiveness_note = fields.Text(copy=False)

    @api.depends("done", "deadline")
    def _compute_overdue(self):
        today = fields.Date.context_today(self)
        for action in self:
            action.overdue = not action.done and action.deadline and action.deadline < today

    def _search_overdue(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        overdue = Domain("done", "=", False) & Domain(
            "deadline", "<", fields.Date.context_today(self)
        )
        return overdue if operator == "in" else ~overdue

    @api.constrains("done", "done_note")
    def _check_done_note(self):
        for action in self:
            if action.done and not (action.done_note or "").strip():
                raise ValidationError(
                    self.env._(
                        "Say what was done for the action %(action)s before marking it done.",
                        action=action.name,
                    )
                )

    @api.constrains("kind", "effectiveness_date", "effectiveness_result")
    def _check_effectiveness(self):
        for action in self:
            if action.kind != "preventive" and (
                action.effectiveness_date or action.effectiveness_result
            ):
                raise ValidationError(
                    self.env._("Only a preventive action has an effectiveness check.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        model = self._check_system_fields_create(vals_list)
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("done"):
                vals["done_date"] = today
        actions = super(DeliveryComplaintAction, model).create(vals_list).with_env(self.env)
        actions._sync_activity()
        return actions

    def write(self, vals):
        self._check_system_fields(vals)
        if "done" in vals:
            vals["done_date"] = fields.Date.context_today(self) if vals["done"] else False
        # the step the activity stood for is over: it is marked done with the note
        finished = (
            self.filtered("activity_id")
            if {"done", "effectiveness_result"} & vals.keys()
            else self.browse()
        )
        result = super().write(vals)
        for action in finished:
            action._finish_activity()
        if {"done", "owner_id", "deadline", "name", "kind"} & vals.keys() or (
            {"effectiveness_date", "effectiveness_result"} & vals.keys()
        ):
            self._sync_activity()
        return result

    def unlink(self):
        # sudo: the actions' own activities go with them (see _sync_activity)
        self.activity_id.sudo().unlink()
        return super().unlink()

    # ------------------------------------------------------------------ activities
    def _wanted_activity(self):
        """(summary, due date) of the activity the owner should have now, or None: an
        open action's, due on its deadline; a done preventive action's effectiveness
        check, due on its date until the result is recorded."""
        self.ensure_one()
        if not self.done:
            if self.kind == "corrective":
                summary = self.env._("Corrective action: %(action)s", action=self.name)
            else:
                summary = self.env._("Preventive action: %(action)s", action=self.name)
            return summary, self.deadline
        if self.kind == "preventive" and self.effectiveness_date and not self.effectiveness_result:
            summary = self.env._("Check the effectiveness of: %(action)s", action=self.name)
            return summary, self.effectiveness_date
        return None

    def _finish_activity(self):
        self.ensure_one()
        # sudo: the activity belongs to the action's owner; whoever may change the
        # action marks it done (mail.activity lets only its user or an editor do so)
        self.activity_id.sudo().action_feedback(
            feedback=self.effectiveness_note or self.done_note or ""
        )
        self._write_system({"activity_id": False})

    def _sync_activity(self):
        for action in self:
            wanted = action._wanted_activity()
            activity = action.activity_id
            if not wanted:
                if activity:
                    action._finish_activity()
                continue
            summary, due = wanted
            if activity:
                # sudo: as in _finish_activity, the owner's activity of this action
                activity.sudo().write(
                    {"user_id": action.owner_id.id, "date_deadline": due, "summary": summary}
                )
                continue
            # sudo: as in _finish_activity; the activity is scheduled for the owner on
            # the complaint the action belongs to
            activity = action.complaint_id.sudo().activity_schedule(
                ACTIVITY_TYPE,
                date_deadline=due,
                summary=summary,
                note=action.name,
                user_id=action.owner_id.id,
            )
            action._write_system({"activity_id": activity.id})

    # ------------------------------------------------------------------ escalation
    @api.model
    def _overdue_escalation_domain(self):
        return (
            Domain("overdue", "in", [True])
            & Domain("escalated", "=", False)
            & Domain("complaint_id.state", "!=", "closed")
        )

    @api.model
    def _cron_escalate_overdue(self):
        """Escalate each overdue action once to the complaint's manager (the service
        team leader, else the service-centre head)."""
        return self._cron_process_batches(
            self._overdue_escalation_domain(), lambda batch: batch._escalate_overdue()
        )

    def _escalate_overdue(self):
        for action in self:
            complaint = action.complaint_id
            manager = complaint._escalation_manager() or self.env.ref("base.user_admin")
            body = self.env._(
                "%(action)s (%(kind)s action of %(complaint)s, owner %(owner)s) was due on "
                "%(deadline)s and is not done. Escalated.",
                action=action.name,
                kind=dict(action._fields["kind"]._description_selection(self.env))[action.kind],
                complaint=complaint.display_name,
                owner=action.owner_id.name,
                deadline=action.deadline,
            )
            complaint.activity_schedule(
                "delivery_crm.mail_activity_type_sla_escalation",
                user_id=manager.id,
                summary=self.env._("Overdue action: %(action)s", action=action.name),
                note=body,
            )
            complaint.message_post(
                body=body,
                subtype_xmlid="mail.mt_note",
                partner_ids=(manager | action.owner_id).partner_id.ids,
            )
            action._write_system({"escalated": True})
