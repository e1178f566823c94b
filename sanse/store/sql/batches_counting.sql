-- The batches of records whose counts hold a day, oldest first: when, by whom and from which
-- file each was received, and the counts themselves (zstd Parquet of date, town_code, counts).
select
    batches.seq as batch_seq,
    batches.received_at as sent_at,
    batches.received_by as sent_by,
    batches.source_name,
    counts.content
from record_counts as counts
join record_batches as batches on batches.seq = counts.batch_seq
where counts.first_day <= :day and counts.last_day >= :day
order by counts.batch_seq
