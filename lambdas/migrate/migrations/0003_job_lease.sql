-- A running job is leased to the attempt that started it until lease_until
-- (that function's remaining time plus a margin). A duplicate SQS delivery
-- arriving while the lease is live is acknowledged instead of running the job
-- a second time; once it has expired (the worker died) the redelivered
-- message may take the job over. Only a running job holds a lease.
ALTER TABLE jobs
    ADD COLUMN lease_until timestamptz,
    ADD CONSTRAINT jobs_lease_only_while_running CHECK (status = 'running' OR lease_until IS NULL);
