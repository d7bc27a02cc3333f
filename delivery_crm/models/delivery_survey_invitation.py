from datetime import datetime, time

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from .delivery_evaluation import PERIOD_MONTHS, PERIOD_TYPES, period_start_of

SATISFACTION_SURVEY = "delivery_crm.survey_customer_satisfaction"
SATISFACTION_TEMPLATE = "delivery_crm.mail_template_satisfaction_survey"
# who is invited: customers in cooperation
INVITED_STATES = ("active",)
# customers invited per committed batch: each invitation creates an answer and a mail
INVITATION_BATCH_SIZE = 100
# an answer is "satisfied" when the average of its rated questions reaches this score
# (the shipped survey rates service quality, price, timeliness and customer service
# from 1 = very dissatisfied to 5 = very satisfied)
SATISFIED_SCORE = 4.0


class DeliverySurveyInvitation(models.Model):
    """One satisfaction survey sent to one customer for one period (客户满意度调查,
    003 §七.2, 001 §九.1; R8).

    A daily cron invites every customer in cooperation once per survey and period
    (quarterly by default) through Odoo's own survey machinery: an answer
    (``survey.user_input``) is created for the customer, or for its first contact
    person when the customer has no usable address, and the invitation mail carries
    its personal link. The log row is written first, and
    ``UNIQUE(partner_id, survey_id, period_start)`` refuses a second invitation even
    when the cron runs twice or on two workers at once.

    The completed answers feed the satisfaction indicator of the cooperation
    evaluation (``_satisfaction_by_partner``): an answer counts once, in the period it
    was completed in, and it is *satisfied* when the average score of its rated
    questions (choice questions whose answers carry a score) is at least 4 of 5."""

    _name = "delivery.survey.invitation"
    _description = "Satisfaction survey invitation"
    _order = "period_start desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", readonly=True
    )
    recipient_id = fields.Many2one(
        "res.partner",
        string="Sent to",
        ondelete="set null",
        readonly=True,
        help="The customer itself, or its contact person when the customer has no email address.",
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    survey_id = fields.Many2one(
        "survey.survey", required=True, ondelete="cascade", index=True, readonly=True
    )
    period_type = fields.Selection(PERIOD_TYPES, required=True, readonly=True)
    period_start = fields.Date(required=True, readonly=True)
    user_input_id = fields.Many2one(
        "survey.user_input",
        string="Answer",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
    )
    answer_state = fields.Selection(related="user_input_id.state", string="Answer status")
    answer_date = fields.Datetime(related="user_input_id.end_datetime", string="Answered on")
    deadline = fields.Datetime(
        related="user_input_id.deadline",
        string="Answer by",
        help="The survey link works until the end of the period.",
    )
    average_score = fields.Float(
        string="Average score",
        compute="_compute_average_score",
        digits=(3, 2),
        help="Average score (1-5) of the rated questions of the completed answer.",
    )
    satisfied = fields.Boolean(
        compute="_compute_average_score",
        help="The average score of the completed answer is at least 4 of 5.",
    )

    _partner_survey_period_unique = models.Constraint(
        "UNIQUE (partner_id, survey_id, period_start)",
        "A customer is invited once per survey and period.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("user_input_id.state")
    def _compute_average_score(self):
        scores = self._answer_scores(self.user_input_id.ids)
        for invitation in self:
            score = scores.get(invitation.user_input_id.id)
            invitation.average_score = score or 0.0
            invitation.satisfied = score is not None and score >= SATISFIED_SCORE

    # ------------------------------------------------------------------ scores
    @api.model
    def _flush_answers(self):
        self.env["survey.user_input"].flush_model(["state", "end_datetime"])
        self.env["survey.user_input.line"].flush_model(
            ["user_input_id", "question_id", "answer_type", "skipped", "answer_score"]
        )
        self.env["survey.question.answer"].flush_model(["question_id", "answer_score"])

    @api.model
    def _rated_lines_condition(self):
        """The answer lines that carry a rating: choices answered to a question whose
        suggested answers have a score (a comment or an unrated question is left out)."""
        return SQL(
            """
            l.answer_type = 'suggestion' AND NOT l.skipped
            AND EXISTS (SELECT 1 FROM survey_question_answer a
                         WHERE a.question_id = l.question_id AND a.answer_score > 0)
            """
        )

    @api.model
    def _answer_scores(self, user_input_ids):
        """``{user_input_id: average score}`` of the completed answers that rated
        something."""
        if not user_input_ids:
            return {}
        self._flush_answers()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT ui.id, AVG(l.answer_score)
                  FROM survey_user_input ui
                  JOIN survey_user_input_line l ON l.user_input_id = ui.id
                 WHERE ui.id = ANY(%(ids)s) AND ui.state = 'done' AND %(rated)s
                 GROUP BY ui.id
                """,
                ids=list(user_input_ids),
                rated=self._rated_lines_condition(),
            )
        )
        return {ui_id: float(score) for ui_id, score in rows}

    @api.model
    def _satisfaction_by_partner(self, partner_ids, start, end):
        """Share of satisfied survey answers of each customer completed over
        [start, end) (UTC datetimes): ``{partner_id: (percent, count)}``.

        Each completed answer of an invitation counts once; it is satisfied when the
        average score of its rated questions is at least ``SATISFIED_SCORE`` (4 of 5).
        An answer that rated nothing (every rated question skipped) is left out."""
        self._flush_answers()
        self.flush_model(["partner_id", "user_input_id"])
        rows = self.env.execute_query(
            SQL(
                """
                WITH answers AS (
                    SELECT i.partner_id, ui.id, AVG(l.answer_score) AS score
                      FROM delivery_survey_invitation i
                      JOIN survey_user_input ui ON ui.id = i.user_input_id
                      JOIN survey_user_input_line l ON l.user_input_id = ui.id
                     WHERE i.partner_id = ANY(%(partners)s)
                       AND ui.state = 'done'
                       AND ui.end_datetime >= %(start)s AND ui.end_datetime < %(end)s
                       AND %(rated)s
                     GROUP BY i.partner_id, ui.id
                )
                SELECT partner_id, count(*), count(*) FILTER (WHERE score >= %(satisfied)s)
                  FROM answers
                 GROUP BY partner_id
                """,
                partners=list(partner_ids),
                start=start,
                end=end,
                rated=self._rated_lines_condition(),
                satisfied=SATISFIED_SCORE,
            )
        )
        return {pid: (satisfied * 100.0 / count, count) for pid, count, satisfied in rows}

    # ------------------------------------------------------------------ recipients
    @api.model
    def _reachable_domain(self):
        """People the survey can be mailed to: a valid address not opted out."""
        # sudo: only the addresses that opted out are read, to leave them out
        opted_out = self.env["mail.blacklist"].sudo()._search([("active", "=", True)])
        return Domain("email_normalized", "!=", False) & Domain(
            "email_normalized", "not in", opted_out.subselect("email")
        )

    @api.model
    def _invitation_domain(self, survey, period_start):
        """The customers still to invite to ``survey`` for the period: customers in
        cooperation that can be reached (their own address or a contact person's) and
        that the log does not hold yet for this survey and period."""
        reachable = self._reachable_domain()
        contact = Domain("type", "=", "contact") & reachable
        # sudo: only used by the cron to leave out who the log already holds
        invited = (
            self.sudo()
            ._search([("survey_id", "=", survey.id), ("period_start", "=", period_start)])
            .subselect("partner_id")
        )
        return (
            Domain(
                [
                    ("is_delivery_customer", "=", True),
                    ("customer_state", "in", INVITED_STATES),
                ]
            )
            & (reachable | Domain("child_ids", "any", contact))
            & Domain("id", "not in", invited)
        )

    @api.model
    def _recipients(self, customers):
        """``{customer: person to invite}``: the customer itself when it can be
        reached, otherwise its first contact person that can."""
        Partner = self.env["res.partner"]
        reachable = Partner.search(
            Domain("id", "in", customers.ids) & self._reachable_domain(), order="id"
        )
        contacts = Partner.search(
            Domain([("parent_id", "in", (customers - reachable).ids), ("type", "=", "contact")])
            & self._reachable_domain(),
            order="id",
        )
        result = {customer: customer for customer in reachable}
        for contact in contacts:
            result.setdefault(contact.parent_id, contact)
        return result

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_send_satisfaction_surveys(self, period_type="quarterly"):
        """Daily: invite the customers not yet invited to the satisfaction survey in
        the current period (a quarter by default), in committed batches.

        Idempotent: a customer invited in the period leaves the domain, a second run
        sends nothing; a run stopped half-way resumes with whoever is left."""
        survey = self.env.ref(SATISFACTION_SURVEY, raise_if_not_found=False)
        if not survey or not survey.active:
            return
        period_start = period_start_of(fields.Date.context_today(self), period_type)
        domain = self._invitation_domain(survey, period_start)
        self.env["res.partner"].with_context(active_test=True)._cron_process_batches(
            domain,
            lambda customers: self._invite(survey, period_type, period_start, customers),
            batch_size=INVITATION_BATCH_SIZE,
        )

    @api.model
    def _invite(self, survey, period_type, period_start, customers):
        """Log, create the survey answer of and mail the survey to each of
        ``customers``. The invitation log is the customer's survey history: nothing is
        noted in the customer's chatter, which every employee reads (security review
        M7); the mail itself belongs to the survey answer."""
        recipients = self._recipients(customers)
        customers = customers.filtered(lambda c: c in recipients)
        if not customers:
            return self.browse()
        # sudo: the log is append-only (nobody has the right to write it); the cron
        # writes it as part of sending the survey
        logs = self.sudo().create(
            [
                {
                    "partner_id": customer.id,
                    "recipient_id": recipients[customer].id,
                    "survey_id": survey.id,
                    "period_type": period_type,
                    "period_start": period_start,
                }
                for customer in customers
            ]
        )
        # the unique constraint speaks now, before any answer or mail exists
        logs.flush_recordset()
        period_end = period_start + relativedelta(months=PERIOD_MONTHS[period_type])
        deadline = datetime.combine(period_end, time.min)
        # sudo: the cron creates the survey answers on the company's behalf; the
        # survey app's own rights are for its users
        survey_sudo = survey.sudo()
        for log in logs:
            log.user_input_id = survey_sudo._create_answer(
                partner=log.recipient_id, check_attempts=False, deadline=deadline
            )
        # sudo: the template and the answers it is rendered on belong to the survey app;
        # the mails are queued and sent by the mail queue after the batch is committed
        # (each in its recipient's language, see the template)
        self.env.ref(SATISFACTION_TEMPLATE).sudo().send_mail_batch(
            logs.user_input_id.ids, email_layout_xmlid="mail.mail_notification_light"
        )
        return logs
