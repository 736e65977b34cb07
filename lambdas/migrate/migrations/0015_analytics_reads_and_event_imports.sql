-- GET /v1/analytics and the NDJSON bulk import of events (issue 22).
--
-- analytics_generations: one counter per account, bumped by the data rollup in
-- the statement that changes that account's rollup rows. The router caches an
-- analytics answer under the generation it read *before* reading the rollups,
-- so a cached answer is never older than its generation, and a rollup that
-- changes an account's buckets makes every earlier answer for it unreachable.
CREATE TABLE analytics_generations (
    account_id text PRIMARY KEY,
    generation bigint NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON analytics_generations TO huntaze_data;
GRANT SELECT ON analytics_generations TO huntaze_router;

-- The imports worker's jobs: one per uploaded events file, its report as the result.
ALTER TABLE jobs DROP CONSTRAINT jobs_task_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_task_check CHECK (task IN ('video', 'trends', 'data', 'alerts', 'imports'));

-- The imports worker's login role (stacks/db_roles.py names it), created as 0009 creates the others.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'huntaze_imports') THEN
        BEGIN
            CREATE ROLE huntaze_imports LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO huntaze_imports;
    END IF;
END
$$;

-- imports: its jobs and their history; inserts events exactly as the router does
-- (ON CONFLICT DO NOTHING ... RETURNING reads back the key of the rows it wrote).
GRANT SELECT, INSERT, UPDATE ON jobs TO huntaze_imports;
GRANT SELECT, INSERT ON job_events TO huntaze_imports;
GRANT USAGE ON SEQUENCE job_events_id_seq TO huntaze_imports;
GRANT INSERT ON content_events TO huntaze_imports;
GRANT SELECT (account_id, event_id) ON content_events TO huntaze_imports;
GRANT USAGE ON SEQUENCE content_events_id_seq TO huntaze_imports;

-- GET /v1/analytics reads one account's rows of a range: with the rows' numbers
-- in the index, that is an index-only scan of adjacent leaf pages instead of a
-- heap fetch per row scattered over the table (the account index it replaces
-- had only the key; every query it served is served by this one).
CREATE INDEX content_rollups_hourly_account_read_idx ON content_rollups_hourly (account_id, bucket_start)
    INCLUDE (event_type, content_id, event_count, value_sum);
DROP INDEX content_rollups_hourly_account_idx;
CREATE INDEX content_rollups_daily_account_read_idx ON content_rollups_daily (account_id, bucket_start)
    INCLUDE (event_type, content_id, event_count, value_sum);
DROP INDEX content_rollups_daily_account_idx;
