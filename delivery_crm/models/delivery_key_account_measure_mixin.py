from odoo import api, fields, models

# what a key-account plan measures: (actual field, cumulated field, target field of the plan)
MEASURES = (
    ("deliveries", "deliveries_cumul", "volume_target"),
    ("revenue", "revenue_cumul", "revenue_target"),
    ("visits", "visits_cumul", "visit_target"),
    ("communications", "communications_cumul", "communication_target"),
)


def percent_of(actual, target):
    """``actual`` in percent of ``target`` (0 without a target)."""
    return round(actual * 100.0 / target, 1) if target else 0.0


class DeliveryKeyAccountMeasureMixin(models.AbstractModel):
    """What happened against a key-account plan's year targets (001 §九.2), in percent:
    on the plan (to date) and on each of its months (cumulated since January). The
    inheriting model says where its actual and target of each measure are
    (``_measure_sources``)."""

    _name = "delivery.key.account.measure.mixin"
    _description = "Key-account plan measured against its targets"

    deliveries_percent = fields.Float(
        string="Deliveries (% of target)", compute="_compute_percents", digits=(5, 1)
    )
    revenue_percent = fields.Float(
        string="Revenue (% of target)", compute="_compute_percents", digits=(5, 1)
    )
    visits_percent = fields.Float(
        string="Visits (% of target)", compute="_compute_percents", digits=(5, 1)
    )
    communications_percent = fields.Float(
        string="Communications (% of target)", compute="_compute_percents", digits=(5, 1)
    )

    def _measure_sources(self):
        """``[(measure, actual field path, target field path)]``, one per ``MEASURES``
        (none on the mixin itself)."""
        return []

    def _measure_depends(self):
        return [path for _measure, *paths in self._measure_sources() for path in paths]

    @api.depends(lambda self: self._measure_depends())
    def _compute_percents(self):
        sources = self._measure_sources()
        for record in self:
            for measure, actual, target in sources:
                record[f"{measure}_percent"] = percent_of(
                    record._measure_value(actual), record._measure_value(target)
                )

    def _measure_value(self, path):
        value = self
        for name in path.split("."):
            value = value[name]
        return value
