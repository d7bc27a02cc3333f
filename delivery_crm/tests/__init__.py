from . import test_delivery_tier
from . import test_res_partner
from . import test_delivery_tier_change
from . import test_credit_review
from . import test_demo_data
from . import test_i18n
from . import test_delivery_shipment
from . import test_delivery_damage_rate
from . import test_delivery_evaluation
from . import test_delivery_tools
from . import test_delivery_evaluation_indicator
from . import test_delivery_complaint
from . import test_delivery_complaint_sla
from . import test_delivery_complaint_portal
from . import test_delivery_visit
from . import test_delivery_visit_ui
from . import test_delivery_return_visit_sampling
from . import test_delivery_care
from . import test_delivery_staff_kpi
from . import test_delivery_reports
from . import test_delivery_xlsx
from . import test_delivery_survey
from . import test_delivery_key_account
from . import test_delivery_targets
from . import test_delivery_audit
from . import test_delivery_access_grant
from . import test_delivery_security
from . import test_delivery_main_flows_ui
from . import test_clause_classification
from . import test_clause_service_desk
from . import test_clause_care
from . import test_clause_development
from . import test_crm_history_privacy
from . import test_partner_merge
from . import test_partner_phone
from . import test_rating_integrity
from . import test_system_fields
from . import test_delivery_claim
from . import test_delivery_shipment_transport
from . import test_delivery_shipment_exception
from . import test_delivery_status_push
from . import test_delivery_visit_geo
from . import test_delivery_visit_calendar
from . import test_delivery_communication
from . import test_delivery_communication_ui
from . import test_delivery_key_account_measured

# task ben (issue 16 item 5)
from . import test_delivery_tier_benefit

# task ben (issue 16 item 7)
from . import test_delivery_appreciation
from . import test_delivery_prospect
from . import test_delivery_segment

# task req (issue 17 items 1, 2)
from . import test_delivery_requirement
from . import test_delivery_department

# task inq (issue 17 items 4, 5)
from . import test_delivery_inquiry_summary
from . import test_delivery_emergency_plan

# task replica (issue 18 item 5)
from . import test_read_replica

# task duty (issue 17 item 3)
from . import test_delivery_duty
from . import test_delivery_duty_ui
from . import test_delivery_training
from . import test_delivery_staff_recognition

# task dash (issue 18 item 1): the dashboard and its digest
from . import test_delivery_dashboard
from . import test_delivery_dashboard_ui

# task rate (issue 18 item 2): the complaint-rate report reads a rollup of the deliveries
from . import test_delivery_shipment_rollup

# task lists (issue 18 item 2): the staff KPI pivot, the account manager's lists
from . import test_lists_latency
