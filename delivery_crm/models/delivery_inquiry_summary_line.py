from odoo import fields, models

LINE_KINDS = [
    ("topic", "Topic"),
    ("repeated", "Repeated question"),
    ("open", "Unanswered inquiry"),
]


class DeliveryInquirySummaryLine(models.Model):
    """A figure of a quarterly inquiry summary, written by the summary only: the
    inquiries of a topic, a question a customer asked again, an inquiry still
    unanswered."""

    _name = "delivery.inquiry.summary.line"
    _inherit = ["delivery.system.log.mixin"]
    _description = "Quarterly inquiry summary line"
    _order = "summary_id, kind, inquiry_count desc, id"

    summary_id = fields.Many2one(
        "delivery.inquiry.summary", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="summary_id.company_id", store=True)
    kind = fields.Selection(LINE_KINDS, required=True)
    topic_id = fields.Many2one("delivery.inquiry.topic")
    partner_id = fields.Many2one("res.partner", string="Customer")
    complaint_id = fields.Many2one("delivery.complaint", string="Inquiry", ondelete="set null")
    inquiry_count = fields.Integer(string="Inquiries")
    answered_count = fields.Integer(string="Answered")
    open_count = fields.Integer(string="Unanswered")
    late_count = fields.Integer(string="Answered late")
    avg_answer_hours = fields.Float(string="Average time to answer (h)", digits=(16, 1))
    median_answer_hours = fields.Float(string="Median time to answer (h)", digits=(16, 1))
