-- The daily counts of the town-days an import changed (count_changes) from their current figures
-- (standing, from current_figures.sql): a batch's count with the changes added, which is what
-- counting every record of the town-day again gives, without reading them. `counted_before` is
-- null where that cannot be done (the figure is a report's, or there is none, or a count would
-- fall below 0): the caller then counts the records.
select
    cast(null as integer) as row_number,
    changed.date,
    changed.town_code,
    coalesce(standing.inspections, 0) + changed.inspections as inspections,
    coalesce(standing.hazards, 0) + changed.hazards as hazards,
    coalesce(standing.major_hazards, 0) + changed.major_hazards as major_hazards,
    coalesce(standing.rectified, 0) + changed.rectified as rectified,
    coalesce(standing.halted, 0) + changed.halted as halted,
    coalesce(standing.cases, 0) + changed.cases as cases,
    coalesce(standing.detentions, 0) + changed.detentions as detentions,
    cast(cast(coalesce(standing.fines_wan, 0) as decimal(18, 6)) + changed.fines_wan as double) as fines_wan,
    case
        when standing.reported is distinct from false then null
        when least(
            standing.inspections + changed.inspections, standing.hazards + changed.hazards,
            standing.major_hazards + changed.major_hazards, standing.rectified + changed.rectified,
            standing.halted + changed.halted, standing.cases + changed.cases,
            standing.detentions + changed.detentions
        ) < 0 or cast(standing.fines_wan as decimal(18, 6)) + changed.fines_wan < 0 then null
        else true
    end as counted_before
from count_changes as changed
left join standing on standing.town_code = changed.town_code and cast(standing.date as date) = changed.date
order by changed.date, changed.town_code
