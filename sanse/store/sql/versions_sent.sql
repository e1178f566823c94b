-- The report versions of one day of some towns, oldest first: when, by whom and from which file
-- each was sent; one written by a batch of records (before revision 0010) names that batch.
select
    versions.town_code,
    submissions.submitted_at as sent_at,
    submissions.submitted_by as sent_by,
    submissions.source_name,
    batches.seq as batch_seq
from report_versions as versions
join submissions on submissions.seq = versions.submission_seq
left join record_batches as batches on batches.submission_seq = submissions.seq
where versions.date = :day and versions.town_code in :towns
order by versions.seq
