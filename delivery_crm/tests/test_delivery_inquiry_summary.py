"""The quarterly inquiry summary (issue 17 item 4; 004 客户服务部 咨询服务 四–五): at the
end of each quarter the inquiries are summed up (by topic, time to answer, unanswered,
repeated questions), kept, and sent to the service-centre head, who writes the next
quarter's bulletin topics."""

import statistics
from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models.delivery_inquiry_summary import summarise
from .common import new_user
from .test_delivery_complaint import DeliveryComplaintCommon

CRON = "delivery_crm.ir_cron_inquiry_summary"
REPORT = "delivery_crm.action_report_delivery_inquiry_summary"


@tagged("post_install", "-at_install")
class TestInquirySummary(DeliveryComplaintCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.head = new_user(
            cls.env, "manager", "dcrm_head", "Centre Head", email="head@example.com"
        )
        cls.company.delivery_complaint_manager_id = cls.head
        cls.tracking = cls.env.ref("delivery_crm.delivery_inquiry_topic_tracking")
        cls.price = cls.env.ref("delivery_crm.delivery_inquiry_topic_price")
        cls.other_customer = cls._new_customer(
            "Xibei Foods 西北食品", account_manager_id=cls.user_account_manager.id
        )
        cls.Summary = cls.env["delivery.inquiry.summary"]

    def _inquiry(self, when, topic=None, customer=None, answer_at=None, **vals):
        """An inquiry taken by the account manager at ``when``, answered at
        ``answer_at`` (*Answer on the spot*), if given."""
        with freeze_time(when):
            inquiry = self._complaint(
                request_type="inquiry",
                type_id=False,
                contact_id=False if customer else self.contact.id,
                partner_id=(customer or self.customer).id,
                inquiry_topic_id=topic.id if topic else False,
                received_date=datetime.fromisoformat(when),
                subject="Where is my parcel?",
                **vals,
            )
        if answer_at:
            with freeze_time(answer_at):
                inquiry.resolution = "<p>It leaves today.</p>"
                inquiry.action_resolve()
        return inquiry

    def _summary(self):
        return self.Summary.search(
            [("company_id", "=", self.company.id), ("date_from", "=", date(2026, 1, 1))]
        )

    def _quarter(self):
        """Q1 2026: three tracking questions (two of the same customer), a price one,
        one without topic; two answered, three unanswered. Around it: an inquiry of the
        previous quarter and a complaint, not counted."""
        answered = self._inquiry(
            "2026-02-02 01:00:00", self.tracking, answer_at="2026-02-02 03:00:00"
        )
        answered |= self._inquiry(
            "2026-02-03 01:00:00", self.tracking, answer_at="2026-02-03 07:00:00"
        )
        unanswered = self._inquiry(
            "2026-03-30 02:00:00", self.tracking, customer=self.other_customer
        )
        unanswered |= self._inquiry("2026-03-02 02:00:00", self.price)
        unanswered |= self._inquiry("2026-03-03 02:00:00")
        self._inquiry("2025-12-30 02:00:00", self.tracking)
        with freeze_time("2026-02-05 02:00:00"):
            self._complaint(received_date=datetime(2026, 2, 5, 2))
        return answered, unanswered

    def test_cron_sums_up_the_quarter_and_mails_the_head(self):
        answered, unanswered = self._quarter()
        with freeze_time("2026-04-02 03:00:00"):
            self._run_cron(CRON)
        summary = self._summary()
        self.assertEqual(len(summary), 1)
        self.assertEqual((summary.date_to, summary.state), (date(2026, 3, 31), "draft"))
        self.assertEqual(summary.display_name, "Inquiries 2026 Q1")
        self.assertEqual(
            (summary.inquiry_count, summary.answered_count, summary.open_count),
            (5, 2, 3),
        )
        hours = answered.mapped("resolution_time")
        self.assertTrue(all(hours))
        self.assertAlmostEqual(summary.avg_answer_hours, statistics.fmean(hours), places=4)
        self.assertAlmostEqual(summary.median_answer_hours, statistics.median(hours), places=4)
        by_topic = {line.topic_id: line for line in summary.topic_line_ids}
        self.assertEqual(
            {topic: line.inquiry_count for topic, line in by_topic.items()},
            {self.tracking: 3, self.price: 1, self.env["delivery.inquiry.topic"]: 1},
        )
        tracking = by_topic[self.tracking]
        self.assertEqual((tracking.answered_count, tracking.open_count), (2, 1))
        self.assertEqual(summary.topic_line_ids[0].topic_id, self.tracking)  # most asked first
        # the same customer asked about tracking twice: a repeated question
        self.assertEqual(summary.repeated_count, 1)
        self.assertEqual(
            (summary.repeated_line_ids.partner_id, summary.repeated_line_ids.topic_id),
            (self.customer, self.tracking),
        )
        self.assertEqual(summary.repeated_line_ids.inquiry_count, 2)
        self.assertEqual(summary.open_line_ids.complaint_id, unanswered)
        # mailed to the head, with the figures
        self.assertTrue(summary.mailed_date)
        mails = summary.message_ids.filtered(lambda m: self.head.partner_id in m.partner_ids)
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.subject, "Inquiries 2026 Q1: 5 inquiries, 3 unanswered")
        self.assertIn("Delivery status and tracking", str(mails.body))
        self.assertIn("No topic", str(mails.body))
        # the cron runs every day: nothing new, nothing mailed again
        with freeze_time("2026-04-03 03:00:00"):
            self._run_cron(CRON)
        self.assertEqual(self._summary(), summary)
        summary.invalidate_recordset()
        self.assertEqual(
            len(summary.message_ids.filtered(lambda m: self.head.partner_id in m.partner_ids)), 1
        )

    def test_without_head_mailed_once_one_is_named(self):
        self.company.delivery_complaint_manager_id = False
        self._quarter()
        with freeze_time("2026-04-02 03:00:00"):
            self._run_cron(CRON)
        summary = self._summary()
        self.assertEqual(summary.inquiry_count, 5)
        self.assertFalse(summary.mailed_date)
        self.company.delivery_complaint_manager_id = self.head
        with freeze_time("2026-04-03 03:00:00"):
            self._run_cron(CRON)
        summary.invalidate_recordset()
        self.assertTrue(summary.mailed_date)
        self.assertEqual(len(summary.message_ids.filtered(lambda m: m.partner_ids)), 1)

    def test_managers_count_again_and_decide_the_bulletin(self):
        """Staff read the summary but write nothing; a manager counts a draft again
        (an inquiry answered since), writes the bulletin topics and marks them decided;
        nobody sets a figure or makes a summary by hand; a decided summary is locked."""
        _answered, unanswered = self._quarter()
        with freeze_time("2026-04-02 03:00:00"):
            self._run_cron(CRON)
        summary = self._summary()
        as_staff = summary.with_user(self.user_staff)
        self.assertEqual(as_staff.open_count, 3)
        with self.assertRaises(AccessError):
            as_staff.write({"bulletin": "<p>Mine</p>"})
        with self.assertRaises(AccessError):
            as_staff.action_regenerate()
        as_manager = summary.with_user(self.user_manager)
        with self.assertRaises(AccessError):
            self.Summary.with_user(self.user_manager).create(
                {"company_id": self.company.id, "date_from": date(2025, 10, 1)}
            )
        with self.assertRaisesRegex(UserError, "kept by the system"):
            as_manager.write({"open_count": 0})
        with self.assertRaisesRegex(UserError, "bulletin topics"):
            as_manager.action_done()
        # an unanswered inquiry is answered late: counting again sees it
        with freeze_time("2026-04-05 03:00:00"):
            unanswered[0].resolution = "<p>Delivered.</p>"
            unanswered[0].action_resolve()
        as_manager.action_regenerate()
        self.assertEqual((summary.answered_count, summary.open_count), (3, 2))
        self.assertEqual(len(summary.open_line_ids), 2)
        as_manager.write({"bulletin": "<p>How to follow a delivery in the portal</p>"})
        as_manager.action_done()
        self.assertEqual(summary.state, "done")
        with self.assertRaisesRegex(UserError, "decided"):
            as_manager.write({"bulletin": "<p>Changed</p>"})
        with self.assertRaisesRegex(UserError, "decided"):
            as_manager.action_regenerate()
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_manager)
            ._render_qweb_html(REPORT, summary.ids)[0]
            .decode()
        )
        self.assertIn("Inquiries 2026 Q1", html)
        self.assertIn("How to follow a delivery in the portal", html)
        self.assertIn("Delivery status and tracking", html)

    def test_summarise_figures(self):
        """The figures alone: counts by topic (most asked first), the average and the
        median of the times to answer, late answers, repeated and unanswered questions."""
        rows = [
            {"id": 1, "topic": 7, "partner": 3, "answered": True, "late": False, "hours": 1.0},
            {"id": 2, "topic": 7, "partner": 3, "answered": True, "late": True, "hours": 9.0},
            {"id": 3, "topic": 7, "partner": 4, "answered": True, "late": False, "hours": 2.0},
            {
                "id": 4,
                "topic": 8,
                "partner": False,
                "answered": False,
                "late": False,
                "hours": None,
            },
            {
                "id": 5,
                "topic": 8,
                "partner": False,
                "answered": False,
                "late": False,
                "hours": None,
            },
        ]
        totals, lines = summarise(rows)
        self.assertEqual(
            totals,
            {
                "inquiry_count": 5,
                "answered_count": 3,
                "open_count": 2,
                "late_count": 1,
                "avg_answer_hours": 4.0,
                "median_answer_hours": 2.0,
                "repeated_count": 1,
            },
        )
        topics = [line for line in lines if line["kind"] == "topic"]
        self.assertEqual([(t["topic_id"], t["inquiry_count"]) for t in topics], [(7, 3), (8, 2)])
        self.assertEqual(topics[1]["avg_answer_hours"], 0.0)
        repeated = [line for line in lines if line["kind"] == "repeated"]
        self.assertEqual(
            [(r["partner_id"], r["topic_id"], r["inquiry_count"]) for r in repeated], [(3, 7, 2)]
        )
        self.assertEqual([line["complaint_id"] for line in lines if line["kind"] == "open"], [4, 5])
        self.assertEqual(summarise([])[0]["avg_answer_hours"], 0.0)
