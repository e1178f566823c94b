-- The daily counts of the town-days an import changed (affected), from town_day_counts;
-- a town-day no record counts on any more has every count 0.
select
    cast(null as integer) as row_number,
    affected.date,
    affected.town_code,
    coalesce(counted.inspections, 0) as inspections,
    coalesce(counted.hazards, 0) as hazards,
    coalesce(counted.major_hazards, 0) as major_hazards,
    coalesce(counted.rectified, 0) as rectified,
    coalesce(counted.halted, 0) as halted,
    coalesce(counted.cases, 0) as cases,
    coalesce(counted.detentions, 0) as detentions,
    coalesce(counted.fines_wan, 0) as fines_wan
from affected
left join town_day_counts as counted
    on counted.town_code = affected.town_code and counted.date = affected.date
order by affected.date, affected.town_code
