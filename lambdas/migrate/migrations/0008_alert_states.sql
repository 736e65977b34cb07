-- Alerting a small team can rely on: per-rule state (ok/pending/firing/no_data/
-- error, with since-when and the last M breach results), notifications grouped
-- per channel, reminders on the wall clock, silences and maintenance windows.
-- Rules come from the versioned rules file (lambdas/cron/rules/), applied by
-- the alerts worker; these columns hold what that file says.
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_kind_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_kind_check
    CHECK (kind IN ('threshold', 'change', 'no_data', 'dlq_depth', 'failed_jobs', 'analyses', 'ai_spend'));
ALTER TABLE alert_rules RENAME COLUMN cooldown_seconds TO repeat_interval_seconds;
ALTER TABLE alert_rules ALTER COLUMN repeat_interval_seconds SET DEFAULT 14400;
ALTER TABLE alert_rules
    ADD COLUMN severity text NOT NULL DEFAULT 'warning' CHECK (severity IN ('critical', 'warning')),
    ADD COLUMN runbook text,
    -- Fires after breaching in `breaches` of the last `evaluations` evaluations.
    ADD COLUMN breaches integer NOT NULL DEFAULT 2 CHECK (breaches >= 1),
    ADD COLUMN evaluations integer NOT NULL DEFAULT 2 CHECK (evaluations <= 60),
    -- A firing rule whose condition cleared stays firing this long before RESOLVED.
    ADD COLUMN keep_firing_seconds integer NOT NULL DEFAULT 0 CHECK (keep_firing_seconds >= 0),
    ADD CONSTRAINT alert_rules_breaches_of_evaluations CHECK (breaches <= evaluations);

CREATE TABLE alert_rule_states (
    rule_id      bigint PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
    state        text NOT NULL CHECK (state IN ('ok', 'pending', 'firing', 'no_data', 'error')),
    since        timestamptz NOT NULL,
    -- Breach results of the last evaluations, oldest first (at most `evaluations`).
    recent       boolean[] NOT NULL DEFAULT ARRAY[]::boolean[],
    -- The end of the last complete rollup window evaluated: a run that finds the
    -- same window again does not count it twice.
    window_end   timestamptz,
    firing_since timestamptz,
    clear_since  timestamptz,
    -- Wall-clock time the current firing episode was last notified (FIRING or a reminder).
    notified_at  timestamptz,
    value        numeric,
    message      text NOT NULL DEFAULT '',
    evaluated_at timestamptz NOT NULL,
    last_job_id  uuid
);

ALTER TABLE alert_events DROP CONSTRAINT alert_events_state_check;
ALTER TABLE alert_events ADD CONSTRAINT alert_events_state_check
    CHECK (state IN ('firing', 'resolved', 'reminder', 'error'));
ALTER TABLE alert_events
    -- The channels the event must reach (empty: recorded under a silence).
    ADD COLUMN channels text[] NOT NULL DEFAULT ARRAY[]::text[] CHECK (channels <@ ARRAY['email', 'slack']::text[]),
    ADD COLUMN firing_since timestamptz;
-- Delivery picks, per channel, every event that still has to reach it.
CREATE INDEX alert_events_undelivered_idx ON alert_events (id)
    WHERE NOT (channels <@ notified_channels);

-- A silence mutes one rule's notifications (rule_name) or every rule's (NULL:
-- a maintenance window) from starts_at until ends_at. State is still tracked.
CREATE TABLE alert_silences (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_name  text,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    reason     text NOT NULL CHECK (reason <> ''),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_silences_ends_after_start CHECK (ends_at > starts_at)
);
CREATE INDEX alert_silences_ends_idx ON alert_silences (ends_at);
