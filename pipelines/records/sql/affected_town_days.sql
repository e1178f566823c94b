-- The town-days an import counts differently on: where its new and changed records (diff_*)
-- add up to other counts than the versions they replace (replaced_*). A hazard whose found
-- or rectified day moved changes both days; a record changed in nothing that is counted (its
-- unit, say) changes none. `records` makes a town-day whose only record counts nothing (a
-- fine of 0) appear or go.
with counted as (
    select 1 as sign, town_code, date, 'inspections' as count_of, 1 as amount from diff_inspections
    union all select -1, town_code, date, 'inspections', 1 from replaced_inspections

    union all select 1, town_code, found_date, 'hazards', 1 from diff_hazards
    union all select -1, town_code, found_date, 'hazards', 1 from replaced_hazards
    union all select 1, town_code, found_date, 'major_hazards', 1 from diff_hazards where level = '重大'
    union all select -1, town_code, found_date, 'major_hazards', 1 from replaced_hazards where level = '重大'
    union all select 1, town_code, rectified_date, 'rectified', 1 from diff_hazards where rectified_date is not null
    union all select -1, town_code, rectified_date, 'rectified', 1 from replaced_hazards where rectified_date is not null

    union all select 1, town_code, date, 'records', 1 from diff_enforcement
    union all select -1, town_code, date, 'records', 1 from replaced_enforcement
    -- an enforcement record counts as one halt or case, or by its persons (拘留) or amount (罚款)
    union all select 1, town_code, date, kind, case kind when '拘留' then persons when '罚款' then amount_wan else 1 end
    from diff_enforcement
    union all select -1, town_code, date, kind, case kind when '拘留' then persons when '罚款' then amount_wan else 1 end
    from replaced_enforcement
),

changed as (
    select town_code, date
    from counted
    group by town_code, date, count_of
    having sum(sign * amount) <> 0
)

select distinct town_code, date
from changed
