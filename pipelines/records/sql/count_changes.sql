-- What an import changes in the daily counts, per town-day: its new and changed records
-- (diff_*) counted in, the versions they replace (replaced_*) counted out. A hazard whose found
-- or rectified day moved changes both days; a record changed in nothing that is counted (its
-- unit, say) changes none. `records` (enforcement records in, less out) makes a town-day whose
-- only record counts nothing (a fine of 0) appear or go. One row per town-day with any change.
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

summed as (
    select
        town_code,
        date,
        cast(coalesce(sum(sign * amount) filter (where count_of = 'inspections'), 0) as bigint) as inspections,
        cast(coalesce(sum(sign * amount) filter (where count_of = 'hazards'), 0) as bigint) as hazards,
        cast(coalesce(sum(sign * amount) filter (where count_of = 'major_hazards'), 0) as bigint) as major_hazards,
        cast(coalesce(sum(sign * amount) filter (where count_of = 'rectified'), 0) as bigint) as rectified,
        cast(coalesce(sum(sign * amount) filter (where count_of = '停产停业'), 0) as bigint) as halted,
        cast(coalesce(sum(sign * amount) filter (where count_of = '立案'), 0) as bigint) as cases,
        cast(coalesce(sum(sign * amount) filter (where count_of = '拘留'), 0) as bigint) as detentions,
        cast(coalesce(sum(sign * amount) filter (where count_of = '罚款'), 0) as decimal(18, 6)) as fines_wan,
        coalesce(sum(sign * amount) filter (where count_of = 'records'), 0) as records
    from counted
    group by town_code, date
)

select *
from summed
where inspections <> 0 or hazards <> 0 or major_hazards <> 0 or rectified <> 0
    or halted <> 0 or cases <> 0 or detentions <> 0 or fines_wan <> 0 or records <> 0
