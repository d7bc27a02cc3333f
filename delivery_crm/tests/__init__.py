from . import test_delivery_tier
from . import test_res_partner
from . import test_delivery_tier_change
from . import test_credit_review
from . import test_demo_data
from . import test_i18n
from . import test_delivery_shipment
from . import test_delivery_evaluation
