-- POST /v1/events: the client's event id, so a retried batch is counted once,
-- and the router's grants to write events and read what the workers produce.
--
-- The id is unique per account, not globally: each account's app mints its own
-- ids, so two accounts may use the same one, and a caller cannot learn by a
-- "duplicate" answer which ids another account has sent. Rows written before
-- this column existed keep NULL (never equal to each other in a unique index).
ALTER TABLE content_events ADD COLUMN event_id text;
CREATE UNIQUE INDEX content_events_account_event_key ON content_events (account_id, event_id);

-- router: inserts events (ON CONFLICT DO NOTHING ... RETURNING reads back the key
-- of the rows it wrote, nothing else), reads trend snapshots and the rollups.
GRANT INSERT ON content_events TO huntaze_router;
GRANT SELECT (account_id, event_id) ON content_events TO huntaze_router;
GRANT USAGE ON SEQUENCE content_events_id_seq TO huntaze_router;
GRANT SELECT ON trend_snapshots, content_rollups_hourly, content_rollups_daily TO huntaze_router;

-- data: the rollups hold their watermark back to the start of the oldest open
-- transaction (cron/rollups.py), which pg_stat_activity shows only for the
-- reader's own role's sessions unless it may read all statistics. The events are
-- now written by the router's role, so the data role needs to see its sessions.
-- Granting a predefined role needs its ADMIN OPTION (the RDS master user has it
-- through rds_superuser); a cluster where the migrating user lacks it says so
-- loudly rather than failing the deployment.
DO $$
BEGIN
    GRANT pg_read_all_stats TO huntaze_data;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'could not grant pg_read_all_stats to huntaze_data: the rollups may pass an open '
                  'router transaction''s events; grant it by hand';
END
$$;
