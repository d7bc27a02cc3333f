from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import api, fields, models
from odoo.exceptions import UserError

from .delivery_constants import GROUP_MANAGER

INCIDENT_KINDS = [
    ("sla_breach", "Key account's SLA breached"),
    ("complaint_burst", "Many complaints within an hour"),
    ("key_exception", "Key account's delivery lost or damaged"),
]
# the delivery exceptions of a key account that are major incidents
MAJOR_EXCEPTION_KINDS = ("lost", "damaged")


class DeliveryMajorIncident(models.Model):
    """A major incident (004 客户服务部 值班管理规定 二: 发生重大问题,立即上报客户服务中心
    主任): raised by the module when a rule of the company's settings is met — a key
    account's SLA breached, many complaints within an hour, a key account's delivery
    lost or damaged — and told AT ONCE (in the same transaction, not by a daily job) to
    the service-centre head and the staff on duty, by mail and activity. Once per
    incident: ``key`` names it (the clock and its deadline, the exception, the hour),
    unique per company. Nobody creates one by hand; the head closes it."""

    _name = "delivery.major.incident"
    _inherit = ["mail.thread", "mail.activity.mixin", "delivery.system.field.mixin"]
    _description = "Major incident"
    _order = "detected_date desc, id desc"
    _check_company_auto = True
    _system_fields = frozenset(
        {
            "name",
            "kind",
            "key",
            "company_id",
            "detected_date",
            "complaint_id",
            "exception_id",
            "partner_id",
            "description",
            "state",
            "notified_user_ids",
            "closed_by_id",
            "closed_date",
        }
    )

    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(INCIDENT_KINDS, required=True, readonly=True, index=True)
    key = fields.Char(required=True, readonly=True, copy=False)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    detected_date = fields.Datetime(
        string="Detected on", required=True, readonly=True, default=fields.Datetime.now
    )
    complaint_id = fields.Many2one(
        "delivery.complaint", string="Request", readonly=True, index="btree_not_null"
    )
    exception_id = fields.Many2one(
        "delivery.shipment.exception", string="Delivery exception", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    description = fields.Text(readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
    )
    notified_user_ids = fields.Many2many(
        "res.users", string="Told", readonly=True, help="The head and the staff on duty."
    )
    resolution = fields.Text(help="What was done about it.")
    closed_by_id = fields.Many2one("res.users", string="Closed by", readonly=True)
    closed_date = fields.Datetime(string="Closed on", readonly=True)

    _key_unique = models.UniqueIndex("(company_id, key)")

    def write(self, vals):
        self._check_system_fields(vals)
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        # nobody raises one by hand: the access rights say so first (the module raises
        # them in superuser mode)
        self.check_access("create")
        model = self._check_system_fields_create(vals_list)
        return super(DeliveryMajorIncident, model).create(vals_list)

    def action_close(self):
        if not self.env.user.has_group(GROUP_MANAGER):
            raise UserError(self.env._("Only a manager closes a major incident."))
        for incident in self:
            if not (incident.resolution or "").strip():
                raise UserError(
                    self.env._(
                        "Say what was done about %(name)s (Resolution) before closing it.",
                        name=incident.name,
                    )
                )
        self._write_system(
            {
                "state": "closed",
                "closed_by_id": self.env.user.id,
                "closed_date": fields.Datetime.now(),
            }
        )
        return True

    # ------------------------------------------------------------------ raising
    @api.model
    def _raise(self, company, kind, key, name, description, complaint=None, exception=None):
        """Record the incident ``key`` of ``company`` once and tell it at once."""
        # sudo: incidents are the module's own records, raised by the code whoever acted
        # (a request filed from the portal, the escalation job)
        Incident = self.sudo().with_company(company)
        if Incident.search_count([("company_id", "=", company.id), ("key", "=", key)], limit=1):
            return Incident.browse()
        partner = (complaint and complaint.partner_id) or (exception and exception.partner_id)
        try:
            # a concurrent transaction raising the same incident: the unique index
            # keeps one, and this transaction (a request being filed) goes on
            with self.env.cr.savepoint():
                incident = Incident.create(
                    {
                        "company_id": company.id,
                        "kind": kind,
                        "key": key,
                        "name": name,
                        "description": description,
                        "complaint_id": complaint.id if complaint else False,
                        "exception_id": exception.id if exception else False,
                        "partner_id": partner.id if partner else False,
                    }
                )
        except IntegrityError:
            return Incident.browse()
        incident._notify()
        return incident

    def _notify(self):
        """The head and the staff on duty: a mail and an activity each; a note on the
        request."""
        template = self.env.ref("delivery_crm.mail_template_major_incident")
        Roster = self.env["delivery.duty.roster"]
        for incident in self:
            head = incident.company_id.delivery_complaint_manager_id
            users = head | Roster._on_duty_users(company=incident.company_id)
            users = users or self.env.ref("base.user_admin")
            for user in users:
                incident.activity_schedule(
                    "delivery_crm.mail_activity_type_major_incident",
                    user_id=user.id,
                    summary=incident.name,
                    note=incident.description,
                )
            incident.message_post_with_source(
                template, partner_ids=users.partner_id.ids, subtype_xmlid="mail.mt_comment"
            )
            incident.write({"notified_user_ids": [fields.Command.set(users.ids)]})
            if incident.complaint_id:
                # sudo: the module's note on the request (raised from the portal or a job)
                incident.complaint_id.sudo().message_post(
                    body=self.env._(
                        "Major incident: %(name)s. The service-centre head and the staff on "
                        "duty were told.",
                        name=incident.name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    # ------------------------------------------------------------------ the rules
    @api.model
    def _raise_sla_breaches(self, clocks):
        """A breached SLA clock of a key account's request (the escalation job)."""
        for clock in clocks:
            complaint = clock.complaint_id
            company = complaint.company_id
            if not company.delivery_incident_key_sla_breach:
                continue
            # sudo: the customer's class decides, whatever the caller reads
            if complaint.sudo().partner_id.customer_class != "key":
                continue
            what = dict(clock._fields["clock"]._description_selection(self.env))[clock.clock]
            # sudo: the incident names the key account for the head and the staff on duty,
            # whoever runs the job
            customer = complaint.sudo().partner_id.display_name
            self._raise(
                company,
                "sla_breach",
                f"sla-{clock.id}-{fields.Datetime.to_string(clock.deadline)}",
                self.env._(
                    "SLA breached for key account %(customer)s: %(request)s",
                    customer=customer,
                    request=complaint.name,
                ),
                self.env._(
                    "%(request)s of key account %(customer)s missed its %(what)s deadline "
                    "(%(deadline)s UTC).",
                    request=complaint.name,
                    customer=customer,
                    what=what,
                    deadline=fields.Datetime.to_string(clock.deadline),
                ),
                complaint=complaint,
            )

    @api.model
    def _check_complaint_burst(self, requests):
        """New complaints: as many as the company's setting within the last hour (of
        receipt) is a major incident, once an hour at most."""
        now = fields.Datetime.now()
        # sudo: the count is company-wide, whoever filed the request (the portal)
        Complaint = self.env["delivery.complaint"].sudo()
        for company in requests.filtered(lambda r: r.request_type == "complaint").company_id:
            threshold = company.delivery_incident_complaints_per_hour
            if threshold <= 0:
                continue
            count = Complaint.search_count(
                [
                    ("company_id", "=", company.id),
                    ("request_type", "=", "complaint"),
                    ("received_date", ">", now - timedelta(hours=1)),
                    ("received_date", "<=", now),
                ]
            )
            if count < threshold:
                continue
            # sudo: the module's own records (an open burst of the last hour)
            if self.sudo().search_count(
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "complaint_burst"),
                    ("detected_date", ">", now - timedelta(hours=1)),
                ],
                limit=1,
            ):
                continue
            # the key is the hour (UTC): two transactions filing complaints at the same
            # time, neither seeing the other's incident, raise it once (the unique index)
            self._raise(
                company,
                "complaint_burst",
                f"burst-{now:%Y-%m-%d %H}",
                self.env._("%(count)s complaints within an hour", count=count),
                self.env._(
                    "%(count)s complaints were received in the hour before %(now)s UTC "
                    "(the threshold is %(threshold)s).",
                    count=count,
                    now=fields.Datetime.to_string(now),
                    threshold=threshold,
                ),
            )

    @api.model
    def _raise_key_exceptions(self, exceptions):
        """A key account's delivery lost or damaged."""
        # sudo: the exceptions were just raised by the module; the class decides
        for exception in exceptions.sudo():
            company = exception.company_id
            if (
                not company.delivery_incident_key_exception
                or exception.kind not in MAJOR_EXCEPTION_KINDS
                or exception.partner_id.customer_class != "key"
            ):
                continue
            kind = dict(exception._fields["kind"]._description_selection(self.env))[exception.kind]
            self._raise(
                company,
                "key_exception",
                f"exception-{exception.id}",
                self.env._(
                    "Key account %(customer)s: delivery %(delivery)s %(kind)s",
                    customer=exception.partner_id.display_name,
                    delivery=exception.shipment_id.name,
                    kind=kind,
                ),
                self.env._(
                    "The delivery %(delivery)s of key account %(customer)s: %(kind)s.",
                    delivery=exception.shipment_id.name,
                    customer=exception.partner_id.display_name,
                    kind=kind,
                ),
                exception=exception,
            )
