"""Small helpers shared by the module's models."""

import io
from datetime import date
from decimal import Decimal
from math import isfinite

import psycopg2.extensions

from odoo.exceptions import ValidationError
from odoo.tools import SQL


def set_related_counts(records, count_field, model, field):
    """Set ``count_field`` of each of ``records`` to the number of ``model`` rows whose
    ``field`` points to it, with one grouped query for all of them."""
    counts = dict(
        records.env[model]._read_group([(field, "in", records.ids)], [field], ["__count"])
    )
    for record in records:
        record[count_field] = counts.get(record, 0)


PG_INT_MAX = 2**31 - 1


def check_value_types(model, vals):
    """Refuse, with a clear ValidationError, the values PostgreSQL would refuse with a raw
    database error: a record id that is no integer, an integer out of the column's range.
    For the models external systems write through the API (requests, deliveries, visits).
    """
    for name, value in vals.items():
        field = model._fields.get(name)
        if field is None or value is False or value is None:
            continue
        if field.type == "many2one" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationError(
                model.env._(
                    "%(field)s expects the id of a record (a number), not %(value)r.",
                    field=field.get_description(model.env)["string"],
                    value=value,
                )
            )
        if (
            field.type == "integer"
            and isinstance(value, int)
            and not -PG_INT_MAX - 1 <= value <= PG_INT_MAX
        ):
            raise ValidationError(
                model.env._(
                    "%(field)s is out of range: %(value)s.",
                    field=field.get_description(model.env)["string"],
                    value=value,
                )
            )


# what COPY's text format escapes in a value (PostgreSQL, "COPY", "Text Format")
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


# the values COPY's text format takes here as ``str`` writes them (datetime is a date;
# freezegun's are subclasses)
COPY_PLAIN_TYPES = (int, float, Decimal, date)


def copy_refused(value):
    raise ValueError(f"copy_line: {value!r} ({type(value).__name__}) has no COPY text form here")


def copy_line(values):
    """``values`` as a line of COPY's text format: NULL as ``\\N``, booleans as t/f,
    strings escaped, numbers and (naive) dates and times as ``str`` writes them (one
    call per row, not per value: a batch has a hundred thousand values). Anything else,
    and a float that is not a number (NaN, infinite), is refused with a ValueError
    rather than written wrong."""
    return "\t".join(
        [
            "\\N"
            if value is None
            else "t"
            if value is True
            else "f"
            if value is False
            else value.translate(COPY_ESCAPES)
            if isinstance(value, str)
            else str(value)
            if isinstance(value, COPY_PLAIN_TYPES)
            and (not isinstance(value, float) or isfinite(value))
            else copy_refused(value)
            for value in values
        ]
    )


def copy_into_temp(env, table, source, columns, rows):
    """Create the temporary table ``table`` with the ``columns`` (and their types) of the
    table ``source``, dropped at the end of the transaction (or replaced by the next
    call in the same transaction), and fill it with ``rows``
    (sequences of values in the order of ``columns``) through one COPY: PostgreSQL
    parses it several times faster than a JSON document or parameters of as many rows,
    for a set-based statement to read them next. As Odoo's own ``ir.model.data``
    export does (``models.__ensure_xml_id``), without the cursor's wait callback, which
    COPY does not support. For a read-write transaction (not on a replica) of a user
    allowed temporary tables (PostgreSQL's default): the evaluation run's batches."""
    names = SQL(", ").join(SQL.identifier(name) for name in columns)
    env.execute_query(SQL("DROP TABLE IF EXISTS %s", SQL.identifier("pg_temp", table)))
    env.execute_query(
        SQL(
            "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA",
            SQL.identifier(table),
            names,
            SQL.identifier(source),
        )
    )
    buffer = io.StringIO("".join(copy_line(row) + "\n" for row in rows))
    copy = SQL("COPY %s (%s) FROM STDIN", SQL.identifier(table), names)
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        env.cr.copy_expert(copy.code, buffer)
    finally:
        psycopg2.extensions.set_wait_callback(callback)
