-- Completion webhooks (lambdas/webhooks): one delivery per event and endpoint,
-- and every attempt at it, recorded on the job.
--
-- `message_id` is the Standard Webhooks `webhook-id`: the same on every retry
-- of one event (receivers deduplicate on it). The payload is stored with the
-- first attempt, so every retry signs and sends the same body.
CREATE TABLE webhook_deliveries (
    message_id   text NOT NULL,
    endpoint     text NOT NULL,
    job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    event_type   text NOT NULL CHECK (event_type IN ('job.succeeded', 'job.failed')),
    payload      jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    PRIMARY KEY (message_id, endpoint)
);
CREATE INDEX webhook_deliveries_job_idx ON webhook_deliveries (job_id);

CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  text NOT NULL,
    endpoint    text NOT NULL,
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt     integer NOT NULL CHECK (attempt >= 1),
    status_code integer,
    error       text,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (message_id, endpoint) REFERENCES webhook_deliveries (message_id, endpoint) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_job_idx ON webhook_attempts (job_id, id);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (message_id, endpoint);

-- The notifier's login role (stacks/db_roles.py names it), created as 0009 creates the others.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'huntaze_webhooks') THEN
        BEGIN
            CREATE ROLE huntaze_webhooks LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO huntaze_webhooks;
    END IF;
END
$$;

-- The notifier reads the finished job, keeps each delivery and appends its attempts; nothing else.
GRANT SELECT ON jobs TO huntaze_webhooks;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO huntaze_webhooks;
GRANT SELECT, INSERT ON webhook_attempts TO huntaze_webhooks;
GRANT USAGE ON SEQUENCE webhook_attempts_id_seq TO huntaze_webhooks;

-- The router shows a job's deliveries (GET /v1/jobs/{id}); ops reads them for an operator.
GRANT SELECT ON webhook_deliveries, webhook_attempts TO huntaze_router, huntaze_ops;
