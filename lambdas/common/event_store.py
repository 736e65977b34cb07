"""Writing events to content_events: one statement per batch, duplicates skipped by the unique (account, event id)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from common.events import Event

if TYPE_CHECKING:
    import psycopg

# One multi-row statement: the batch travels as one JSON array of rows, which
# the server turns into a record set (the JSON text is built in C by the json
# module; psycopg's array dumpers build six arrays in Python, three times
# slower per batch). A row whose (account_id, event_id) is already stored, by
# an earlier batch or a concurrent one, is skipped; RETURNING names the rows written.
_INSERT = """
INSERT INTO content_events (event_id, account_id, content_id, event_type, value, occurred_at)
SELECT e.i, e.a, e.c, e.t, e.v, e.o
FROM json_to_recordset(%s::json) AS e(i text, a text, c text, t text, v numeric, o timestamptz)
ON CONFLICT (account_id, event_id) DO NOTHING
RETURNING account_id, event_id
"""

# The rows carry the transaction's start (ingested_at = now()) but become visible
# at its commit. The rollups' watermark waits for open transactions only of roles
# it may see in pg_stat_activity, and the router's role is not its own: so the
# batch is one short transaction, kept well inside the rollups' settle time
# (cron.ingest_settle_seconds, 60 s by default), and a slower one is cancelled
# (a 503; the client resends, nothing is counted twice).
_SHORT_TIMEOUT = "SET LOCAL statement_timeout = '10s'"


def insert_events(conn: psycopg.Connection, events: Sequence[Event]) -> set[tuple[str, str]]:
    """The (account id, event id) of the events written; the others were stored before.

    The events' keys must be distinct (a batch's own repeats are the caller's to drop).
    """
    if not events:
        return set()
    rows = json.dumps(
        [
            {
                "i": e.event_id,
                "a": e.account_id,
                "c": e.content_id,
                "t": e.event_type,
                "v": str(e.value),
                "o": e.occurred_at.isoformat(),
            }
            for e in events
        ],
        separators=(",", ":"),
    )
    from psycopg.rows import tuple_row

    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(_SHORT_TIMEOUT)
        cur.execute(_INSERT, (rows,))
        return {(row[0], row[1]) for row in cur.fetchall()}
