-- Record ids used more than once in one table (record_ids: that table's id column).
with counted as (
    select id, count(*) as times
    from record_ids
    where id is not null
    group by id
    having count(*) > 1
)

select
    'id_duplicate' as rule,
    record_ids.source_row,
    record_ids.id_column as "column",
    '编号 ' || record_ids.id || ' 重复出现（共 ' || counted.times || ' 次）' as message
from record_ids
join counted on counted.id = record_ids.id
