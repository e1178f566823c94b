-- The figures reported for every town-day being built (from the variable `first_built` on):
-- the store's changes since the last build, over the figures that build already had.
with changed as (
    select
        cast(town_code as varchar) as town_code,
        cast(date as date) as date,
        {counts}
    from changed_reports
    where date >= getvariable('first_built')
),

kept as (
    select
        built.town_code,
        built.date,
        {counts}
    from built_daily_counts as built
    anti join changed using (town_code, date)
    where not built.not_reported
        and built.date >= getvariable('first_built')
)

select * from changed
union all by name
select * from kept
