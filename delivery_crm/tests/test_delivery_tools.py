from datetime import date, datetime

from markupsafe import Markup

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..models.delivery_tools import copy_into_temp


@tagged("post_install", "-at_install")
class TestDeliveryTools(TransactionCase):
    def test_copy_into_temp_round_trip(self):
        """What the evaluation run stages through COPY reads back as it was written:
        NULLs, booleans, numbers, dates and times, and text with the characters COPY's
        text format escapes (a tab, a line break, a backslash, ``\\N`` as text)."""
        rows = [
            [1, "quarterly", date(2026, 7, 1), 87.25, True, datetime(2026, 10, 2, 3, 4, 5)],
            [2, "a\tb\nc\\d\re", None, None, False, None],
            [3, "\\N", date(2026, 9, 30), 0.1, None, datetime(2026, 1, 1)],
            [4, Markup("<b>x</b>\tTab"), None, -1e-07, True, None],
        ]
        columns = ["id", "summary", "date_deadline", "score", "flag", "happened"]
        self.env.execute_query(
            SQL(
                "CREATE TEMPORARY TABLE delivery_tools_source (id int4, summary varchar,"
                " date_deadline date, score float8, flag bool, happened timestamp)"
            )
        )
        for _attempt in range(2):  # twice in one transaction: the table is replaced
            copy_into_temp(self.env, "delivery_tools_copy", "delivery_tools_source", columns, rows)
        read = self.env.execute_query(
            SQL("SELECT %s FROM delivery_tools_copy ORDER BY id", SQL(", ".join(columns)))
        )
        self.assertEqual(
            [list(row) for row in read], [[*row[:1], str(row[1]), *row[2:]] for row in rows]
        )

    def test_copy_refuses_what_it_cannot_write(self):
        """A value COPY's text form would write wrong (a float that is no number, a
        Python object) is refused, and nothing is written."""
        self.env.execute_query(
            SQL("CREATE TEMPORARY TABLE delivery_tools_floats (id int4, score float8)")
        )
        for bad in (float("nan"), float("inf"), b"bytes", [1, 2]):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                copy_into_temp(
                    self.env,
                    "delivery_tools_bad",
                    "delivery_tools_floats",
                    ["id", "score"],
                    [[1, bad]],
                )
