"""Complaint analysis (R11): SLA figures by type, root cause, department and month,
then one row per request."""

from collections import defaultdict
from datetime import datetime, time

import pytz
from dateutil.relativedelta import relativedelta

from odoo import models
from odoo.fields import Domain

from .export import DateRangeExport
from .writer import ratio

# SLA statuses that end a clock's verdict (the denominator of "met %")
SLA_VERDICTS = ("met", "missed", "breached")
# the detail sheet: field and style, in column order
REQUEST_COLUMNS = [
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
# a time figure is blank until its clock has stopped
DONE_FIELDS = {"first_response_time": "first_response_date", "resolution_time": "resolved_date"}


class ComplaintAnalysisExport(DateRangeExport):
    """Reads ``delivery.complaint`` received in the wizard's date range (of one
    request type, or all): the summaries grouped in the database (``_read_group``,
    a few queries whatever the number of requests), the detail in keyset batches."""

    model = "delivery.complaint"
    filename_prefix = "complaint_analysis"

    def __init__(self, wizard):
        super().__init__(wizard)
        # the months and datetimes are those of the export's timezone, as the date range
        self.env = self.env(context=dict(self.env.context, tz=self.export_tz()))

    def log_parameters(self):
        return super().log_parameters(self.wizard.request_type)

    def domain(self):
        """Requests received from the first day to the last, both included, in the
        export's timezone."""
        tz = pytz.timezone(self.export_tz())

        def utc(day):
            local = tz.localize(datetime.combine(day, time.min))
            return local.astimezone(pytz.UTC).replace(tzinfo=None)

        wizard = self.wizard
        domain = Domain("received_date", ">=", utc(wizard.date_from)) & Domain(
            "received_date", "<", utc(wizard.date_to + relativedelta(days=1))
        )
        if wizard.request_type:
            domain &= Domain("request_type", "=", wizard.request_type)
        return domain

    def write_sheets(self, book):
        self.write_summary(book, self.env._("By type"), "type_id")
        self.write_summary(book, self.env._("By root cause"), "root_cause_id")
        self.write_summary(book, self.env._("By department"), "department_id")
        self.write_summary(book, self.env._("By month"), "received_date:month", "month")
        return self.write_requests(book)

    # ------------------------------------------------------------------ summaries
    def stats(self, domain, groupby):
        """SLA figures per group: ``{group key: {figure: value}}``, in the groups'
        order, from a few grouped queries (whatever the number of requests)."""
        complaints = self.env[self.model]
        stats = defaultdict(lambda: defaultdict(float))
        for key, count in complaints._read_group(domain, [groupby], ["__count"]):
            stats[key]["count"] = count
        # the request's SLA statuses: its clocks' (delivery.complaint.sla), stored with it
        for clock, status_field in (
            ("response", "sla_response_status"),
            ("resolution", "sla_resolution_status"),
        ):
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

    @staticmethod
    def stat_values(figures):
        values = [figures["count"]]
        for clock in ("response", "resolution"):
            counts = [figures[f"{clock}_{status}"] for status in SLA_VERDICTS]
            values += [*counts, ratio(counts[0], sum(counts))]
        for clock in ("response", "resolution"):
            values.append(ratio(figures[f"{clock}_hours"], figures[f"{clock}_done"]))
        return values

    def stat_columns(self, key_header, key_style):
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

    def write_summary(self, book, name, groupby, key_style="text"):
        """One summary sheet: a row per group and a total row (the sum of the groups:
        every request is in exactly one group, so it is the period's total)."""
        stats = self.stats(self.domain(), groupby)
        if key_style == "month":
            key_header = self.env._("Month")
        else:
            key_header = self.labels(self.model, [groupby])[groupby]
        sheet = book.add_sheet(name, self.stat_columns(key_header, key_style))
        totals = defaultdict(float)
        not_set = self.env._("Not set")
        for key, figures in stats.items():
            if isinstance(key, models.BaseModel):
                label = key.display_name or not_set
            else:
                label = key or not_set
            sheet.append([label, *self.stat_values(figures)])
            for figure, value in figures.items():
                totals[figure] += value
        sheet.append([self.env._("Total"), *self.stat_values(totals)], total=True)
        sheet.finish()
        return sheet.data_rows

    # ------------------------------------------------------------------ detail
    def write_requests(self, book):
        """The detail: one row per request, datetimes in the export's timezone."""
        names = [name for name, _style in REQUEST_COLUMNS]
        labels = self.labels(self.model, names)
        sheet = book.add_sheet(
            self.env._("Requests"), [(labels[name], style) for name, style in REQUEST_COLUMNS]
        )
        complaint_fields = self.env[self.model]._fields
        selections = {
            name: self.selection_labels(self.model, name)
            for name in names
            if complaint_fields[name].type == "selection"
        }
        tz = pytz.timezone(self.export_tz())
        for rows in self.read_batches(self.model, self.domain(), names):
            for row in rows:
                values = []
                for name, style in REQUEST_COLUMNS:
                    value = row[name]
                    if name in selections:
                        value = selections[name].get(value)
                    elif isinstance(value, tuple):
                        value = value[1]
                    elif style == "datetime" and value:
                        value = pytz.UTC.localize(value).astimezone(tz).replace(tzinfo=None)
                    elif name in DONE_FIELDS and not row[DONE_FIELDS[name]]:
                        value = None
                    values.append(value)
                sheet.append(values)
        sheet.finish()
        return sheet.data_rows
