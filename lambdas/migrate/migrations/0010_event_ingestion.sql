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
