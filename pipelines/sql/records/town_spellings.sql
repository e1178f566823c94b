-- Every distinct spelling of a town in the three tables, to be matched against towns.csv.
with spelled as (
    select town from inspections_rows
    union all
    select town from hazards_rows
    union all
    select town from enforcement_rows
)

select distinct town
from spelled
where town is not null
