from odoo import api, fields, models
from odoo.exceptions import ValidationError

STEP_ROLES = [
    ("staff", "Service staff (the owner)"),
    ("team_leader", "Team leader"),
    ("head", "Service-centre head"),
    ("account_manager", "Account manager"),
    ("department", "Department head"),
]


class DeliveryEmergencyPlanStep(models.Model):
    """A step of an emergency plan: what is done, by which role, whom to contact and
    within how many hours."""

    _name = "delivery.emergency.plan.step"
    _description = "Emergency plan step"
    _order = "plan_id, sequence, id"
    _check_company_auto = True

    plan_id = fields.Many2one(
        "delivery.emergency.plan", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    sequence_number = fields.Integer(string="Step", compute="_compute_sequence_number")
    action = fields.Text(required=True, translate=True, help="What is done in this step.")
    role = fields.Selection(
        STEP_ROLES, required=True, help="Who does it: the step's activity goes to them."
    )
    department_id = fields.Many2one(
        "delivery.department",
        check_company=True,
        help="For the role 'Department head': this department's head; empty: the head of "
        "the request's responsible department.",
    )
    contact_user_id = fields.Many2one(
        "res.users",
        string="Contact (colleague)",
        domain=[("share", "=", False)],
        check_company=True,
    )
    contact_partner_id = fields.Many2one("res.partner", string="Contact (outside)")
    contact_phone = fields.Char(
        related="contact_partner_id.phone", string="Contact phone", readonly=True
    )
    deadline_hours = fields.Integer(
        string="Within (hours)", help="The activity is due this many hours after activation."
    )

    _deadline_hours_positive = models.Constraint(
        "CHECK (deadline_hours >= 0)", "A step cannot be due before the plan is activated."
    )

    @api.depends("plan_id.step_ids.sequence")
    def _compute_sequence_number(self):
        for step in self:
            steps = step.plan_id.step_ids.sorted(lambda s: (s.sequence, s.id or 0))
            step.sequence_number = (list(steps).index(step) + 1) if step in steps else 0

    @api.constrains("role", "department_id")
    def _check_department(self):
        for step in self:
            if step.department_id and step.role != "department":
                raise ValidationError(
                    self.env._("Only a step of the role 'Department head' names a department.")
                )

    def role_label(self):
        self.ensure_one()
        return dict(self._fields["role"]._description_selection(self.env))[self.role]

    def contact_line(self):
        """Whom to contact, as the activity says it: a colleague (with phone) or an
        outside contact and its phone."""
        self.ensure_one()
        parts = []
        if self.contact_user_id:
            user = self.contact_user_id
            parts.append(
                f"{user.name} ({user.partner_id.phone})" if user.partner_id.phone else user.name
            )
        if self.contact_partner_id:
            partner = self.contact_partner_id
            parts.append(f"{partner.name} ({partner.phone})" if partner.phone else partner.name)
        return ", ".join(parts)

    def _assignees(self, record):
        """The users of the step's role on ``record`` (a request, a delivery exception
        or a major incident), and a note when the role has nobody there: the step then
        goes to the service-centre head, else to whoever activates the plan. On a major
        incident (task fixduty) the roles are read on its request (or delivery
        exception) and the service staff's step goes to the staff on duty; without a
        request, the owner's and the team leader's steps go to the head."""
        self.ensure_one()
        company = record.company_id
        incident = record._name == "delivery.major.incident"
        source = (record.complaint_id or record.exception_id) if incident else record
        department = self.department_id
        if not department and "department_id" in source._fields:
            department = source.department_id
        staff = source.user_id
        if incident:
            # the desk on duty handles a major incident (值班管理规定 二)
            staff = self.env["delivery.duty.roster"]._on_duty_users(company=company) or staff
        users = {
            "staff": staff,
            "team_leader": source.team_id.leader_id,
            "head": company.delivery_complaint_manager_id,
            "account_manager": record.partner_id.account_manager_id,
            "department": department.manager_id,
        }
        user = users[self.role]
        if user:
            return user, None
        fallback = company.delivery_complaint_manager_id or self.env.user
        return fallback, self.env._(
            "Nobody holds the role %(role)s here: given to %(user)s.",
            role=self.role_label(),
            user=fallback.name,
        )
