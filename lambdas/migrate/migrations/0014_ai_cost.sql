-- Azure AI spend in dollars (issue 23): every model call's cost, budgets in money.
--
-- ai_spend and ai_spend_reservations held tokens; from here on their amounts are
-- micro-dollars (1e-6 USD), priced by lambdas/common/ai_prices.json. Token
-- amounts cannot be turned into money per scope after the fact, so the token
-- ledger is dropped: reservations in flight are forgotten (their settle finds
-- nothing and changes nothing) and each day starts again from zero, once, at
-- this deploy. ai_usage_daily keeps the tokens of the past.
DELETE FROM ai_spend_reservations;
DELETE FROM ai_spend;
COMMENT ON COLUMN ai_spend.reserved IS 'micro-USD held by calls in flight (each its worst case)';
COMMENT ON COLUMN ai_spend.spent IS 'micro-USD settled from the usage Azure reported';
COMMENT ON COLUMN ai_spend_reservations.amount IS 'micro-USD: the worst case of the call';

-- One row per model call that Azure answered: who asked, for what, on which
-- model, what Azure reported it used and what that cost. Reasoning tokens are
-- billed as output (cost_micro_usd counts them once, see common.ai_prices).
CREATE TABLE ai_calls (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT now(),
    -- The UTC day the call's reservation was taken in: the budget it counts against.
    day               date NOT NULL,
    caller            text NOT NULL CHECK (caller <> ''),
    task              text NOT NULL CHECK (task IN ('ai_route', 'video', 'trends')),
    model             text NOT NULL,
    prompt_tokens     integer NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
    reasoning_tokens  integer NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0),
    images            integer NOT NULL DEFAULT 0 CHECK (images >= 0),
    cost_micro_usd    bigint NOT NULL CHECK (cost_micro_usd >= 0),
    job_id            uuid REFERENCES jobs (id) ON DELETE SET NULL
);
-- GET /v1/usage: a caller's days of a month; the alert: the month's total.
CREATE INDEX ai_calls_caller_day_idx ON ai_calls (caller, day);
CREATE INDEX ai_calls_day_idx ON ai_calls (day);
CREATE INDEX ai_calls_job_idx ON ai_calls (job_id) WHERE job_id IS NOT NULL;

-- A job whose model call was over the day's budget waits for the next UTC day:
-- queued, not started before not_before (common.lifecycle defers it; the
-- sweeper sends it again once the time has come).
ALTER TABLE jobs ADD COLUMN not_before timestamptz;
ALTER TABLE jobs ADD CONSTRAINT jobs_not_before_only_while_queued CHECK (status = 'queued' OR not_before IS NULL);

-- Every function that calls a model reserves, settles and records its calls.
GRANT SELECT, INSERT ON ai_calls TO huntaze_router, huntaze_video, huntaze_trends;
GRANT USAGE ON SEQUENCE ai_calls_id_seq TO huntaze_router, huntaze_video, huntaze_trends;
GRANT SELECT, INSERT, UPDATE ON ai_spend, ai_usage_daily TO huntaze_video, huntaze_trends;
GRANT SELECT, INSERT, DELETE ON ai_spend_reservations TO huntaze_video, huntaze_trends;
-- alerts: the month's AI spend against the monthly AI budget.
GRANT SELECT ON ai_calls TO huntaze_alerts;
