-- Daily town counts of the daily-report form (design §3.1) from records (design §3.2): one row per
-- town and day that any record of current_inspections, current_hazards or current_enforcement
-- counts on (the records being counted, with their town codes). A hazard counts on the day it
-- was found and, once rectified, on the day it was rectified.
with inspected as (
    select town_code, date, count(*) as inspections
    from current_inspections
    group by town_code, date
),

found as (
    select
        town_code,
        found_date as date,
        count(*) as hazards,
        count(*) filter (where level = '重大') as major_hazards
    from current_hazards
    group by town_code, found_date
),

-- grouped apart from `found`: reading the hazards twice costs less than one row per day of each
rectified as (
    select town_code, rectified_date as date, count(*) as rectified
    from current_hazards
    where rectified_date is not null
    group by town_code, rectified_date
),

acted as (
    select
        town_code,
        date,
        count(*) filter (where kind = '停产停业') as halted,
        count(*) filter (where kind = '立案') as cases,
        sum(persons) filter (where kind = '拘留') as detentions,
        sum(amount_wan) filter (where kind = '罚款') as fines_wan
    from current_enforcement
    group by town_code, date
),

town_days as (
    select *
    from inspected
    full join found using (town_code, date)
    full join rectified using (town_code, date)
    full join acted using (town_code, date)
)

select
    date,
    town_code,
    cast(coalesce(inspections, 0) as bigint) as inspections,
    cast(coalesce(hazards, 0) as bigint) as hazards,
    cast(coalesce(major_hazards, 0) as bigint) as major_hazards,
    cast(coalesce(rectified, 0) as bigint) as rectified,
    cast(coalesce(halted, 0) as bigint) as halted,
    cast(coalesce(cases, 0) as bigint) as cases,
    cast(coalesce(detentions, 0) as bigint) as detentions,
    cast(coalesce(fines_wan, 0) as double) as fines_wan
from town_days
