"""The transport system's side of delivery records (issue 15 item 6): an integration
user with an API key upserts deliveries by its own reference over Odoo 19's ``/json/2``
(``POST /json/2/delivery.shipment/transport_upsert``) and reads the customers it needs
(``transport_customers``). The rules of a row are in ``_transport_parse_row`` (the row
alone) and ``_transport_plan_row`` (the row against the stored delivery)."""

import math
from collections import defaultdict
from datetime import UTC, datetime

import psycopg2
import psycopg2.errorcodes

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare

from .delivery_constants import CRM_READ, GROUP_STAFF
from .delivery_shipment import FINAL_OUTCOMES, STATUS_BY_OUTCOME
from .delivery_tools import PG_INT_MAX

GROUP_TRANSPORT = "delivery_crm.group_delivery_crm_transport"
# the columns of a row besides its key (name, customer_ref / partner_id, updated_at)
TRANSPORT_DATETIMES = ("date", "promised_datetime", "delivered_datetime", "failed_attempt_datetime")
TRANSPORT_AMOUNTS = ("revenue", "weight")
TRANSPORT_COLUMNS = (
    {"name", "customer_ref", "partner_id", "updated_at", "pieces", "status", "outcome"}
    | set(TRANSPORT_DATETIMES)
    | set(TRANSPORT_AMOUNTS)
)
# a status never goes back: created < in transit < finished (delivered, exception,
# cancelled: one may follow another, e.g. a damage found after the delivery)
STATUS_RANK = {"created": 0, "in_transit": 1, "delivered": 2, "exception": 2, "cancelled": 2}
DEFAULT_BATCH_LIMIT = 1000
# the columns ``_transport_insert`` writes whose constraints it runs on the batch
TRANSPORT_INSERTED = (
    "name",
    "partner_id",
    "date",
    "promised_datetime",
    "delivered_datetime",
    "revenue",
    "pieces",
    "weight",
)


class RowError(Exception):
    """A row refused before anything is written; its message is translated."""


class DeliveryShipment(models.Model):
    _inherit = "delivery.shipment"

    # the transport system writes the revenue of the jobs it reports (in the company's
    # currency, which Odoo reads to round it)
    revenue = fields.Monetary(groups=f"{GROUP_STAFF},{GROUP_TRANSPORT}")
    currency_id = fields.Many2one(groups=f"{CRM_READ},{GROUP_TRANSPORT}")
    # the exception notices its updates send read whether the customer was told already
    exception_notified = fields.Boolean(groups=f"{GROUP_STAFF},{GROUP_TRANSPORT}")
    # a failed delivery attempt (nobody there, refused...) the transport system reports
    failed_attempt_datetime = fields.Datetime(groups=f"{CRM_READ},{GROUP_TRANSPORT}")
    transport_updated_at = fields.Datetime(
        string="Transport update time",
        readonly=True,
        copy=False,
        groups=f"{CRM_READ},{GROUP_TRANSPORT}",
        help="When the transport system says the row it last sent was true (its "
        "updated_at, UTC). A row with an older time is ignored.",
    )

    # ------------------------------------------------------------------ API
    @api.model
    def transport_customers(self, refs=None, limit=None, offset=0):
        """The delivery customers of the caller's company the transport system may
        address: ``[{"id", "name", "ref"}]``, by name; ``refs``: only those codes."""
        self._check_transport_caller()
        domain = self._transport_customer_domain()
        if refs is not None:
            if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
                raise ValidationError(self.env._("refs must be a list of customer codes."))
            domain.append(("ref", "in", refs))
        # sudo: the caller (a transport-system user) may not search on the CRM flag of
        # a partner; it gets id, name and code of its own company's delivery customers only
        partners = (
            self.env["res.partner"].sudo().search(domain, limit=limit, offset=offset, order="name")
        )
        return [{"id": p.id, "name": p.name, "ref": p.ref or False} for p in partners]

    @api.model
    def transport_upsert(self, rows):
        """Create or update deliveries from the transport system's rows (README,
        "External API"): each row is checked whole before anything is written; a bad
        row comes back with its error and is not written, the good ones are.

        Returns ``{"created": n, "updated": n, "unchanged": n, "errors": n, "rows":
        [{"index", "reference", "result", "id"[, "error"][, "stale"]}]}``."""
        self._check_transport_caller()
        self._transport_writer()
        if not isinstance(rows, list):
            raise ValidationError(self.env._("rows must be a list of deliveries."))
        # sudo: reads the batch limit setting (not a secret) that only admins may change
        params = self.env["ir.config_parameter"].sudo()
        limit = int(params.get_param("delivery_crm.transport_batch_limit", DEFAULT_BATCH_LIMIT))
        if len(rows) > limit:
            raise UserError(
                self.env._(
                    "At most %(limit)s rows per call; this call has %(count)s.",
                    limit=limit,
                    count=len(rows),
                )
            )
        results = [None] * len(rows)
        parsed = []
        for index, row in enumerate(rows):
            try:
                parsed.append((index, self._transport_parse_row(row)))
            except RowError as exc:
                results[index] = self._transport_error(index, row, exc)
        customers = self._transport_resolve_customers([row for _i, row in parsed])
        existing = self._transport_existing(parsed, customers)
        creates, updates, seen = [], [], set()
        for index, row in parsed:
            try:
                partner_id = self._transport_customer_of(row, customers)
                key = (partner_id, row["name"])
                if key in seen:
                    raise RowError(
                        self.env._("This delivery appears twice in the call: send it once.")
                    )
                seen.add(key)
                record = existing.get(key)
                vals, stale = self._transport_plan_row(row, record)
            except RowError as exc:
                results[index] = self._transport_error(index, row, exc)
                continue
            result = {"index": index, "reference": row["name"]}
            if record is None:
                vals.update(name=row["name"], partner_id=partner_id)
                creates.append((index, vals))
                results[index] = {**result, "result": "created", "id": False}
            else:
                business = set(vals) - {"transport_updated_at"}
                results[index] = {
                    **result,
                    "result": "updated" if business else "unchanged",
                    "id": record.id,
                }
                if stale:
                    results[index]["stale"] = True
                if vals:
                    updates.append((index, record, vals))
        self._transport_write(creates, updates, results)
        summary = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for result in results:
            summary[result["result"]] += 1
        return {
            "created": summary["created"],
            "updated": summary["updated"],
            "unchanged": summary["unchanged"],
            "errors": summary["error"],
            "rows": results,
        }

    # ------------------------------------------------------------------ helpers
    def _check_transport_caller(self):
        if not (self.env.user.has_group(GROUP_TRANSPORT) or self.env.user.has_group(GROUP_STAFF)):
            raise AccessError(
                self.env._(
                    "Only the transport system's integration user (or Delivery CRM "
                    "staff) may use the delivery API."
                )
            )

    def _transport_writer(self):
        """The model the upsert writes with. The integration user's group reads
        deliveries and writes them through this method only (no create or write of its
        own over the API: it could move a status back, change a delivery's customer or
        its ``transport_updated_at`` past every later row); Delivery CRM staff write
        with their own rights."""
        if self.env.user.has_group(GROUP_STAFF):
            self.check_access("create")
            self.check_access("write")
            return self
        # sudo: the integration user's rows were checked one by one before (columns of
        # TRANSPORT_COLUMNS only, customers of the caller's company, dates, amounts,
        # statuses that never go back); the records keep its uid as author
        return self.sudo()

    def _transport_customer_domain(self):
        return [
            ("is_delivery_customer", "=", True),
            ("company_id", "in", [self.env.company.id, False]),
        ]

    @api.model
    def _transport_error(self, index, row, exc):
        reference = row.get("name") if isinstance(row, dict) else None
        return {
            "index": index,
            "reference": reference if isinstance(reference, str) else None,
            "result": "error",
            "id": False,
            "error": exc.args[0],
        }

    def _transport_datetime(self, column, value):
        if not isinstance(value, str):
            raise RowError(self._transport_bad_datetime(column, value))
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RowError(self._transport_bad_datetime(column, value)) from None
        if moment.tzinfo:  # an explicit offset: stored in UTC, as every Odoo datetime
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.replace(microsecond=0)

    def _transport_bad_datetime(self, column, value):
        return self.env._(
            "%(column)s: %(value)r is not a date and time (YYYY-MM-DD HH:MM:SS in UTC, "
            "or ISO 8601 with an offset).",
            column=column,
            value=value,
        )

    def _transport_parse_row(self, row):
        """The row's values, checked alone (types, ranges, known codes); RowError."""
        if not isinstance(row, dict):
            raise RowError(
                self.env._("A row must be an object of columns, not %(value)r.", value=row)
            )
        unknown = sorted(set(row) - TRANSPORT_COLUMNS)
        if unknown:
            raise RowError(self.env._("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RowError(self.env._("name (the transport system's reference) is required text."))
        ref, partner_id = row.get("customer_ref"), row.get("partner_id")
        if ref is None and partner_id is None:
            raise RowError(self.env._("Give the customer: customer_ref (its code) or partner_id."))
        if ref is not None and (not isinstance(ref, str) or not ref.strip()):
            raise RowError(self.env._("customer_ref must be the customer's code (text)."))
        if partner_id is not None and (isinstance(partner_id, bool) or type(partner_id) is not int):
            raise RowError(self.env._("partner_id must be the customer's id (a number)."))
        updated_at = row.get("updated_at")
        return {
            "name": name.strip(),
            "customer_ref": ref.strip() if ref is not None else None,
            "partner_id": partner_id,
            "updated_at": (
                self._transport_datetime("updated_at", updated_at)
                if updated_at is not None
                else None
            ),
            "values": self._transport_parse_values(row),
        }

    def _transport_parse_values(self, row):
        """The delivery values of a row, checked alone; RowError."""
        values = {}
        for column in TRANSPORT_DATETIMES:
            if row.get(column) is not None:
                values[column] = self._transport_datetime(column, row[column])
        for column in TRANSPORT_AMOUNTS:
            value = row.get(column)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RowError(self.env._("%(column)s must be a number.", column=column))
            if not math.isfinite(value) or value < 0:
                raise RowError(
                    self.env._(
                        "%(column)s cannot be negative: %(value)s.", column=column, value=value
                    )
                )
            values[column] = value
        pieces = row.get("pieces")
        if pieces is not None:
            if isinstance(pieces, bool) or type(pieces) is not int:
                raise RowError(self.env._("pieces must be a whole number."))
            if not 0 <= pieces <= PG_INT_MAX:
                raise RowError(self.env._("pieces is out of range: %(value)s.", value=pieces))
            values["pieces"] = pieces
        for column in ("status", "outcome"):
            value = row.get(column)
            if value is None:
                continue
            known = [key for key, _label in self._fields[column].selection]
            if value not in known:
                raise RowError(
                    self.env._(
                        "%(column)s %(value)r is unknown; expected one of %(known)s.",
                        column=column,
                        value=value,
                        known=", ".join(known),
                    )
                )
            values[column] = value
        if values.get("outcome") and values["outcome"] not in FINAL_OUTCOMES:
            raise RowError(
                self.env._(
                    "The outcome delivered or late follows the delivery time: send "
                    "delivered_datetime (and promised_datetime) instead."
                )
            )
        return values

    def _transport_resolve_customers(self, rows):
        """{("ref", code): [ids], ("id", id): [id]} of the caller's company's delivery
        customers the rows name, in one query."""
        refs = {row["customer_ref"] for row in rows if row["customer_ref"] is not None}
        ids = {row["partner_id"] for row in rows if row["partner_id"] is not None}
        if not refs and not ids:
            return {}
        # sudo: the caller may not search on the CRM flag; it only learns which of the
        # codes and ids it sent are delivery customers of its own company
        partners = (
            self.env["res.partner"]
            .sudo()
            .search_fetch(
                self._transport_customer_domain()
                + ["|", ("ref", "in", list(refs)), ("id", "in", list(ids))],
                ["ref"],
            )
        )
        found = defaultdict(list)
        for partner in partners:
            if partner.ref in refs:
                found["ref", partner.ref].append(partner.id)
            if partner.id in ids:
                found["id", partner.id].append(partner.id)
        return found

    def _transport_customer_of(self, row, customers):
        by_id = customers.get(("id", row["partner_id"])) if row["partner_id"] is not None else None
        if row["customer_ref"] is not None:
            by_ref = customers.get(("ref", row["customer_ref"]), [])
            if not by_ref:
                raise RowError(
                    self.env._(
                        "No delivery customer of your company has the code %(ref)s.",
                        ref=row["customer_ref"],
                    )
                )
            if len(by_ref) > 1:
                raise RowError(
                    self.env._(
                        "Several delivery customers have the code %(ref)s: send partner_id.",
                        ref=row["customer_ref"],
                    )
                )
            if row["partner_id"] is not None and by_ref[0] != row["partner_id"]:
                raise RowError(self.env._("customer_ref and partner_id name different customers."))
            return by_ref[0]
        if not by_id:
            raise RowError(
                self.env._(
                    "No delivery customer of your company has the id %(id)s.",
                    id=row["partner_id"],
                )
            )
        return by_id[0]

    def _transport_existing(self, parsed, customers):
        """{(partner id, reference): delivery} of the rows' stored deliveries."""
        partners, names = [], []
        for _index, row in parsed:
            for key in (("ref", row["customer_ref"]), ("id", row["partner_id"])):
                for partner_id in customers.get(key, ()):
                    partners.append(partner_id)
                    names.append(row["name"])
        if not partners:
            return {}
        # The keys of the rows, on the unique (partner_id, name) index. The reference is
        # compared as a range, not with "=": with "=" (or the ORM's "name in [...]")
        # PostgreSQL picks the reference's trigram index, which takes seconds for a
        # thousand references sharing a prefix (bench/RESULTS.md, "Ingestion").
        query = SQL(
            "SELECT s.id FROM delivery_shipment s"
            " JOIN unnest(%s::int[], %s::varchar[]) AS k(partner_id, name)"
            " ON s.partner_id = k.partner_id AND s.name >= k.name AND s.name <= k.name",
            partners,
            names,
        )
        ids = [row[0] for row in self.env.execute_query(query)]
        if not ids:
            return {}
        # the caller's access rules apply to what it may update
        records = self.search_fetch(
            [("id", "in", ids)],
            [
                "name",
                "partner_id",
                "status",
                "outcome",
                "revenue",
                "pieces",
                "weight",
                "transport_updated_at",
                *TRANSPORT_DATETIMES,
            ],
            order="id",
        )
        return {(record.partner_id.id, record.name): record for record in records}

    def _transport_plan_row(self, row, record):
        """(values to write, stale) for a row and its stored delivery (None: a new
        one); RowError when the row contradicts itself or the stored delivery."""
        values = row["values"]
        if (
            record is not None
            and row["updated_at"]
            and record.transport_updated_at
            and row["updated_at"] < record.transport_updated_at
        ):
            return {}, True  # an older message of the transport system: ignored
        if record is None and "date" not in values:
            raise RowError(self.env._("date (the order date) is required for a new delivery."))

        def merged(column):
            if column in values:
                return values[column]
            return record[column] if record is not None else False

        order_date = merged("date")
        for column in ("promised_datetime", "delivered_datetime"):
            if merged(column) and merged(column) < order_date:
                raise RowError(
                    self.env._("%(column)s is before the order date (date).", column=column)
                )
        outcome = merged("outcome")
        expected = None
        if outcome in FINAL_OUTCOMES:
            expected = STATUS_BY_OUTCOME[outcome]
        elif merged("delivered_datetime"):
            expected = "delivered"
        status = values.get("status")
        new_status = status or expected
        if (
            record is not None
            and new_status
            and STATUS_RANK[new_status] < STATUS_RANK[record.status]
        ):
            raise RowError(
                self.env._(
                    "status cannot go back from %(old)s to %(new)s.",
                    old=record.status,
                    new=new_status,
                )
            )
        if new_status == "exception" and merged("outcome") not in ("damaged", "lost"):
            raise RowError(
                self.env._(
                    "status exception says what happened through the outcome: send outcome "
                    "damaged or lost (a failed attempt: failed_attempt_datetime, a delay: "
                    "the promised time)."
                )
            )
        if new_status == "delivered" and not merged("delivered_datetime"):
            raise RowError(
                self.env._(
                    "status delivered needs delivered_datetime: the delivery time decides "
                    "whether it was on time."
                )
            )
        if status and expected and status != expected:
            raise RowError(
                self.env._(
                    "status %(status)s contradicts the delivery (it follows the outcome "
                    "and the delivery time: %(expected)s).",
                    status=status,
                    expected=expected,
                )
            )
        if record is None:
            vals = dict(values)
        else:
            vals = {
                column: value
                for column, value in values.items()
                if not self._transport_same(record, column, value)
            }
        if vals.keys() & {"delivered_datetime", "promised_datetime", "outcome"}:
            self._transport_add_derived(vals, record, merged)
        if row["updated_at"] and (
            record is None or record.transport_updated_at != row["updated_at"]
        ):
            vals["transport_updated_at"] = row["updated_at"]
        return vals, False

    def _transport_add_derived(self, vals, record, merged):
        """Add the outcome and status the delivery times give (the model's own rule,
        ``_expected_outcome``) to the row's values: written with them, not by a second
        write of the outcome sync for each row."""
        draft = self.new(
            {
                column: merged(column)
                for column in ("outcome", "delivered_datetime", "promised_datetime")
            }
        )
        outcome = draft._expected_outcome() or merged("outcome")
        if outcome and (record is None or outcome != record.outcome):
            vals["outcome"] = outcome
        status = STATUS_BY_OUTCOME.get(outcome)
        if status and (record is None or status != record.status):
            vals["status"] = status

    def _transport_same(self, record, column, value):
        stored = record[column]
        if column == "revenue":
            currency = record.company_id.currency_id
            return not currency.compare_amounts(stored, value)
        if column == "weight":
            return not float_compare(stored, value, precision_digits=3)
        return stored == value

    def _transport_write(self, creates, updates, results):
        """One ``create`` for the new rows and one ``write`` per identical set of
        changes, all or nothing; when the database refuses them, row by row (each in a
        savepoint) so that only the rows at fault are refused."""
        writer = self._transport_writer()
        updates = [(index, record.with_env(writer.env), vals) for index, record, vals in updates]
        try:
            with self.env.cr.savepoint():
                writer._transport_write_batch(creates, updates, results)
        except (UserError, psycopg2.Error):
            for index, vals in creates:
                self._transport_write_one(
                    index, results, lambda v=vals: writer._transport_create([v])
                )
            for index, record, vals in updates:
                self._transport_write_one(
                    index,
                    results,
                    lambda r=record, v=vals: r.with_context(delivery_crm_defer_notices=True).write(
                        v
                    ),
                )

    def _transport_write_one(self, index, results, write):
        try:
            with self.env.cr.savepoint():
                records = write()
        except (UserError, psycopg2.Error) as exc:
            if isinstance(exc, UserError):
                message = exc.args[0]
            elif exc.pgcode == psycopg2.errorcodes.UNIQUE_VIOLATION:
                message = self.env._(
                    "This delivery was written by another call at the same time: send the "
                    "row again (it will update it)."
                )
            else:
                message = self.env._(
                    "The database refused this row: %(error)s", error=exc.pgerror or exc
                )
            results[index] = {
                "index": index,
                "reference": results[index]["reference"],
                "result": "error",
                "id": False,
                "error": message,
            }
            return
        if results[index]["result"] == "created":
            results[index]["id"] = records.id

    def _transport_write_batch(self, creates, updates, results):
        if creates:
            records = self._transport_insert([vals for _index, vals in creates])
            for (index, _vals), record in zip(creates, records, strict=True):
                results[index]["id"] = record.id
        groups = defaultdict(lambda: self.browse())
        for _index, record, vals in updates:
            groups[tuple(sorted(vals.items()))] |= record
        for vals, records in groups.items():
            records.with_context(delivery_crm_defer_notices=True).write(dict(vals))

    def _transport_create(self, vals_list):
        # a new record needs no tracking of its initial values nor a "created" note
        # (pure overhead); the outcome sync and exception notices still apply
        return self.with_context(
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            delivery_crm_defer_notices=True,
        ).create(vals_list)

    def _transport_insert(self, vals_list):
        """The new deliveries of a call in one INSERT: what ``_transport_create`` does,
        set-based. The ORM's ``create`` costs about a millisecond a row (field by field
        conversion, cache, recomputation, per-row constraints), five times what the
        transport system's throughput allows (README, benchmark). Each row was checked
        before (``_transport_parse_row``, ``_transport_plan_row``: the model's rules on
        amounts, dates, customer and company, the outcome and status the delivery time
        gives), and the model's constraints run on the batch after the insert; the
        stored computed fields are written here (``on_time``; ``exception_notified`` is
        false until an exception is told); no tracking nor follower, as in
        ``_transport_create``. Then the outcome sync raises the exceptions of the batch
        (their notices left to the notice job). A refusal of the database (a delivery
        inserted meanwhile by another call) rolls the batch back, and the caller retries
        row by row through ``_transport_create``."""
        now = self.env.cr.now()
        uid = self.env.uid
        company = self.env.company
        currency = company.currency_id
        rows = []
        for vals in vals_list:
            outcome = vals.get("outcome") or None
            rows.append(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    vals["name"],
                    vals["partner_id"],
                    company.id,
                    vals["date"],
                    vals.get("promised_datetime") or None,
                    vals.get("delivered_datetime") or None,
                    vals.get("failed_attempt_datetime") or None,
                    currency.round(vals["revenue"]) if vals.get("revenue") else 0.0,
                    vals.get("pieces") or 0,
                    vals.get("weight") or 0.0,
                    outcome,
                    vals.get("status") or "created",
                    outcome == "delivered",
                    False,
                    vals.get("transport_updated_at") or None,
                    uid,
                    now,
                    uid,
                    now,
                )
            )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO delivery_shipment
                       (name, partner_id, company_id, date, promised_datetime,
                        delivered_datetime, failed_attempt_datetime, revenue, pieces, weight,
                        outcome, status, on_time, exception_notified, transport_updated_at,
                        create_uid, create_date, write_uid, write_date)
                VALUES %s
                RETURNING id
                """,
                SQL(", ").join(rows),
            )
        )
        records = self.browse(row[0] for row in self.env.cr.fetchall())
        records._validate_fields(TRANSPORT_INSERTED)
        records.check_access("create")
        records.with_context(delivery_crm_defer_notices=True)._sync_outcome(
            dict.fromkeys(records.ids, "created")
        )
        return records
