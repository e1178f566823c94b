-- Each active town's counts summed over the days up to the variable `lead_after` (nothing
-- when it is null): what the cumulative window carries into the days after it. Fines in
-- whole millionths of 万元, as days.sql gives them. One row per row of `towns`, in code order.
with earlier as (
    select
        town_code,
        sum(inspections) as inspections,
        sum(hazards) as hazards,
        sum(major_hazards) as major_hazards,
        sum(rectified) as rectified,
        sum(halted) as halted,
        sum(cases) as cases,
        sum(detentions) as detentions,
        sum(cast(round(fines_wan * 1000000) as bigint)) as fines_wan
    from daily_counts
    where date <= getvariable('lead_after')
    group by town_code
)

select
    towns.town_code,
    coalesce(earlier.inspections, 0) as inspections,
    coalesce(earlier.hazards, 0) as hazards,
    coalesce(earlier.major_hazards, 0) as major_hazards,
    coalesce(earlier.rectified, 0) as rectified,
    coalesce(earlier.halted, 0) as halted,
    coalesce(earlier.cases, 0) as cases,
    coalesce(earlier.detentions, 0) as detentions,
    coalesce(earlier.fines_wan, 0) as fines_wan
from towns
left join earlier on earlier.town_code = towns.town_code
order by towns.town_code
