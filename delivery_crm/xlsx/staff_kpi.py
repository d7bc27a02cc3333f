"""Staff KPIs (R11): a row per staff member and month, then the same figures per
staff member over the whole range."""

from collections import defaultdict

from odoo.fields import Domain
from odoo.tools import date_utils

from .export import DateRangeExport
from .writer import percent, ratio

KPI_WEIGHTED = ("first_response_hours_weighted", "resolution_hours_weighted")
# the monthly staff figures that have a target, the target's column and the report's
# field telling that the figure misses it (the company's targets, 003 §1.2)
KPI_TARGETS = {
    "satisfaction": ("satisfaction_target", "satisfaction_below_target"),
    "first_response_hours": ("first_response_target", "response_over_target"),
    "resolution_hours": ("resolution_target", "resolution_over_target"),
}
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
    "awards_count",  # task train
    "sanctions_count",
)
KPI_PERCENT = ("satisfaction", "sla_compliance", "satisfaction_target")
KPI_HOURS = (
    "first_response_hours",
    "resolution_hours",
    "training_hours",
    "exam_score",
    "first_response_target",
    "resolution_target",
)


class StaffKpiExport(DateRangeExport):
    """Reads ``delivery.staff.kpi.report`` of the months of the wizard's date range (of
    one service team, or all) in keyset batches; the per-staff totals are summed from
    those monthly rows (one entry per staff member, small whatever the data)."""

    model = "delivery.staff.kpi.report"
    filename_prefix = "staff_kpis"

    def log_parameters(self):
        return super().log_parameters(self.wizard.team_id.display_name)

    def domain(self):
        wizard = self.wizard
        domain = Domain("month", ">=", date_utils.start_of(wizard.date_from, "month")) & Domain(
            "month", "<=", wizard.date_to
        )
        if wizard.team_id:
            domain &= Domain("team_id", "=", wizard.team_id.id)
        return domain

    def columns(self, per_month):
        """``[(field, header, style)]`` of the monthly sheet or of the per-staff one."""
        names = ["month"] if per_month else []
        names += ["user_id", "team_id", "customers_count", "customers_developed"]
        names += ["satisfaction", "satisfaction_count", "complaints_attributed"]
        names += ["requests_reopened"]
        names += ["sla_met", "sla_total", "sla_compliance", "first_response_hours"]
        names += ["resolution_hours", "visits_planned", "visits_done", "trainings_done"]
        names += ["training_hours", "awards_count", "sanctions_count"]  # task train
        if per_month:
            names.append("exam_score")
            names += [target for target, _missed in KPI_TARGETS.values()]
        labels = self.labels(self.model, names)
        styles = {"month": "month", "user_id": "text", "team_id": "text"}
        styles.update(dict.fromkeys(KPI_PERCENT, "percent"))
        styles.update(dict.fromkeys(KPI_HOURS, "hours"))
        return [(name, labels[name], styles.get(name, "int")) for name in names]

    @staticmethod
    def values(columns, figures):
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

    def write_sheets(self, book):
        """Counts summed over the range, ratios from the sums, mean times weighted by
        the requests resolved, customers managed as the latest count."""
        monthly_columns = self.columns(per_month=True)
        staff_columns = self.columns(per_month=False)
        monthly = book.add_sheet(
            self.env._("Staff KPIs"),
            [(header, style) for _name, header, style in monthly_columns],
        )
        field_names = [name for name, _header, _style in monthly_columns]
        field_names.append("satisfied_count")
        field_names += [missed for _target, missed in KPI_TARGETS.values()]
        per_staff = {}
        for rows in self.read_batches(self.model, self.domain(), field_names):
            for row in rows:
                flagged = {
                    col
                    for col, (name, _header, _style) in enumerate(monthly_columns)
                    if name in KPI_TARGETS and row[KPI_TARGETS[name][1]]
                }
                monthly.append(self.values(monthly_columns, row), flagged=flagged)
                self.accumulate(per_staff, row)
        monthly.finish()
        staff = book.add_sheet(
            self.env._("By staff member"),
            [(header, style) for _name, header, style in staff_columns],
        )
        totals = defaultdict(float, user_id=self.env._("Total"))
        for figures in sorted(per_staff.values(), key=lambda f: f["user_id"][1] or ""):
            self.ratios(figures)
            staff.append(self.values(staff_columns, figures))
            for name in (*KPI_SUMS, *KPI_WEIGHTED, "customers_count"):
                totals[name] += figures[name]
        self.ratios(totals)
        totals["team_id"] = None
        staff.append(self.values(staff_columns, totals), total=True)
        staff.finish()
        return monthly.data_rows

    @staticmethod
    def accumulate(per_staff, row):
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

    @staticmethod
    def ratios(figures):
        """The ratios and means of summed figures, as the report computes them."""
        figures["satisfaction"] = (
            ratio(figures["satisfied_count"] * 100.0, figures["satisfaction_count"]) or 0.0
        )
        figures["sla_compliance"] = ratio(figures["sla_met"] * 100.0, figures["sla_total"]) or 0.0
        for name in ("first_response_hours", "resolution_hours"):
            figures[name] = ratio(figures[f"{name}_weighted"], figures["sla_total"]) or 0.0
