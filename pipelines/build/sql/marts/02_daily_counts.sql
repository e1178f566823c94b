-- One row per active town per day being built; a town without a report that day counts zeros.
with grid as (
    select
        calendar.date,
        towns.town_code,
        towns.town,
        towns."group"
    from calendar
    cross join towns
),

joined as (
    select
        grid.date,
        grid."group",
        grid.town_code,
        grid.town,
        reports.town_code is null as not_reported,
        coalesce(columns(reports.* exclude (town_code, date)), 0)
    from grid
    left join current_reports as reports
        on reports.town_code = grid.town_code
        and reports.date = grid.date
)

select * from joined
order by date, town_code
