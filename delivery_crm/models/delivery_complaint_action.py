from odoo import api, fields, models


class DeliveryComplaintAction(models.Model):
    """A corrective or preventive action decided for a complaint, with its owner and
    deadline (001 §七.3: 纠正措施 / 预防措施)."""

    _name = "delivery.complaint.action"
    _description = "Complaint corrective or preventive action"
    _order = "complaint_id, deadline, id"
    _check_company_auto = True

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
    deadline = fields.Date(required=True)
    done = fields.Boolean()
    done_date = fields.Date(readonly=True, copy=False)
    overdue = fields.Boolean(compute="_compute_overdue")

    @api.depends("done", "deadline")
    def _compute_overdue(self):
        today = fields.Date.context_today(self)
        for action in self:
            action.overdue = not action.done and action.deadline and action.deadline < today

    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("done"):
                vals["done_date"] = today
        return super().create(vals_list)

    def write(self, vals):
        if "done" in vals:
            vals["done_date"] = fields.Date.context_today(self) if vals["done"] else False
        return super().write(vals)
