-- Enforcement records that cannot be counted: one row per broken rule per record.
with id_missing as (
    select 'id_missing' as rule, source_row, 'action_id' as "column", '执法编号不能为空' as message
    from enforcement_rows
    where action_id is null
),

town_unknown as (
    select 'town_unknown' as rule, enforcement_rows.source_row, 'town' as "column", town_problems.message
    from enforcement_rows
    join town_problems on town_problems.town = enforcement_rows.town
),

town_missing as (
    select 'town_missing' as rule, source_row, 'town' as "column", '镇街不能为空' as message
    from enforcement_rows
    where town is null
),

date_unreadable as (
    select
        'date_unreadable' as rule, source_row, 'date' as "column",
        case
            when date_given is null then '日期不能为空'
            else '无法识别的日期“' || date_given || '”：请写成 2023-06-01'
        end as message
    from enforcement_rows
    where date is null
),

date_future as (
    select 'date_future' as rule, source_row, 'date' as "column",
        '日期 ' || date || ' 晚于今天，不能导入未来的数据' as message
    from enforcement_rows
    where date > getvariable('today')
),

date_before_start as (
    select 'date_before_start' as rule, source_row, 'date' as "column",
        '日期 ' || date || ' 早于活动开始日期 ' || getvariable('campaign_start') as message
    from enforcement_rows
    where date < getvariable('campaign_start')
),

kind_unknown as (
    select 'kind_unknown' as rule, source_row, 'kind' as "column",
        case
            when kind is null then '执法类型不能为空：应为 停产停业、立案、拘留 或 罚款'
            else '执法类型应为 停产停业、立案、拘留 或 罚款，而不是“' || kind || '”'
        end as message
    from enforcement_rows
    where kind is null or kind not in ('停产停业', '立案', '拘留', '罚款')
),

persons_unreadable as (
    select 'persons_unreadable' as rule, source_row, 'persons' as "column",
        case
            when persons_given is null then '拘留记录必须填写人数'
            when persons is null then '“' || persons_given || '”不是数字'
            when persons < 0 then '人数不能为负数（' || persons_given || '）'
            else '人数应为整数（' || persons_given || '）'
        end as message
    from enforcement_rows
    where (kind = '拘留' and persons_given is null)
        or (persons_given is not null and persons is null)
        or persons < 0
        or persons <> floor(persons)
),

amount_unreadable as (
    select 'amount_unreadable' as rule, source_row, 'amount_wan' as "column",
        case
            when amount_given is null then '罚款记录必须填写金额（万元）'
            when amount_wan is null then '“' || amount_given || '”不是数字'
            else '金额不能为负数（' || amount_given || '）'
        end as message
    from enforcement_rows
    where (kind = '罚款' and amount_given is null)
        or (amount_given is not null and amount_wan is null)
        or amount_wan < 0
)

select * from id_missing
union all select * from town_unknown
union all select * from town_missing
union all select * from date_unreadable
union all select * from date_future
union all select * from date_before_start
union all select * from kind_unknown
union all select * from persons_unreadable
union all select * from amount_unreadable
