-- Hazard records that cannot be counted: one row per broken rule per record.
with id_missing as (
    select 'id_missing' as rule, source_row, 'hazard_id' as "column", '隐患编号不能为空' as message
    from hazards_rows
    where hazard_id is null
),

town_unknown as (
    select 'town_unknown' as rule, hazards_rows.source_row, 'town' as "column", town_problems.message
    from hazards_rows
    join town_problems on town_problems.town = hazards_rows.town
),

town_missing as (
    select 'town_missing' as rule, source_row, 'town' as "column", '镇街不能为空' as message
    from hazards_rows
    where town is null
),

found_unreadable as (
    select
        'found_unreadable' as rule, source_row, 'found_date' as "column",
        case
            when found_date_given is null then '发现日期不能为空'
            else '无法识别的日期“' || found_date_given || '”：请写成 2023-06-01'
        end as message
    from hazards_rows
    where found_date is null
),

found_future as (
    select 'found_future' as rule, source_row, 'found_date' as "column",
        '发现日期 ' || found_date || ' 晚于今天，不能导入未来的数据' as message
    from hazards_rows
    where found_date > getvariable('today')
),

found_before_start as (
    select 'found_before_start' as rule, source_row, 'found_date' as "column",
        '发现日期 ' || found_date || ' 早于活动开始日期 ' || getvariable('campaign_start') as message
    from hazards_rows
    where found_date < getvariable('campaign_start')
),

level_unknown as (
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

select * from id_missing
union all select * from town_unknown
union all select * from town_missing
union all select * from found_unreadable
union all select * from found_future
union all select * from found_before_start
union all select * from level_unknown
union all select * from rectified_unreadable
union all select * from rectified_future
union all select * from rectified_before_found
