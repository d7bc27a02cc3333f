from odoo import models


class IrActionsReport(models.Model):
    """Log the printing of customer data (R9): a PDF of a customer-data model (the
    profile card, the handling form, the evaluation, the visit record) is an export
    like Odoo's export dialog, and lands in the export log."""

    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        result = super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        report = self._get_report(report_ref)
        ExportLog = self.env["delivery.export.log"]
        # printed by a user; a document the system attaches to a mail is not an export
        if res_ids and not self.env.su and ExportLog._is_logged_model(report.model):
            ids = [res_ids] if isinstance(res_ids, int) else res_ids
            ExportLog._log_export(
                report.model, len(ids), export_type="pdf", description=report.name
            )
        return result
