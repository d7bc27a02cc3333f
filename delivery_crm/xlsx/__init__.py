"""The Excel exports (R10, R11), apart from the wizard that asks for their parameters:

- :mod:`.writer`: the sheet writer, plain Python on xlsxwriter (no Odoo, tested
  without a database);
- :mod:`.export`: what the exports share (keyset batches, labels, timezone);
- one small class per export: :mod:`.evaluation`, :mod:`.complaint_analysis`,
  :mod:`.staff_kpi`.

The wizard (``delivery.xlsx.export.wizard``) keeps the parameters, the access checks,
the one-time download key and the export log, and calls the export chosen.
"""
