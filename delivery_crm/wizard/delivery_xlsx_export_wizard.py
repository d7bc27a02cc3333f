"""XLSX exports for managers (R10, R11): evaluation results of a period, complaint
analysis, staff KPIs.

Memory stays bounded whatever the number of customers:

- the workbook is written with xlsxwriter's ``constant_memory`` mode into a temporary
  file: each row is flushed to disk as soon as the next one starts, so only one row
  per sheet is ever held (the price: rows are written strictly in order, no shared
  strings table, no ``autofit``; column widths are set by hand);
- the records are read in keyset batches (``id > last id``, ``_xlsx_batch_size`` at a
  time, by ascending id) and the record cache is emptied after each batch;
- the summaries (complaints by type, by month...) are grouped in the database
  (``_read_group``), the per-staff totals from rows already grouped per month.

Every figure is read in the user's own environment: record rules and field groups
apply to the export as to the screens.
"""

import logging
import os
import secrets
import tempfile
from collections import defaultdict
from datetime import date, datetime, time

import pytz
import xlsxwriter
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import consteq

from ..models.delivery_evaluation import PERIOD_TYPES, RAW_FIELDS, period_start_of
from ..models.delivery_evaluation_scheme import INDICATORS
from ..models.delivery_tools import REQUEST_TYPES

_logger = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMP_PREFIX = "delivery_crm_xlsx_"
EXPORT_TYPES = [
    ("evaluation", "Evaluation results of a period"),
    ("complaint", "Complaint analysis"),
    ("staff_kpi", "Staff KPIs"),
]
# the model each export reads, for the export log (R9)
EXPORT_MODELS = {
    "evaluation": "delivery.evaluation",
    "complaint": "delivery.complaint",
    "staff_kpi": "delivery.staff.kpi.report",
}
# cell styles: number format and column width
STYLES = {
    "text": (None, 28),
    "int": ("#,##0", 12),
    "number": ("#,##0.00", 14),
    "hours": ("0.00", 12),
    "percent": ("0.00%", 12),
    "date": ("yyyy-mm-dd", 12),
    "datetime": ("yyyy-mm-dd hh:mm", 17),
    "month": ("yyyy-mm", 10),
}
# raw indicators stored in percent (0-100), exported as percentages, and the field
# telling whether the indicator had data (no data is a blank cell, not 0 %)
PERCENT_RAW = {
    "growth": "has_growth",
    "on_time_rate": "finished_count",
    "active_share": "effective_months",
    "retention": "has_retention",
    "satisfaction": "satisfaction_count",
    "complaint_rate": "delivery_count",
}
MONEY_RAW = ("revenue", "revenue_previous")
# SLA statuses that end a clock's verdict (the denominator of "met %")
SLA_VERDICTS = ("met", "missed", "breached")
KPI_WEIGHTED = ("first_response_hours_weighted", "resolution_hours_weighted")
# the monthly staff figures that have a target, the target's column and the report's
# field telling that the figure misses it (the company's targets, 003 §1.2)
KPI_TARGETS = {
    "satisfaction": ("satisfaction_target", "satisfaction_below_target"),
    "first_response_hours": ("first_response_target", "response_over_target"),
    "resolution_hours": ("resolution_target", "resolution_over_target"),
}
FLAGGED_COLOR = "#C00000"
KPI_SUMS = (
    "customers_developed",
    "satisfaction_count",
    "satisfied_count",
    "complaints_attributed",
    "requests_reopened",
    "sla_met",
    "sla_total",
    "visits_planned",
    "visits_done",
    "trainings_done",
    "training_hours",
)


def percent(value, has_data=True):
    """A 0-100 figure as the fraction an Excel percent format expects."""
    return value / 100.0 if has_data and value is not None else None


def ratio(part, whole):
    return part / whole if whole else None


class XlsxSheet:
    """One worksheet written row after row (``constant_memory``): a bold header row,
    frozen, with an autofilter over the data rows and widths set per column."""

    def __init__(self, workbook, formats, name, columns):
        """:param columns: ``[(header, style)]``, style a key of :data:`STYLES`"""
        self.sheet = workbook.add_worksheet(name)
        self.formats = formats
        self.styles = [style for _header, style in columns]
        for col, (header, style) in enumerate(columns):
            self.sheet.set_column(col, col, STYLES[style][1])
            self.sheet.write_string(0, col, header, formats["header"])
        self.sheet.freeze_panes(1, 0)
        self.row = 0
        self.data_rows = 0

    def append(self, values, total=False, flagged=()):
        """Write the next row; ``total`` rows are bold and left out of the filter; the
        cells of the ``flagged`` columns (a figure missing its target) are red."""
        self.row += 1
        if not total:
            self.data_rows += 1
        for col, (style, value) in enumerate(zip(self.styles, values, strict=True)):
            if total:
                cell_format = self.formats[f"{style}_total"]
            elif col in flagged:
                cell_format = self.formats[f"{style}_flagged"]
            else:
                cell_format = self.formats[style]
            if value is None or value is False:
                self.sheet.write_blank(self.row, col, None, cell_format)
            elif isinstance(value, str):
                # never ``write()``: a name starting with "=" must stay text, not a formula
                self.sheet.write_string(self.row, col, value, cell_format)
            elif isinstance(value, date):
                self.sheet.write_datetime(self.row, col, value, cell_format)
            else:
                self.sheet.write_number(self.row, col, value, cell_format)

    def finish(self):
        self.sheet.autofilter(0, 0, self.data_rows, len(self.styles) - 1)


class DeliveryXlsxExportWizard(models.TransientModel):
    """A manager picks an export and its parameters; the button downloads the file
    from the ``/delivery_crm/xlsx/<wizard id>`` route, which writes it on the fly."""

    _name = "delivery.xlsx.export.wizard"
    _description = "Excel export"

    # records read per query; small in the tests
    _xlsx_batch_size = 2000

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
        return fields.Date.context_today(self).replace(day=1)

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
        up (a link downloads once)."""
        self.ensure_one()
        if not (token and self.download_token and consteq(token, self.download_token)):
            return False
        self.download_token = False
        return True

    # ------------------------------------------------------------------ export
    def _export_xlsx(self):
        """Write the export into a new temporary file.

        :return: ``(path, file name)``; the caller deletes the file. Nothing is written
            when the parameters are wrong or the user may not export.
        """
        self.ensure_one()
        self.check_access("read")
        self._check_export_parameters()
        handle, path = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".xlsx")
        os.close(handle)
        try:
            rows = self._write_workbook(path)
        except Exception:
            os.unlink(path)
            raise
        parameters = self._export_parameters_log()
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
            EXPORT_MODELS[self.export_type],
            rows,
            export_type="xlsx",
            description=f"{label[self.export_type]}: {parameters}",
        )
        return path, self._export_filename()

    def _check_export_parameters(self):
        self.ensure_one()
        if self.export_type == "evaluation":
            if not self._evaluation_period():
                raise UserError(
                    self.env._(
                        "Choose an evaluation run, or a period type and a day of the period."
                    )
                )
            if not self.env["delivery.evaluation"].search_count(self._evaluation_domain(), limit=1):
                raise UserError(self.env._("There is no evaluation for this period."))
            return
        if not (self.date_from and self.date_to):
            raise UserError(self.env._("Choose the first and the last day to export."))
        if self.date_to < self.date_from:
            raise UserError(self.env._("The end date cannot be before the start date."))

    def _export_filename(self):
        if self.export_type == "evaluation":
            period_type, start = self._evaluation_period()
            return f"evaluations_{period_type}_{start.isoformat()}.xlsx"
        prefix = "complaint_analysis" if self.export_type == "complaint" else "staff_kpis"
        return f"{prefix}_{self.date_from.isoformat()}_{self.date_to.isoformat()}.xlsx"

    def _export_parameters_log(self):
        if self.export_type == "evaluation":
            period_type, start = self._evaluation_period()
            return f"{period_type} {start}"
        extra = self.request_type if self.export_type == "complaint" else self.team_id.display_name
        return f"{self.date_from} to {self.date_to} {extra or ''}".rstrip()

    def _write_workbook(self, path):
        """Write the workbook of the chosen export to ``path``; return its row count."""
        writer = {
            "evaluation": self._write_evaluations,
            "complaint": self._write_complaint_analysis,
            "staff_kpi": self._write_staff_kpis,
        }[self.export_type]
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        try:
            return writer(workbook, self._xlsx_formats(workbook))
        finally:
            workbook.close()

    @api.model
    def _xlsx_formats(self, workbook):
        formats = {
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": True}
            )
        }
        for style, (num_format, _width) in STYLES.items():
            props = {"num_format": num_format} if num_format else {}
            formats[style] = workbook.add_format(props)
            formats[f"{style}_total"] = workbook.add_format({**props, "bold": True, "top": 1})
            formats[f"{style}_flagged"] = workbook.add_format(
                {**props, "bold": True, "font_color": FLAGGED_COLOR}
            )
        return formats

    def _read_batches(self, model, domain, field_names):
        """Yield the ``read()`` dicts of the records of ``domain``, one list per batch
        of ``_xlsx_batch_size`` records, by ascending id.

        Keyset pagination (``id > last id``): every batch is one range query on the
        primary key, however far the export has gone (an ``offset`` would make the
        database skip all the rows before). The record cache is emptied after each
        batch, so that it never holds more than one batch."""
        records_model = self.env[model]
        size = self._xlsx_batch_size
        last_id = 0
        while True:
            records = records_model.search_fetch(
                Domain.AND([domain, [("id", ">", last_id)]]), field_names, order="id", limit=size
            )
            if not records:
                return
            last_id = records.ids[-1]
            rows = records.read(field_names)
            self.env.invalidate_all()
            yield rows
            if len(rows) < size:
                return

    def _labels(self, model, field_names):
        """Translated field labels."""
        fields_ = self.env[model]._fields
        return {name: fields_[name]._description_string(self.env) for name in field_names}

    def _selection_labels(self, model, field_name):
        return dict(self.env[model]._fields[field_name]._description_selection(self.env))

    def _export_tz(self):
        """The company's timezone, as for the evaluation periods, else the user's."""
        tz = self.env.company.partner_id.tz or self.env.user.tz
        return tz if tz in pytz.all_timezones_set else "UTC"

    # ------------------------------------------------------------------ evaluations
    def _evaluation_period(self):
        """``(period_type, period_start)`` of the export, or None if incomplete."""
        if self.evaluation_run_id:
            return self.evaluation_run_id.period_type, self.evaluation_run_id.period_start
        if self.period_type and self.period_date:
            return self.period_type, period_start_of(self.period_date, self.period_type)
        return None

    def _evaluation_domain(self):
        period_type, start = self._evaluation_period()
        domain = Domain("period_type", "=", period_type) & Domain("period_start", "=", start)
        if self.evaluation_run_id:
            domain &= Domain("company_id", "=", self.evaluation_run_id.company_id.id)
        return domain

    def _evaluation_columns(self):
        """``[(field, header, style)]`` of the evaluation sheet."""
        model = "delivery.evaluation"
        head = ["partner_id", "customer_class", "account_manager_id", "period_type"]
        head += ["period_start", "period_end"]
        labels = self._labels(model, head + list(RAW_FIELDS))
        columns = [(name, labels[name], "text") for name in head[:4]]
        columns += [(name, labels[name], "date") for name in head[4:]]
        for name in RAW_FIELDS:
            if name in MONEY_RAW:
                style = "number"
            elif name in PERCENT_RAW:
                style = "percent"
            else:
                style = "int"
            columns.append((name, labels[name], style))
        for name, label in self.env["delivery.evaluation"]._indicator_labels():
            columns.append(
                (f"score_{name}", self.env._("%(indicator)s score", indicator=label), "number")
            )
            columns.append(
                (f"weight_{name}", self.env._("%(indicator)s weight", indicator=label), "percent")
            )
        tail = ["total_score", "tier_before_id", "tier_id", "recommended_action", "action_done"]
        labels = self._labels(model, tail)
        columns.append(("total_score", labels["total_score"], "number"))
        columns += [(name, labels[name], "text") for name in tail[1:]]
        return columns

    def _write_evaluations(self, workbook, formats):
        model = "delivery.evaluation"
        columns = self._evaluation_columns()
        sheet = XlsxSheet(
            workbook,
            formats,
            self.env._("Evaluations"),
            [(header, style) for _name, header, style in columns],
        )
        selections = {
            name: self._selection_labels(model, name)
            for name in ("customer_class", "period_type", "recommended_action")
        }
        selections["action_done"] = {True: self.env._("Yes"), False: self.env._("No")}
        field_names = [name for name, _header, _style in columns]
        field_names += [f"has_{name}" for name in INDICATORS]
        field_names += ["has_growth", "has_retention", "has_score"]
        for rows in self._read_batches(model, self._evaluation_domain(), field_names):
            for row in rows:
                sheet.append(
                    [self._evaluation_cell(name, row, selections) for name, _h, _s in columns]
                )
        sheet.finish()
        return sheet.data_rows

    @api.model
    def _evaluation_cell(self, name, row, selections):
        """The cell of field ``name``: labels for selections and records, fractions for
        percentages, blank for an indicator without data."""
        value = row[name]
        if name in selections:
            return selections[name].get(value)
        if isinstance(value, tuple):  # many2one: (id, display name)
            return value[1]
        if name in PERCENT_RAW:
            return percent(value, bool(row[PERCENT_RAW[name]]))
        if name.startswith("score_"):
            return value if row[f"has_{name.removeprefix('score_')}"] else None
        if name.startswith("weight_"):
            return percent(value)
        if name == "total_score":
            return value if row["has_score"] else None
        return value

    # ------------------------------------------------------------------ complaints
    def _complaint_domain(self):
        """Requests received from the first day to the last, both included, in the
        export's timezone."""
        tz = pytz.timezone(self._export_tz())

        def utc(day):
            local = tz.localize(datetime.combine(day, time.min))
            return local.astimezone(pytz.UTC).replace(tzinfo=None)

        domain = Domain("received_date", ">=", utc(self.date_from)) & Domain(
            "received_date", "<", utc(self.date_to + relativedelta(days=1))
        )
        if self.request_type:
            domain &= Domain("request_type", "=", self.request_type)
        return domain

    def _complaint_stats(self, domain, groupby):
        """SLA figures per group: ``{group key: {figure: value}}``, in the groups'
        order, from a few grouped queries (whatever the number of requests)."""
        complaints = self.env["delivery.complaint"]
        stats = defaultdict(lambda: defaultdict(float))
        for key, count in complaints._read_group(domain, [groupby], ["__count"]):
            stats[key]["count"] = count
        for clock in ("response", "resolution"):
            status_field = f"sla_{clock}_status"
            groups = complaints._read_group(domain, [groupby, status_field], ["__count"])
            for key, status, count in groups:
                stats[key][f"{clock}_{status}"] += count
        timed = (
            ("response", "first_response_date", "first_response_time"),
            ("resolution", "resolved_date", "resolution_time"),
        )
        for clock, done_field, time_field in timed:
            groups = complaints._read_group(
                domain & Domain(done_field, "!=", False),
                [groupby],
                ["__count", f"{time_field}:sum"],
            )
            for key, count, hours in groups:
                stats[key][f"{clock}_done"] = count
                stats[key][f"{clock}_hours"] = hours or 0.0
        return stats

    def _complaint_stat_values(self, figures):
        values = [figures["count"]]
        for clock in ("response", "resolution"):
            counts = [figures[f"{clock}_{status}"] for status in SLA_VERDICTS]
            values += [*counts, ratio(counts[0], sum(counts))]
        for clock in ("response", "resolution"):
            values.append(ratio(figures[f"{clock}_hours"], figures[f"{clock}_done"]))
        return values

    def _complaint_stat_columns(self, key_header, key_style):
        return [
            (key_header, key_style),
            (self.env._("Requests"), "int"),
            (self.env._("First response met"), "int"),
            (self.env._("First response missed"), "int"),
            (self.env._("First response breached"), "int"),
            (self.env._("First response met (%)"), "percent"),
            (self.env._("Resolution met"), "int"),
            (self.env._("Resolution missed"), "int"),
            (self.env._("Resolution breached"), "int"),
            (self.env._("Resolution met (%)"), "percent"),
            (self.env._("Mean first response (h)"), "hours"),
            (self.env._("Mean resolution (h)"), "hours"),
        ]

    def _write_complaint_summary(self, workbook, formats, name, groupby, key_style="text"):
        """One summary sheet: a row per group and a total row (the sum of the groups:
        every request is in exactly one group, so it is the period's total)."""
        domain = self._complaint_domain()
        stats = self._complaint_stats(domain, groupby)
        if key_style == "month":
            key_header = self.env._("Month")
        else:
            key_header = self._labels("delivery.complaint", [groupby])[groupby]
        columns = self._complaint_stat_columns(key_header, key_style)
        sheet = XlsxSheet(workbook, formats, name, columns)
        totals = defaultdict(float)
        not_set = self.env._("Not set")
        for key, figures in stats.items():
            if isinstance(key, models.BaseModel):
                label = key.display_name or not_set
            else:
                label = key or not_set
            sheet.append([label, *self._complaint_stat_values(figures)])
            for figure, value in figures.items():
                totals[figure] += value
        sheet.append([self.env._("Total"), *self._complaint_stat_values(totals)], total=True)
        sheet.finish()
        return sheet.data_rows

    def _write_complaint_analysis(self, workbook, formats):
        # the months are those of the export's timezone, as the date range
        wizard = self.with_context(tz=self._export_tz())
        summary = wizard._write_complaint_summary
        summary(workbook, formats, self.env._("By type"), "type_id")
        summary(workbook, formats, self.env._("By root cause"), "root_cause_id")
        summary(workbook, formats, self.env._("By department"), "department_id")
        summary(workbook, formats, self.env._("By month"), "received_date:month", "month")
        return wizard._write_complaint_requests(workbook, formats)

    def _write_complaint_requests(self, workbook, formats):
        """The detail: one row per request, datetimes in the export's timezone."""
        model = "delivery.complaint"
        spec = [
            ("name", "text"),
            ("subject", "text"),
            ("request_type", "text"),
            ("partner_id", "text"),
            ("received_date", "datetime"),
            ("channel", "text"),
            ("type_id", "text"),
            ("priority", "text"),
            ("state", "text"),
            ("user_id", "text"),
            ("team_id", "text"),
            ("root_cause_id", "text"),
            ("department_id", "text"),
            ("responsible_id", "text"),
            ("first_response_date", "datetime"),
            ("first_response_time", "hours"),
            ("sla_response_status", "text"),
            ("resolved_date", "datetime"),
            ("resolution_time", "hours"),
            ("sla_resolution_status", "text"),
            ("sla_status", "text"),
        ]
        names = [name for name, _style in spec]
        labels = self._labels(model, names)
        sheet = XlsxSheet(
            workbook,
            formats,
            self.env._("Requests"),
            [(labels[name], style) for name, style in spec],
        )
        complaint_fields = self.env[model]._fields
        selections = {
            name: self._selection_labels(model, name)
            for name in names
            if complaint_fields[name].type == "selection"
        }
        tz = pytz.timezone(self._export_tz())
        done_fields = {"first_response_time": "first_response_date"}
        done_fields["resolution_time"] = "resolved_date"
        for rows in self._read_batches(model, self._complaint_domain(), names):
            for row in rows:
                values = []
                for name, style in spec:
                    value = row[name]
                    if name in selections:
                        value = selections[name].get(value)
                    elif isinstance(value, tuple):
                        value = value[1]
                    elif style == "datetime" and value:
                        value = pytz.UTC.localize(value).astimezone(tz).replace(tzinfo=None)
                    elif name in done_fields and not row[done_fields[name]]:
                        value = None
                    values.append(value)
                sheet.append(values)
        sheet.finish()
        return sheet.data_rows

    # ------------------------------------------------------------------ staff KPIs
    def _kpi_domain(self):
        domain = Domain("month", ">=", self.date_from.replace(day=1)) & Domain(
            "month", "<=", self.date_to
        )
        if self.team_id:
            domain &= Domain("team_id", "=", self.team_id.id)
        return domain

    def _kpi_columns(self, per_month):
        model = "delivery.staff.kpi.report"
        names = ["month"] if per_month else []
        names += ["user_id", "team_id", "customers_count", "customers_developed"]
        names += ["satisfaction", "satisfaction_count", "complaints_attributed"]
        names += ["requests_reopened"]
        names += ["sla_met", "sla_total", "sla_compliance", "first_response_hours"]
        names += ["resolution_hours", "visits_planned", "visits_done", "trainings_done"]
        names += ["training_hours"]
        if per_month:
            names.append("exam_score")
            names += [target for target, _missed in KPI_TARGETS.values()]
        labels = self._labels(model, names)
        styles = {"month": "month", "user_id": "text", "team_id": "text"}
        styles.update(
            dict.fromkeys(("satisfaction", "sla_compliance", "satisfaction_target"), "percent")
        )
        styles.update(
            dict.fromkeys(
                (
                    "first_response_hours",
                    "resolution_hours",
                    "training_hours",
                    "exam_score",
                    "first_response_target",
                    "resolution_target",
                ),
                "hours",
            )
        )
        return [(name, labels[name], styles.get(name, "int")) for name in names]

    @api.model
    def _kpi_values(self, columns, figures):
        """A KPI row; a figure without data is blank (the report says 0)."""
        has_data = {
            "satisfaction": figures["satisfaction_count"],
            "sla_compliance": figures["sla_total"],
            "first_response_hours": figures["sla_total"],
            "resolution_hours": figures["sla_total"],
        }
        values = []
        for name, _header, style in columns:
            value = figures[name]
            if name in has_data and not has_data[name]:
                value = None
            elif style == "percent":
                value = percent(value)
            elif isinstance(value, tuple):  # many2one: (id, display name)
                value = value[1]
            values.append(value)
        return values

    def _write_staff_kpis(self, workbook, formats):
        """A row per staff member and month, then the same figures per staff member
        over the whole range: counts summed, ratios from the sums, mean times
        weighted by the requests resolved, customers managed as the latest count."""
        model = "delivery.staff.kpi.report"
        monthly_columns = self._kpi_columns(per_month=True)
        staff_columns = self._kpi_columns(per_month=False)
        monthly = XlsxSheet(
            workbook,
            formats,
            self.env._("Staff KPIs"),
            [(header, style) for _name, header, style in monthly_columns],
        )
        field_names = [name for name, _header, _style in monthly_columns]
        field_names.append("satisfied_count")
        field_names += [missed for _target, missed in KPI_TARGETS.values()]
        # one entry per staff member (not per customer): small whatever the data
        per_staff = {}
        for rows in self._read_batches(model, self._kpi_domain(), field_names):
            for row in rows:
                flagged = {
                    col
                    for col, (name, _header, _style) in enumerate(monthly_columns)
                    if name in KPI_TARGETS and row[KPI_TARGETS[name][1]]
                }
                monthly.append(self._kpi_values(monthly_columns, row), flagged=flagged)
                self._kpi_accumulate(per_staff, row)
        monthly.finish()
        staff = XlsxSheet(
            workbook,
            formats,
            self.env._("By staff member"),
            [(header, style) for _name, header, style in staff_columns],
        )
        totals = defaultdict(float, user_id=self.env._("Total"))
        for figures in sorted(per_staff.values(), key=lambda f: f["user_id"][1] or ""):
            self._kpi_ratios(figures)
            staff.append(self._kpi_values(staff_columns, figures))
            for name in (*KPI_SUMS, *KPI_WEIGHTED, "customers_count"):
                totals[name] += figures[name]
        self._kpi_ratios(totals)
        totals["team_id"] = None
        staff.append(self._kpi_values(staff_columns, totals), total=True)
        staff.finish()
        return monthly.data_rows

    @api.model
    def _kpi_accumulate(self, per_staff, row):
        user_id = row["user_id"]
        figures = per_staff.setdefault(
            user_id[0],
            defaultdict(float, user_id=user_id, team_id=row["team_id"], latest_month=row["month"]),
        )
        for name in KPI_SUMS:
            figures[name] += row[name]
        if row["month"] >= figures["latest_month"]:
            figures["latest_month"] = row["month"]
            figures["team_id"] = row["team_id"]
            figures["customers_count"] = row["customers_count"]
        for name in ("first_response_hours", "resolution_hours"):
            figures[f"{name}_weighted"] += row[name] * row["sla_total"]

    @api.model
    def _kpi_ratios(self, figures):
        """The ratios and means of summed figures, as the report computes them."""
        figures["satisfaction"] = (
            ratio(figures["satisfied_count"] * 100.0, figures["satisfaction_count"]) or 0.0
        )
        figures["sla_compliance"] = ratio(figures["sla_met"] * 100.0, figures["sla_total"]) or 0.0
        for name in ("first_response_hours", "resolution_hours"):
            figures[name] = ratio(figures[f"{name}_weighted"], figures["sla_total"]) or 0.0
