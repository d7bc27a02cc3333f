"""The sheet writer of the Excel exports: plain Python on top of xlsxwriter, no Odoo
(tested without a database in ``tests/test_xlsx_writer.py``).

Memory stays bounded whatever the number of rows: the workbook is written with
xlsxwriter's ``constant_memory`` mode into a file, each row being flushed to disk as
soon as the next one starts, so only one row per sheet is ever held (the price: rows
are written strictly in order, no shared strings table, no ``autofit``; column widths
are set by hand, per style).

Text is always written with ``write_string``: a value such as ``"=HYPERLINK(...)"``
(a customer's name) stays text and never becomes a formula.
"""

from datetime import date

import xlsxwriter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
HEADER_FORMAT = {"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": True}
# a figure that misses its target
FLAGGED_COLOR = "#C00000"


def percent(value, has_data=True):
    """A 0-100 figure as the fraction an Excel percent format expects."""
    return value / 100.0 if has_data and value is not None else None


def ratio(part, whole):
    return part / whole if whole else None


def workbook_formats(workbook):
    """The cell formats of :data:`STYLES`, each plain, ``_total`` (bold, rule above)
    and ``_flagged`` (bold, red), and ``header``."""
    formats = {"header": workbook.add_format(HEADER_FORMAT)}
    for style, (num_format, _width) in STYLES.items():
        props = {"num_format": num_format} if num_format else {}
        formats[style] = workbook.add_format(props)
        formats[f"{style}_total"] = workbook.add_format({**props, "bold": True, "top": 1})
        formats[f"{style}_flagged"] = workbook.add_format(
            {**props, "bold": True, "font_color": FLAGGED_COLOR}
        )
    return formats


class XlsxBook:
    """A workbook written into ``path`` in ``constant_memory`` mode; use it as a
    context manager (the file is complete when the block ends)::

        with XlsxBook(path) as book:
            sheet = book.add_sheet("Customers", [("Name", "text"), ("Orders", "int")])
            sheet.append(["=Formula Co", 3])
            sheet.finish()
    """

    def __init__(self, path):
        self.workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        self.formats = workbook_formats(self.workbook)

    def add_sheet(self, name, columns):
        """A new sheet; ``columns`` is ``[(header, style)]``, style a key of
        :data:`STYLES`."""
        return XlsxSheet(self.workbook, self.formats, name, columns)

    def close(self):
        self.workbook.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


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
