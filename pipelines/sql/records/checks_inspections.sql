-- Inspection records that cannot be counted: one row per broken rule per record.
with id_missing as (
    select 'id_missing' as rule, source_row, 'inspection_id' as "column", '检查编号不能为空' as message
    from inspections_rows
    where inspection_id is null
),

town_unknown as (
    select 'town_unknown' as rule, inspections_rows.source_row, 'town' as "column", town_problems.message
    from inspections_rows
    join town_problems on town_problems.town = inspections_rows.town
),

town_missing as (
    select 'town_missing' as rule, source_row, 'town' as "column", '镇街不能为空' as message
    from inspections_rows
    where town is null
),

date_unreadable as (
    select
        'date_unreadable' as rule, source_row, 'date' as "column",
        case
            when date_given is null then '日期不能为空'
            else '无法识别的日期“' || date_given || '”：请写成 2023-06-01'
        end as message
    from inspections_rows
    where date is null
),

date_future as (
    select 'date_future' as rule, source_row, 'date' as "column",
        '日期 ' || date || ' 晚于今天，不能导入未来的数据' as message
    from inspections_rows
    where date > getvariable('today')
),

date_before_start as (
    select 'date_before_start' as rule, source_row, 'date' as "column",
        '日期 ' || date || ' 早于活动开始日期 ' || getvariable('campaign_start') as message
    from inspections_rows
    where date < getvariable('campaign_start')
)

select * from id_missing
union all select * from town_unknown
union all select * from town_missing
union all select * from date_unreadable
union all select * from date_future
union all select * from date_before_start
