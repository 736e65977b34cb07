-- The JWT subject (`sub`) of the API caller who created the job. The router
-- shows a job only to its owner (others get a 404, as for a job that does not
-- exist). NULL for jobs no caller created: scheduled runs and uploads that
-- reached S3 without going through the API; only an admin caller sees those.
-- No index: jobs are read by id (the primary key), and the owner is checked
-- on the row found.
ALTER TABLE jobs ADD COLUMN owner text;
