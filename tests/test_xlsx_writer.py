"""The sheet writer of the Excel exports (delivery_crm/xlsx/writer.py), without Odoo and
without a database: it is plain Python on xlsxwriter (issue 14 item 5). The files it
writes are read back with openpyxl, as a spreadsheet program would."""

import importlib.util
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITER = ROOT / "delivery_crm" / "xlsx" / "writer.py"


def _load_writer():
    # by its path: importing the delivery_crm package would load its Odoo models
    spec = importlib.util.spec_from_file_location("delivery_crm_xlsx_writer", WRITER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


writer = _load_writer()

COLUMNS = [
    ("Customer", "text"),
    ("Deliveries", "int"),
    ("Revenue", "number"),
    ("On time", "percent"),
    ("Since", "date"),
    ("Received", "datetime"),
]


@pytest.fixture
def book_path(tmp_path):
    return tmp_path / "export.xlsx"


def _write(path, rows, columns=COLUMNS, name="Customers"):
    """Write ``rows`` (``(values, options)``) into one sheet; return it, read back."""
    with writer.XlsxBook(str(path)) as book:
        sheet = book.add_sheet(name, columns)
        for values, options in rows:
            sheet.append(values, **options)
        sheet.finish()
    assert sheet.data_rows == sum(1 for _values, options in rows if not options.get("total"))
    return openpyxl.load_workbook(path)[name]


def test_writer_imports_without_odoo():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('w', {str(WRITER)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "assert not [m for m in sys.modules if m == 'odoo' or m.startswith('odoo.')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_layout_header_widths_filter(book_path):
    rows = [
        (["Alpha", 3, 120.5, 0.5, date(2026, 1, 2), datetime(2026, 1, 2, 8, 30)], {}),
        (["Beta", 1, 10.0, None, None, None], {}),
        (["Total", 4, 130.5, None, None, None], {"total": True}),
    ]
    sheet = _write(book_path, rows)
    header = [cell.value for cell in sheet[1]]
    assert header == [title for title, _style in COLUMNS]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    # the filter covers the header and the data rows, not the total row
    assert sheet.auto_filter.ref == "A1:F3"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEF"]
    expected = [writer.STYLES[style][1] for _title, style in COLUMNS]
    # Excel adds the cell padding to the character width
    assert [round(width) for width in widths] == [round(w + 0.71) for w in expected]


def test_text_is_never_a_formula(book_path):
    """A customer named like a formula stays text (formula injection)."""
    names = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "=1+1"]
    rows = [([name, 1, 1.0, 0.1, None, None], {}) for name in names]
    sheet = _write(book_path, rows)
    cells = [sheet.cell(row=index + 2, column=1) for index in range(len(names))]
    assert [cell.value for cell in cells] == names
    assert {cell.data_type for cell in cells} == {"s"}


def test_cell_types_and_formats(book_path):
    rows = [
        (["Alpha", 3, 120.5, 0.25, date(2026, 1, 2), datetime(2026, 1, 2, 8, 30)], {}),
        (["", 0, 0.0, False, None, False], {}),
    ]
    sheet = _write(book_path, rows)
    first = [cell for cell in sheet[2]]
    assert [cell.value for cell in first] == [
        "Alpha",
        3,
        120.5,
        0.25,
        datetime(2026, 1, 2),
        datetime(2026, 1, 2, 8, 30),
    ]
    assert [cell.number_format for cell in first[1:]] == [
        "#,##0",
        "#,##0.00",
        "0.00%",
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm",
    ]
    second = [cell.value for cell in sheet[3]]
    # zero is a figure; None and False are blank cells (no data), not 0
    assert second[1:4] == [0, 0, None]
    assert second[4:] == [None, None]


def test_total_rows_bold_and_flagged_cells_red(book_path):
    rows = [
        (["Alpha", 3, 1.0, 0.9, None, None], {"flagged": {3}}),
        (["Total", 3, 1.0, 0.9, None, None], {"total": True}),
    ]
    sheet = _write(book_path, rows)
    data, total = sheet[2], sheet[3]
    assert not data[2].font.bold
    assert data[3].font.bold
    assert data[3].font.color.rgb.endswith(writer.FLAGGED_COLOR.lstrip("#"))
    assert all(cell.font.bold for cell in total)
    assert total[1].border.top.style == "thin"


def test_row_of_the_wrong_length_is_refused(book_path):
    with writer.XlsxBook(str(book_path)) as book:
        sheet = book.add_sheet("Customers", COLUMNS)
        with pytest.raises(ValueError):
            sheet.append(["Alpha", 3])


def test_several_sheets_in_order(book_path):
    with writer.XlsxBook(str(book_path)) as book:
        for name in ("By type", "By month"):
            sheet = book.add_sheet(name, [("Key", "text"), ("Requests", "int")])
            sheet.append([name, 1])
            sheet.finish()
    workbook = openpyxl.load_workbook(book_path)
    assert workbook.sheetnames == ["By type", "By month"]
    assert workbook["By month"]["A2"].value == "By month"


def test_percent_and_ratio():
    assert writer.percent(45.0) == 0.45
    assert writer.percent(45.0, has_data=False) is None
    assert writer.percent(None) is None
    assert writer.ratio(1, 4) == 0.25
    assert writer.ratio(1, 0) is None
    assert writer.ratio(0, 3) == 0
