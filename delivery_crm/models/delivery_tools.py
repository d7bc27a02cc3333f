"""Small helpers shared by the module's models."""

from odoo.exceptions import ValidationError

# the roles (R9): has_group() takes one of these xml ids
GROUP_STAFF = "delivery_crm.group_delivery_crm_user"
GROUP_ACCOUNT_MANAGER = "delivery_crm.group_delivery_crm_account_manager"
GROUP_MANAGER = "delivery_crm.group_delivery_crm_manager"
GROUP_AUDITOR = "delivery_crm.group_delivery_crm_auditor"
# field groups: who may read a field (the auditor reads everything, writes nothing)
CRM_READ = f"{GROUP_STAFF},{GROUP_AUDITOR}"
CRM_SENSITIVE = f"{GROUP_MANAGER},{GROUP_AUDITOR}"

# the customer's latest KPIs and its tier override (res.partner), written by the
# evaluation runs and the tier API only
PARTNER_KPI_FIELDS = (
    "kpi_date",
    "kpi_score",
    "kpi_satisfaction",
    "kpi_complaint_rate",
    "kpi_on_time_rate",
    "kpi_volume",
)
PARTNER_OVERRIDE_FIELDS = (
    "tier_override_tier_id",
    "tier_override_reason",
    "tier_override_expiry",
    "tier_override_user_id",
)

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


# requests taken in by the service desk (000 §四(三), 001 §六, §七; 003 §1.2)
REQUEST_TYPES = [
    ("complaint", "Complaint"),
    ("inquiry", "Inquiry"),
    ("suggestion", "Suggestion"),
    ("requirement", "Requirement"),
]

# urgency × importance → priority (001 §七.1)
PRIORITIES = [("0", "Low"), ("1", "Normal"), ("2", "High"), ("3", "Urgent")]


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
