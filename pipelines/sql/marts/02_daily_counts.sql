-- One row per active town per ranking day; a town without a report that day counts zeros.
-- An incremental build (variable `after`) adds only the days after the last one built.
with grid as (
    select
        calendar.date,
        towns.town_code,
        towns.town,
        towns."group"
    from calendar
    cross join towns
    where getvariable('after') is null or calendar.date > getvariable('after')
),

joined as (
    select
        grid.date,
        grid."group",
        grid.town_code,
        grid.town,
        reports.town_code is null as not_reported,
        coalesce(reports.inspections, 0) as inspections,
        coalesce(reports.hazards, 0) as hazards,
        coalesce(reports.major_hazards, 0) as major_hazards,
        coalesce(reports.rectified, 0) as rectified,
        coalesce(reports.halted, 0) as halted,
        coalesce(reports.cases, 0) as cases,
        coalesce(reports.detentions, 0) as detentions,
        coalesce(reports.fines_wan, 0) as fines_wan
    from grid
    left join current_reports as reports
        on reports.town_code = grid.town_code
        and reports.date = grid.date
)

select * from joined
order by date, town_code
