from odoo import api, fields, models
from odoo.tools import SQL, format_amount

from .delivery_constants import PARTNER_AUDITED_FIELDS, REPARENT_AUDITED_FIELDS


class DeliveryAuditLog(models.Model):
    """Who changed what in a customer's profile, when, from which value to which (R9).

    Append-only: rows are written by the module (with ``sudo()``) when the audited fields
    change; nobody but the superuser edits or deletes them, whatever the access rights
    (an administrator cannot either, even through the external API). The values are kept
    as text (display names, selection labels, formatted amounts), as they read when they
    changed, so the row stays meaningful after the referenced records change or go.
    Only managers and auditors read the log: it holds the sensitive values.
    """

    _name = "delivery.audit.log"
    _inherit = ["delivery.system.log.mixin"]
    _description = "Customer data change"
    _order = "id desc"

    user_id = fields.Many2one(
        "res.users",
        string="Changed by",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    res_model = fields.Char(string="Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True, index=True
    )
    record_name = fields.Char(string="Record", readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    # empty for a merge, which is about the whole record
    field_id = fields.Many2one(
        "ir.model.fields",
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    operation = fields.Selection(
        [("create", "Created"), ("write", "Changed"), ("merge", "Merged")],
        required=True,
        readonly=True,
    )
    old_value = fields.Text(readonly=True)
    new_value = fields.Text(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index="btree_not_null")

    @api.depends("record_name", "field_id")
    def _compute_display_name(self):
        for log in self:
            # sudo: the label of the audited field (ir.model.fields is for administrators);
            # the log row itself was already read with the caller's rights
            label = log.field_id.sudo().field_description or ""
            log.display_name = f"{log.record_name or ''} · {label}"

    # ------------------------------------------------------------------ recording
    @api.model
    def _audited_fields(self, records, vals):
        """The audited fields of ``records`` written by ``vals``, in a stable order."""
        if records._name != "res.partner":
            return []
        return [name for name in PARTNER_AUDITED_FIELDS if name in vals]

    @api.model
    def _format_value(self, record, field):
        """``record``'s value of ``field`` as text (False when empty)."""
        value = record[field.name]
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        if field.relational:
            return ", ".join(value.mapped("display_name")) or False
        if value is False or value is None:
            return False
        if field.type == "selection":
            labels = dict(field._description_selection(self.env))
            return labels.get(value, value)
        if field.type == "monetary":
            currency = record[field.get_currency_field(record)]
            return format_amount(self.env, value, currency) if currency else str(value)
        if field.type in ("date", "datetime"):
            return field.to_string(value)
        return str(value)

    @api.model
    def _raw_value(self, record, field):
        """``record``'s value of ``field``, comparable before and after a write."""
        value = record[field.name]
        if field.relational:
            return tuple(value.ids)
        return value or False

    @api.model
    def _snapshot(self, records, field_names):
        """The current values of ``field_names`` of ``records``: ``{id: {name: (raw,
        text)}}``. Read as superuser (a writer may change fields it cannot read, a
        module method may write for the user); one query per batch of records, and one
        per related model for the display names, not one per record."""
        # sudo: see above; the values only go into the audit log, which staff cannot read
        records = records.sudo()
        records.fetch(field_names)
        fields_ = [records._fields[name] for name in field_names]
        return {
            record.id: {
                field.name: (self._raw_value(record, field), self._format_value(record, field))
                for field in fields_
            }
            for record in records
        }

    def _row_values(self, record, field, operation, old_value, new_value):
        if record._name == "res.partner":
            partner = record
        else:
            partner = record["partner_id"] if "partner_id" in record._fields else None
        company = record["company_id"] if "company_id" in record._fields else None
        return {
            "user_id": self.env.uid,
            "res_model": record._name,
            "res_id": record.id,
            "record_name": record.display_name,
            "partner_id": partner.id if partner else False,
            "field_id": self.env["ir.model.fields"]._get(record._name, field.name).id,
            "operation": operation,
            "old_value": old_value,
            "new_value": new_value,
            "company_id": company.id if company else False,
        }

    @api.model
    def _log_changes(self, records, field_names, snapshot):
        """One row per field of ``field_names`` whose value differs from its value in
        ``snapshot`` (taken by :meth:`_snapshot` before the write), in one create."""
        if not (records and field_names):
            return self.browse()
        # sudo: the new values are compared and logged, not shown (see _snapshot)
        records = records.sudo()
        fields_ = [records._fields[name] for name in field_names]
        rows = []
        for record in records:
            before = snapshot.get(record.id)
            if before is None:
                continue
            for field in fields_:
                old_raw, old_text = before[field.name]
                if self._raw_value(record, field) == old_raw:
                    continue
                new_text = self._format_value(record, field)
                rows.append(self._row_values(record, field, "write", old_text, new_text))
        # sudo: nobody has write access to the log; this row records a change the user
        # was just allowed to make, with the user's own id (the env keeps its uid)
        return self.sudo().create(rows) if rows else self.browse()

    @api.model
    def _log_creation(self, records, field_names):
        """One row per field of ``field_names`` set on the new ``records``."""
        if not (records and field_names):
            return self.browse()
        # sudo: the initial values are logged, not shown (see _snapshot)
        records = records.sudo()
        records.fetch(list(field_names))
        fields_ = [records._fields[name] for name in field_names]
        rows = [
            self._row_values(record, field, "create", False, self._format_value(record, field))
            for record in records
            for field in fields_
            if self._raw_value(record, field)
        ]
        # sudo: see _log_changes
        return self.sudo().create(rows) if rows else self.browse()

    @api.model
    def _log_moves(self, records, snapshot, customers):
        """One row per field of :data:`REPARENT_AUDITED_FIELDS` that changed on the
        moved ``records`` (``snapshot`` taken before the move), on each of ``customers``
        the record belonged to before or belongs to now: both customers see who moved
        a contact from one to the other."""
        # sudo: see _log_changes
        records = records.sudo()
        rows = []
        for record in records:
            before = snapshot.get(record.id)
            if before is None:
                continue
            new_site = record.commercial_partner_id.id
            sites = {record.id, new_site, *before["commercial_partner_id"][0]}
            partner_ids = sorted(sites & set(customers.ids)) or [new_site]
            for name in REPARENT_AUDITED_FIELDS:
                field = record._fields[name]
                old_raw, old_text = before[name]
                if self._raw_value(record, field) == old_raw:
                    continue
                new_text = self._format_value(record, field)
                row = self._row_values(record, field, "write", old_text, new_text)
                rows += [{**row, "partner_id": pid} for pid in partner_ids]
        # sudo: see _log_changes
        return self.sudo().create(rows) if rows else self.browse()

    @api.model
    def _log_merge(self, kept, merged_names):
        """A manager merged the partners ``merged_names`` (their names and ids, as they
        read before the merge deleted them) into ``kept``: one row on the kept partner's
        customer, which now holds their history."""
        # sudo: see _log_changes
        kept = kept.sudo()
        company = kept.company_id
        row = {
            "user_id": self.env.uid,
            "res_model": kept._name,
            "res_id": kept.id,
            "record_name": kept.display_name,
            "partner_id": kept.commercial_partner_id.id,
            "field_id": False,
            "operation": "merge",
            "old_value": ", ".join(merged_names),
            "new_value": kept.display_name,
            "company_id": company.id,
        }
        # sudo: see _log_changes
        return self.sudo().create(row)

    @api.model
    def _log_tier_changes(self, change_ids):
        """Record the tier changes an evaluation run made in SQL (``delivery.tier.change``
        rows ``change_ids``), in one statement whatever their number: the run moves the
        tiers of many customers at once without the ORM's ``write``."""
        if not change_ids:
            return
        field = self.env["ir.model.fields"]._get("res.partner", "tier_id")
        lang = self.env.lang or "en_US"
        self.env["delivery.tier.change"].flush_model()
        self.env["delivery.tier"].flush_model(["name"])
        self.env["res.partner"].flush_model(["name", "company_id"])
        self.env.execute_query(
            SQL(
                """
                INSERT INTO delivery_audit_log
                       (user_id, res_model, res_id, record_name, partner_id, field_id,
                        operation, old_value, new_value, company_id,
                        create_uid, create_date, write_uid, write_date)
                SELECT c.user_id, 'res.partner', c.partner_id, p.name, c.partner_id,
                       %(field)s, 'write',
                       COALESCE(old_t.name->>%(lang)s, old_t.name->>'en_US'),
                       COALESCE(new_t.name->>%(lang)s, new_t.name->>'en_US'),
                       p.company_id, %(uid)s, c.date, %(uid)s, c.date
                  FROM delivery_tier_change c
                  JOIN res_partner p ON p.id = c.partner_id
                  LEFT JOIN delivery_tier old_t ON old_t.id = c.old_tier_id
                  LEFT JOIN delivery_tier new_t ON new_t.id = c.new_tier_id
                 WHERE c.id IN %(ids)s
                 ORDER BY c.id
                """,
                field=field.id,
                lang=lang,
                uid=self.env.uid,
                ids=tuple(change_ids),
            )
        )
        self.invalidate_model()
