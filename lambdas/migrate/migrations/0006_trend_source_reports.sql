-- Trends growth is measured per source, only against a window where that
-- source answered: each snapshot records which sources answered and what each
-- gave (items, skipped rows and why), keyed by source name. Snapshots taken
-- before this column existed have '{}': no source answered in them as far as
-- growth knows, so the first window after the upgrade is a baseline.
ALTER TABLE trend_snapshots ADD COLUMN source_reports jsonb NOT NULL DEFAULT '{}'::jsonb;

-- A source that answered 429/503 with Retry-After is not fetched again
-- before then (by the next scheduled run or any other).
CREATE TABLE trend_source_state (
    source      text PRIMARY KEY,
    retry_after timestamptz NOT NULL,
    reason      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
