-- Initial schema. Applied by common/migrate.py inside one transaction.
-- Never edit this file once deployed: add 0002_<name>.sql instead (the
-- checksum recorded in schema_migrations makes an edit fail the deploy).

-- Jobs: one row per unit of async work; the API, workers and ops CLI share it.
CREATE TABLE jobs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task            text NOT NULL CHECK (task IN ('video', 'trends', 'data', 'alerts')),
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    payload         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
    -- Upload object key, "<task>:<scheduled time>", or a client key: a repeat
    -- returns the existing job instead of creating a second one.
    idempotency_key text UNIQUE,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error           text,
    error_reason    text,
    result          jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    CONSTRAINT jobs_finished_iff_terminal
        CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
);
-- Ops and the failed_jobs alert look jobs up by status over a time window.
CREATE INDEX jobs_status_updated_idx ON jobs (status, updated_at);
CREATE INDEX jobs_task_created_idx ON jobs (task, created_at DESC);

CREATE TABLE job_events (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id   uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    status   text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempt  integer NOT NULL DEFAULT 0,
    reason   text,
    detail   text,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job_idx ON job_events (job_id, id);

-- Video analyses: one per S3 object version, so a redelivered S3 event or a
-- retried job finds the existing row.
CREATE TABLE video_analyses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       uuid REFERENCES jobs (id) ON DELETE SET NULL,
    bucket       text NOT NULL,
    key          text NOT NULL,
    etag         text NOT NULL,
    size_bytes   bigint CHECK (size_bytes >= 0),
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
    features     jsonb,
    frames       jsonb,
    model        text,
    analysis     jsonb,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CONSTRAINT video_analyses_object_key UNIQUE (bucket, key, etag)
);
CREATE INDEX video_analyses_job_idx ON video_analyses (job_id);
CREATE INDEX video_analyses_created_idx ON video_analyses (created_at DESC);

-- Trend snapshots: one per scheduled window; growth is computed against the
-- previous windows (the unique index serves "latest before X" too).
CREATE TABLE trend_snapshots (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id        uuid REFERENCES jobs (id) ON DELETE SET NULL,
    window_start  timestamptz NOT NULL,
    items         jsonb NOT NULL DEFAULT '[]'::jsonb,
    growth        jsonb NOT NULL DEFAULT '{}'::jsonb,
    summary       text,
    model         text,
    source_errors jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT trend_snapshots_window_key UNIQUE (window_start)
);

-- Raw analytics events and their incremental rollups.
CREATE TABLE content_events (
    id          bigserial PRIMARY KEY,
    account_id  text NOT NULL,
    content_id  text NOT NULL,
    event_type  text NOT NULL,
    value       numeric NOT NULL DEFAULT 1,
    occurred_at timestamptz NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now()
);
-- The rollup job scans forward from its watermark (by id or by ingest time).
CREATE INDEX content_events_ingested_idx ON content_events (ingested_at, id);
CREATE INDEX content_events_occurred_idx ON content_events (occurred_at);

CREATE TABLE content_rollups_hourly (
    bucket_start timestamptz NOT NULL
                 CHECK (bucket_start = date_trunc('hour', bucket_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
    account_id   text NOT NULL,
    content_id   text NOT NULL,
    event_type   text NOT NULL,
    event_count  bigint NOT NULL DEFAULT 0 CHECK (event_count >= 0),
    value_sum    numeric NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket_start, account_id, content_id, event_type)
);
CREATE INDEX content_rollups_hourly_type_idx ON content_rollups_hourly (event_type, bucket_start);
CREATE INDEX content_rollups_hourly_account_idx ON content_rollups_hourly (account_id, bucket_start);

CREATE TABLE content_rollups_daily (
    bucket_start timestamptz NOT NULL
                 CHECK (bucket_start = date_trunc('day', bucket_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
    account_id   text NOT NULL,
    content_id   text NOT NULL,
    event_type   text NOT NULL,
    event_count  bigint NOT NULL DEFAULT 0 CHECK (event_count >= 0),
    value_sum    numeric NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket_start, account_id, content_id, event_type)
);
CREATE INDEX content_rollups_daily_type_idx ON content_rollups_daily (event_type, bucket_start);
CREATE INDEX content_rollups_daily_account_idx ON content_rollups_daily (account_id, bucket_start);

-- One row per incremental process: `value` is an id watermark, `value_at` a
-- time watermark; a process uses whichever suits its scan.
CREATE TABLE rollup_watermarks (
    name       text PRIMARY KEY,
    value      bigint NOT NULL DEFAULT 0,
    value_at   timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Alerting.
CREATE TABLE alert_rules (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    kind             text NOT NULL CHECK (kind IN ('threshold', 'change', 'no_data', 'dlq_depth', 'failed_jobs')),
    definition       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(definition) = 'object'),
    cooldown_seconds integer NOT NULL DEFAULT 3600 CHECK (cooldown_seconds >= 0),
    enabled          boolean NOT NULL DEFAULT true,
    channels         text[] NOT NULL DEFAULT ARRAY['email']::text[]
                     CHECK (channels <@ ARRAY['email', 'slack']::text[]),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id    bigint NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    -- The evaluation run that produced it: a retried run finds its own event
    -- instead of notifying twice.
    job_id     uuid REFERENCES jobs (id) ON DELETE SET NULL,
    state      text NOT NULL CHECK (state IN ('firing', 'resolved')),
    value      numeric,
    message    text NOT NULL DEFAULT '',
    notified   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_events_rule_job_key UNIQUE (rule_id, job_id)
);
CREATE INDEX alert_events_rule_created_idx ON alert_events (rule_id, created_at DESC);
-- "When did this rule last notify?" drives the cooldown.
CREATE INDEX alert_events_last_notified_idx ON alert_events (rule_id, created_at DESC) WHERE notified;

-- Router spend guard: tokens per model per UTC day.
CREATE TABLE ai_usage_daily (
    day               date NOT NULL,
    model             text NOT NULL,
    requests          bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
    prompt_tokens     bigint NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens bigint NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, model)
);
