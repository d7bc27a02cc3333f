from . import delivery_complaint_rate_report
from . import delivery_staff_kpi_report
from . import delivery_customer_risk_report
from . import delivery_satisfaction_trend_report
from . import delivery_customer_mix_report
from . import delivery_department_kpi_report

# task train (issue 17 item 6)
from . import delivery_training_compliance_report
