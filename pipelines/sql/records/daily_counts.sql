-- Daily town counts of the daily-report form (SPEC 3.1) from the record tables (SPEC 3.2):
-- the spelled counts matched to town codes. A town written one way in the records passes
-- straight through; only the counts of a town written several ways are added up. (The log
-- orders the rows when it appends them.)
with spellings as (
    select town, town_code, count(*) over (partition by town_code) as ways
    from town_codes
    where town in (select town from spelled_counts)
),

matched as (
    select
        spellings.town_code,
        spellings.ways,
        spelled.date,
        coalesce(spelled.inspections, 0) as inspections,
        coalesce(spelled.hazards, 0) as hazards,
        coalesce(spelled.major_hazards, 0) as major_hazards,
        coalesce(spelled.rectified, 0) as rectified,
        coalesce(spelled.halted, 0) as halted,
        coalesce(spelled.cases, 0) as cases,
        coalesce(spelled.detentions, 0) as detentions,
        coalesce(spelled.fines_wan, 0) as fines_wan
    from spelled_counts as spelled
    join spellings on spellings.town = spelled.town
),

written_once as (
    select * exclude (ways)
    from matched
    where ways = 1
),

written_several_ways as (
    select
        town_code,
        date,
        sum(inspections) as inspections,
        sum(hazards) as hazards,
        sum(major_hazards) as major_hazards,
        sum(rectified) as rectified,
        sum(halted) as halted,
        sum(cases) as cases,
        sum(detentions) as detentions,
        sum(fines_wan) as fines_wan
    from matched
    where ways > 1
    group by town_code, date
),

by_town as (
    select * from written_once
    union all by name
    select * from written_several_ways
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
