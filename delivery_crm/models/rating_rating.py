from odoo import api, fields, models
from odoo.exceptions import AccessError

COMPLAINT_MODEL = "delivery.complaint"


class RatingRating(models.Model):
    """The ratings of requests feed the customer's satisfaction, tier and reward and the
    staff KPIs (security review H1, H2). Odoo lets every employee read, create and
    write any rating; for the rows of requests the record rules of
    ``security/ir_rule.xml`` leave employees reading the answered ratings of the
    requests they can read, and writing none: the rows are created and answered by the
    customer's rating flow only (the "resolved" mail and the portal, in sudo). The
    ratings of other documents keep Odoo's rights."""

    _inherit = "rating.rating"

    # what the record rules of the request ratings go through (a rule cannot follow
    # res_id, a plain integer, to the request)
    delivery_complaint_id = fields.Many2one(
        COMPLAINT_MODEL,
        string="Request",
        compute="_compute_delivery_complaint_id",
        store=True,
        index="btree_not_null",
        ondelete="cascade",
    )

    @api.depends("res_model", "res_id")
    def _compute_delivery_complaint_id(self):
        Complaint = self.env[COMPLAINT_MODEL]
        for rating in self:
            complaint = (
                Complaint.browse(rating.res_id)
                if rating.res_model == COMPLAINT_MODEL
                else Complaint
            )
            # sudo: only whether the request exists is checked (a row may point to a
            # deleted one); the rating's own access rules decide who reads it
            rating.delivery_complaint_id = complaint.sudo().exists()

    def _hides_access_token(self, field):
        """The token of a request's rating rates as the customer: it goes to the
        customer only (in the mail and on their portal page, both in sudo), never to
        a user reading the ratings."""
        if field.name != "access_token" or self.env.su or not self._ids:
            return False
        # sudo: only the rated model of the rows is looked at
        return any(rating.res_model == COMPLAINT_MODEL for rating in self.sudo())

    def _has_field_access(self, field, operation):
        if self._hides_access_token(field):
            return False
        return super()._has_field_access(field, operation)

    @api.model
    def _check_field_access(self, field, operation):
        if self._hides_access_token(field):
            raise AccessError(self.env._("The rating link of a request is for its customer only."))
        return super()._check_field_access(field, operation)

    def write(self, vals):
        # the rules check a write against the row as it was: a rating made for another
        # document and then pointed at a request would pass them
        if not self.env.su and {"res_model_id", "res_model"} & set(vals):
            target = vals.get("res_model")
            if vals.get("res_model_id"):
                target = self.env["ir.model"].browse(vals["res_model_id"]).model
            if target == COMPLAINT_MODEL:
                raise AccessError(
                    self.env._("A request is rated by its customer, through their rating link.")
                )
        return super().write(vals)

    def unlink(self):
        # Odoo deletes a rating's message first, and the rating goes with it (cascade)
        # before the unlink's own access check: a user who may delete the message (a
        # system administrator) would delete a request's rating past the rules
        self.check_access("unlink")
        return super().unlink()
