"""GET /v1/jobs: the caller's jobs, filtered by task and status, newest first, a page at a time.

The cursor is opaque to clients: the last served job's (created_at, id),
the keyset `router.job_queries` continues after, as hex. Every bad
query parameter is named in one 400 (`invalid_request`, with `errors`), as a
bad body is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from router.jobs_contract import DEFAULT_PAGE, JOBS_QUERY

if TYPE_CHECKING:
    import psycopg

    from router.job_queries import Position

Connection = Callable[[], AbstractContextManager["psycopg.Connection"]]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ListQuery:
    limit: int = DEFAULT_PAGE
    task: str | None = None
    status: str | None = None
    after: Position | None = None


def parse_query(params: Mapping[str, str] | None) -> ListQuery:
    """The query string as a `ListQuery`; `SchemaError` naming every bad or unknown parameter."""
    query = JOBS_QUERY.validate_query(params)
    after = decode_cursor(query["cursor"]) if "cursor" in query else None
    return ListQuery(
        limit=query.get("limit", DEFAULT_PAGE), task=query.get("task"), status=query.get("status"), after=after
    )


def encode_cursor(position: Position) -> str:
    """46 hex digits: microseconds since the epoch (14) and the job id (32). Every string of that
    form is a position, so the document's pattern is the whole rule and a cursor never goes stale."""
    micros = (position.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros:014x}{position.id.hex}"


def decode_cursor(cursor: str) -> Position:
    """The position of a cursor that matches the contract's pattern (`JOBS_QUERY` checked it)."""
    from router.job_queries import Position

    return Position(_EPOCH + timedelta(microseconds=int(cursor[:14], 16)), uuid.UUID(hex=cursor[14:]))


def list_jobs(query: ListQuery, *, caller: str, connection: Connection) -> dict[str, Any]:
    """One page of the caller's jobs and the cursor of the next (null on the last page)."""
    from router.job_queries import list_owned_jobs

    with connection() as conn:
        page, next_position = list_owned_jobs(
            conn, caller, limit=query.limit, task=query.task, status=query.status, after=query.after
        )
    return {
        "jobs": [job_view(job) for job in page],
        "nextCursor": encode_cursor(next_position) if next_position else None,
    }


def job_view(job: Any) -> dict[str, Any]:
    """A job as the API shows it: everything but the stored idempotency key (it embeds the caller's id)."""
    view = job.to_dict()
    view.pop("idempotencyKey", None)
    return view
