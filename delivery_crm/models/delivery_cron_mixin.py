from odoo import api, models


class DeliveryCronMixin(models.AbstractModel):
    """Batched, resumable and concurrency-safe processing for the module's crons.

    A cron selects the records still to do with a domain that the processing itself
    makes false (idempotency: a second run finds nothing left), locks each batch with
    ``FOR UPDATE SKIP LOCKED`` (two cron workers never take the same record) and commits
    after each batch through ``ir.cron._commit_progress`` (a killed run resumes with
    what is left). Memory is bounded by the batch size, never by the number of records.

    Odoo itself never runs one job in two workers at once (``ir.cron`` locks the job's
    row, manual runs included). The row locks keep a batch apart from other
    transactions on the same records, and where a duplicate would be harmful a unique
    index is the last word (one greeting per person, occasion and year; one planned
    cadence visit per customer; one evaluation per customer and period): the cursor
    is REPEATABLE READ, so a batch cannot see what another transaction committed after
    its snapshot.
    """

    _name = "delivery.cron.mixin"
    _description = "Delivery CRM batched cron processing"

    _cron_batch_size = 500

    @api.model
    def _cron_process_batches(self, domain, process, batch_size=None):
        """Call ``process(records)`` on locked batches of the records matching ``domain``.

        :param domain: what remains to be processed; ``process`` must make it false
        :param process: callable taking a recordset of at most ``batch_size`` records
        :return: the number of records processed by this run
        """
        batch_size = batch_size or self._cron_batch_size
        done = 0
        while True:
            records = self.search(domain, limit=batch_size, order="id").try_lock_for_update()
            if not records:
                # nothing left, or what is left is locked by a concurrent worker
                break
            process(records)
            done += len(records)
            remaining = self.search_count(domain) if len(records) == batch_size else 0
            time_left = self.env["ir.cron"]._commit_progress(len(records), remaining=remaining)
            if not remaining or not time_left:
                break
        return done
