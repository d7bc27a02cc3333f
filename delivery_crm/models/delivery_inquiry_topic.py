from odoo import fields, models


class DeliveryInquiryTopic(models.Model):
    """What an inquiry is about (咨询服务 四: the inquiry record): tracking, prices,
    billing, coverage... The quarterly inquiry summary counts the inquiries by topic.
    Configurable by managers."""

    _name = "delivery.inquiry.topic"
    _description = "Inquiry topic"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
