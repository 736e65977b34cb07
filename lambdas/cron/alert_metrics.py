"""What alert rules measure, read from PostgreSQL (rollups, jobs, analyses, AI usage) and SQS (DLQs)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cron.rollups import WATERMARK

if TYPE_CHECKING:
    import psycopg

    from cron.health import DlqDepths

_METRIC_COLUMNS = {"event_count": "event_count", "value_sum": "value_sum"}


class SqlMetrics:
    """`alert_rules.Metrics` on the app's tables; DLQ depths from ``dlqs`` (None: no DLQ is watched)."""

    def __init__(self, conn: psycopg.Connection, *, ai_monthly_budget: int = 0, dlqs: DlqDepths | None = None) -> None:
        self.conn = conn
        self.ai_monthly_budget = ai_monthly_budget  # micro-USD
        self.dlqs = dlqs

    def rollup_sum(
        self,
        *,
        metric: str,
        event_type: str,
        account_id: str | None,
        content_id: str | None,
        start: datetime,
        end: datetime,
    ) -> Decimal:
        column = _METRIC_COLUMNS[metric]
        row = self._one(
            f"SELECT coalesce(sum({column}), 0) FROM content_rollups_hourly "
            "WHERE event_type = %(event_type)s AND bucket_start >= %(start)s AND bucket_start < %(end)s "
            "AND (%(account_id)s::text IS NULL OR account_id = %(account_id)s) "
            "AND (%(content_id)s::text IS NULL OR content_id = %(content_id)s)",
            {"event_type": event_type, "start": start, "end": end, "account_id": account_id, "content_id": content_id},
        )
        return Decimal(row)

    def rollup_watermark(self) -> datetime | None:
        return self._one("SELECT max(value_at) FROM rollup_watermarks WHERE name = %(n)s", {"n": WATERMARK})

    def failed_jobs(self, *, task: str | None, start: datetime, end: datetime) -> int:
        # updated_at is finished_at for a failed job, and it is indexed with status.
        return int(
            self._one(
                "SELECT count(*) FROM jobs WHERE status = 'failed' AND updated_at >= %(start)s "
                "AND updated_at < %(end)s AND (%(task)s::text IS NULL OR task = %(task)s)",
                {"task": task, "start": start, "end": end},
            )
        )

    def analyses_succeeded(self, *, start: datetime, end: datetime) -> int:
        return int(
            self._one(
                "SELECT count(*) FROM video_analyses WHERE status = 'succeeded' "
                "AND completed_at >= %(start)s AND completed_at < %(end)s",
                {"start": start, "end": end},
            )
        )

    def ai_spend_month(self, at: datetime) -> tuple[int, int]:
        day = at.astimezone(UTC).date()
        used = self._one(
            "SELECT coalesce(sum(cost_micro_usd), 0) FROM ai_calls WHERE day >= %(first)s AND day <= %(d)s",
            {"first": day.replace(day=1), "d": day},
        )
        return int(used), self.ai_monthly_budget

    def dlq_depth(self, task: str | None) -> dict[str, int]:
        if self.dlqs is None:
            from cron.alert_rules import RuleError

            raise RuleError("no dead-letter queue is watched by this worker")
        return self.dlqs.depths(task)

    def _one(self, query: str, params: dict[str, Any]) -> Any:
        with self.conn.transaction():
            row = self.conn.execute(query, params).fetchone()
        return next(iter(row.values())) if isinstance(row, dict) else row[0]
