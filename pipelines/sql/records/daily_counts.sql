-- Daily town counts of the daily-report form (SPEC 3.1) from the record tables (SPEC 3.2):
-- the spelled counts matched to town codes; several spellings of one town add up.
with by_town as (
    select
        town_codes.town_code,
        spelled.date,
        coalesce(sum(spelled.inspections), 0) as inspections,
        coalesce(sum(spelled.hazards), 0) as hazards,
        coalesce(sum(spelled.major_hazards), 0) as major_hazards,
        coalesce(sum(spelled.rectified), 0) as rectified,
        coalesce(sum(spelled.halted), 0) as halted,
        coalesce(sum(spelled.cases), 0) as cases,
        coalesce(sum(spelled.detentions), 0) as detentions,
        coalesce(sum(spelled.fines_wan), 0) as fines_wan
    from spelled_counts as spelled
    join town_codes on town_codes.town = spelled.town
    group by town_codes.town_code, spelled.date
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
