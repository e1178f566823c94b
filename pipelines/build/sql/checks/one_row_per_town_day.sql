-- Every active town has exactly one row per day in the daily counts, and one per ranking day in
-- the rankings: a ranking day is a day on which some town reported (a day nobody reported is
-- not ranked).
with towns_n as (
    select count(*) as n from towns
),

expected as (
    select
        'daily_counts' as "table",
        (select count(*) from calendar) * towns_n.n as n
    from towns_n
    union all
    select
        'rankings' as "table",
        (select count(distinct date) from daily_counts where not not_reported) * towns_n.n as n
    from towns_n
),

actual as (
    select 'daily_counts' as "table", count(*) as n, count(distinct (town_code, date)) as distinct_n
    from daily_counts
    union all
    select 'rankings' as "table", count(*) as n, count(distinct (code, date)) as distinct_n
    from rankings
)

select actual."table", actual.n, actual.distinct_n, expected.n as expected_n
from actual
inner join expected on expected."table" = actual."table"
where actual.n <> expected.n or actual.distinct_n <> expected.n
