-- GET /v1/jobs: a caller's jobs, newest first, a page at a time (keyset on
-- (created_at, id), router/job_queries.py). Led by the owner, so a page reads
-- only that caller's index entries however many jobs the table holds; the
-- status variant serves "my failed jobs" without walking every job the caller
-- has. A task filter rides on either (four tasks: rarely selective enough to
-- pay for a third index on a table every worker updates). Jobs no caller owns
-- (owner NULL) never appear in a listing, so they are left out of both.
-- Keyed by md5(owner), not owner: a JWT `sub` may be longer than a btree
-- entry can hold (about 2.7 kB), and such a caller must still create jobs; the
-- query compares the owner itself too.
CREATE INDEX jobs_owner_created_idx ON jobs (md5(owner), created_at DESC, id DESC) WHERE owner IS NOT NULL;
CREATE INDEX jobs_owner_status_created_idx ON jobs (md5(owner), status, created_at DESC, id DESC)
    WHERE owner IS NOT NULL;

-- GET /v1/jobs/{id} answers the worker's full result: the video analysis
-- (features, analysis) and the trend snapshot the job produced.
GRANT SELECT ON video_analyses, trend_snapshots TO huntaze_router;
