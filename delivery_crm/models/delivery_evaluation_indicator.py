"""The cooperation evaluation's indicators, as registrations (after Odoo's ``digest``,
where a KPI is a field and a method found by name).

An indicator is one :class:`Indicator`, returned by ``delivery.evaluation._indicators()``
(an extension point: another module adds one with ``super()`` plus its own). Everything
the evaluation has per indicator is derived from the registrations: the upsert's
columns and values, the scheme's weight total and checks, the scores and the period's
indicators, the explanation, the Excel columns, the PDF rows and the views' indicator
fields. The fields themselves are declared on the models, by naming convention:

- ``delivery.evaluation.scheme``: ``weight_<key>`` (Float), and the fields of its
  :class:`Scale` (floor / target);
- ``delivery.evaluation``: ``has_<key>`` (Boolean), ``score_<key>`` and ``weight_<key>``
  (Float), each :class:`RawValue` under its name (and ``has_<name>`` for a flagged one).

:func:`indicator_problems` says what a registration lacks; the module's tests run it on
every registered indicator.

Plain Python, no Odoo import: the registrations are plain frozen data.
"""

import re
from dataclasses import dataclass

# the kinds of evaluation period: the selection of the evaluations' ``period_type`` (and
# of the runs, ladders, wizards), and what an indicator's ``periods`` name
PERIOD_TYPES = [("monthly", "Monthly"), ("quarterly", "Quarterly"), ("annual", "Annual")]
PERIODS = tuple(key for key, _label in PERIOD_TYPES)
# the PostgreSQL type of the upsert's column -> the Odoo field types that store it
PG_TYPES = {
    "int4": ("integer",),
    "float8": ("float",),
    "numeric": ("monetary", "float"),
    "bool": ("boolean",),
}
# how a raw value is shown (Excel style, PDF widget)
KINDS = ("count", "money", "percent", "number")


@dataclass(frozen=True)
class RawValue:
    """A raw value an indicator needs, stored on ``delivery.evaluation`` under ``name``.

    :param pg_type: the column's PostgreSQL type (a key of :data:`PG_TYPES`)
    :param kind: how it is shown (one of :data:`KINDS`)
    :param present: a field that is false when the value had no data (a blank cell,
        a hidden value)
    :param flagged: the value may be ``None`` (no data): ``has_<name>`` stores whether
        it had data, and is its ``present`` field
    """

    name: str
    pg_type: str
    kind: str = "count"
    present: str | None = None
    flagged: bool = False

    @property
    def data_field(self):
        """The field telling whether the value had data, or None (it always has)."""
        return f"has_{self.name}" if self.flagged else self.present


@dataclass(frozen=True)
class Scale:
    """How a scheme maps the raw value ``value`` to 0-100: its field ``target`` scores
    100, its field ``floor`` (0 when there is none) scores 0. A floor needs a target
    above it (below it when ``lower_is_better``); a target without floor must be
    positive.

    An indicator of several scales scores the ``share``-weighted mean of those with a
    score (a scale without data leaves its share to the others).

    :param share: its part of the indicator's score (any positive number: the shares
        of an indicator are relative to their sum)
    :param per: a raw value of the indicator the target is per one of (the target is
        multiplied by it, by 1 when it is 0): ``effective_months`` for a monthly target
    :param zero_alone_is_no_data: a zero value scores only when another scale of the
        indicator (one without this option) has a score; else zero means "no data"
    """

    value: str
    target: str
    floor: str | None = None
    lower_is_better: bool = False
    share: float = 100.0
    per: str | None = None
    zero_alone_is_no_data: bool = False


@dataclass(frozen=True)
class Indicator:
    """One evaluation indicator.

    :param key: names its fields (``weight_<key>``, ``score_<key>``, ``has_<key>``)
    :param label: its translated label
    :param raw: the raw values it needs, in the order they are shown
    :param providers: the ``delivery.evaluation`` methods computing its raw values, in
        order, each ``provider(partner_ids, period, raw)`` returning ``{partner_id:
        {name: value}}`` for the whole batch with a fixed number of queries (``raw``:
        the values of the providers before it). Indicators share providers: each runs
        once per batch.
    :param score: the ``delivery.evaluation.scheme`` method ``score(raw, indicator,
        figures)`` returning 0-100, or None when there is no data (``figures``: the
        scheme's weights, floors and targets as a dict, ``scheme._figures()``, read once
        per batch: read them there rather than on the record)
    :param scales: the scheme's parameters, as :class:`Scale`
    :param periods: the kinds of period it is evaluated in
    """

    key: str
    label: str
    raw: tuple[RawValue, ...]
    providers: tuple[str, ...]
    score: str
    scales: tuple[Scale, ...] = ()
    periods: tuple[str, ...] = PERIODS

    @property
    def parameters(self):
        """The scheme fields the indicator's scoring uses."""
        return tuple(name for scale in self.scales for name in (scale.floor, scale.target) if name)


def raw_values(indicators):
    """The raw values of ``indicators``, each once, in the order they first appear."""
    seen = {}
    for indicator in indicators:
        for value in indicator.raw:
            seen.setdefault(value.name, value)
    return tuple(seen.values())


def providers(indicators):
    """The provider methods of ``indicators``, each once, in the order they first appear."""
    return tuple(dict.fromkeys(name for i in indicators for name in i.providers))


def _field_problem(model, name, types):
    field = model._fields.get(name)
    if field is None:
        return f"{model._name} has no field {name}"
    if field.type not in types:
        return f"{model._name}.{name} is a {field.type} field, not {' or '.join(types)}"
    if not field.store:
        return f"{model._name}.{name} is not stored"
    return None


def _method_problem(model, name):
    if not (name and name.startswith("_") and callable(getattr(model, name, None))):
        return f"{model._name} has no method {name}"
    return None


def _scale_problems(key, scale, raw_names, scheme):
    problems = []
    if scale.value not in raw_names:
        problems.append(f"{key}: its scale of {scale.value} is not one of its raw values")
    for name in (scale.floor, scale.target):
        if name:
            problems.append(_field_problem(scheme, name, ("float", "integer", "monetary")))
    if scale.lower_is_better and not scale.floor:
        problems.append(f"{key}: a lower-is-better scale of {scale.value} needs a floor")
    if not (isinstance(scale.share, int | float) and scale.share > 0):
        problems.append(f"{key}: its scale of {scale.value} needs a positive share")
    if scale.per and scale.per not in raw_names:
        problems.append(
            f"{key}: its scale of {scale.value} is per {scale.per}, not one of its raw values"
        )
    return problems


def indicator_problems(indicator, evaluation, scheme):
    """What ``indicator`` lacks, as a list of sentences (empty when it is complete).

    :param evaluation: a ``delivery.evaluation`` model (an empty recordset)
    :param scheme: a ``delivery.evaluation.scheme`` model
    """
    problems = []
    key = indicator.key
    if not (isinstance(key, str) and re.fullmatch(r"[a-z][a-z0-9_]*", key)):
        return [f"indicator key {key!r} is not a lower-case identifier"]
    if not (isinstance(indicator.label, str) and indicator.label.strip()):
        problems.append(f"{key}: no label")
    if not indicator.periods or not set(indicator.periods) <= set(PERIODS):
        problems.append(f"{key}: periods {indicator.periods!r} are not among {PERIODS}")
    if not indicator.raw:
        problems.append(f"{key}: no raw value")
    if not indicator.providers:
        problems.append(f"{key}: no provider")
    problems += [
        _field_problem(evaluation, f"has_{key}", ("boolean",)),
        _field_problem(evaluation, f"score_{key}", ("float",)),
        _field_problem(evaluation, f"weight_{key}", ("float",)),
        _field_problem(scheme, f"weight_{key}", ("float",)),
        *(_method_problem(evaluation, name) for name in indicator.providers),
        _method_problem(scheme, indicator.score),
    ]
    raw_names = set()
    for value in indicator.raw:
        raw_names.add(value.name)
        if value.pg_type not in PG_TYPES:
            problems.append(f"{key}: raw value {value.name} has an unknown type {value.pg_type}")
            continue
        if value.kind not in KINDS:
            problems.append(f"{key}: raw value {value.name} has an unknown kind {value.kind}")
        problems.append(_field_problem(evaluation, value.name, PG_TYPES[value.pg_type]))
        if value.flagged:
            problems.append(_field_problem(evaluation, f"has_{value.name}", ("boolean",)))
        elif value.present and value.present not in evaluation._fields:
            problems.append(f"{key}: {value.name}'s present field {value.present} is unknown")
    for scale in indicator.scales:
        problems += _scale_problems(key, scale, raw_names, scheme)
    return [problem for problem in problems if problem]


def registry_problems(indicators, evaluation, scheme):
    """What the registrations lack together: each indicator's problems, a key
    registered twice, a raw value registered with two definitions, a flagged raw value
    named like an indicator (both would write its ``has_<name>``)."""
    problems = []
    keys = [indicator.key for indicator in indicators]
    problems += [f"indicator {key} is registered twice" for key in set(keys) if keys.count(key) > 1]
    definitions = {}
    for indicator in indicators:
        problems += indicator_problems(indicator, evaluation, scheme)
        for value in indicator.raw:
            if definitions.setdefault(value.name, value) != value:
                problems.append(f"raw value {value.name} has two definitions")
    problems += [
        f"raw value {name} is flagged: its has_{name} is indicator {name}'s"
        for name, value in definitions.items()
        if value.flagged and name in keys
    ]
    return problems
