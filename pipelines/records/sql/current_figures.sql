-- Each town-day's current figure: its current report (reports), else the count of the newest
-- batch that counted it (counts); a report's current figure is always newer than any count of
-- its town-day. `reported` says which it is; a count's seq is the newest report version when its
-- batch landed.
select
    town_code, cast(date as date) as date, seq,
    inspections, hazards, major_hazards, rectified, halted, cases, detentions, fines_wan,
    true as reported
from reports

union all

select
    town_code, date, after_version as seq,
    inspections, hazards, major_hazards, rectified, halted, cases, detentions, fines_wan,
    false as reported
from counts
where not exists (
    select 1 from reports
    where reports.town_code = counts.town_code and cast(reports.date as date) = counts.date
)
qualify row_number() over (partition by town_code, date order by batch_seq desc) = 1

order by date, town_code
