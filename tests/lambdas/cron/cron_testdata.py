"""Helpers of the cron worker tests: generated analytics events, rollup tables, chat replies."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from tests.fakes import LambdaContext as FakeLambdaContext
from tests.fakes import chat_completion

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EVENT_TYPES = ("view", "like", "share", "comment")


def generate_events(
    n: int, *, start: datetime, hours: int, seed: int = 7
) -> list[tuple[str, str, str, Decimal, datetime]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        occurred = start + timedelta(seconds=rng.randrange(hours * 3600))
        rows.append(
            (
                f"acct-{rng.randrange(5)}",
                f"c-{rng.randrange(20)}",
                rng.choice(EVENT_TYPES),
                Decimal(rng.randrange(1, 500)) / 10,
                occurred,
            )
        )
    return rows


def insert_events(conn: Any, rows: list[tuple], *, ingested_at: datetime) -> None:
    columns = "account_id, content_id, event_type, value, occurred_at, ingested_at"
    with conn.transaction(), conn.cursor() as cur, cur.copy(f"COPY content_events ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, ingested_at))


def insert_events_ingested_after(conn: Any, rows: list[tuple], *, delay: timedelta) -> None:
    """Each event ingested ``delay`` after it occurred (a steady stream, unlike one batch)."""
    columns = "account_id, content_id, event_type, value, occurred_at, ingested_at"
    with conn.transaction(), conn.cursor() as cur, cur.copy(f"COPY content_events ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, row[4] + delay))


def expected_rollups(rows: list[tuple], unit: str) -> dict[tuple, tuple[int, Decimal]]:
    """The rollups computed independently, in Python."""
    out: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for account, content, etype, value, occurred in rows:
        at = occurred.astimezone(UTC)
        bucket = at.replace(minute=0, second=0, microsecond=0)
        if unit == "day":
            bucket = bucket.replace(hour=0)
        acc = out[(bucket, account, content, etype)]
        acc[0] += 1
        acc[1] += value
    return {k: (c, s) for k, (c, s) in out.items()}


def table(conn: Any, name: str) -> dict[tuple, tuple[int, Decimal, datetime]]:
    with conn.transaction():
        rows = conn.execute(
            f"SELECT bucket_start, account_id, content_id, event_type, event_count, value_sum, updated_at FROM {name}"
        ).fetchall()
    return {
        (r["bucket_start"], r["account_id"], r["content_id"], r["event_type"]): (
            r["event_count"],
            r["value_sum"],
            r["updated_at"],
        )
        for r in rows
    }


def counts_only(rows: dict[tuple, tuple]) -> dict[tuple, tuple[int, Decimal]]:
    return {k: (v[0], v[1]) for k, v in rows.items()}


def chat_reply(content: str, model: str = "DeepSeek-V3") -> dict[str, Any]:
    return chat_completion(content, model=model, prompt_tokens=50, completion_tokens=20)


def json_body(request: Any) -> Any:
    return json.loads(request.get_data())


Context = partial(FakeLambdaContext, function_name="huntaze-test-data")


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:huntaze-test-data",
                "awsRegion": "us-east-2",
            }
            for i, body in enumerate(bodies)
        ]
    }


def scheduled(task: str = "data", when=T0, payload=None) -> str:
    # Exactly what the schedule's target input renders to.
    return json.dumps({"task": task, "scheduledTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "payload": payload or {}})


def jobs_rows(conn):
    with conn.transaction():
        return conn.execute("SELECT task, status, idempotency_key, attempts, error_reason, result FROM jobs").fetchall()


# The AI budgets the trends tests run under (micro-dollars): room for every summary they ask for.
AI_BUDGET_ENV = {"AI_DAILY_BUDGET_USD": "1", "AI_CALLER_DAILY_BUDGET_USD": "1", "AI_MONTHLY_BUDGET_USD": "30"}


def spend_guard(conn: Any, *, daily: int = 1_000_000) -> Any:
    """A spend guard on the test's connection, for `summary.summarize` called directly."""
    import contextlib

    from common.settings import AiBudgetSettings
    from common.spend_guard import Spender, SpendGuard

    return SpendGuard(
        lambda: contextlib.nullcontext(conn),
        Spender("system", "trends"),
        AiBudgetSettings(daily=daily, caller_daily=10 * daily, monthly=30 * daily),
        metric=lambda _model, _usd: None,
    )
