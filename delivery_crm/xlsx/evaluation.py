"""Evaluation results of a period (R10): one row per evaluation, its raw figures,
scores, weights, total and tier move."""

from odoo.exceptions import UserError
from odoo.fields import Domain

from .export import XlsxExport
from .writer import percent

# the sheet's style of a raw value, by its kind (delivery_evaluation_indicator.KINDS)
KIND_STYLES = {"money": "number", "percent": "percent", "count": "int", "number": "number"}


class EvaluationExport(XlsxExport):
    """Reads ``delivery.evaluation`` of the wizard's period (its run's, or the period
    type and day chosen), in keyset batches."""

    model = "delivery.evaluation"

    def __init__(self, wizard):
        super().__init__(wizard)
        evaluation = self.env[self.model]
        self.indicators = evaluation._indicators()
        self.raw_values = evaluation._raw_values(self.indicators)
        # raw values stored in percent (0-100), exported as percentages, and the field
        # telling whether the value had data (no data is a blank cell, not 0 %)
        self.percent_raw = {
            value.name: value.data_field for value in self.raw_values if value.kind == "percent"
        }

    def period(self):
        """``(period_type, period_start)``; the parameters were checked."""
        return self.wizard._evaluation_period()

    def domain(self):
        period_type, start = self.period()
        domain = Domain("period_type", "=", period_type) & Domain("period_start", "=", start)
        if self.wizard.evaluation_run_id:
            domain &= Domain("company_id", "=", self.wizard.evaluation_run_id.company_id.id)
        return domain

    def check(self):
        if not self.wizard._evaluation_period():
            raise UserError(
                self.env._("Choose an evaluation run, or a period type and a day of the period.")
            )
        if not self.env[self.model].search_count(self.domain(), limit=1):
            raise UserError(self.env._("There is no evaluation for this period."))

    def filename(self):
        period_type, start = self.period()
        return f"evaluations_{period_type}_{start.isoformat()}.xlsx"

    def log_parameters(self):
        period_type, start = self.period()
        return f"{period_type} {start}"

    def columns(self):
        """``[(field, header, style)]`` of the evaluation sheet: its one place, the
        indicators' columns derived from their registrations."""
        head = ["partner_id", "customer_class", "account_manager_id", "period_type"]
        head += ["period_start", "period_end"]
        raw_names = [value.name for value in self.raw_values]
        labels = self.labels(self.model, head + raw_names)
        columns = [(name, labels[name], "text") for name in head[:4]]
        columns += [(name, labels[name], "date") for name in head[4:]]
        columns += [
            (value.name, labels[value.name], KIND_STYLES[value.kind]) for value in self.raw_values
        ]
        for indicator in self.indicators:
            label = indicator.label
            columns.append(
                (
                    f"score_{indicator.key}",
                    self.env._("%(indicator)s score", indicator=label),
                    "number",
                )
            )
            columns.append(
                (
                    f"weight_{indicator.key}",
                    self.env._("%(indicator)s weight", indicator=label),
                    "percent",
                )
            )
        tail = ["total_score", "tier_before_id", "tier_id", "recommended_action", "action_done"]
        labels = self.labels(self.model, tail)
        columns.append(("total_score", labels["total_score"], "number"))
        columns += [(name, labels[name], "text") for name in tail[1:]]
        return columns

    def write_sheets(self, book):
        columns = self.columns()
        sheet = book.add_sheet(
            self.env._("Evaluations"), [(header, style) for _name, header, style in columns]
        )
        selections = {
            name: self.selection_labels(self.model, name)
            for name in ("customer_class", "period_type", "recommended_action")
        }
        selections["action_done"] = {True: self.env._("Yes"), False: self.env._("No")}
        field_names = [name for name, _header, _style in columns]
        field_names += [f"has_{indicator.key}" for indicator in self.indicators]
        field_names += [value.data_field for value in self.raw_values if value.data_field]
        field_names.append("has_score")
        field_names = list(dict.fromkeys(field_names))
        for rows in self.read_batches(self.model, self.domain(), field_names):
            for row in rows:
                sheet.append([self.cell(name, row, selections) for name, _h, _s in columns])
        sheet.finish()
        return sheet.data_rows

    def cell(self, name, row, selections):
        """The cell of field ``name``: labels for selections and records, fractions for
        percentages, blank for an indicator without data."""
        value = row[name]
        if name in selections:
            return selections[name].get(value)
        if isinstance(value, tuple):  # many2one: (id, display name)
            return value[1]
        if name in self.percent_raw:
            data_field = self.percent_raw[name]
            return percent(value, bool(row[data_field]) if data_field else True)
        if name.startswith("score_"):
            return value if row[f"has_{name.removeprefix('score_')}"] else None
        if name.startswith("weight_"):
            return percent(value)
        if name == "total_score":
            return value if row["has_score"] else None
        return value
