-- A full build carries nothing over: the same columns as cumulative_before.sql, no rows.
select
    cast(null as varchar) as town_code,
    cast(0 as bigint) as inspections,
    cast(0 as bigint) as hazards,
    cast(0 as bigint) as major_hazards,
    cast(0 as bigint) as rectified,
    cast(0 as bigint) as halted,
    cast(0 as bigint) as cases,
    cast(0 as bigint) as detentions,
    cast(0 as decimal(18, 6)) as fines_wan
where false
