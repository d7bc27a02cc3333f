# the abstract mixins first: the models below inherit them
from . import delivery_system_log_mixin
from . import delivery_cron_mixin
from . import delivery_system_field_mixin
from . import delivery_customer_portal_mixin
from . import delivery_key_account_measure_mixin
from . import ir_actions_report
from . import delivery_tier_benefit
from . import delivery_tier_ladder
from . import delivery_tier
from . import delivery_tier_change
from . import delivery_service_team
from . import delivery_shipment
from . import delivery_evaluation_scheme
from . import delivery_evaluation
from . import delivery_evaluation_run
from . import res_partner
from . import res_partner_credit_review
from . import delivery_complaint_type
from . import delivery_complaint_root_cause
from . import delivery_department
from . import delivery_canned_response
from . import delivery_sla_policy
from . import delivery_complaint
from . import delivery_complaint_sla
from . import rating_rating
from . import delivery_complaint_action
from . import delivery_complaint_handover
from . import res_company
from . import res_config_settings
from . import delivery_visit
from . import delivery_visit_next_step
from . import delivery_communication_plan
from . import delivery_care_occasion_date
from . import delivery_care_occasion
from . import delivery_greeting_log
from . import delivery_care_event
from . import delivery_staff_training
from . import delivery_survey_invitation
from . import delivery_key_account_report
from . import delivery_key_account_plan
from . import delivery_access_grant
from . import delivery_shared_profile
from . import delivery_audit_log
from . import delivery_export_log
from . import base
from . import mail_template
from . import mail_activity
from . import delivery_claim
from . import delivery_shipment_transport
from . import delivery_shipment_exception
from . import base_geocoder
from . import calendar_event
from . import delivery_communication
from . import delivery_key_account_plan_month

# task ben (issue 16 items 5, 7): tier benefits that act, points
from . import delivery_points_move
from . import delivery_benefit_grant
from . import delivery_appreciation_event
from . import delivery_appreciation_guest

# task req (issue 17 items 1, 2): requirements carried out, departments that act
from . import delivery_requirement_task

# task inq (issue 17 items 4, 5): quarterly inquiry summary, emergency plans
from . import delivery_inquiry_topic
from . import delivery_inquiry_summary
from . import delivery_inquiry_summary_line
from . import delivery_emergency_plan
from . import delivery_emergency_plan_step
from . import delivery_emergency_activation

# task duty (issue 17 item 3): duty roster, shift hand-over, major incidents
from . import delivery_duty_shift
from . import delivery_duty_roster
from . import delivery_duty_handover
from . import delivery_duty_handover_line
from . import delivery_major_incident

# task train (issue 17 item 6): training plans, awards and sanctions
from . import delivery_training_plan
from . import delivery_staff_recognition

# task dash (issue 18 item 1): the manager's dashboard and its weekly digest
from . import delivery_dashboard
from . import digest_digest

# task rate (issue 18 item 2): the counted deliveries per company and quarter hour
from . import delivery_shipment_rollup
from . import delivery_service_rollup
