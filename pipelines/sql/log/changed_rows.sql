-- The rows of a new submission that differ from the current figure of their town and date
-- (or have none yet): only these are appended, so importing the same data twice writes nothing.
with incoming as (
    select
        row_number,
        cast(date as date) as date,
        cast(town_code as varchar) as town_code,
        inspections, hazards, major_hazards, rectified, halted, cases, detentions, fines_wan
    from new_rows
),

compared as (
    select
        incoming.*,
        current.town_code is not null as corrected
    from incoming
    left join current_reports as current
        on current.town_code = incoming.town_code
        and current.date = incoming.date
    where current.town_code is null
        or current.inspections <> incoming.inspections
        or current.hazards <> incoming.hazards
        or current.major_hazards <> incoming.major_hazards
        or current.rectified <> incoming.rectified
        or current.halted <> incoming.halted
        or current.cases <> incoming.cases
        or current.detentions <> incoming.detentions
        or abs(current.fines_wan - incoming.fines_wan) > 1e-9
)

select * from compared
order by row_number, date, town_code
