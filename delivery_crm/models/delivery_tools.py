"""Small helpers shared by the module's models."""

from odoo.exceptions import ValidationError


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
