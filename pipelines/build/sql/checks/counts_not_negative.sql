-- Current figures with a negative count.
select town_code, date
from current_reports
where least(inspections, hazards, major_hazards, rectified, halted, cases, detentions) < 0
    or fines_wan < 0
