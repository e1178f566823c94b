-- Rules every record table shares — its id, its town, its day — broken by records of the
-- table behind the view record_common: one row per broken rule per record.
with id_missing as (
    select 'id_missing' as rule, source_row, id_column as "column", id_label || '不能为空' as message
    from record_common
    where id is null
),

town_unknown as (
    select 'town_unknown' as rule, record_common.source_row, 'town' as "column", town_problems.message
    from record_common
    join town_problems on town_problems.town = record_common.town
),

town_missing as (
    select 'town_missing' as rule, source_row, 'town' as "column", '镇街不能为空' as message
    from record_common
    where town is null
),

day_unreadable as (
    select
        day_rule || '_unreadable' as rule, source_row, day_column as "column",
        case
            when day_given is null then day_label || '不能为空'
            else '无法识别的日期“' || day_given || '”：请写成 2023-06-01'
        end as message
    from record_common
    where day is null
),

day_future as (
    select day_rule || '_future' as rule, source_row, day_column as "column",
        day_label || ' ' || day || ' 晚于今天，不能导入未来的数据' as message
    from record_common
    where day > getvariable('today')
),

day_before_start as (
    select day_rule || '_before_start' as rule, source_row, day_column as "column",
        day_label || ' ' || day || ' 早于活动开始日期 ' || getvariable('campaign_start') as message
    from record_common
    where day < getvariable('campaign_start')
)

select * from id_missing
union all select * from town_unknown
union all select * from town_missing
union all select * from day_unreadable
union all select * from day_future
union all select * from day_before_start
