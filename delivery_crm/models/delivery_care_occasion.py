import calendar
from datetime import date

import pytz
from lunardate import LunarDate

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from .delivery_constants import CUSTOMER_CLASSES

# who is greeted: customers in cooperation (a prospect, a suspended or terminated
# customer gets no greeting)
GREETED_STATES = ("active",)
# people greeted per committed batch: each greeting renders a template
GREETING_BATCH_SIZE = 100


def occasion_day(year, month, day):
    """The day ``month``/``day`` falls on in ``year``: 29 February is kept on
    28 February in non-leap years, so it is never skipped."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def lunar_day(year, month, day):
    """The day of ``year`` (Gregorian) that falls on ``month``/``day`` of the Chinese
    lunar calendar, or ``None`` outside the years the calendar tables cover
    (1900-2099). Day 30 of a short (29-day) month is kept on its 29th, so the last
    day of the 12th month (New Year's Eve) is never skipped; a leap month is not
    counted (the festival is in the ordinary month)."""
    for lunar_year in (year - 1, year):  # the 11th and 12th months end in the next year
        for lunar_date in (day, 29) if day == 30 else (day,):
            try:
                solar = LunarDate(lunar_year, month, lunar_date).to_solar_date()
            except ValueError:  # a short month, or a year outside the tables
                continue
            if solar.year == year:
                return solar
            break
    return None


class DeliveryCareOccasion(models.Model):
    """An occasion on which customers are greeted by mail (客户关怀, 000 §三(五).1,
    001 §八.1, 003 §7.1): a holiday, on a fixed day of the year or on a date set for
    each year (lunar-calendar holidays), or the birthdays of the customers' contacts.

    A daily cron sends the greetings of the day, once per person, occasion and year
    (``delivery.greeting.log``); each greeting is a mail of its log row."""

    _name = "delivery.care.occasion"
    _description = "Customer care occasion"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [("holiday", "Holiday"), ("birthday", "Birthday")],
        required=True,
        default="holiday",
        help="Holiday: every customer of the audience is greeted on the day. Birthday: "
        "each contact person of a customer (and each individual customer) is greeted on "
        "their birthday.",
    )
    date_mode = fields.Selection(
        [
            ("fixed", "Same day every year"),
            ("lunar", "Same day of the lunar calendar"),
            ("yearly", "Date set for each year"),
        ],
        string="Date",
        required=True,
        default="fixed",
        help="Holidays of the lunar calendar (Spring Festival 1/1, Mid-Autumn 8/15...) "
        "move every year in the Gregorian calendar: give their lunar month and day and "
        "the date of each year is computed. A date entered for a year (in any mode "
        "but the fixed one) takes precedence, e.g. when a holiday is moved that year.",
    )
    month = fields.Integer()
    day = fields.Integer()
    date_ids = fields.One2many("delivery.care.occasion.date", "occasion_id", string="Dates")
    next_date = fields.Date(
        compute="_compute_next_date",
        help="The next day the greeting is sent; empty when no date is set for the coming year.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Mail template",
        required=True,
        ondelete="restrict",
        domain="[('model', '=', 'res.partner')]",
        help="The greeting sent to each person, rendered on the contact.",
    )
    for_key = fields.Boolean(string="Key customers", default=True)
    for_general = fields.Boolean(string="General customers", default=True)
    for_potential = fields.Boolean(string="Potential customers", default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to greet the customers of every company.",
    )
    country_ids = fields.Many2many(
        "res.country",
        string="Countries and regions",
        help="Only the customers of these countries and regions are greeted: the country "
        "of the customer's address or, without one, of the customer's company (of this "
        "occasion's company, or the main one, for a customer of every company). A national "
        "holiday is greeted where it is celebrated. Leave empty to greet customers "
        "everywhere.",
    )
    greeting_count = fields.Integer(compute="_compute_greeting_count", string="Greetings sent")

    # ------------------------------------------------------------------ computes
    @api.depends("kind", "date_mode", "month", "day", "date_ids.date")
    @api.depends_context("tz")
    def _compute_next_date(self):
        today = fields.Date.context_today(self)
        for occasion in self:
            days = [occasion._day_in(year) for year in (today.year, today.year + 1)]
            occasion.next_date = min((d for d in days if d and d >= today), default=False)

    def _compute_greeting_count(self):
        counts = dict(
            self.env["delivery.greeting.log"]._read_group(
                [("occasion_id", "in", self.ids)], ["occasion_id"], ["__count"]
            )
        )
        for occasion in self:
            occasion.greeting_count = counts.get(occasion, 0)

    # ------------------------------------------------------------------ constraints
    @api.constrains("kind", "date_mode", "month", "day")
    def _check_lunar_day(self):
        for occasion in self:
            if occasion.kind != "holiday" or occasion.date_mode != "lunar":
                continue
            if not (1 <= occasion.month <= 12 and 1 <= occasion.day <= 30):
                raise ValidationError(
                    self.env._(
                        "%(occasion)s: %(month)s/%(day)s is not a day of the lunar "
                        "calendar. Give a lunar month (1-12) and a day (1-30).",
                        occasion=occasion.name,
                        month=occasion.month,
                        day=occasion.day,
                    )
                )

    @api.constrains("kind", "date_mode", "month", "day")
    def _check_fixed_day(self):
        for occasion in self:
            if occasion.kind != "holiday" or occasion.date_mode != "fixed":
                continue
            try:
                # a leap year: 29 February is a valid day (greeted on the 28th otherwise)
                date(2000, occasion.month, occasion.day)
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "%(occasion)s: %(month)s/%(day)s is not a day of the year. Give a "
                        "month (1-12) and a day that exists in that month.",
                        occasion=occasion.name,
                        month=occasion.month,
                        day=occasion.day,
                    )
                ) from None

    @api.constrains("for_key", "for_general", "for_potential")
    def _check_audience(self):
        for occasion in self:
            if not (occasion.for_key or occasion.for_general or occasion.for_potential):
                raise ValidationError(
                    self.env._(
                        "%(occasion)s greets nobody: choose at least one customer classification.",
                        occasion=occasion.name,
                    )
                )

    @api.constrains("kind", "active", "company_id")
    def _check_one_birthday(self):
        """Two birthday occasions would greet the same person twice."""
        for occasion in self.filtered(lambda o: o.kind == "birthday" and o.active):
            domain = [
                ("kind", "=", "birthday"),
                ("id", "!=", occasion.id),
                ("company_id", "in", [occasion.company_id.id, False]),
            ]
            if not occasion.company_id:
                # a birthday occasion for every company clashes with any other one
                domain = [("kind", "=", "birthday"), ("id", "!=", occasion.id)]
            if self.search_count(domain, limit=1):
                raise ValidationError(
                    self.env._(
                        "There is already an active birthday occasion for this company: "
                        "archive it before adding %(occasion)s.",
                        occasion=occasion.name,
                    )
                )

    @api.constrains("mail_template_id")
    def _check_template_model(self):
        for occasion in self:
            if occasion.mail_template_id.model != "res.partner":
                raise ValidationError(
                    self.env._(
                        "The greeting of %(occasion)s must use a mail template of "
                        "contacts (res.partner).",
                        occasion=occasion.name,
                    )
                )

    # ------------------------------------------------------------------ actions
    def action_view_greetings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "delivery_crm.delivery_greeting_log_action"
        )
        action["domain"] = [("occasion_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------ dates
    def _day_in(self, year):
        """The day of ``year`` the occasion falls on, or ``None`` (birthdays, or no date
        set for that year)."""
        self.ensure_one()
        if self.kind != "holiday":
            return None
        if self.date_mode != "fixed":
            given = next((line.date for line in self.date_ids if line.year == year), None)
            if given or self.date_mode == "yearly":
                return given
        if not (self.month and self.day):
            return None
        if self.date_mode == "lunar":
            return lunar_day(year, self.month, self.day)
        return occasion_day(year, self.month, self.day)

    def _today(self):
        """Today in the time zone of the occasion's company (of the current company
        for an occasion of every company): the greeting goes out on the customer's day."""
        self.ensure_one()
        company = self.company_id or self.env.company
        tz = company.partner_id.tz or self.env.user.tz
        if tz not in pytz.all_timezones_set:
            tz = "UTC"
        return fields.Date.context_today(self.with_context(tz=tz))

    def _classes(self):
        self.ensure_one()
        chosen = {
            "key": self.for_key,
            "general": self.for_general,
            "potential": self.for_potential,
        }
        return [key for key, _label in CUSTOMER_CLASSES if chosen[key]]

    # ------------------------------------------------------------------ recipients
    def _recipient_domain(self, day):
        """Who is greeted on ``day`` (a date on which the occasion falls) and not yet
        greeted this year: for a holiday the customers themselves, for birthdays the
        contact persons of the customers and the individual customers born that day
        (29 February birthdays on 28 February in non-leap years). People without a
        valid email address or who opted out of mailings (blacklist) are left out."""
        self.ensure_one()
        if self.kind == "birthday":
            days = [day.day]
            if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
                days.append(29)
            customer = "commercial_partner_id."
            domain = Domain(
                [
                    ("is_company", "=", False),
                    ("type", "=", "contact"),
                    ("birthday.month_number", "=", day.month),
                    ("birthday.day_of_month", "in", days),
                ]
            )
        else:
            customer = ""
            domain = Domain.TRUE
        domain &= Domain(
            [
                (f"{customer}is_delivery_customer", "=", True),
                (f"{customer}customer_state", "in", GREETED_STATES),
                (f"{customer}customer_class", "in", self._classes()),
                ("email_normalized", "!=", False),
            ]
        )
        # sudo: only the addresses that opted out are read, to leave them out
        opted_out = self.env["mail.blacklist"].sudo()._search([("active", "=", True)])
        domain &= Domain("email_normalized", "not in", opted_out.subselect("email"))
        if self.company_id:
            domain &= Domain(f"{customer}company_id", "in", [self.company_id.id, False])
        domain &= self._country_domain(customer)
        # sudo: only used by the cron to leave out who the log already holds for this
        # occasion and year; nothing of the log is shown
        greeted = (
            self.env["delivery.greeting.log"]
            .sudo()
            ._search([("occasion_id", "=", self.id), ("year", "=", day.year)])
            .subselect("partner_id")
        )
        return domain & Domain("id", "not in", greeted)

    def _country_domain(self, customer):
        """The customers (``customer`` is the path from the greeted person to its
        customer) who live in one of the occasion's countries and regions: by the
        country of their address or, without one, by the country of their company; a
        customer of every company counts in the country of the occasion's company (of
        the main company for an occasion of every company)."""
        self.ensure_one()
        if not self.country_ids:
            return Domain.TRUE
        countries = self.country_ids.ids
        no_country = Domain(f"{customer}country_id", "=", False)
        domain = Domain(f"{customer}country_id", "in", countries) | (
            no_country & Domain(f"{customer}company_id.partner_id.country_id", "in", countries)
        )
        if (self.company_id or self.env.company).partner_id.country_id.id in countries:
            domain |= no_country & (
                Domain(f"{customer}company_id", "=", False)
                | Domain(f"{customer}company_id.partner_id.country_id", "=", False)
            )
        return domain

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_send_greetings(self):
        """Daily: send today's greetings of every active occasion.

        Idempotent and concurrency-safe: the people of each batch are locked (SKIP
        LOCKED), their log rows are written before their greeting is posted, and
        ``UNIQUE(partner_id, occasion_id, year)`` refuses a second greeting; each batch
        is committed, and a run stopped half-way is resumed with whoever is left."""
        Partner = self.env["res.partner"]
        for occasion in self.search([("active", "=", True)]):
            today = occasion._today()
            if occasion.kind == "holiday" and occasion._day_in(today.year) != today:
                continue
            domain = occasion._recipient_domain(today)
            Partner._cron_process_batches(
                domain,
                lambda partners, o=occasion, d=today: o._send_greetings(partners, d),
                batch_size=GREETING_BATCH_SIZE,
            )
            remaining = Partner.search_count(domain)
            if remaining:
                # out of time (or rows locked by another worker): the scheduler calls
                # the cron again at once for the rest
                self.env["ir.cron"]._commit_progress(remaining=remaining)
                return

    def _send_greetings(self, partners, day):
        """Log and mail the greeting of ``day`` to each of ``partners``.

        The greeting is the mail of its log row, not a message in the person's chatter:
        every employee reads the contacts' chatter, and a greeting tells who is a
        customer and, for a birthday, the person's birthday (security review M7). The
        log (and the customer's greetings through it) is read by the CRM's roles."""
        self.ensure_one()
        # sudo: the log is append-only (nobody has the right to write it); the cron
        # writes it as part of sending the greeting
        logs = (
            self.env["delivery.greeting.log"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "occasion_id": self.id,
                        "year": day.year,
                        "date": day,
                    }
                    for partner in partners
                ]
            )
        )
        # the unique constraint speaks now, before anything is sent
        logs.flush_recordset()
        template = self.mail_template_id.with_context(care_occasion_id=self.id)
        for log in logs:
            mail = template.send_mail_batch(
                log.partner_id.ids,
                email_layout_xmlid="mail.mail_notification_light",
                # the mail's message belongs to the log; it is kept once the mail is
                # sent (and the mail deleted); queued: sent by the mail queue after
                # the batch is committed
                email_values={"model": log._name, "res_id": log.id, "is_notification": True},
            )
            log.message_id = mail.mail_message_id[:1]
