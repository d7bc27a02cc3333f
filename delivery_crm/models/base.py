from odoo import models


class Base(models.AbstractModel):
    """Log the exports of customer data (R9): Odoo's export dialog (``/web/export/csv``
    and ``/web/export/xlsx``) and the external API both call ``export_data``."""

    _inherit = "base"

    def export_data(self, fields_to_export):
        result = super().export_data(fields_to_export)
        ExportLog = self.env["delivery.export.log"]
        if ExportLog._is_logged_model(self._name):
            # ".id" is the column the grouped export adds to sort rows into groups
            names = [name for name in fields_to_export if name != ".id"]
            ExportLog._log_export(self._name, len(self), names)
        return result
