"""The API's error answer: an HTTP status plus `{error, detail}`."""

from __future__ import annotations

from common.errors import PermanentError, TransientError, WorkerError


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


# Upstream (Azure) failures, by the shared client's reasons: a clear gateway status each.
_UPSTREAM_STATUS = {
    "azure_throttled": 503,
    "azure_unavailable": 502,
    "azure_malformed_response": 502,
    "azure_auth_failed": 502,
    "azure_timeout": 504,
}


def from_worker_error(exc: WorkerError) -> ApiError:
    """Map a shared-code failure to the answer the caller should see."""
    if isinstance(exc, TransientError):
        status = _UPSTREAM_STATUS.get(exc.reason, 503)
        headers = {"Retry-After": "5"} if status == 503 else None
        return ApiError(status, exc.reason, exc.message, headers)
    if isinstance(exc, PermanentError) and exc.reason == "azure_bad_request":
        # Azure refused the request itself (content filter, context too long): the caller can change it.
        return ApiError(422, "upstream_rejected", exc.message)
    return ApiError(400, exc.reason, exc.message)
