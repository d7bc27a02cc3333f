"""Small helpers shared by the module's models."""

# customer classification (000 §三(一)): customers, evaluation schemes and evaluations
CUSTOMER_CLASSES = [("key", "Key"), ("general", "General"), ("potential", "Potential")]


def set_related_counts(records, count_field, model, field):
    """Set ``count_field`` of each of ``records`` to the number of ``model`` rows whose
    ``field`` points to it, with one grouped query for all of them."""
    counts = dict(
        records.env[model]._read_group([(field, "in", records.ids)], [field], ["__count"])
    )
    for record in records:
        record[count_field] = counts.get(record, 0)
