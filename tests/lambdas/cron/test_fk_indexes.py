"""Every foreign key has an index led by its columns (migration 0004 and any later one)."""

from __future__ import annotations

# For each foreign key: is there an index whose leading columns are exactly
# the key's columns (in any order)? Without one, ON DELETE on the referenced
# row scans the referencing table.
_UNINDEXED_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS table_name, c.conname,
       array_agg(a.attname::text ORDER BY a.attname) AS columns
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
  AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
  )
GROUP BY 1, 2
ORDER BY 1, 2
"""


def test_every_foreign_key_is_led_by_an_index(db_conn):
    with db_conn.transaction():
        missing = db_conn.execute(_UNINDEXED_FOREIGN_KEYS).fetchall()
    assert missing == []


def test_the_job_foreign_keys_of_cron_tables_use_their_index(db_conn):
    with db_conn.transaction():
        indexed = {
            (r["tablename"], r["indexdef"].split("(", 1)[1].split(",")[0].rstrip(")"))
            for r in db_conn.execute(
                "SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN ('trend_snapshots', 'alert_events')"
            )
        }
    assert {("trend_snapshots", "job_id"), ("alert_events", "job_id")} <= indexed
