-- Every active town has exactly one row per ranking day, in the daily counts and in the rankings.
with expected as (
    select count(*) as n from calendar cross join towns
),

actual as (
    select 'daily_counts' as "table", count(*) as n, count(distinct (town_code, date)) as distinct_n
    from daily_counts
    union all
    select 'rankings' as "table", count(*) as n, count(distinct (code, date)) as distinct_n
    from rankings
)

select actual."table", actual.n, actual.distinct_n, expected.n as expected_n
from actual, expected
where actual.n <> expected.n or actual.distinct_n <> expected.n
