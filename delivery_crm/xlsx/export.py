"""What every Excel export shares: reading records in keyset batches, translated
labels, the export's timezone.

An export is one small class (after OCA ``report_xlsx``: one class per report) made
from the export wizard, which holds its parameters: it names the model it reads (for
the export log), checks its parameters, names its file and writes its sheets through
the plain sheet writer (:mod:`.writer`). Every figure is read in the wizard's
environment, the user's own: record rules and field groups apply to the export as to
the screens.
"""

import pytz

from odoo.exceptions import UserError
from odoo.fields import Domain


class XlsxExport:
    """The base of the exports; a subclass sets :attr:`model` and implements
    :meth:`check`, :meth:`filename`, :meth:`log_parameters` and :meth:`write_sheets`."""

    # the model the export reads, for the export log (R9)
    model = None
    # records read per query; small in the tests
    batch_size = 2000

    def __init__(self, wizard):
        wizard.ensure_one()
        self.wizard = wizard
        self.env = wizard.env

    def check(self):
        """Raise a ``UserError`` when the parameters are incomplete or wrong."""
        raise NotImplementedError

    def filename(self):
        raise NotImplementedError

    def log_parameters(self):
        """The parameters, as the export log describes them."""
        raise NotImplementedError

    def write_sheets(self, book):
        """Write the sheets into ``book`` (an :class:`~.writer.XlsxBook`); return the
        number of records exported."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def read_batches(self, model, domain, field_names):
        """Yield the ``read()`` dicts of the records of ``domain``, one list per batch
        of :attr:`batch_size` records, by ascending id.

        Keyset pagination (``id > last id``): every batch is one range query on the
        primary key, however far the export has gone (an ``offset`` would make the
        database skip all the rows before). The record cache is emptied after each
        batch, so that it never holds more than one batch."""
        records_model = self.env[model]
        size = self.batch_size
        last_id = 0
        while True:
            records = records_model.search_fetch(
                Domain.AND([domain, [("id", ">", last_id)]]), field_names, order="id", limit=size
            )
            if not records:
                return
            last_id = records.ids[-1]
            rows = records.read(field_names)
            self.env.invalidate_all()
            yield rows
            if len(rows) < size:
                return

    def labels(self, model, field_names):
        """Translated field labels."""
        fields_ = self.env[model]._fields
        return {name: fields_[name]._description_string(self.env) for name in field_names}

    def selection_labels(self, model, field_name):
        return dict(self.env[model]._fields[field_name]._description_selection(self.env))

    def export_tz(self):
        """The company's timezone, as for the evaluation periods, else the user's."""
        tz = self.env.company.partner_id.tz or self.env.user.tz
        return tz if tz in pytz.all_timezones_set else "UTC"


class DateRangeExport(XlsxExport):
    """An export of the days from the wizard's ``date_from`` to its ``date_to``."""

    # the file name: <prefix>_<first day>_<last day>.xlsx
    filename_prefix = None

    def check(self):
        wizard = self.wizard
        if not (wizard.date_from and wizard.date_to):
            raise UserError(self.env._("Choose the first and the last day to export."))
        if wizard.date_to < wizard.date_from:
            raise UserError(self.env._("The end date cannot be before the start date."))

    def filename(self):
        wizard = self.wizard
        first, last = wizard.date_from.isoformat(), wizard.date_to.isoformat()
        return f"{self.filename_prefix}_{first}_{last}.xlsx"

    def log_parameters(self, extra=None):
        wizard = self.wizard
        return f"{wizard.date_from} to {wizard.date_to} {extra or ''}".rstrip()
