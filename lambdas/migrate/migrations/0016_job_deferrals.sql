-- A job deferred for lack of AI budget (common.job_store.defer_job) started an attempt that did no
-- work: it is counted here, so the sweeper's "attempts left" (attempts - deferrals against the
-- queue's maxReceiveCount) is not used up by days spent waiting for budget. `attempts` itself stays
-- the attempt's fencing token and only grows.
-- A constant default: PostgreSQL adds the column without rewriting the table.
ALTER TABLE jobs ADD COLUMN deferrals integer NOT NULL DEFAULT 0 CONSTRAINT jobs_deferrals_not_negative CHECK (deferrals >= 0);
