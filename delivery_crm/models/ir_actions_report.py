from odoo import models


class IrActionsReport(models.Model):
    """Log the printing of customer data (R9): a report of a customer-data model (the
    profile card, the handling form, the evaluation, the visit record) is an export like
    Odoo's export dialog, and lands in the export log. Odoo renders every report, PDF
    or HTML, through ``_render_qweb_html`` once per print."""

    _inherit = "ir.actions.report"

    def _render_qweb_html(self, report_ref, docids, data=None):
        result = super()._render_qweb_html(report_ref, docids, data=data)
        report = self._get_report(report_ref)
        ExportLog = self.env["delivery.export.log"]
        # printed by a user; a document the system attaches to a mail is not an export
        if docids and not self.env.su and ExportLog._is_logged_model(report.model):
            ids = [docids] if isinstance(docids, int) else docids
            ExportLog._log_export(
                report.model, len(ids), export_type="pdf", description=report.name
            )
        return result
