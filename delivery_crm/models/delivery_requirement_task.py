from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

ACTIVITY_TYPE = "delivery_crm.mail_activity_type_requirement_task"
# the states of a requirement in which its action plan may still change
PLANNING_STATES = (
    "registered",
    "acknowledged",
    "investigating",
    "resolving",
    "waiting",
    "reopened",
)


class DeliveryRequirementTask(models.Model):
    """A task of the action plan of a customer's requirement (001 §六.3 需求响应:
    "及时安排相关部门进行...工作"): what is done, by which department, who owns it and by
    when. The owner gets an activity with the deadline, the department's head and
    members are told when it is assigned to them (002 §四.3.2 通知相关部门), a task
    done needs a note, an overdue one is escalated once by the SLA escalation job
    (001 §六.4 需求跟踪). The requirement is delivered when every task is done."""

    _name = "delivery.requirement.task"
    _description = "Requirement task"
    _inherit = ["delivery.cron.mixin", "delivery.system.field.mixin"]
    _order = "complaint_id, deadline, id"
    _check_company_auto = True
    # kept by the module: the owner's activity, the escalation, the day it was done
    _system_fields = frozenset({"activity_id", "escalated", "done_date"})

    complaint_id = fields.Many2one(
        "delivery.complaint",
        string="Requirement",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("request_type", "=", "requirement")],
    )
    company_id = fields.Many2one(related="complaint_id.company_id", store=True, index=True)
    name = fields.Text(
        string="Task",
        required=True,
        help="The customer sees the task names in the plan and progress reports mailed "
        "to them: write them for the customer.",
    )
    department_id = fields.Many2one("delivery.department", index=True, check_company=True)
    owner_id = fields.Many2one(
        "res.users", required=True, domain=[("share", "=", False)], check_company=True
    )
    deadline = fields.Date(required=True, index=True)
    state = fields.Selection(
        [("open", "Open"), ("done", "Done")], required=True, default="open", index=True
    )
    done_date = fields.Date(readonly=True, copy=False)
    done_note = fields.Text(string="What was done", copy=False)
    overdue = fields.Boolean(compute="_compute_overdue", search="_search_overdue")
    escalated = fields.Boolean(
        readonly=True, copy=False, help="The overdue task was escalated to the manager."
    )
    activity_id = fields.Many2one("mail.activity", readonly=True, copy=False, ondelete="set null")

    @api.depends("state", "deadline")
    def _compute_overdue(self):
        today = fields.Date.context_today(self)
        for task in self:
            task.overdue = task.state == "open" and bool(task.deadline) and task.deadline < today

    def _search_overdue(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        overdue = Domain("state", "=", "open") & Domain(
            "deadline", "<", fields.Date.context_today(self)
        )
        return overdue if operator == "in" else ~overdue

    @api.constrains("state", "done_note")
    def _check_done_note(self):
        for task in self:
            if task.state == "done" and not (task.done_note or "").strip():
                raise ValidationError(
                    self.env._(
                        "Say what was done for the task %(task)s before marking it done.",
                        task=task.name,
                    )
                )

    @api.constrains("complaint_id")
    def _check_requirement(self):
        for task in self:
            if task.complaint_id.request_type != "requirement":
                raise ValidationError(
                    self.env._(
                        "%(name)s is not a requirement: only a requirement has an action plan.",
                        name=task.complaint_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        model = self._check_system_fields_create(vals_list)
        today = fields.Date.context_today(self)
        Complaint = self.env["delivery.complaint"]
        for vals in vals_list:
            complaint = Complaint.browse(vals.get("complaint_id"))
            if complaint.exists() and complaint.state not in PLANNING_STATES:
                raise UserError(
                    self.env._(
                        "%(name)s is no longer being carried out: reopen it to change its "
                        "action plan.",
                        name=complaint.display_name,
                    )
                )
            if vals.get("deadline") and fields.Date.to_date(vals["deadline"]) < today:
                raise UserError(self.env._("A task's deadline cannot be in the past."))
            if vals.get("state") == "done":
                vals["done_date"] = today
        tasks = super(DeliveryRequirementTask, model).create(vals_list).with_env(self.env)
        tasks._sync_activity()
        tasks.filtered("department_id")._notify_department()
        return tasks

    def write(self, vals):
        self._check_system_fields(vals)
        if "complaint_id" in vals and any(t.complaint_id.id != vals["complaint_id"] for t in self):
            raise UserError(self.env._("A task stays with its requirement."))
        if {"name", "owner_id", "deadline", "department_id", "state", "done_note"} & vals.keys():
            self._check_plan_open()
        self._check_reassign(vals)
        moved = self.browse()
        if "deadline" in vals:
            deadline = fields.Date.to_date(vals["deadline"])
            moved = self.filtered(lambda t: t.deadline != deadline)
            if moved and deadline and deadline < fields.Date.context_today(self):
                raise UserError(self.env._("A task's deadline cannot be in the past."))
        old_deadlines = {task.id: task.deadline for task in moved}
        if "state" in vals:
            vals["done_date"] = (
                fields.Date.context_today(self) if vals["state"] == "done" else False
            )
        before = {task.id: task.department_id for task in self}
        finished = self.filtered("activity_id") if vals.get("state") == "done" else self.browse()
        result = super().write(vals)
        if moved:
            # a new deadline: the task is escalated again if it misses it too
            moved.filtered("escalated")._write_system({"escalated": False})
            moved._note_deadline_moved(old_deadlines)
        for task in finished:
            task._finish_activity()
        if {"state", "owner_id", "deadline", "name"} & vals.keys():
            self._sync_activity()
        if vals.get("department_id"):
            self.filtered(
                lambda t: t.department_id and t.department_id != before[t.id]
            )._notify_department()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done_or_delivered(self):
        self._check_plan_open()
        if self.filtered(lambda t: t.state == "done"):
            raise UserError(self.env._("A task done stays in the requirement's history."))

    def unlink(self):
        # sudo: the tasks' own activities go with them (see _sync_activity)
        self.activity_id.sudo().unlink()
        return super().unlink()

    def _check_reassign(self, vals):
        """Only the requirement's owner, the department's head or a manager give a task
        to someone else or move its deadline; the members and the task's owner change
        its state and note."""
        if not {"owner_id", "deadline"} & vals.keys() or self.env.su:
            return
        if self.env.user.has_group("delivery_crm.group_delivery_crm_manager"):
            return
        user = self.env.user
        for task in self:
            changes = ("owner_id" in vals and task.owner_id.id != vals["owner_id"]) or (
                "deadline" in vals and task.deadline != fields.Date.to_date(vals["deadline"])
            )
            if not changes:
                continue
            # sudo: reads who owns the requirement and heads the department, to decide
            # whether the user may change the task; nothing is returned
            owners = task.complaint_id.sudo()._requirement_owner() | (
                task.sudo().department_id.manager_id
            )
            if user not in owners:
                raise UserError(
                    self.env._(
                        "Only the requirement's owner, the department's head or a manager "
                        "can change the owner or the deadline of the task %(task)s.",
                        task=task.name,
                    )
                )

    def _note_deadline_moved(self, old_deadlines):
        """A moved deadline is noted on the requirement, for its owner."""
        for task in self:
            # sudo: the note on the requirement of a task the user may reschedule (the
            # department's head may only read the requirement), to its owner
            complaint = task.complaint_id.sudo()
            owner = complaint._requirement_owner()
            complaint.message_post(
                body=self.env._(
                    "The deadline of the task %(task)s moved from %(old)s to %(new)s "
                    "(by %(user)s).",
                    task=task.name,
                    old=old_deadlines.get(task.id) or "-",
                    new=task.deadline,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
                partner_ids=owner.partner_id.ids,
            )

    def _check_plan_open(self):
        for task in self:
            if task.complaint_id.state not in PLANNING_STATES:
                raise UserError(
                    self.env._(
                        "%(name)s is no longer being carried out: reopen it to change its "
                        "action plan.",
                        name=task.complaint_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ activities
    def _finish_activity(self):
        self.ensure_one()
        # sudo: the activity belongs to the task's owner; whoever may change the task
        # marks it done (mail.activity lets only its user or an editor do so)
        self.activity_id.sudo().action_feedback(feedback=self.done_note or "")
        self._write_system({"activity_id": False})

    def _sync_activity(self):
        """The owner of an open task has one activity, due on its deadline."""
        for task in self:
            activity = task.activity_id
            if task.state != "open":
                if activity:
                    task._finish_activity()
                continue
            summary = self.env._("Requirement task: %(task)s", task=task.name)
            if activity:
                # sudo: as in _finish_activity, the owner's activity of this task
                activity.sudo().write(
                    {
                        "user_id": task.owner_id.id,
                        "date_deadline": task.deadline,
                        "summary": summary,
                    }
                )
                continue
            # sudo: as in _finish_activity; the activity is scheduled for the owner on
            # the requirement the task belongs to
            activity = task.complaint_id.sudo().activity_schedule(
                ACTIVITY_TYPE,
                date_deadline=task.deadline,
                summary=summary,
                note=task.name,
                user_id=task.owner_id.id,
            )
            task._write_system({"activity_id": activity.id})

    def _notify_department(self):
        """The department's head and members are told of the task, once per
        assignment (002 §四.3.2 通知相关部门)."""
        for task in self:
            task.department_id._notify_assignment(
                task.complaint_id,
                self.env._(
                    "Task for %(department)s on %(name)s: %(task)s (owner %(owner)s, due "
                    "%(deadline)s).",
                    department=task.department_id.name,
                    name=task.complaint_id.display_name,
                    task=task.name,
                    owner=task.owner_id.name,
                    deadline=task.deadline,
                ),
            )

    # ------------------------------------------------------------------ escalation
    @api.model
    def _overdue_escalation_domain(self):
        return (
            Domain("overdue", "in", [True])
            & Domain("escalated", "=", False)
            & Domain("complaint_id.state", "not in", ["resolved", "closed"])
        )

    @api.model
    def _cron_escalate_overdue(self):
        """Escalate each overdue task once to the requirement's manager (the service
        team leader, else the service-centre head) and the department's head."""
        return self._cron_process_batches(
            self._overdue_escalation_domain(), lambda batch: batch._escalate_overdue()
        )

    def _escalate_overdue(self):
        for task in self:
            complaint = task.complaint_id
            managers = complaint._escalation_manager() | task.department_id.manager_id
            managers = managers or self.env.ref("base.user_admin")
            body = self.env._(
                "The task %(task)s of %(complaint)s (owner %(owner)s) was due on "
                "%(deadline)s and is not done. Escalated.",
                task=task.name,
                complaint=complaint.display_name,
                owner=task.owner_id.name,
                deadline=task.deadline,
            )
            for manager in managers:
                complaint.activity_schedule(
                    "delivery_crm.mail_activity_type_sla_escalation",
                    user_id=manager.id,
                    summary=self.env._("Overdue task: %(task)s", task=task.name),
                    note=body,
                )
            complaint.message_post(
                body=body,
                subtype_xmlid="mail.mt_note",
                partner_ids=(managers | task.owner_id).partner_id.ids,
            )
            task._write_system({"escalated": True})
