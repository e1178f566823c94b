-- The current figure of every town and date: the latest version in the submission log.
-- Most town-days were sent once and are taken as they are; only those sent again are sorted
-- by when, which spares a sort of the whole log.
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
),

keys_sent_again as (
    select town_code, date
    from versions
    group by town_code, date
    having count(*) > 1
),

sent_once as (
    select *
    from versions
    anti join keys_sent_again using (town_code, date)
),

latest_of_several as (
    select *
    from versions
    semi join keys_sent_again using (town_code, date)
    qualify row_number() over (
        partition by town_code, date
        order by submitted_at desc, submission_id desc
    ) = 1
)

select * from sent_once
union all
select * from latest_of_several
