-- The current figure of every town and date: the latest version in the submission log.
with source as (
    select * from read_parquet(getvariable('log_files'))
),

versions as (
    select
        submission_id,
        submitted_at,
        submitted_by,
        source_name,
        cast(date as date) as date,
        town_code,
        inspections,
        hazards,
        major_hazards,
        rectified,
        halted,
        cases,
        detentions,
        fines_wan
    from source
)

select *
from versions
qualify row_number() over (
    partition by town_code, date
    order by submitted_at desc, submission_id desc
) = 1
