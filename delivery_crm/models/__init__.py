from . import delivery_cron_mixin
from . import delivery_tier_benefit
from . import delivery_tier_ladder
from . import delivery_tier
from . import delivery_tier_change
from . import delivery_service_team
from . import res_partner
