"""The web client's download of this module's reports on the replica (issue 18 item 5).

Odoo serves ``/report/<converter>/<name>`` on a read-only cursor, but the web client's
print button downloads through ``/report/download``, a read/write route. A report of
this module reads only (its export-log row goes to the primary,
:mod:`..models.read_replica`): its download is served read-only too. Other modules'
reports keep Odoo's read/write cursor (a report that saves its PDF as an attachment
writes).
"""

import json

from odoo import http
from odoo.http import request

from odoo.addons.web.controllers.report import ReportController

MODULE_PREFIX = "delivery_crm."


def _report_download_readonly(controller, rule, args):
    """Whether the download asked (the ``data`` parameter of the web client: the
    report's URL and type) is of a report of this module that saves no attachment."""
    try:
        url, report_type = json.loads(request.httprequest.values.get("data") or "")[:2]
    except (ValueError, TypeError):
        return False
    patterns = {"qweb-pdf": "/report/pdf/", "qweb-text": "/report/text/"}
    if report_type not in patterns or not isinstance(url, str) or patterns[report_type] not in url:
        return False
    reportname = url.split(patterns[report_type])[1].split("?")[0].split("/")[0]
    report = request.env["ir.actions.report"]._get_report_from_name(reportname)
    if not report or report.attachment:
        return False
    return report.get_external_id()[report.id].startswith(MODULE_PREFIX)


class DeliveryReportController(ReportController):
    @http.route(auth="user", readonly=_report_download_readonly)
    def report_download(self, data, context=None, token=None, readonly=True):
        return super().report_download(data, context=context, token=token, readonly=readonly)
