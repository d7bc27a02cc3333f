from . import delivery_customer_state_wizard
from . import delivery_tier_override_wizard
from . import delivery_evaluation_wizard
