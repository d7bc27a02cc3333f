from odoo import api, fields, models

from ..models.delivery_evaluation import PERIOD_TYPES, period_start_of

CRON_BY_PERIOD = {
    "monthly": "delivery_crm.ir_cron_evaluation_monthly",
    "quarterly": "delivery_crm.ir_cron_evaluation_quarterly",
    "annual": "delivery_crm.ir_cron_evaluation_annual",
}


class DeliveryEvaluationWizard(models.TransientModel):
    """A manager runs (or re-runs) the evaluation of any period by hand. The run is
    done by the evaluation cron in the background, in committed batches, so that a
    run over many customers never hangs the browser."""

    _name = "delivery.evaluation.wizard"
    _description = "Run a cooperation evaluation"

    period_type = fields.Selection(PERIOD_TYPES, required=True, default="quarterly")
    date = fields.Date(
        string="Any day of the period",
        required=True,
        default=lambda self: self.env["delivery.evaluation.run"]._last_complete_period("quarterly"),
    )
    period_start = fields.Date(compute="_compute_period", string="Period from")
    period_end = fields.Date(compute="_compute_period", string="Period to")
    existing_run_id = fields.Many2one(
        "delivery.evaluation.run", compute="_compute_period", string="Existing run"
    )
    grading_note = fields.Text(
        string="Tier grading",
        compute="_compute_grading_note",
        help="What the run does to the tiers: only the runs of a ladder's grading "
        "period move tiers, and never for customers a later period graded already.",
    )

    @api.depends("period_type", "date")
    def _compute_period(self):
        runs = self.env["delivery.evaluation.run"]
        for wizard in self:
            if not (wizard.period_type and wizard.date):
                wizard.period_start = wizard.period_end = False
                wizard.existing_run_id = False
                continue
            start = period_start_of(wizard.date, wizard.period_type)
            bounds = self.env["delivery.evaluation"]._period_bounds(
                wizard.period_type, start, "UTC"
            )
            wizard.period_start = start
            wizard.period_end = bounds["period_end"]
            wizard.existing_run_id = runs.search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("period_type", "=", wizard.period_type),
                    ("period_start", "=", start),
                ],
                limit=1,
            )

    @api.depends("period_type", "period_start")
    def _compute_grading_note(self):
        ladders = self.env["delivery.tier.ladder"].search(
            [("company_id", "in", [False, self.env.company.id])]
        )
        labels = dict(self._fields["period_type"]._description_selection(self.env))
        for wizard in self:
            note = False
            if wizard.period_type and wizard.period_start:
                last = self.env["delivery.evaluation.run"]._last_complete_period(wizard.period_type)
                if not ladders.filtered(
                    lambda ladder, w=wizard: ladder.grading_period_type == w.period_type
                ):
                    note = self.env._(
                        "No tier ladder is graded by the %(period)s evaluation: this run "
                        "evaluates and reports; it moves no tier and notifies nobody.",
                        period=labels[wizard.period_type],
                    )
                elif wizard.period_start < last:
                    note = self.env._(
                        "An older period: the customers a later period graded already "
                        "keep their tier (the run reports the tier this period's result "
                        "would give, moves none and notifies nobody)."
                    )
            wizard.grading_note = note

    def action_run(self):
        self.ensure_one()
        run = self.env["delivery.evaluation.run"]._get_run(
            self.period_type, self.period_start, rerun=True
        )
        # sudo: managers cannot write ir.cron; a trigger only asks the scheduler to run
        # the shipped evaluation job now, as it would at its next call
        self.env.ref(CRON_BY_PERIOD[self.period_type]).sudo()._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": "delivery.evaluation.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }
