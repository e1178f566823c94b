-- The daily counts the windows are summed over: every active town on every day after the
-- variable `lead_after` (all days when it is null), in day and town order. Fines come as
-- whole millionths of 万元, so that every window sum is an exact integer.
with days as (
    select *
    from daily_counts
    where getvariable('lead_after') is null or date > getvariable('lead_after')
)

select
    not_reported,
    inspections, hazards, major_hazards, rectified, halted, cases, detentions,
    cast(round(fines_wan * 1000000) as bigint) as fines_wan
from days
order by date, town_code
