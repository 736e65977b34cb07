"""The API's error answer: an HTTP status plus `{error, detail}` (and `errors`, every bad field, for a 400)."""

from __future__ import annotations

from typing import Any

from common.errors import TransientError, WorkerError
from common.schema import SchemaError
from router.contract import UNAUTHORIZED_BODY


class ApiError(Exception):
    """A request the API answers with a 4xx/5xx JSON error instead of a result."""

    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.detail}


class InvalidRequest(ApiError):
    """A body or payload that does not fit its shape: every problem, each naming its field."""

    def __init__(self, exc: SchemaError) -> None:
        super().__init__(400, "invalid_request", exc.detail)
        self.problems = exc.problems

    def body(self) -> dict[str, Any]:
        return {**super().body(), "errors": [{"field": p.field, "problem": p.problem} for p in self.problems]}


class Unauthorized(ApiError):
    """No verified JWT: answered with API Gateway's own body, so a client sees one 401 whoever sends it."""

    def __init__(self, detail: str) -> None:
        super().__init__(401, "unauthorized", detail)

    def body(self) -> dict[str, Any]:
        return dict(UNAUTHORIZED_BODY)


def from_worker_error(exc: WorkerError) -> ApiError:
    """Map a shared-code failure (database, secrets) to the answer the caller should see.

    Its message is written for callers (common.db keeps the driver's text in the log).
    Azure's failures are mapped where the client is called (router.ai.upstream_error).
    """
    if isinstance(exc, TransientError):
        return ApiError(503, exc.reason, exc.message, {"Retry-After": "5"})
    if isinstance(exc, SchemaError):
        return InvalidRequest(exc)
    return ApiError(400, exc.reason, exc.message)
