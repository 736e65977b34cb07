"""Daily Azure token accounting (`ai_usage_daily`): the spend guard's data access."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

_TODAY = "(now() AT TIME ZONE 'UTC')::date"


def tokens_used_today(conn: psycopg.Connection) -> int:
    """Prompt plus completion tokens of every model so far today (UTC)."""
    row = conn.execute(
        f"SELECT COALESCE(sum(prompt_tokens + completion_tokens), 0) AS used FROM ai_usage_daily WHERE day = {_TODAY}"
    ).fetchone()
    return int(row["used"] if isinstance(row, dict) else row[0])


def record_usage(conn: psycopg.Connection, model: str, prompt_tokens: int, completion_tokens: int) -> None:
    conn.execute(
        f"INSERT INTO ai_usage_daily (day, model, requests, prompt_tokens, completion_tokens) "
        f"VALUES ({_TODAY}, %s, 1, %s, %s) "
        "ON CONFLICT (day, model) DO UPDATE SET requests = ai_usage_daily.requests + 1, "
        "prompt_tokens = ai_usage_daily.prompt_tokens + EXCLUDED.prompt_tokens, "
        "completion_tokens = ai_usage_daily.completion_tokens + EXCLUDED.completion_tokens, updated_at = now()",
        (model, max(0, prompt_tokens), max(0, completion_tokens)),
    )
