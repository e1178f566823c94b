-- Enforcement records that break a rule of their own (kind, persons, amount): one row
-- per broken rule per record. A record's persons or amount is held to a town-day's limit of
-- the report form (pipelines/report_values.py), so no sum of them leaves its column's range.
-- The shared rules are in checks_common.sql.
with kind_unknown as (
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
            when persons > getvariable('max_count') then
                '人数 ' || persons_given || ' 超过上限 ' || getvariable('max_count') || '：请核实'
            else '人数应为整数（' || persons_given || '）'
        end as message
    from enforcement_rows
    where (kind = '拘留' and persons_given is null)
        or (persons_given is not null and persons is null)
        or persons < 0
        or persons > getvariable('max_count')
        or persons <> floor(persons)
),

amount_unreadable as (
    select 'amount_unreadable' as rule, source_row, 'amount_wan' as "column",
        case
            when amount_given is null then '罚款记录必须填写金额（万元）'
            when amount_wan is null then '“' || amount_given || '”不是数字'
            when amount_wan > getvariable('max_fines_wan') then
                '金额 ' || amount_given || ' 万元超过上限 ' || getvariable('max_fines_wan') || ' 万元：请核实单位和数值'
            else '金额不能为负数（' || amount_given || '）'
        end as message
    from enforcement_rows
    where (kind = '罚款' and amount_given is null)
        or (amount_given is not null and amount_wan is null)
        or amount_wan < 0
        or amount_wan > getvariable('max_fines_wan')
)

select * from kind_unknown
union all select * from persons_unreadable
union all select * from amount_unreadable
