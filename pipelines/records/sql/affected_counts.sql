-- The daily counts of the town-days an import changed (affected), from town_day_counts;
-- a town-day no record counts on any more has every count 0.
select
    cast(null as integer) as row_number,
    affected.date,
    affected.town_code,
    coalesce(columns(counted.* exclude (date, town_code)), 0)
from affected
left join town_day_counts as counted
    on counted.town_code = affected.town_code and counted.date = affected.date
order by affected.date, affected.town_code
