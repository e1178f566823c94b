-- Rankings whose day and group do not add up: a tier count, rank or group size out of place,
-- or a negative window sum.
with blocks as (
    select
        date,
        "group",
        count(*) as towns,
        min(group_size) as smallest_size,
        max(group_size) as largest_size,
        count(*) filter (where tier in ('blue', 'yellow', 'red')) as tiered,
        min(rank) as best_rank,
        max(rank) as worst_rank,
        min(least({counts})) as smallest_sum
    from rankings
    group by date, "group"
)

select *
from blocks
where towns <> smallest_size
    or towns <> largest_size
    or tiered <> towns
    or best_rank <> 1
    or worst_rank > towns
    or smallest_sum < 0
