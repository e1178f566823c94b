-- The town-days a batch counted (counted) whose counts differ from their current figures
-- (current, from current_figures.sql), marked whether they had one (corrected) and whether it
-- was a report's (reported).
select
    n.*,
    c.town_code is not null as corrected,
    coalesce(c.reported, false) as reported
from counted as n
left join current as c on c.town_code = n.town_code and c.date = n.date
where c.town_code is null
    or c.inspections != n.inspections
    or c.hazards != n.hazards
    or c.major_hazards != n.major_hazards
    or c.rectified != n.rectified
    or c.halted != n.halted
    or c.cases != n.cases
    or c.detentions != n.detentions
    or abs(c.fines_wan - n.fines_wan) > 1e-9
order by n.date, n.town_code
