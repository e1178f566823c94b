-- Each active town's counts summed over the days up to the variable `lead_after` (nothing
-- when it is null): what the cumulative window carries into the days after it. Fines in
-- whole millionths of 万元, as days.sql gives them. One row per row of `towns`, in code order.
with earlier as (
    select
        town_code,
        sum(columns(['inspections', 'hazards', 'major_hazards', 'rectified', 'halted', 'cases', 'detentions'])),
        sum(cast(round(fines_wan * 1000000) as bigint)) as fines_wan
    from daily_counts
    where date <= getvariable('lead_after')
    group by town_code
)

select
    towns.town_code,
    coalesce(columns(earlier.* exclude (town_code)), 0)
from towns
left join earlier on earlier.town_code = towns.town_code
order by towns.town_code
