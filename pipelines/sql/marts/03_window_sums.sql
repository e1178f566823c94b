-- Sums of every count over the three ranking windows, ending on each ranking day.
-- The calendar is dense (every town has a row every day), so a 7-day window is 7 rows.
with daily as (
    select * from daily_counts
),

cumulative as (
    select
        'cumulative' as "window", date, "group", town_code, town, not_reported,
        sum(columns(['inspections', 'hazards', 'major_hazards', 'rectified',
                     'halted', 'cases', 'detentions', 'fines_wan'])) over (
            partition by town_code order by date
            rows between unbounded preceding and current row
        )
    from daily
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
),

single_day as (
    select
        'daily' as "window", date, "group", town_code, town, not_reported,
        inspections, hazards, major_hazards, rectified, halted, cases, detentions, fines_wan
    from daily
)

select * from cumulative
union all by name
select * from rolling_7d
union all by name
select * from single_day
