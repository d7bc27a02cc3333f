from datetime import date, datetime

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.delivery_rates import company_time_zones, counted_delivery, local_month
from ..models.delivery_shipment_rollup import REFRESH_LOCK
from .common import DeliveryCrmCommon

REFRESH_CRON = "delivery_crm.ir_cron_shipment_rollup_refresh"
# queries of the report's read_group as a manager (a warm registry, a cold record cache):
# the reader and its partner (its time zone), the report's own query, whatever the number
# of deliveries
REPORT_QUERIES = 3


class ComplaintRateRollupCommon(DeliveryCrmCommon):
    """A customer of the test company (in Asia/Shanghai, UTC+8) and its deliveries in
    2019, a year of no other data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.customer = cls._new_customer(
            "Rollup Co 汇总公司",
            customer_state="active",
            account_manager_id=cls.user_account_manager.id,
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Qian Li 钱立", "parent_id": cls.customer.id, "email": "ql@example.com"}
        )
        cls.Rollup = cls.env["delivery.shipment.rollup"]

    def _ship(self, when, outcome="delivered"):
        return self.env["delivery.shipment"].create(
            {
                "name": f"RU-{when.isoformat()}-{outcome}",
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "date": when,
                "outcome": outcome,
            }
        )

    def _complaint(self, when):
        return (
            self.env["delivery.complaint"]
            .with_user(self.user_account_manager)
            .create(
                {
                    "subject": "Late again",
                    "contact_id": self.contact.id,
                    "type_id": self.env.ref("delivery_crm.delivery_complaint_type_delay").id,
                    "received_date": when,
                }
            )
        )

    def _report(self, user=None):
        """The report's rows of the test company, as ``user`` (the manager) reads
        them: ``{month: (complaints, deliveries, rate)}``."""
        self.env.flush_all()
        self.env.invalidate_all()
        rows = (
            self.env["delivery.complaint.rate.report"]
            .with_user(user or self.user_manager)
            .search([("company_id", "=", self.company.id)])
        )
        return {
            row.month: (row.complaint_count, row.delivery_count, row.complaint_rate) for row in rows
        }

    def _deliveries(self, user=None):
        """``{month: deliveries}`` of the report, for the months with deliveries."""
        return {month: n for month, (_c, n, _r) in self._report(user).items() if n}

    def _live_deliveries(self, user=None):
        """The deliveries of the test company per month as the report counted them
        before the rollup: every counted delivery, by month of the company's time zone
        (the reader's as a fallback)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH zones AS (%(zones)s)
                SELECT %(month)s, count(*)
                  FROM delivery_shipment s
                  JOIN zones z ON z.company_id = s.company_id
                 WHERE %(counted)s AND s.company_id = %(company)s
                 GROUP BY 1
                """,
                zones=company_time_zones((user or self.user_manager).tz),
                month=local_month(SQL("s.date"), SQL("z.tz")),
                counted=counted_delivery("s"),
                company=self.company.id,
            )
        )
        return dict(self.env.cr.fetchall())

    def _slots(self):
        """The rollup's rows of the test company in 2019:
        ``{slot: (delivery_count, ctid, xmin)}``."""
        self.env.cr.execute(
            SQL(
                """
                SELECT slot, delivery_count, ctid::text, xmin::text
                  FROM delivery_shipment_rollup
                 WHERE company_id = %s AND slot >= '2019-01-01' AND slot < '2020-01-01'
                """,
                self.company.id,
            )
        )
        return {slot: (n, ctid, xmin) for slot, n, ctid, xmin in self.env.cr.fetchall()}


@tagged("post_install", "-at_install")
class TestComplaintRateRollup(ComplaintRateRollupCommon):
    def test_figures_are_the_live_count(self):
        """The report sums the rollup by month of the company's time zone and finds
        what counting every delivery found, at the months' edges of a zone 8 hours
        ahead (Asia/Shanghai), 5 h 30 ahead (Asia/Kolkata) and, for a company without
        a time zone, of the reader's zone, 5 h 45 ahead (Asia/Kathmandu)."""
        for when in (
            datetime(2019, 3, 31, 15, 59),  # Shanghai 23:59 Mar; Kolkata 21:29; Kathmandu 21:44
            datetime(2019, 3, 31, 16, 0),  # Shanghai 00:00 Apr
            datetime(2019, 3, 31, 17, 0),
            datetime(2019, 3, 31, 18, 14),  # Kolkata 23:44 Mar; Kathmandu 23:59 Mar
            datetime(2019, 3, 31, 18, 29),  # Kolkata 23:59 Mar; Kathmandu 00:14 Apr
            datetime(2019, 3, 31, 18, 40),  # Kolkata 00:10 Apr
        ):
            self._ship(when)
        self._ship(datetime(2019, 3, 15, 8), outcome="cancelled")  # not counted
        self._ship(datetime(2019, 4, 30, 16, 0), outcome="late")  # Shanghai 00:00 May
        self._complaint(datetime(2019, 3, 20, 2))
        self._run_cron(REFRESH_CRON)
        march, april, may = date(2019, 3, 1), date(2019, 4, 1), date(2019, 5, 1)

        report = self._report()
        self.assertEqual(report[march], (1, 1, 100.0))
        self.assertEqual(report[april][:2], (0, 5))
        self.assertEqual(report[may][:2], (0, 1))
        self.assertEqual(self._deliveries(), self._live_deliveries())

        # the slots are UTC: another time zone needs no refresh
        self.company.partner_id.tz = "Asia/Kolkata"
        self.assertEqual(self._report()[march], (1, 5, 20.0))
        self.assertEqual(self._deliveries()[april], 2)
        self.assertEqual(self._deliveries(), self._live_deliveries())

        self.company.partner_id.tz = False
        self.user_manager.tz = "Asia/Kathmandu"
        self.assertEqual(self._report()[march], (1, 4, 25.0))
        self.assertEqual(self._deliveries()[april], 3)
        self.assertEqual(self._deliveries(), self._live_deliveries())

    def test_cancelled_delivery_leaves_at_next_refresh(self):
        first = self._ship(datetime(2019, 6, 10, 8, 3))
        second = self._ship(datetime(2019, 6, 10, 8, 14))
        self._ship(datetime(2019, 6, 12, 9, 30))
        self._run_cron(REFRESH_CRON)
        slot = datetime(2019, 6, 10, 8, 0)
        self.assertEqual(self._slots()[slot][0], 2)
        self.assertEqual(self._deliveries()[date(2019, 6, 1)], 3)

        first.outcome = "cancelled"
        self.assertEqual(self._deliveries()[date(2019, 6, 1)], 3)  # until the refresh
        self._run_cron(REFRESH_CRON)
        self.assertEqual(self._slots()[slot][0], 1)
        self.assertEqual(self._deliveries()[date(2019, 6, 1)], 2)

        second.outcome = "cancelled"
        self._run_cron(REFRESH_CRON)
        self.assertNotIn(slot, self._slots())
        self.assertEqual(self._deliveries()[date(2019, 6, 1)], 1)
        self.assertEqual(self._deliveries(), self._live_deliveries())

    def test_refresh_is_idempotent(self):
        """A second refresh writes no row (each keeps its tuple); a new delivery
        rewrites its slot only."""
        for when in (
            datetime(2019, 7, 1, 8, 0),
            datetime(2019, 7, 1, 8, 20),
            datetime(2019, 7, 2, 9, 50),
        ):
            self._ship(when)
        self._run_cron(REFRESH_CRON)
        before = self._slots()
        self.assertEqual(
            {slot: n for slot, (n, _ctid, _xmin) in before.items()},
            {
                datetime(2019, 7, 1, 8, 0): 1,
                datetime(2019, 7, 1, 8, 15): 1,
                datetime(2019, 7, 2, 9, 45): 1,
            },
        )
        self._run_cron(REFRESH_CRON)
        self.assertEqual(self._slots(), before)

        self._ship(datetime(2019, 7, 1, 8, 29))
        self._run_cron(REFRESH_CRON)
        after = self._slots()
        changed = {slot for slot in before if after[slot] != before[slot]}
        self.assertEqual(changed, {datetime(2019, 7, 1, 8, 15)})
        self.assertEqual(after[datetime(2019, 7, 1, 8, 15)][0], 2)

    def test_service_rollup_counts_complaints_and_answers(self):
        """The requests and answers rollup (the manager's dashboard's), rewritten with
        the deliveries': the complaints per quarter hour received and the satisfaction
        answers given (a return visit scored 5, one scored 2); a second refresh writes
        no row; a score changed to 4 rewrites its slot only, at the next refresh."""
        for when in (
            datetime(2019, 7, 1, 8, 5),
            datetime(2019, 7, 1, 8, 14),
            datetime(2019, 7, 1, 8, 15),
        ):
            self._complaint(when)
        for score, done in (("5", datetime(2019, 7, 1, 8, 20)), ("2", datetime(2019, 7, 3, 1))):
            visit = self.env["delivery.visit"].create(
                {
                    "name": "Return visit",
                    "partner_id": self.customer.id,
                    "user_id": self.user_account_manager.id,
                    "planned_date": done,
                }
            )
            visit.write(
                {"visit_type": "return", "content": "<p>ok</p>", "satisfaction_score": score}
            )
            with freeze_time(done):
                visit.action_done()
        self._run_cron(REFRESH_CRON)
        later = datetime(2019, 7, 3, 1, 0)

        def rows():
            self.env.cr.execute(
                SQL(
                    """
                    SELECT slot, complaint_count, answer_count, satisfied_count, xmin::text
                      FROM delivery_service_rollup
                     WHERE company_id = %s AND slot >= '2019-01-01' AND slot < '2020-01-01'
                    """,
                    self.company.id,
                )
            )
            return {slot: tuple(values) for slot, *values in self.env.cr.fetchall()}

        before = rows()
        self.assertEqual(
            {slot: values[:3] for slot, values in before.items()},
            {
                datetime(2019, 7, 1, 8, 0): (2, 0, 0),
                datetime(2019, 7, 1, 8, 15): (1, 1, 1),
                datetime(2019, 7, 3, 1, 0): (0, 1, 0),
            },
        )
        self._run_cron(REFRESH_CRON)
        self.assertEqual(rows(), before)
        visit.satisfaction_score = "4"
        self._run_cron(REFRESH_CRON)
        after = rows()
        self.assertEqual({slot for slot in before if after[slot] != before[slot]}, {later})
        self.assertEqual(after[later][:3], (0, 1, 1))

    def test_refresh_button(self):
        """The staff count the deliveries and complaints at once with the list's Refresh
        button (the list says when the figures were counted); an auditor only reads
        them."""
        self._ship(datetime(2019, 8, 5, 3, 0))
        self._complaint(datetime(2019, 8, 6, 3, 0))
        Report = self.env["delivery.complaint.rate.report"]
        self.assertNotIn(date(2019, 8, 1), self._report())  # not counted yet
        with self.assertRaises(AccessError):
            Report.with_user(self.user_auditor).action_refresh()
        self.assertNotIn(date(2019, 8, 1), self._report())
        for user in (self.user_staff, self.user_manager):
            action = Report.with_user(user).action_refresh()
            self.assertEqual(action["tag"], "soft_reload")
        self.assertEqual(self._report(self.user_auditor)[date(2019, 8, 1)][:2], (1, 1))
        row = Report.with_user(self.user_auditor).search(
            [("company_id", "=", self.company.id), ("month", "=", date(2019, 8, 1))]
        )
        self.assertTrue(row.refreshed_at)
        self.assertEqual(row.refreshed_at, self.Rollup._refreshed_at())

    def test_rollup_is_read_only(self):
        """The users read the rollup (of their companies); nobody writes it through the
        ORM, not even a manager."""
        self._ship(datetime(2019, 9, 1, 3, 0))
        self._run_cron(REFRESH_CRON)
        rows = self.Rollup.with_user(self.user_staff).search([("company_id", "=", self.company.id)])
        self.assertTrue(rows)
        for user in (self.user_staff, self.user_manager, self.user_auditor):
            with self.subTest(user=user.login):
                mine = rows.with_user(user)
                self.assertTrue(mine[0].delivery_count)
                with self.assertRaises(AccessError):
                    mine[0].delivery_count = 99
                with self.assertRaises(AccessError):
                    self.Rollup.with_user(user).create(
                        {"company_id": self.company.id, "slot": datetime(2019, 9, 2)}
                    )
                with self.assertRaises(AccessError):
                    mine.unlink()
        with self.assertRaises(AccessError):
            self.Rollup.with_user(self.user_employee).search([])

    def test_report_reads_no_delivery(self):
        """Opening the report costs the same with more deliveries: one query, which
        reads the rollup, not the deliveries."""
        for day in range(1, 4):
            self._ship(datetime(2019, 10, day, 3, 0))
        self._run_cron(REFRESH_CRON)
        Report = self.env["delivery.complaint.rate.report"].with_user(self.user_manager)

        def open_report():
            self.env.invalidate_all()
            return Report._read_group(
                [("company_id", "=", self.company.id)],
                ["month:month"],
                ["delivery_count:sum", "complaint_rate:avg"],
            )

        open_report()
        with self.assertQueryCount(default=REPORT_QUERIES):
            open_report()
        self.env["delivery.shipment"].create(
            [
                {
                    "name": f"RU-more-{i}",
                    "partner_id": self.customer.id,
                    "date": datetime(2019, 10, 1 + i % 28, i % 24, 0),
                }
                for i in range(200)
            ]
        )
        self._run_cron(REFRESH_CRON)
        open_report()
        with self.assertQueryCount(default=REPORT_QUERIES):
            groups = {month: n for month, n, _rate in open_report()}
        self.assertEqual(groups[date(2019, 10, 1)], 203)

        self.env.cr.execute(SQL("EXPLAIN (FORMAT JSON) SELECT * FROM (%s) r", Report._table_query))
        plan = str(self.env.cr.fetchone()[0])
        self.assertIn("'delivery_shipment_rollup'", plan)
        self.assertNotIn("'delivery_shipment'", plan)


@tagged("post_install", "-at_install")
class TestRollupRefreshLock(DeliveryCrmCommon):
    """Two refreshes at once (the cron and a Refresh button, two cron workers): the
    second waits for the first to end, then runs; neither fails nor deadlocks. Run on
    two connections of their own (the test's transaction has taken no lock), both
    rolled back."""

    def test_two_refreshes_wait_for_each_other(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as cr_a, db.cursor() as cr_b:
            cr_b.execute("SET lock_timeout = '60s'")
            api.Environment(cr_a, SUPERUSER_ID, {})["delivery.shipment.rollup"]._refresh()
            # while the first refresh's transaction runs, a second one cannot take the
            # lock: it would wait (asked without waiting, so that no thread is needed)
            cr_b.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", REFRESH_LOCK))
            self.assertEqual(cr_b.fetchone(), (False,), "the second refresh would not wait")
            cr_b.rollback()
            cr_a.rollback()
            # the first one ended: the second runs to its end
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            env_b["delivery.shipment.rollup"]._refresh()
            cr_b.execute(
                SQL(
                    "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
                    " AND locktype = 'advisory' AND granted"
                    " AND (classid::bigint << 32 | objid::bigint) = %s",
                    REFRESH_LOCK,
                )
            )
            self.assertEqual(cr_b.fetchone(), (1,))
            cr_b.rollback()
