-- The job sweeper's login role (stacks/db_roles.py names it): it reads jobs,
-- moves stale ones (queued -> queued touched, running -> queued or failed) and
-- writes their history. Nothing else: it never creates or deletes a job.
-- Created the way 0009 creates the others (roles are per cluster; a concurrent
-- test database may have made it already).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'huntaze_sweeper') THEN
        BEGIN
            CREATE ROLE huntaze_sweeper LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO huntaze_sweeper;
    END IF;
END
$$;

-- (UPDATE also covers the SELECT ... FOR UPDATE SKIP LOCKED of a claim.)
GRANT SELECT, UPDATE ON jobs TO huntaze_sweeper;
GRANT SELECT, INSERT ON job_events TO huntaze_sweeper;
GRANT USAGE ON SEQUENCE job_events_id_seq TO huntaze_sweeper;

-- ops: the audit counts each job's video analyses (a job with two has a double effect).
GRANT SELECT ON video_analyses TO huntaze_ops;
