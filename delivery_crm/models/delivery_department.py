from odoo import fields, models


class DeliveryDepartment(models.Model):
    """A department of the delivery company that can be held responsible for a
    complaint (001 §七.2: 责任部门). Kept here so that the module does not need HR."""

    _name = "delivery.department"
    _description = "Responsible department"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    manager_id = fields.Many2one(
        "res.users", string="Head", domain=[("share", "=", False)], check_company=True
    )
