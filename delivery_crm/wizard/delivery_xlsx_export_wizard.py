"""Excel exports for managers (R10, R11): evaluation results of a period, complaint
analysis, staff KPIs.

The wizard holds the parameters, checks the user's access, makes the one-time key of
the download and writes the export log; each export is a small class of
:mod:`odoo.addons.delivery_crm.xlsx` (what it reads, which columns), written through
the plain sheet writer there. Memory stays bounded whatever the number of records
(see :mod:`..xlsx.writer` and :meth:`..xlsx.export.XlsxExport.read_batches`).
"""

import logging
import os
import secrets
import tempfile
import time

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, consteq, date_utils

from ..models.delivery_constants import REQUEST_TYPES
from ..models.delivery_evaluation import PERIOD_TYPES, period_start_of
from ..models.read_replica import primary_env
from ..xlsx.complaint_analysis import ComplaintAnalysisExport
from ..xlsx.evaluation import EvaluationExport
from ..xlsx.staff_kpi import StaffKpiExport
from ..xlsx.writer import XlsxBook

_logger = logging.getLogger(__name__)

TEMP_PREFIX = "delivery_crm_xlsx_"
# how long a download read on a replica waits for the replica to replay the export
# button's commit (the wizard and its key, written a moment before on the primary)
REPLICA_WAIT_SECONDS = 5
EXPORT_TYPES = [
    ("evaluation", "Evaluation results of a period"),
    ("complaint", "Complaint analysis"),
    ("staff_kpi", "Staff KPIs"),
]
# the class of each export
EXPORTS = {
    "evaluation": EvaluationExport,
    "complaint": ComplaintAnalysisExport,
    "staff_kpi": StaffKpiExport,
}


class DeliveryXlsxExportWizard(models.TransientModel):
    """A manager picks an export and its parameters; the button downloads the file
    from the ``/delivery_crm/xlsx/<wizard id>`` route, which writes it on the fly."""

    _name = "delivery.xlsx.export.wizard"
    _description = "Excel export"

    export_type = fields.Selection(
        EXPORT_TYPES, string="Export", required=True, default="evaluation"
    )
    # evaluation results
    evaluation_run_id = fields.Many2one(
        "delivery.evaluation.run",
        string="Evaluation run",
        help="Export the period of this run; leave empty to choose the period.",
    )
    period_type = fields.Selection(PERIOD_TYPES, default="quarterly")
    period_date = fields.Date(
        string="Any day of the period",
        default=lambda self: self.env["delivery.evaluation.run"]._last_complete_period("quarterly"),
    )
    period_start = fields.Date(compute="_compute_period", string="Period from")
    period_end = fields.Date(compute="_compute_period", string="Period to")
    # complaint analysis and staff KPIs
    date_from = fields.Date(
        string="From", default=lambda self: self._default_month() - relativedelta(months=1)
    )
    date_to = fields.Date(
        string="To", default=lambda self: self._default_month() - relativedelta(days=1)
    )
    request_type = fields.Selection(
        REQUEST_TYPES,
        string="Request type",
        default="complaint",
        help="Leave empty to analyse every kind of request.",
    )
    team_id = fields.Many2one(
        "delivery.service.team",
        string="Service team",
        help="Leave empty for every staff member.",
    )

    # the key of the download the export button started (see action_export)
    download_token = fields.Char(readonly=True, copy=False)

    @api.model
    def _default_month(self):
        return date_utils.start_of(fields.Date.context_today(self), "month")

    @api.depends("evaluation_run_id", "period_type", "period_date")
    def _compute_period(self):
        for wizard in self:
            period = wizard._evaluation_period()
            if period:
                period_type, start = period
                bounds = self.env["delivery.evaluation"]._period_bounds(period_type, start, "UTC")
                wizard.period_start, wizard.period_end = start, bounds["period_end"]
            else:
                wizard.period_start = wizard.period_end = False

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from and wizard.date_to and wizard.date_to < wizard.date_from:
                raise ValidationError(self.env._("The end date cannot be before the start date."))

    @api.onchange("evaluation_run_id")
    def _onchange_evaluation_run_id(self):
        if self.evaluation_run_id:
            self.period_type = self.evaluation_run_id.period_type
            self.period_date = self.evaluation_run_id.period_start

    # ------------------------------------------------------------------ actions
    def action_export(self):
        """Check the parameters here, so that a mistake shows in the dialog, then let
        the browser download the file. The download link carries a one-time key made
        here (a POST of the web client): a GET of the route from another site writes
        no export log (security review L9)."""
        self.ensure_one()
        self._check_export_parameters()
        self.download_token = secrets.token_urlsafe(32)
        return {
            "type": "ir.actions.act_url",
            "url": f"/delivery_crm/xlsx/{self.id}?token={self.download_token}",
            "target": "download",
        }

    def _use_download_token(self, token):
        """Whether ``token`` is the key of this export's pending download; it is used
        up (a link downloads once). The key is checked and used up on the primary, even
        when the download reads its data on a replica."""
        self.ensure_one()
        if not token:
            return False
        with primary_env(self.env) as env:
            wizard = self.with_env(env)
            if not (wizard.download_token and consteq(token, wizard.download_token)):
                return False
            wizard.download_token = False
        return True

    @api.model
    def _browse_download(self, wizard_id, token):
        """The wizard of a download, read on the request's cursor. The export button
        wrote the wizard and its key on the primary a moment ago: on a replica that has
        not replayed them yet, wait for it (at most ``REPLICA_WAIT_SECONDS``)."""
        deadline = time.monotonic() + REPLICA_WAIT_SECONDS
        while True:
            wizard = self.browse(wizard_id).exists()
            # sudo: only compared with the key of the link, to know whether to wait
            pending = wizard.sudo().download_token if wizard else False
            if (pending and token and consteq(token, pending)) or not self._replica_behind():
                return wizard
            if time.monotonic() > deadline:
                return wizard
            # a new transaction sees what the replica has replayed since
            self.env.cr.rollback()
            time.sleep(0.1)

    @api.model
    def _replica_behind(self):
        """Whether the request reads on a replica (a server in recovery)."""
        if not self.env.cr.readonly:
            return False
        self.env.cr.execute(SQL("SELECT pg_is_in_recovery()"))
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------ export
    def _xlsx_export(self):
        """The export chosen, made from this wizard's parameters."""
        self.ensure_one()
        return EXPORTS[self.export_type](self)

    def _export_xlsx(self):
        """Write the export into a new temporary file.

        :return: ``(path, file name)``; the caller deletes the file. Nothing is written
            when the parameters are wrong or the user may not export.
        """
        self.ensure_one()
        self.check_access("read")
        export = self._xlsx_export()
        export.check()
        handle, path = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".xlsx")
        os.close(handle)
        try:
            with XlsxBook(path) as book:
                rows = export.write_sheets(book)
        except Exception:
            os.unlink(path)
            raise
        parameters = export.log_parameters()
        _logger.info(
            "XLSX export %s by user %s (id %s): %s rows, parameters %s",
            self.export_type,
            self.env.user.login,
            self.env.uid,
            rows,
            parameters,
        )
        label = dict(self._fields["export_type"]._description_selection(self.env))
        self.env["delivery.export.log"]._log_export(
            export.model,
            rows,
            export_type="xlsx",
            description=f"{label[self.export_type]}: {parameters}",
        )
        return path, export.filename()

    def _check_export_parameters(self):
        self._xlsx_export().check()

    # ------------------------------------------------------------------ parameters
    def _evaluation_period(self):
        """``(period_type, period_start)`` of the export, or None if incomplete."""
        if self.evaluation_run_id:
            return self.evaluation_run_id.period_type, self.evaluation_run_id.period_start
        if self.period_type and self.period_date:
            return self.period_type, period_start_of(self.period_date, self.period_type)
        return None
