-- The daily counts of SPEC 3.2 per town as spelled in the records (name, code or alias) and
-- day; one scan of each table. Spellings are matched to towns.csv afterwards, on this small
-- result, not on every record.
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
        count(*) as actions,
        count(*) filter (where kind = '停产停业') as halted,
        count(*) filter (where kind = '立案') as cases,
        sum(persons) filter (where kind = '拘留') as detentions,
        sum(amount_wan) filter (where kind = '罚款') as fines_wan
    from enforcement_rows
    group by town, date
)

select *
from inspected
full join found using (town, date)
full join rectified using (town, date)
full join acted using (town, date)
