from datetime import timedelta

from odoo import Command, api, fields
from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user

from ..models.delivery_tier_change import OVERRIDE_KEEP

# The groups of each role a test user can have, in one place: a test asks for a role.
ROLE_GROUPS = {
    "account_manager": "delivery_crm.group_delivery_crm_account_manager",
    "staff": "delivery_crm.group_delivery_crm_user",
    "auditor": "delivery_crm.group_delivery_crm_auditor",
    "manager": "delivery_crm.group_delivery_crm_manager",
    "admin": "delivery_crm.group_delivery_crm_admin",
    # an employee without any Delivery CRM group
    "employee": "base.group_user",
    # an employee outside the CRM who may create and edit contacts
    "contacts": "base.group_user,base.group_partner_manager",
    "portal": "base.group_portal",
}


def new_user(env, role, login, name=None, company=None, lang=None, extra_groups="", **values):
    """A new user of ``role`` (a key of ``ROLE_GROUPS``), made as Odoo's own tests make
    them (``mail_new_test_user``: no password-reset mail, no tracking, no follower).

    ``company``: the user's only company (the environment's by default); ``lang``;
    ``extra_groups``: more group XML ids, comma-separated; ``values``: other fields
    (``password``, ``email``, ``partner_id``...). A user made for an existing contact
    (``partner_id``) keeps the contact's name and email unless they are given."""
    company = company or env.company
    if values.get("partner_id"):
        partner = env["res.partner"].browse(values["partner_id"])
        name = name or partner.name
        values.setdefault("email", partner.email)
    if name:
        values["name"] = name
    if lang:
        values["lang"] = lang
    groups = ",".join(filter(None, [ROLE_GROUPS[role], extra_groups]))
    return mail_new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
        **values,
    )


class DeliveryCrmCommon(TransactionCase):
    """Users of each role and the shipped standard tier ladder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.user_account_manager = new_user(
            cls.env, "account_manager", "dcrm_account_manager", "Account Manager"
        )
        cls.user_staff = new_user(cls.env, "staff", "dcrm_staff", "Service Staff")
        cls.user_auditor = new_user(cls.env, "auditor", "dcrm_auditor", "Auditor")
        cls.user_manager = new_user(cls.env, "manager", "dcrm_manager", "CRM Manager")
        cls.user_employee = new_user(cls.env, "employee", "dcrm_employee", "Other Employee")
        cls.ladder = cls.env.ref("delivery_crm.delivery_tier_ladder_standard")
        cls.ladder_key = cls.env.ref("delivery_crm.delivery_tier_ladder_key_account")
        cls.tier_new = cls.env.ref("delivery_crm.delivery_tier_new")
        cls.tier_regular = cls.env.ref("delivery_crm.delivery_tier_regular")
        cls.tier_silver = cls.env.ref("delivery_crm.delivery_tier_silver")
        cls.tier_gold = cls.env.ref("delivery_crm.delivery_tier_gold")
        cls.tier_diamond = cls.env.ref("delivery_crm.delivery_tier_diamond")
        cls.tier_ka2 = cls.env.ref("delivery_crm.delivery_tier_ka2")

    @classmethod
    def _new_customer(cls, name="Test Customer 测试客户", user=None, **vals):
        """A delivery customer created by ``user`` (the service staff by default)."""
        return (
            cls.env["res.partner"]
            .with_user(user or cls.user_account_manager)
            .create(
                {
                    "name": name,
                    "is_company": True,
                    "is_delivery_customer": True,
                    "email": "customer@example.com",
                    **vals,
                }
            )
            .with_env(cls.env)
        )

    def _run_cron(self, xmlid):
        """Run a shipped ``ir.cron`` record the way the scheduler does: on a cursor of
        its own, since the module's crons commit their progress after each batch."""
        self.env.flush_all()
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env.ref(xmlid).method_direct_trigger()
        self.env.invalidate_all()

    def _cron_progress(self, xmlid):
        """What the last run of the cron reported as done."""
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.progress"].search(
            [("cron_id", "=", cron.id)], order="id desc", limit=1
        )

    @classmethod
    def _grade_tier(cls, partners, tier, reason=None):
        """Give ``partners`` the tier ``tier`` as an evaluation run does: through the tier
        API the run calls (``delivery.tier.change._move_tiers``), without building the
        deliveries that would earn it. Returns the changes logged."""
        return cls.env["delivery.tier.change"]._move_tiers(
            [(partner.id, tier.id, reason) for partner in partners],
            "evaluation",
            graded=True,
            override=OVERRIDE_KEEP,
        )

    @classmethod
    def _give_tier(cls, partners, tier):
        """Put ``partners`` on ``tier`` (a manual move, announced to nobody): for tests
        that need a customer of a given tier."""
        return cls.env["delivery.tier.change"]._move_tiers(
            [(partner.id, tier.id) for partner in partners], "manual"
        )

    def _override_tier(self, user, partner, tier, reason="Strategic account", expiry=None):
        """``user`` overrides the tier of ``partner`` with the override wizard."""
        expiry = expiry or fields.Date.today() + timedelta(days=30)
        wizard = (
            self.env["delivery.tier.override.wizard"]
            .with_user(user)
            .create(
                {"partner_id": partner.id, "tier_id": tier.id, "reason": reason, "expiry": expiry}
            )
        )
        return wizard.action_confirm()

    def _last_change(self, partner):
        return self.env["delivery.tier.change"].search([("partner_id", "=", partner.id)], limit=1)

    def _resolve_complaint(self, complaint, investigation=None, corrective=None):
        """Take ``complaint`` to "resolved" (see :func:`resolve_complaint`), the manager
        responsible and the account manager owning the corrective action."""
        return resolve_complaint(
            complaint,
            responsible=self.user_manager,
            corrective_owner=self.user_account_manager,
            preventive_owner=self.user_manager,
            investigation=investigation,
            corrective=corrective,
        )


def resolve_complaint(
    complaint,
    responsible,
    corrective_owner,
    preventive_owner,
    investigation=None,
    corrective=None,
    resolution="<p>Delivered with a 10% discount.</p>",
):
    """Take ``complaint`` through the gates to "resolved", as the user of its
    environment: acknowledged, investigated (transport root cause, ``responsible``), a
    corrective action (done) and a preventive one (open) due tomorrow, and a result."""
    env = complaint.env
    complaint.action_acknowledge()
    complaint.action_investigate()
    complaint.write(
        {
            "root_cause_id": env.ref("delivery_crm.delivery_complaint_root_cause_transport").id,
            "department_id": env.ref("delivery_crm.delivery_department_transport").id,
            "responsible_id": responsible.id,
            **(investigation or {}),
        }
    )
    complaint.action_resolving()
    tomorrow = fields.Date.today() + timedelta(days=1)
    complaint.write(
        {
            "resolution": resolution,
            "action_ids": [
                Command.create(
                    {
                        "kind": "corrective",
                        "name": "Redeliver today",
                        "owner_id": corrective_owner.id,
                        "deadline": tomorrow,
                        # a complaint is resolved once its corrective actions are done
                        "done": True,
                        "done_note": "Redelivered at 15:00, signed by the customer",
                        **(corrective or {}),
                    }
                ),
                Command.create(
                    {
                        "kind": "preventive",
                        "name": "Re-plan the route",
                        "owner_id": preventive_owner.id,
                        "deadline": tomorrow,
                    }
                ),
            ],
        }
    )
    complaint.action_resolve()
    return complaint
