"""Constants shared by several of the module's models (one place for each)."""

# the roles (R9): has_group() takes one of these xml ids
GROUP_STAFF = "delivery_crm.group_delivery_crm_user"
GROUP_ACCOUNT_MANAGER = "delivery_crm.group_delivery_crm_account_manager"
GROUP_MANAGER = "delivery_crm.group_delivery_crm_manager"
GROUP_AUDITOR = "delivery_crm.group_delivery_crm_auditor"
# field groups: who may read a field (the auditor reads everything, writes nothing)
CRM_READ = f"{GROUP_STAFF},{GROUP_AUDITOR}"
CRM_SENSITIVE = f"{GROUP_MANAGER},{GROUP_AUDITOR}"

# the customer's latest KPIs and its tier override (res.partner), written by the
# evaluation runs and the tier API only
PARTNER_KPI_FIELDS = (
    "kpi_date",
    "kpi_score",
    "kpi_satisfaction",
    "kpi_complaint_rate",
    "kpi_on_time_rate",
    "kpi_volume",
    "kpi_damage_rate",
)
PARTNER_OVERRIDE_FIELDS = (
    "tier_override_tier_id",
    "tier_override_reason",
    "tier_override_expiry",
    "tier_override_user_id",
)

# customer classification (000 §三(一)): customers, evaluation schemes and evaluations
CUSTOMER_CLASSES = [("key", "Key"), ("general", "General"), ("potential", "Potential")]

# requests taken in by the service desk (000 §四(三), 001 §六, §七; 003 §1.2)
REQUEST_TYPES = [
    ("complaint", "Complaint"),
    ("inquiry", "Inquiry"),
    ("suggestion", "Suggestion"),
    ("requirement", "Requirement"),
]

# urgency × importance → priority (001 §七.1)
PRIORITIES = [("0", "Low"), ("1", "Normal"), ("2", "High"), ("3", "Urgent")]

# the customer fields whose every change is recorded (R9): lifecycle, classification,
# assignment, tier, and the sensitive part of the profile (CRM_SENSITIVE fields)
PARTNER_AUDITED_FIELDS = (
    "tier_id",
    "customer_class",
    "strategic_value",
    "account_manager_id",
    "developer_id",
    "service_team_id",
    "customer_state",
    "organisation_notes",
    "decision_chain",
    "nda_signed",
    "nda_date",
    "credit_level",
    "risk_notes",
    "credit_review_date",
    "contract_amount",
    # where the customer is: its check-ins are measured against it (issue 16)
    "partner_latitude",
    "partner_longitude",
)
# where a contact or customer sits (security review H5): logged when a manager moves a
# delivery customer or its contacts, on each customer concerned
REPARENT_AUDITED_FIELDS = ("parent_id", "is_company", "company_id", "commercial_partner_id")

# task fix16: the customers whose tier benefits act (flags the transport system reads,
# points credited): those in cooperation only. A suspended customer (unpaid invoices,
# a dispute) gets none until it is active again; a terminated one none at all
BENEFIT_CUSTOMER_STATES = ("active",)
