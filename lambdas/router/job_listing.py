"""GET /v1/jobs: the caller's jobs, filtered by task and status, newest first, a page at a time.

The cursor is opaque to clients: the last served job's (created_at, id),
the keyset `router.job_queries` continues after, as hex. Every bad
query parameter is named in one 400 (`invalid_request`, with `errors`), as a
bad body is.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from common.jobs import TASKS
from common.schema import Problem, SchemaError
from router.jobs_contract import CURSOR_PATTERN, DEFAULT_PAGE, LIST_JOBS, MAX_PAGE, STATUSES

if TYPE_CHECKING:
    import psycopg

    from router.job_queries import Position

Connection = Callable[[], AbstractContextManager["psycopg.Connection"]]

QUERY_PARAMETERS = tuple(p.name for p in LIST_JOBS.query_params)
CURSOR = re.compile(CURSOR_PATTERN.removeprefix("^").removesuffix("$"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ListQuery:
    limit: int = DEFAULT_PAGE
    task: str | None = None
    status: str | None = None
    after: Position | None = None


def parse_query(params: Mapping[str, str] | None) -> ListQuery:
    """The query string as a `ListQuery`; `SchemaError` naming every bad or unknown parameter."""
    params = params or {}
    problems = [
        Problem(name[:64], "is not a parameter of this route") for name in params if name not in QUERY_PARAMETERS
    ]
    task, status = params.get("task"), params.get("status")
    if task is not None and task not in TASKS:
        problems.append(Problem("task", f"must be one of {', '.join(TASKS)}"))
    if status is not None and status not in STATUSES:
        problems.append(Problem("status", f"must be one of {', '.join(STATUSES)}"))
    limit = DEFAULT_PAGE
    if "limit" in params:
        raw = params["limit"]
        # Length first: int() of thousands of digits is refused (and slow) before any range check.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_PAGE):
            problems.append(Problem("limit", f"must be an integer from 1 to {MAX_PAGE}"))
        else:
            limit = int(raw)
    after = None
    if "cursor" in params:
        after = decode_cursor(params["cursor"])
        if after is None:
            problems.append(Problem("cursor", "is not a cursor this API issued (use nextCursor as it was answered)"))
    if problems:
        raise SchemaError(problems)
    return ListQuery(limit=limit, task=task, status=status, after=after)


def encode_cursor(position: Position) -> str:
    """46 hex digits: microseconds since the epoch (14) and the job id (32). Every string of that
    form is a position, so the document's pattern is the whole rule and a cursor never goes stale."""
    micros = (position.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros:014x}{position.id.hex}"


def decode_cursor(cursor: str) -> Position | None:
    from router.job_queries import Position

    if not CURSOR.fullmatch(cursor):
        return None
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
