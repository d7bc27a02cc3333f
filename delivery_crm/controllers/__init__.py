from . import portal
from . import rating
from . import xlsx
from . import report
from . import portal_claim
from . import portal_notification
from . import portal_benefit
from . import appreciation
