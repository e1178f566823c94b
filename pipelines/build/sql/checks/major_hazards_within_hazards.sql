-- Current figures where more major hazards than hazards are reported.
select town_code, date, hazards, major_hazards
from current_reports
where major_hazards > hazards
