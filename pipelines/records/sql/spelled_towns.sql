-- How many records each table has under each spelling of a town (name, code or alias): the
-- spellings are matched to towns.csv on this small result, not on every record.
select 'inspections' as record_table, town, count(*) as records
from inspections_rows
group by town

union all

select 'hazards' as record_table, town, count(*) as records
from hazards_rows
group by town

union all

select 'enforcement' as record_table, town, count(*) as records
from enforcement_rows
group by town
