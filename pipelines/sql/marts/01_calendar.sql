-- Every ranking day: from the campaign start (or the first reported day) to the last reported day.
-- An incremental build (variable `after` = the last day already built) adds only the later days.
with bounds as (
    select
        coalesce(cast(getvariable('campaign_start') as date), min(date)) as first_day,
        max(date) as last_day
    from current_reports
),

days as (
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as date
    from bounds
    where last_day is not null
)

select date
from days
where getvariable('after') is null or date > getvariable('after')
