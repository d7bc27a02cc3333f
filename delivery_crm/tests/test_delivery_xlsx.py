import glob
import io
import os
import tempfile
from datetime import date, datetime
from unittest.mock import patch

import openpyxl
from openpyxl.utils import get_column_letter

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..wizard.delivery_xlsx_export_wizard import TEMP_PREFIX
from ..xlsx.export import XlsxExport
from ..xlsx.writer import XLSX_MIMETYPE
from .common import DeliveryCrmCommon, new_user

Q3 = date(2026, 7, 1)
WIZARD = "delivery.xlsx.export.wizard"
COMPLAINT_SHEETS = ["By type", "By root cause", "By department", "By month", "Requests"]


def temp_exports():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), f"{TEMP_PREFIX}*")))


class DeliveryXlsxCommon(DeliveryCrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # periods and date ranges are those of the company's timezone (UTC+8)
        cls.env.company.partner_id.tz = "Asia/Shanghai"

    def _wizard(self, user=None, **vals):
        return self.env[WIZARD].with_user(user or self.user_manager).create(vals)

    def _export(self, wizard):
        """The workbook the wizard writes, opened with openpyxl; the file is removed."""
        path, filename = wizard._export_xlsx()
        try:
            self.assertTrue(filename.endswith(".xlsx"))
            return openpyxl.load_workbook(path)
        finally:
            os.unlink(path)

    def _rows(self, sheet):
        return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]

    def _by_first_cell(self, sheet):
        return {row[0]: row for row in self._rows(sheet)}

    def _assert_layout(self, sheet, headers, data_rows):
        """Bold frozen header, autofilter over the header and the data rows."""
        header = [cell.value for cell in sheet[1]]
        for expected in headers:
            self.assertIn(expected, header, sheet.title)
        self.assertTrue(all(cell.font.bold for cell in sheet[1]), sheet.title)
        self.assertEqual(sheet.freeze_panes, "A2", sheet.title)
        last_col = get_column_letter(len(header))
        self.assertEqual(sheet.auto_filter.ref, f"A1:{last_col}{data_rows + 1}", sheet.title)
        self.assertGreater(sheet.column_dimensions["A"].width, 10, sheet.title)


@tagged("post_install", "-at_install")
class TestXlsxEvaluation(DeliveryXlsxCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cust_a = cls._new_customer("=Formula Co 公式", customer_class="general")
        cls.cust_b = cls._new_customer("Beta Logistics 贝塔", customer_class="key")
        cls.cust_c = cls._new_customer("Gamma Shop", customer_class="potential")
        Evaluation = cls.env["delivery.evaluation"]
        base = {
            "company_id": cls.env.company.id,
            "period_type": "quarterly",
            "period_start": Q3,
            "period_end": date(2026, 9, 30),
            "account_manager_id": cls.user_account_manager.id,
        }
        full = {
            f"{prefix}_{name}": value
            for name, score, weight in (
                ("satisfaction", 80.0, 25.0),
                ("volume", 60.0, 25.0),
                ("stability", 50.0, 10.0),
                ("loyalty", 40.0, 10.0),
                ("complaint", 100.0, 15.0),
                ("on_time", 90.0, 15.0),
            )
            for prefix, value in (("has", True), ("score", score), ("weight", weight))
        }
        cls.eval_a = Evaluation.create(
            {
                **base,
                **full,
                "partner_id": cls.cust_a.id,
                "customer_class": "general",
                "revenue": 12345.5,
                "revenue_previous": 10000.0,
                "growth": 23.46,
                "has_growth": True,
                "delivery_count": 40,
                "finished_count": 38,
                "on_time_count": 36,
                "on_time_rate": 94.74,
                "effective_months": 3,
                "active_months": 3,
                "active_share": 100.0,
                "satisfaction": 85.0,
                "satisfaction_count": 4,
                "complaint_count": 0,
                "complaint_rate": 0.0,
                "has_score": True,
                "total_score": 72.5,
                "tier_before_id": cls.tier_silver.id,
                "tier_id": cls.tier_gold.id,
                "recommended_action": "reward",
                "action_done": True,
            }
        )
        # no data at all: blank scores and rates, not zeros
        cls.eval_b = Evaluation.create(
            {
                **base,
                "partner_id": cls.cust_b.id,
                "customer_class": "key",
                "effective_months": 3,
                "recommended_action": "none",
            }
        )
        cls.eval_c = Evaluation.create(
            {**base, **full, "partner_id": cls.cust_c.id, "has_score": True, "total_score": 55}
        )
        # other periods are left out
        Evaluation.create({**base, "partner_id": cls.cust_b.id, "period_start": date(2026, 4, 1)})
        Evaluation.create({**base, "partner_id": cls.cust_b.id, "period_type": "monthly"})

    def _expected_count(self):
        return self.env["delivery.evaluation"].search_count(
            [("period_type", "=", "quarterly"), ("period_start", "=", Q3)]
        )

    def _columns(self, sheet):
        """The header of the evaluation sheet, the fields' labels replaced by the
        fields' names (the indicators' score and weight columns keep their header)."""
        names = {
            field.string: name for name, field in self.env["delivery.evaluation"]._fields.items()
        }
        return [names.get(cell.value, cell.value) for cell in sheet[1]]

    def test_evaluation_sheet(self):
        # any day of the quarter designates it
        wizard = self._wizard(
            export_type="evaluation", period_type="quarterly", period_date=date(2026, 8, 17)
        )
        self.assertEqual((wizard.period_start, wizard.period_end), (Q3, date(2026, 9, 30)))
        book = self._export(wizard)
        self.assertEqual(book.sheetnames, ["Evaluations"])
        sheet = book["Evaluations"]
        count = self._expected_count()
        self.assertEqual(len(self._rows(sheet)), count)
        self._assert_layout(
            sheet,
            ["Customer", "Revenue", "Satisfaction (%)", "Tier before", "Resulting tier"],
            count,
        )
        columns = self._columns(sheet)
        for indicator in ("Satisfaction", "Business volume", "On-time rate"):
            self.assertIn(f"{indicator} score", columns)
            self.assertIn(f"{indicator} weight", columns)
        raw_names = [value.name for value in self.env["delivery.evaluation"]._raw_values()]
        for name in ("partner_id", *raw_names, "total_score", "recommended_action"):
            self.assertIn(name, columns)
        rows = self._by_first_cell(sheet)
        # a name starting with "=" stays text, never a formula
        row_a = dict(zip(columns, rows[self.cust_a.display_name], strict=True))
        self.assertEqual(row_a["customer_class"], "General")
        self.assertEqual(row_a["account_manager_id"], "Account Manager")
        self.assertEqual(row_a["period_type"], "Quarterly")
        self.assertEqual(row_a["period_start"], datetime(2026, 7, 1))
        self.assertEqual(row_a["period_end"], datetime(2026, 9, 30))
        self.assertEqual(row_a["revenue"], 12345.5)
        self.assertAlmostEqual(row_a["growth"], 0.2346)
        self.assertAlmostEqual(row_a["satisfaction"], 0.85)
        self.assertAlmostEqual(row_a["on_time_rate"], 0.9474)
        self.assertEqual(row_a["delivery_count"], 40)
        self.assertEqual(row_a["Satisfaction score"], 80.0)
        self.assertAlmostEqual(row_a["Satisfaction weight"], 0.25)
        self.assertEqual(row_a["On-time rate score"], 90.0)
        self.assertEqual(row_a["total_score"], 72.5)
        self.assertEqual(row_a["tier_before_id"], self.tier_silver.display_name)
        self.assertEqual(row_a["tier_id"], self.tier_gold.display_name)
        self.assertEqual(row_a["recommended_action"], "Reward")
        self.assertEqual(row_a["action_done"], "Yes")
        # formats: percentages as percentages, dates as dates
        row_index = 2 + list(rows).index(self.cust_a.display_name)
        for name, number_format in (
            ("satisfaction", "0.00%"),
            ("Satisfaction weight", "0.00%"),
            ("period_start", "yyyy-mm-dd"),
            ("revenue", "#,##0.00"),
            ("total_score", "#,##0.00"),
        ):
            cell = sheet.cell(row_index, columns.index(name) + 1)
            self.assertEqual(cell.number_format, number_format, name)
        # no data is a blank cell, not a zero
        row_b = dict(zip(columns, rows[self.cust_b.display_name], strict=True))
        for blank in ("satisfaction", "Satisfaction score", "total_score", "growth"):
            self.assertIsNone(row_b[blank], blank)
        self.assertEqual(row_b["Satisfaction weight"], 0)
        self.assertEqual(row_b["recommended_action"], "No data")
        self.assertEqual(row_b["action_done"], "No")
        # the scores' total matches the database
        col = columns.index("total_score")
        self.assertAlmostEqual(
            sum(row[col] or 0.0 for row in self._rows(sheet)),
            sum(
                self.env["delivery.evaluation"]
                .search([("period_type", "=", "quarterly"), ("period_start", "=", Q3)])
                .filtered("has_score")
                .mapped("total_score")
            ),
        )

    def test_evaluation_run_parameter(self):
        run = self.env["delivery.evaluation.run"].create(
            {"period_type": "quarterly", "period_start": Q3, "period_end": date(2026, 9, 30)}
        )
        wizard = self._wizard(export_type="evaluation", evaluation_run_id=run.id)
        self.assertEqual(wizard.period_start, Q3)
        book = self._export(wizard)
        self.assertEqual(len(self._rows(book["Evaluations"])), self._expected_count())
        # the action downloads the file from the controller
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertRegex(action["url"], rf"^/delivery_crm/xlsx/{wizard.id}\?token=[\w-]{{40,}}$")

    def test_batches(self):
        """Records are read in keyset batches: a small batch size gives several
        batches and the same rows; the queries do not grow with the batch's rows."""
        wizard = self._wizard(export_type="evaluation", period_type="quarterly", period_date=Q3)
        export = wizard._xlsx_export()
        domain = export.domain()
        count = self._expected_count()
        self.assertGreaterEqual(count, 3)
        with patch.object(XlsxExport, "batch_size", 2):
            batches = list(export.read_batches("delivery.evaluation", domain, ["total_score"]))
            self.assertEqual([len(batch) for batch in batches], [2] * (count // 2) + [count % 2])
            ids = [row["id"] for batch in batches for row in batch]
            self.assertEqual(ids, sorted(ids))
            self.assertEqual(set(ids), set(self.env["delivery.evaluation"].search(domain).ids))
            book = self._export(wizard)
        self.assertEqual(len(self._rows(book["Evaluations"])), count)

        def queries(limit):
            self.env.invalidate_all()
            ids = self.env["delivery.evaluation"].search(domain, limit=limit).ids
            before = self.env.cr.sql_log_count
            list(export.read_batches("delivery.evaluation", [("id", "in", ids)], ["partner_id"]))
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(1), queries(3))

    def test_bad_parameters(self):
        before = temp_exports()
        wizard = self._wizard(export_type="evaluation", period_type=False, period_date=False)
        with self.assertRaisesRegex(UserError, "Choose an evaluation run"):
            wizard.action_export()
        with self.assertRaisesRegex(UserError, "Choose an evaluation run"):
            wizard._export_xlsx()
        wizard.write({"period_type": "annual", "period_date": date(2019, 5, 1)})
        with self.assertRaisesRegex(UserError, "no evaluation for this period"):
            wizard._export_xlsx()
        with self.assertRaisesRegex(ValidationError, "end date cannot be before"):
            self._wizard(
                export_type="complaint", date_from=date(2026, 3, 1), date_to=date(2026, 2, 1)
            )
        wizard = self._wizard(export_type="staff_kpi", date_from=False)
        with self.assertRaisesRegex(UserError, "first and the last day"):
            wizard._export_xlsx()
        self.assertEqual(temp_exports(), before, "no file is written")

    def test_staff_refused(self):
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_account_manager, export_type="evaluation")
        wizard = self._wizard(export_type="evaluation", period_type="quarterly", period_date=Q3)
        before = temp_exports()
        with self.assertRaises(AccessError):
            wizard.with_user(self.user_account_manager)._export_xlsx()
        with self.assertRaises(AccessError):
            wizard.with_user(self.user_employee)._export_xlsx()
        self.assertEqual(temp_exports(), before)


@tagged("post_install", "-at_install")
class TestXlsxComplaint(DeliveryXlsxCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_delay = cls.env.ref("delivery_crm.delivery_complaint_type_delay")
        cls.type_other = cls.env["delivery.complaint.type"].create({"name": "Rude driver"})
        cls.cause = cls.env.ref("delivery_crm.delivery_complaint_root_cause_transport")
        cls.department = cls.env.ref("delivery_crm.delivery_department_transport")
        cls.customer = cls._new_customer(
            "Complaining Co 投诉公司", account_manager_id=cls.user_account_manager.id
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Wang Fang", "parent_id": cls.customer.id, "email": "wf@example.com"}
        )

        def complaint(received, response=None, resolution=None, **vals):
            record = (
                cls.env["delivery.complaint"]
                .with_user(cls.user_account_manager)
                .create(
                    {
                        "subject": f"Request of {received}",
                        "contact_id": cls.contact.id,
                        "type_id": cls.type_delay.id,
                        "received_date": received,
                        **vals,
                    }
                )
                .with_env(cls.env)
            )
            # (superuser: the module's own bookkeeping; the SLA statuses are the clocks')
            bookkeeping = {}
            if response:
                status, hours = response
                bookkeeping.update(first_response_date=received, first_response_time=hours)
                record._sla_clocks("response").write({"status": status})
            if resolution:
                status, hours = resolution
                bookkeeping.update(resolved_date=received, resolution_time=hours)
                record._sla_clocks("resolution").write({"status": status})
            record.write(bookkeeping)
            return record

        # Shanghai is UTC+8: 31 Jan 16:30 UTC is 1 February 00:30 there
        cls.c1 = complaint(datetime(2025, 1, 31, 16, 30), ("met", 1.0), ("met", 10.0))
        cls.c2 = complaint(
            datetime(2025, 2, 10, 2), ("missed", 3.0), ("missed", 30.0), type_id=cls.type_other.id
        )
        cls.c2.write({"root_cause_id": cls.cause.id})
        cls.c2.department_id = cls.department
        cls.c3 = complaint(datetime(2025, 2, 20, 2), ("met", 0.5))
        cls.c3._sla_clocks("resolution").write({"status": "breached"})
        cls.c4 = complaint(datetime(2025, 3, 31, 15, 0))  # 31 March 23:00 local
        cls.c4._sla_clocks("response").write({"status": "breached"})
        # outside: 31 January 23:30 local, 1 April 00:00 local, an inquiry
        complaint(datetime(2025, 1, 31, 15, 30), ("met", 1.0))
        complaint(datetime(2025, 3, 31, 16, 0), ("met", 1.0))
        complaint(datetime(2025, 3, 1, 2), ("met", 1.0), request_type="inquiry", type_id=False)
        cls.ours = cls.c1 | cls.c2 | cls.c3 | cls.c4

    def _domain(self):
        return [
            ("received_date", ">=", datetime(2025, 1, 31, 16)),
            ("received_date", "<", datetime(2025, 3, 31, 16)),
            ("request_type", "=", "complaint"),
        ]

    def test_complaint_analysis(self):
        wizard = self._wizard(
            export_type="complaint", date_from=date(2025, 2, 1), date_to=date(2025, 3, 31)
        )
        complaints = self.env["delivery.complaint"].search(self._domain())
        self.assertEqual(complaints, self.ours)
        book = self._export(wizard)
        self.assertEqual(book.sheetnames, COMPLAINT_SHEETS)
        stat_headers = [
            "Requests",
            "First response met",
            "First response missed",
            "First response breached",
            "First response met (%)",
            "Resolution met (%)",
            "Mean first response (h)",
            "Mean resolution (h)",
        ]
        # the totals of every summary sheet are the database's
        responded = complaints.filtered("first_response_date")
        resolved = complaints.filtered("resolved_date")
        expected_total = {
            "Requests": 4,
            "First response met": 2,
            "First response missed": 1,
            "First response breached": 1,
            "First response met (%)": 0.5,
            "Resolution met": 1,
            "Resolution missed": 1,
            "Resolution breached": 1,
            "Resolution met (%)": 1 / 3,
            "Mean first response (h)": sum(responded.mapped("first_response_time"))
            / len(responded),
            "Mean resolution (h)": sum(resolved.mapped("resolution_time")) / len(resolved),
        }
        for name in COMPLAINT_SHEETS[:4]:
            sheet = book[name]
            rows = self._rows(sheet)
            self._assert_layout(sheet, stat_headers, len(rows) - 1)
            header = [cell.value for cell in sheet[1]]
            total = dict(zip(header, rows[-1], strict=True))
            self.assertEqual(rows[-1][0], "Total")
            self.assertTrue(sheet.cell(len(rows) + 1, 1).font.bold)
            for figure, value in expected_total.items():
                self.assertAlmostEqual(total[figure], value, msg=f"{name}: {figure}")
            self.assertEqual(sum(row[1] for row in rows[:-1]), len(complaints), name)
        by_type = self._by_first_cell(book["By type"])
        self.assertEqual(by_type[self.type_delay.display_name][1], 3)
        self.assertEqual(by_type[self.type_other.display_name][1:6], [1, 0, 1, 0, 0])
        by_cause = self._by_first_cell(book["By root cause"])
        self.assertEqual(by_cause[self.cause.display_name][1], 1)
        self.assertEqual(by_cause["Not set"][1], 3)
        by_department = self._by_first_cell(book["By department"])
        self.assertEqual(by_department[self.department.display_name][1], 1)
        # months of the company's timezone
        by_month = self._by_first_cell(book["By month"])
        self.assertEqual(by_month[datetime(2025, 2, 1)][1], 3)
        self.assertEqual(by_month[datetime(2025, 3, 1)][1], 1)
        self.assertEqual(book["By month"]["A2"].number_format, "yyyy-mm")
        # the detail: one row per request, in local time
        sheet = book["Requests"]
        rows = self._by_first_cell(sheet)
        self.assertEqual(set(rows), set(complaints.mapped("name")))
        self._assert_layout(sheet, ["Number", "Received", "Root cause", "Resolution SLA"], 4)
        header = [cell.value for cell in sheet[1]]
        row = dict(zip(header, rows[self.c1.name], strict=True))
        self.assertEqual(row["Received"], datetime(2025, 2, 1, 0, 30))
        self.assertEqual(row["Request type"], "Complaint")
        self.assertEqual(row["Owner"], "Account Manager")
        self.assertEqual(row["First response (h)"], 1.0)
        self.assertEqual(row["Resolution SLA"], "Met")
        row = dict(zip(header, rows[self.c4.name], strict=True))
        self.assertIsNone(row["First response (h)"])
        self.assertEqual(row["First response SLA"], "Breached")

    def test_all_request_types(self):
        wizard = self._wizard(
            export_type="complaint",
            date_from=date(2025, 2, 1),
            date_to=date(2025, 3, 31),
            request_type=False,
        )
        book = self._export(wizard)
        domain = self._domain()[:2]
        count = self.env["delivery.complaint"].search_count(domain)
        self.assertEqual(count, 5)
        self.assertEqual(self._rows(book["By type"])[-1][1], count)
        self.assertEqual(len(self._rows(book["Requests"])), count)

    def test_requests_in_batches(self):
        wizard = self._wizard(
            export_type="complaint", date_from=date(2025, 2, 1), date_to=date(2025, 3, 31)
        )
        with patch.object(XlsxExport, "batch_size", 3):
            book = self._export(wizard)
        self.assertEqual(len(self._rows(book["Requests"])), 4)


@tagged("post_install", "-at_install")
class TestXlsxStaffKpi(DeliveryXlsxCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = new_user(cls.env, "staff", "dcrm_xlsx_other", "Another Staff")
        cls.team = cls.env["delivery.service.team"].create(
            {
                "name": "XLSX team",
                "leader_id": cls.user_manager.id,
                "member_ids": [Command.link(cls.user_account_manager.id)],
            }
        )
        Training = cls.env["delivery.staff.training"]
        for user, day, kind, score in (
            (cls.user_account_manager, "2025-01-10", "training", 0),
            (cls.user_account_manager, "2025-02-10", "exam", 80),
            (cls.user_account_manager, "2025-02-20", "exam", 90),
            (cls.other, "2025-02-15", "training", 0),
            (cls.other, "2025-04-15", "training", 0),  # outside the range
        ):
            Training.create(
                {
                    "name": f"{kind} {day}",
                    "user_id": user.id,
                    "date": day,
                    "kind": kind,
                    "score": score,
                    "hours": 2.0,
                    "state": "done",
                }
            )
        for i, user in enumerate((cls.user_account_manager, cls.user_account_manager, cls.other)):
            cls.env["res.partner"].create(
                {
                    "name": f"Converted {i}",
                    "converted_by_id": user.id,
                    "conversion_date": "2025-02-05",
                }
            )
        contact = cls._new_customer("KPI Co", account_manager_id=cls.user_account_manager.id)
        complaint = (
            cls.env["delivery.complaint"]
            .with_user(cls.user_account_manager)
            .create(
                {
                    "subject": "Where is it",
                    "request_type": "inquiry",
                    "partner_id": contact.id,
                    "received_date": datetime(2025, 2, 3, 2),
                }
            )
        )
        complaint.with_env(cls.env).write(
            {
                "resolved_date": datetime(2025, 2, 3, 5),
                "first_response_time": 2.0,
                "resolution_time": 3.0,
            }
        )
        complaint.with_env(cls.env)._sla_clocks().write({"status": "met"})

    def test_staff_kpis(self):
        wizard = self._wizard(
            export_type="staff_kpi", date_from=date(2025, 1, 1), date_to=date(2025, 3, 31)
        )
        self.env.flush_all()
        records = self.env["delivery.staff.kpi.report"].search_read(
            [("month", ">=", "2025-01-01"), ("month", "<=", "2025-03-31")]
        )
        book = self._export(wizard)
        self.assertEqual(book.sheetnames, ["Staff KPIs", "By staff member"])
        sheet = book["Staff KPIs"]
        rows = self._rows(sheet)
        self.assertEqual(len(rows), len(records))
        self._assert_layout(
            sheet,
            [
                "Month",
                "Staff member",
                "Service team",
                "Customers developed",
                "Satisfaction (%)",
                "SLA compliance (%)",
                "Visits planned",
                "Visits done",
                "Trainings done",
                "Mean exam score",
            ],
            len(records),
        )
        header = [cell.value for cell in sheet[1]]
        by_key = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in rows}
        feb = by_key[(datetime(2025, 2, 1), "Account Manager")]
        self.assertEqual(feb["Customers developed"], 2)
        self.assertEqual(feb["Trainings done"], 2)
        self.assertEqual(feb["Mean exam score"], 85)
        self.assertEqual(feb["Requests resolved"], 1)
        self.assertEqual(feb["SLA compliance (%)"], 1.0)
        self.assertEqual(feb["Mean resolution (h)"], 3.0)
        self.assertEqual(feb["Service team"], "XLSX team")
        self.assertIsNone(feb["Satisfaction (%)"], "no answer: blank, not 0 %")
        # every figure of every row is the report's
        for record in records:
            row = by_key[
                (datetime.combine(record["month"], datetime.min.time()), record["user_id"][1])
            ]
            for name in (
                "customers_developed",
                "complaints_attributed",
                "sla_total",
                "trainings_done",
            ):
                label = self.env["delivery.staff.kpi.report"]._fields[name].string
                self.assertEqual(row[label], record[name], name)
        # per staff member over the range, with a total row
        sheet = book["By staff member"]
        rows = self._rows(sheet)
        self._assert_layout(sheet, ["Staff member", "Customers developed"], len(rows) - 1)
        header = [cell.value for cell in sheet[1]]
        staff = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
        self.assertEqual(staff["Account Manager"]["Trainings done"], 3)
        self.assertEqual(staff["Another Staff"]["Trainings done"], 1)
        self.assertEqual(
            staff["Total"]["Customers developed"], sum(r["customers_developed"] for r in records)
        )
        self.assertEqual(
            staff["Total"]["Trainings done"], sum(r["trainings_done"] for r in records)
        )

    def test_targets_in_staff_kpis(self):
        """The monthly sheet shows the company's targets; a figure that misses its
        target is red."""
        self.env["res.config.settings"].with_user(self.env.ref("base.user_admin")).create(
            {"delivery_target_first_response_hours": 1.5}
        ).execute()
        wizard = self._wizard(
            export_type="staff_kpi", date_from=date(2025, 2, 1), date_to=date(2025, 2, 28)
        )
        sheet = self._export(wizard)["Staff KPIs"]
        header = [cell.value for cell in sheet[1]]
        cells = next(
            dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2)
            if row[1].value == "Account Manager"
        )
        self.assertEqual(cells["Satisfaction target (%)"].value, 0.9)
        self.assertEqual(cells["First response target (h)"].value, 1.5)
        self.assertEqual(cells["Solution target (h)"].value, 24.0)
        # first response 2 h: over the 1.5 h target; solution 3 h: within 24 h
        response, resolution = cells["Mean first response (h)"], cells["Mean resolution (h)"]
        self.assertEqual((response.value, resolution.value), (2.0, 3.0))
        self.assertTrue(response.font.bold)
        self.assertTrue(response.font.color.rgb.endswith("C00000"))
        self.assertFalse(resolution.font.bold)

    def test_team_filter(self):
        wizard = self._wizard(
            export_type="staff_kpi",
            date_from=date(2025, 1, 1),
            date_to=date(2025, 3, 31),
            team_id=self.team.id,
        )
        rows = self._rows(self._export(wizard)["Staff KPIs"])
        self.assertTrue(rows)
        self.assertEqual({row[2] for row in rows}, {"XLSX team"})


@tagged("post_install", "-at_install")
class TestXlsxDownload(HttpCase):
    """The download route: the file for the user who made the export, nobody else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_user(cls.env, "manager", "xlsx_manager")
        cls.manager_2 = new_user(cls.env, "manager", "xlsx_manager2")
        cls.staff = new_user(cls.env, "staff", "xlsx_staff")
        cls.wizard = (
            cls.env[WIZARD]
            .with_user(cls.manager)
            .create(
                {
                    "export_type": "complaint",
                    "date_from": date(2025, 2, 1),
                    "date_to": date(2025, 2, 28),
                }
            )
        )

    def _download_url(self):
        """The URL the export button gives the web client (one download)."""
        return self.wizard.with_user(self.manager).action_export()["url"]

    def test_download(self):
        url = self._download_url()
        before = temp_exports()
        self.authenticate("xlsx_manager", "xlsx_manager")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        self.assertIn(
            "complaint_analysis_2025-02-01_2025-02-28.xlsx",
            response.headers["Content-Disposition"],
        )
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(book.sheetnames, COMPLAINT_SHEETS)
        self.assertEqual(temp_exports(), before, "the temporary file is removed")
        # another manager does not get this export; staff may not export at all
        self.authenticate("xlsx_manager2", "xlsx_manager2")
        self.assertEqual(self.url_open(url).status_code, 404)
        self.authenticate("xlsx_staff", "xlsx_staff")
        with mute_logger("odoo.http"):
            self.assertEqual(self.url_open(url).status_code, 403)
        # the link downloads once
        self.authenticate("xlsx_manager", "xlsx_manager")
        self.assertEqual(self.url_open(url).status_code, 404)

    def test_a_cross_site_get_writes_nothing(self):
        """Security review L9: a GET of the route (from any page the manager visits)
        wrote an export-log row. The download needs the one-time key of the export
        button (a POST of the web client)."""
        Log = self.env["delivery.export.log"]
        logs = Log.search_count([])
        self.authenticate("xlsx_manager", "xlsx_manager")
        for url in (
            f"/delivery_crm/xlsx/{self.wizard.id}",
            f"/delivery_crm/xlsx/{self.wizard.id}?token=forged",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)
        self.env.invalidate_all()
        self.assertEqual(Log.search_count([]), logs)
        response = self.url_open(self._download_url())
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(Log.search_count([]), logs + 1)
