-- One login role per function, each granted only the tables and operations its
-- code uses. The functions log in with RDS IAM auth tokens (rds_iam); only the
-- migrate function keeps the master user, which owns every table, so no other
-- role can DROP or ALTER one. The names are DB_ROLES in stacks/db_roles.py, which
-- hands each function its own as DB_USER (a test keeps the two lists equal).
--
-- Roles belong to the cluster, not the database, and every test database runs
-- this file at once on one cluster: a role another run created meanwhile is
-- taken as it is. Tables added later need their GRANT in their own migration.

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY[
        'huntaze_router', 'huntaze_video', 'huntaze_trends', 'huntaze_data', 'huntaze_alerts', 'huntaze_ops'
    ] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
        -- On RDS only: this role then authenticates with IAM tokens, not a password.
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
            EXECUTE format('GRANT rds_iam TO %I', role_name);
        END IF;
    END LOOP;
END
$$;

-- Nobody but the owner creates objects (PostgreSQL 15+ already says so; older majors do not).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Every function runs jobs: the shared job table and its history.
-- (SELECT ... FOR UPDATE needs UPDATE; identity columns need their sequence.)
GRANT SELECT, INSERT, UPDATE ON jobs TO huntaze_router, huntaze_video, huntaze_trends, huntaze_data, huntaze_alerts;
GRANT SELECT, UPDATE ON jobs TO huntaze_ops;
GRANT SELECT, INSERT ON job_events
    TO huntaze_router, huntaze_video, huntaze_trends, huntaze_data, huntaze_alerts, huntaze_ops;
GRANT USAGE ON SEQUENCE job_events_id_seq
    TO huntaze_router, huntaze_video, huntaze_trends, huntaze_data, huntaze_alerts, huntaze_ops;

-- router: jobs it created but could not queue are deleted; the AI spend ledger.
GRANT DELETE ON jobs TO huntaze_router;
GRANT SELECT, INSERT, UPDATE ON ai_usage_daily TO huntaze_router;

-- video: its analyses.
GRANT SELECT, INSERT, UPDATE ON video_analyses TO huntaze_video;
GRANT USAGE ON SEQUENCE video_analyses_id_seq TO huntaze_video;

-- trends: its snapshots.
GRANT SELECT, INSERT, UPDATE ON trend_snapshots TO huntaze_trends;
GRANT USAGE ON SEQUENCE trend_snapshots_id_seq TO huntaze_trends;

-- data: reads the events, rewrites the rollups, moves its watermark.
GRANT SELECT ON content_events TO huntaze_data;
GRANT SELECT, INSERT, UPDATE, DELETE ON content_rollups_hourly, content_rollups_daily TO huntaze_data;
GRANT SELECT, INSERT, UPDATE ON rollup_watermarks TO huntaze_data;

-- alerts: reads its rules (locking one while it evaluates it: FOR NO KEY UPDATE
-- needs UPDATE on some column, so only updated_at), writes its events, reads the
-- hourly rollups it checks.
GRANT SELECT, UPDATE (updated_at) ON alert_rules TO huntaze_alerts;
GRANT SELECT, INSERT, UPDATE ON alert_events TO huntaze_alerts;
GRANT USAGE ON SEQUENCE alert_events_id_seq TO huntaze_alerts;
GRANT SELECT ON content_rollups_hourly TO huntaze_alerts;

-- trends: which sources asked to be left alone until when (Retry-After).
GRANT SELECT, INSERT, UPDATE ON trend_source_state TO huntaze_trends;

-- router: the AI spend reservations (reserve, settle, read the day's total).
GRANT SELECT, INSERT, UPDATE ON ai_spend TO huntaze_router;
GRANT SELECT, INSERT, DELETE ON ai_spend_reservations TO huntaze_router;

-- alerts: applies the shipped rules file (its rules are rows), keeps each rule's
-- state, reads silences, the data job's watermark, analyses and AI usage it judges.
GRANT INSERT, DELETE, UPDATE ON alert_rules TO huntaze_alerts;
GRANT USAGE ON SEQUENCE alert_rules_id_seq TO huntaze_alerts;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rule_states TO huntaze_alerts;
GRANT SELECT ON alert_silences, rollup_watermarks, video_analyses, ai_usage_daily TO huntaze_alerts;

-- router and ops: rule states and silences for operators.
GRANT SELECT ON alert_rules, alert_rule_states TO huntaze_router, huntaze_ops;
GRANT SELECT, INSERT, UPDATE ON alert_silences TO huntaze_router, huntaze_ops;
