-- The cumulative sums on the last day already built (variable `after`): an incremental build
-- carries them on instead of adding up the whole campaign again.
select
    town_code,
    inspections, hazards, major_hazards, rectified, halted, cases, detentions,
    cast(fines_wan as decimal(18, 6)) as fines_wan
from window_sums
where "window" = 'cumulative'
    and date = getvariable('after')
