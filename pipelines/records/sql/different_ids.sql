-- How many ids one table has (record_ids) and how many of them are different: each id sets
-- its bit in a bitmap over the range [?, ?], so one pass over the id column and no hash table.
select
    count(id) as ids,
    coalesce(bit_count(bitstring_agg(id, ?, ?)), 0) as different
from record_ids
