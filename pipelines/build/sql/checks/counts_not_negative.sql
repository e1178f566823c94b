-- Current figures with a negative count.
select town_code, date
from current_reports
where least({counts}) < 0
