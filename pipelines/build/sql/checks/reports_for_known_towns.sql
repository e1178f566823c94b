-- Reports in the log for a town that is not in towns.csv.
select reports.town_code, count(*) as reports
from current_reports as reports
left join towns_source on towns_source.code = reports.town_code
where towns_source.code is null
group by reports.town_code
