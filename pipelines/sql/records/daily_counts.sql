-- Daily town counts of the daily-report form (SPEC 3.1) from the record tables (SPEC 3.2).
with inspected as (
    select town, date, count(*) as inspections
    from inspections_rows
    group by town, date
),

found as (
    select
        town,
        found_date as date,
        count(*) as hazards,
        count(*) filter (where level = '重大') as major_hazards
    from hazards_rows
    group by town, found_date
),

rectified as (
    select town, rectified_date as date, count(*) as rectified
    from hazards_rows
    where rectified_date is not null
    group by town, rectified_date
),

acted as (
    select
        town,
        date,
        count(*) filter (where kind = '停产停业') as halted,
        count(*) filter (where kind = '立案') as cases,
        sum(persons) filter (where kind = '拘留') as detentions,
        sum(amount_wan) filter (where kind = '罚款') as fines_wan
    from enforcement_rows
    group by town, date
),

parts as (
    select * from inspected
    union all by name
    select * from found
    union all by name
    select * from rectified
    union all by name
    select * from acted
),

-- several spellings (name, code, alias) of one town add up
by_town as (
    select
        town_codes.town_code,
        parts.date,
        coalesce(sum(parts.inspections), 0) as inspections,
        coalesce(sum(parts.hazards), 0) as hazards,
        coalesce(sum(parts.major_hazards), 0) as major_hazards,
        coalesce(sum(parts.rectified), 0) as rectified,
        coalesce(sum(parts.halted), 0) as halted,
        coalesce(sum(parts.cases), 0) as cases,
        coalesce(sum(parts.detentions), 0) as detentions,
        coalesce(sum(parts.fines_wan), 0) as fines_wan
    from parts
    join town_codes on town_codes.town = parts.town
    group by town_codes.town_code, parts.date
)

select
    cast(null as integer) as row_number,
    date,
    town_code,
    cast(inspections as bigint) as inspections,
    cast(hazards as bigint) as hazards,
    cast(major_hazards as bigint) as major_hazards,
    cast(rectified as bigint) as rectified,
    cast(halted as bigint) as halted,
    cast(cases as bigint) as cases,
    cast(detentions as bigint) as detentions,
    cast(fines_wan as double) as fines_wan
from by_town
order by date, town_code
