-- Router spend guard: reserve before the model call, settle after it.
-- Per UTC day and budget scope ('global', 'caller:<sub>'): the tokens held by
-- requests in flight (`reserved`, each its maximum cost) and those settled
-- (`spent`). A reservation is taken only if reserved + spent stays within the
-- scope's limit, in one conditional upsert, so concurrent requests cannot
-- overshoot it together.
CREATE TABLE ai_spend (
    day        date NOT NULL,
    scope      text NOT NULL,
    reserved   bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    spent      bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, scope)
);

-- One row per reservation not yet settled. Settling deletes it in the same
-- transaction that moves its amount from reserved to spent, so a retried settle
-- is applied once; it is charged to the day it was reserved in.
CREATE TABLE ai_spend_reservations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    day        date NOT NULL,
    scopes     text[] NOT NULL,
    amount     bigint NOT NULL CHECK (amount >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What was already spent counts against the global budget from the first request on.
INSERT INTO ai_spend (day, scope, spent)
SELECT day, 'global', sum(prompt_tokens + completion_tokens) FROM ai_usage_daily GROUP BY day;
