-- Every distinct spelling of a town in the three tables, to be matched against towns.csv.
select distinct town
from spelled_towns
where town is not null
