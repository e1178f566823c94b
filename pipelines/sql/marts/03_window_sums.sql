-- Sums of every count over the ranking windows, ending on each ranking day: only the windows
-- listed in the variable `windows` (those the rules use), the others are never evaluated.
-- The calendar is dense (every town has a row every day), so a 7-day window is 7 rows.
-- An incremental build (variable `after` = the last day already built) computes only the
-- later days: cumulative sums carry on from cumulative_before, 7-day windows read the six
-- days before. Fines are added as exact decimals, so both ways give the very same figure.
-- Rows are in day order: a page reads one day, and the rankings keep this order when stored.
with daily as (
    select
        date, "group", town_code, town, not_reported,
        inspections, hazards, major_hazards, rectified, halted, cases, detentions,
        cast(fines_wan as decimal(18, 6)) as fines_wan
    from daily_counts
    where getvariable('after') is null or date > getvariable('after') - 6
),

running as (
    select
        date, "group", town_code, town, not_reported,
        sum(columns(['inspections', 'hazards', 'major_hazards', 'rectified',
                     'halted', 'cases', 'detentions', 'fines_wan'])) over (
            partition by town_code order by date
            rows between unbounded preceding and current row
        )
    from daily
    where list_contains(getvariable('windows'), 'cumulative')
        and (getvariable('after') is null or date > getvariable('after'))
),

cumulative as (
    select
        'cumulative' as "window", running.date, running."group", running.town_code, running.town,
        running.not_reported,
        running.inspections + coalesce(before.inspections, 0) as inspections,
        running.hazards + coalesce(before.hazards, 0) as hazards,
        running.major_hazards + coalesce(before.major_hazards, 0) as major_hazards,
        running.rectified + coalesce(before.rectified, 0) as rectified,
        running.halted + coalesce(before.halted, 0) as halted,
        running.cases + coalesce(before.cases, 0) as cases,
        running.detentions + coalesce(before.detentions, 0) as detentions,
        running.fines_wan + coalesce(before.fines_wan, 0) as fines_wan
    from running
    left join cumulative_before as before on before.town_code = running.town_code
),

rolling_7d as (
    select
        'rolling_7d' as "window", date, "group", town_code, town, not_reported,
        sum(columns(['inspections', 'hazards', 'major_hazards', 'rectified',
                     'halted', 'cases', 'detentions', 'fines_wan'])) over (
            partition by town_code order by date
            rows between 6 preceding and current row
        )
    from daily
    where list_contains(getvariable('windows'), 'rolling_7d')
    qualify getvariable('after') is null or date > getvariable('after')
),

single_day as (
    select
        'daily' as "window", date, "group", town_code, town, not_reported,
        inspections, hazards, major_hazards, rectified, halted, cases, detentions, fines_wan
    from daily
    where list_contains(getvariable('windows'), 'daily')
        and (getvariable('after') is null or date > getvariable('after'))
),

windows as (
    select * from cumulative
    union all by name
    select * from rolling_7d
    union all by name
    select * from single_day
)

select
    "window", date, "group", town_code, town, not_reported,
    cast(inspections as bigint) as inspections,
    cast(hazards as bigint) as hazards,
    cast(major_hazards as bigint) as major_hazards,
    cast(rectified as bigint) as rectified,
    cast(halted as bigint) as halted,
    cast(cases as bigint) as cases,
    cast(detentions as bigint) as detentions,
    cast(fines_wan as double) as fines_wan
from windows
order by date, town_code, "window"
