-- The batches of records whose counts hold a day, oldest first: when, by whom and from which
-- file each was received (the counts themselves are read apart, once per batch and day).
select
    batches.seq as batch_seq,
    batches.received_at as sent_at,
    batches.received_by as sent_by,
    batches.source_name
from record_counts as counts
join record_batches as batches on batches.seq = counts.batch_seq
where counts.first_day <= :day and counts.last_day >= :day
order by counts.batch_seq
