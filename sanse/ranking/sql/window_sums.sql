-- The window sums behind each day's ranking (the window of the rules in force that day):
-- they are the count columns of the rankings, so they are read from there, not stored twice.
select
    "window", date, "group", code as town_code, town, not_reported,
    {counts}
from rankings
