from odoo import api, fields, models

from .read_replica import primary_env

# the customer data whose exports are logged (R9), named one by one: the customers, their
# shared profile and the module's records about them. Not the configuration, the staff
# data or the aggregates, nor any other model whose name starts with "delivery." (core's
# delivery carriers): a new model of customer data is added here.
EXPORT_LOGGED_MODELS = frozenset(
    {
        "res.partner",
        "delivery.shared.profile",
        "delivery.complaint",
        "delivery.complaint.action",
        "delivery.complaint.handover",
        "delivery.complaint.sla",
        "delivery.visit",
        "delivery.visit.next.step",
        "delivery.evaluation",
        "delivery.shipment",
        "delivery.tier.change",
        "delivery.care.event",
        "delivery.greeting.log",
        "delivery.survey.invitation",
        "delivery.communication.plan",
        "delivery.key.account.plan",
        "delivery.key.account.report",
        "delivery.customer.risk.report",
        "delivery.audit.log",
        "delivery.access.grant",
        "delivery.claim",
        "delivery.shipment.exception",
        "delivery.communication",  # task comm (issue 16 items 3, 6)
        "delivery.key.account.plan.month",
        # task ben (issue 16 items 5, 7)
        "delivery.points.move",
        "delivery.benefit.grant",
        "delivery.appreciation.guest",
        "delivery.requirement.task",  # task req (issue 17 item 1)
    }
)


class DeliveryExportLog(models.Model):
    """One row per export of customer data (R9): Odoo's export (list view, /web/export,
    ``export_data`` over the external API) of the models of ``EXPORT_LOGGED_MODELS``,
    the module's Excel exports, and the PDFs users print of those models. Append-only,
    like the audit log: nobody but the superuser edits or deletes a row; managers and
    auditors read them."""

    _name = "delivery.export.log"
    _inherit = ["delivery.system.log.mixin"]
    _description = "Customer data export"
    _order = "id desc"

    user_id = fields.Many2one(
        "res.users",
        string="Exported by",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    res_model = fields.Char(string="Model", required=True, readonly=True, index=True)
    model_id = fields.Many2one(
        "ir.model", string="Data", readonly=True, index=True, ondelete="cascade"
    )
    export_type = fields.Selection(
        [("export", "Export"), ("xlsx", "Excel report"), ("pdf", "Printed report")],
        string="Kind",
        required=True,
        readonly=True,
        default="export",
    )
    record_count = fields.Integer(string="Records", readonly=True)
    field_names = fields.Text(string="Fields", readonly=True)
    description = fields.Char(readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)

    @api.depends("model_id", "res_model", "create_date")
    def _compute_display_name(self):
        for log in self:
            when = fields.Datetime.to_string(log.create_date) if log.create_date else ""
            log.display_name = f"{log.model_id.name or log.res_model} {when}".strip()

    # ------------------------------------------------------------------ recording
    @api.model
    def _is_logged_model(self, model_name):
        return model_name in EXPORT_LOGGED_MODELS

    @api.model
    def _log_export(
        self, model_name, record_count, field_names=(), export_type="export", description=False
    ):
        """Record that the current user exported ``record_count`` rows of ``model_name``.

        An export read on a replica (a read-only cursor) logs on the primary, committed
        at once: the log row exists as soon as the data have been read."""
        with primary_env(self.env) as env:
            # sudo: nobody has write access to the log; the row records the export the
            # user was just allowed to make, with the user's own id (the env keeps its uid)
            env[self._name].sudo().create(
                {
                    "user_id": env.uid,
                    "res_model": model_name,
                    "model_id": env["ir.model"]._get_id(model_name),
                    "export_type": export_type,
                    "record_count": record_count,
                    "field_names": "\n".join(field_names) or False,
                    "description": description,
                    "company_id": env.company.id,
                }
            )
