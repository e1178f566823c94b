-- Every active town has exactly one row per ranking day in every window.
with expected as (
    select count(*) as n from calendar cross join towns
),

actual as (
    select "window", count(*) as n, count(distinct (town_code, date)) as distinct_n
    from window_sums
    group by "window"
)

select actual."window", actual.n, actual.distinct_n, expected.n as expected_n
from actual, expected
where actual.n <> expected.n or actual.distinct_n <> expected.n
