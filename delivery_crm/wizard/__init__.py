from . import delivery_customer_state_wizard
from . import delivery_tier_override_wizard
from . import delivery_evaluation_wizard
from . import delivery_complaint_handover_wizard
from . import delivery_complaint_reply_wizard
from . import delivery_complaint_close_wizard
from . import delivery_reward_wizard
from . import delivery_news_mailing_wizard
from . import delivery_xlsx_export_wizard
from . import base_partner_merge
from . import delivery_points_wizard

# task inq (issue 17 item 5)
from . import delivery_emergency_activate_wizard
