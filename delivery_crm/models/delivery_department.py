from odoo import fields, models


class DeliveryDepartment(models.Model):
    """A department of the delivery company (运营, 财务, 销售…) that can be held
    responsible for a complaint (001 §七.2: 责任部门), be assigned a request or a task of
    a requirement's action plan (001 §六.3), and is told when it is (002 §四.3.2:
    通知相关部门): its head and its members are users. Kept here, not ``hr.department``,
    so that the module does not need HR (see the README, "Departments")."""

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
    # task req (issue 17 item 2): who is told of what the department is given
    member_ids = fields.Many2many(
        "res.users",
        "delivery_department_member_rel",
        "department_id",
        "user_id",
        string="Members",
        domain=[("share", "=", False)],
        check_company=True,
    )

    def _notified_users(self):
        """The head and the members, told of what the department is given."""
        self.ensure_one()
        return (self.manager_id | self.member_ids).filtered(lambda u: u.active and not u.share)

    def _notify_assignment(self, record, body):
        """Tell the head and members of the department, on ``record``'s history, that
        it was given something (``body``): a mail or an inbox notification each, as
        their preferences say."""
        self.ensure_one()
        users = self._notified_users()
        if not users:
            return
        # sudo: the department's notice is the module's own internal note; who assigns
        # a task may only read the request it belongs to
        record.sudo().message_post(
            body=body,
            subtype_xmlid="mail.mt_note",
            partner_ids=users.partner_id.ids,
        )
