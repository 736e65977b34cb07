-- Foreign keys whose referencing column leads no index. Deleting or purging a
-- job runs ON DELETE SET NULL on these tables; without an index led by
-- job_id each deleted job scans the whole table (and holds its locks while
-- doing so). alert_events' unique (rule_id, job_id) does not help: job_id is
-- its second column.
CREATE INDEX IF NOT EXISTS trend_snapshots_job_idx ON trend_snapshots (job_id);
CREATE INDEX IF NOT EXISTS alert_events_job_idx ON alert_events (job_id);
