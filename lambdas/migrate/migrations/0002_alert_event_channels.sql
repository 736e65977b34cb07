-- Alert notifications are sent per channel; a retried evaluation run must
-- send only the channels that did not succeed the first time (an email must
-- not go out twice because Slack was down).
ALTER TABLE alert_events
    ADD COLUMN notified_channels text[] NOT NULL DEFAULT ARRAY[]::text[]
        CHECK (notified_channels <@ ARRAY['email', 'slack']::text[]),
    ADD COLUMN channel_errors jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(channel_errors) = 'object');
