-- The towns that take part in the ranking, with their peer group ('' = the whole city).
with source as (
    select * from towns_source
),

renamed as (
    select
        cast(code as varchar) as town_code,
        cast(name as varchar) as town,
        cast(kind as varchar) as kind,
        coalesce(cast("group" as varchar), '') as "group"
    from source
    where active
)

select * from renamed
