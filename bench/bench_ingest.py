"""POST /v1/events through the router's handler into PostgreSQL: one multi-row statement per batch vs one INSERT per event.

    .venv/bin/python bench/bench_ingest.py                  # 3 batches of 1,000 events each way (make bench)
    .venv/bin/python bench/bench_ingest.py --batches 50     # the full run recorded in docs/performance/ingest.md

Both sides are the real handler (router.handler.lambda_handler) serving HTTP
API events with bodies of 1,000 events each: JSON decoding, the schema, the
event rules and the per-event answer are the same code. Only the write
differs: the router's `common.event_store.insert_events` (one `INSERT ...
SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING`) against a loop of
one `INSERT ... ON CONFLICT DO NOTHING RETURNING` per event, timed twice:
each INSERT its own transaction (the loop a handler on an autocommit
connection runs), and all of a batch's INSERTs in one transaction (the
strongest row-by-row peer). The three runs alternate batch by batch on fresh
event ids, against the same table, and every answer is checked (all
accepted). The last line is the ratio against the per-event-commit loop;
the line before it the ratio against the one-transaction loop.

PostgreSQL: TEST_PG_ADMIN_DSN or 127.0.0.1:5432 (user postgres); a throwaway database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from support import LambdaContext, router_env, scratch_database  # noqa: E402

BATCH = 1000
OPERATOR = "huntaze/operator"
TYPES = ("view", "like", "share", "comment")

_ONE = (
    "INSERT INTO content_events (event_id, account_id, content_id, event_type, value, occurred_at) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (account_id, event_id) DO NOTHING RETURNING account_id, event_id"
)


def _body(run: str, n: int) -> str:
    at = datetime.now(UTC) - timedelta(minutes=30)
    events = [
        {
            "eventId": f"{run}-{i}",
            "accountId": f"acct-{i % 50}",
            "contentId": f"post-{i % 700}",
            "eventType": TYPES[i % 4],
            "value": 1 + i % 3,
            "occurredAt": (at + timedelta(milliseconds=i)).isoformat().replace("+00:00", "Z"),
        }
        for i in range(n)
    ]
    return json.dumps({"events": events})


def _event(body: str) -> dict:
    claims = {"sub": "bench", "scope": OPERATOR}
    return {
        "version": "2.0",
        "routeKey": "POST /v1/events",
        "rawPath": "/v1/events",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example.com"},
        "requestContext": {
            "http": {"method": "POST", "path": "/v1/events", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1"},
            "routeKey": "POST /v1/events",
            "stage": "$default",
            "requestId": "r",
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
        },
        "isBase64Encoded": False,
        "body": body,
    }


def _row_by_row(per_event_commit: bool) -> Callable:
    def insert_events(conn: psycopg.Connection, events: Sequence) -> set[tuple[str, str]]:
        written = set()
        if per_event_commit:
            for e in events:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(_ONE, (e.event_id, e.account_id, e.content_id, e.event_type, e.value, e.occurred_at))
                    written.update((r["account_id"], r["event_id"]) for r in cur.fetchall())
            return written
        with conn.transaction(), conn.cursor() as cur:
            for e in events:
                cur.execute(_ONE, (e.event_id, e.account_id, e.content_id, e.event_type, e.value, e.occurred_at))
                written.update((r["account_id"], r["event_id"]) for r in cur.fetchall())
        return written

    return insert_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=3, help="batches of 1,000 events per method")
    args = parser.parse_args()

    with scratch_database("bench_ingest") as dsn:
        os.environ.update(router_env(DATABASE_URL=dsn, OPERATOR_SCOPE=OPERATOR))
        try:
            run(args)
        finally:
            from common import db

            db.close()


def run(args: argparse.Namespace) -> None:
    from common import event_store
    from router.handler import lambda_handler

    batched = event_store.insert_events
    methods = {
        "one statement per batch (the router)": batched,
        "one INSERT per event, one transaction per batch": _row_by_row(per_event_commit=False),
        "one INSERT per event, each its own transaction": _row_by_row(per_event_commit=True),
    }
    spent = dict.fromkeys(methods, 0.0)
    # A warm-up batch each, not timed (connection, caches, first plans).
    for round_no in range(args.batches + 1):
        for m, (name, insert) in enumerate(methods.items()):
            event = _event(_body(f"r{round_no}m{m}", BATCH))
            event_store.insert_events = insert
            t = time.perf_counter()
            answer = lambda_handler(event, LambdaContext())
            elapsed = time.perf_counter() - t
            event_store.insert_events = batched
            body = json.loads(answer["body"])
            if answer["statusCode"] != 200 or body["accepted"] != BATCH:
                raise SystemExit(f"{name}: {answer['statusCode']} {str(body)[:300]}")
            if round_no:
                spent[name] += elapsed
    events = args.batches * BATCH
    rates = {name: events / s for name, s in spent.items()}
    for name, rate in rates.items():
        print(f"{name:52s}: {rate:10,.0f} events/s ({spent[name]:.2f}s for {events:,} events)")
    names = list(methods)
    print(f"ingest_batch_vs_one_transaction: {rates[names[0]] / rates[names[1]]:.1f}x {names[1]} (target >= 20)")
    print(f"ingest_batch: {rates[names[0]] / rates[names[2]]:.1f}x {names[2]} (target >= 20)")


if __name__ == "__main__":
    main()
