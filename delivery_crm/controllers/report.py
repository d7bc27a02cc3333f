from odoo import http
from odoo.http import request

from odoo.addons.web.controllers.report import ReportController


def _report_route_readonly(controller, rule, args):
    """Odoo serves reports on a read-only cursor; a report of customer data writes
    its row in the export log (R9), so it gets a read/write one."""
    report = request.env["ir.actions.report"]._get_report_from_name(args.get("reportname"))
    return not request.env["delivery.export.log"]._is_logged_model(report.model)


class DeliveryReportController(ReportController):
    @http.route(auth="user", readonly=_report_route_readonly)
    def report_routes(self, reportname, docids=None, converter=None, **data):
        return super().report_routes(reportname, docids=docids, converter=converter, **data)
