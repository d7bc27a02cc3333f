from . import delivery_customer_state_wizard
from . import delivery_tier_override_wizard
from . import delivery_evaluation_wizard
from . import delivery_complaint_handover_wizard
from . import delivery_complaint_reply_wizard
from . import delivery_reward_wizard
from . import delivery_news_mailing_wizard
from . import delivery_xlsx_export_wizard
