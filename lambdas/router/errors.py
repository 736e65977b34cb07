"""The API's error answer: an HTTP status plus `{error, detail}`."""

from __future__ import annotations

from common.errors import TransientError, WorkerError


class ApiError(Exception):
    """A request the API answers with a 4xx/5xx JSON error instead of a result."""

    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "detail": self.detail}


def from_worker_error(exc: WorkerError) -> ApiError:
    """Map a shared-code failure (database, secrets) to the answer the caller should see.

    Azure's failures are mapped where the client is called (router.ai.upstream_error).
    """
    if isinstance(exc, TransientError):
        return ApiError(503, exc.reason, exc.message, {"Retry-After": "5"})
    return ApiError(400, exc.reason, exc.message)
