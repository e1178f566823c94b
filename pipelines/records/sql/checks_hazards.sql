-- Hazard records that break a rule of their own (level, rectification): one row per
-- broken rule per record. The shared rules are in checks_common.sql.
with level_unknown as (
    select 'level_unknown' as rule, source_row, 'level' as "column",
        case
            when level is null then '隐患等级不能为空：应为“一般”或“重大”'
            else '隐患等级应为“一般”或“重大”，而不是“' || level || '”'
        end as message
    from hazards_rows
    where level is null or level not in ('一般', '重大')
),

rectified_unreadable as (
    select 'rectified_unreadable' as rule, source_row, 'rectified_date' as "column",
        '无法识别的整改日期“' || rectified_date_given || '”：请写成 2023-06-01，未整改请留空' as message
    from hazards_rows
    where rectified_date is null and rectified_date_given is not null
),

rectified_future as (
    select 'rectified_future' as rule, source_row, 'rectified_date' as "column",
        '整改日期 ' || rectified_date || ' 晚于今天' as message
    from hazards_rows
    where rectified_date > getvariable('today')
),

rectified_before_found as (
    select 'rectified_before_found' as rule, source_row, 'rectified_date' as "column",
        '整改日期 ' || rectified_date || ' 早于发现日期 ' || found_date as message
    from hazards_rows
    where rectified_date < found_date
)

select * from level_unknown
union all select * from rectified_unreadable
union all select * from rectified_future
union all select * from rectified_before_found
