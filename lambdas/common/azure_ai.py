"""Azure AI Foundry chat completions (model inference API), shared by router and workers.

POST ``{endpoint}/models/chat/completions?api-version=...`` with an ``api-key``
header; OpenAI-shaped request and response. Retries throttling and 503
(honouring ``retry-after-ms`` / ``Retry-After`` in seconds or as an HTTP date),
other 5xx, timeouts and unreadable 200s with exponential backoff and full
jitter, but only inside the caller's deadline, which is hard: it never sleeps
past it, the connect and the wait for the headers share the time left, and the
body is read in chunks with each socket read cut to the time left (a server
that trickles its answer cannot hold the caller past the deadline). Failures map to:

=====================================  ==============  ========================
condition                              error           reason
=====================================  ==============  ========================
429 until out of time / attempts       TransientError  azure_throttled
500/502/503, connection errors         TransientError  azure_unavailable
408/504, timeouts, deadline spent      TransientError  azure_timeout
401/403 again after one key refresh    TransientError  azure_auth_failed
404/405, 400 ``unknown_model``         TransientError  azure_misconfigured
200 with error ``content_filter`` or   PermanentError  azure_content_filtered
  ``finish_reason`` content_filter
other 4xx (incl. a 400 content filter  PermanentError  azure_bad_request
  on the prompt)
other 200 that cannot be read          TransientError  azure_malformed_response
other status (1xx/3xx/5xx not above)   TransientError  azure_unavailable
=====================================  ==============  ========================

`azure_misconfigured` (wrong deployment, model name or api-version) is our
configuration bug, not the user's: it is transient so that a job is never
failed for it; the message returns to the queue until the DLQ alarm fires.
It is raised at once, without retries, since retrying cannot fix it.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from common.azure_responses import (
    ChatResult,
    Retryable,
    error_text,
    parse,
    raise_for_status,
    retry_after,
)
from common.errors import PermanentError, TransientError

if TYPE_CHECKING:
    import urllib3

    from common.settings import AzureAISettings

logger = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 60.0
CONNECT_TIMEOUT_S = 3.05
# A request with less time than this left cannot realistically complete.
MIN_REQUEST_S = 0.05
READ_CHUNK_BYTES = 64 * 1024


UsageHook = Callable[[ChatResult], None]
# Given refresh=True after an auth failure, must bypass any cache.
KeyProvider = Callable[[bool], str]


def image_part(image: bytes, *, mime_type: str = "image/jpeg") -> dict[str, Any]:
    """A content part carrying an image as a data URL."""
    encoded = base64.b64encode(image).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{mime_type};base64,{encoded}"}}


def user_message(text: str, images: Iterable[bytes] = (), *, mime_type: str = "image/jpeg") -> dict[str, Any]:
    """A user message: plain text, or text followed by image parts (e.g. JPEG frames)."""
    parts = [image_part(image, mime_type=mime_type) for image in images]
    if not parts:
        return {"role": "user", "content": text}
    return {"role": "user", "content": [{"type": "text", "text": text}, *parts]}


class AzureAIClient:
    def __init__(
        self,
        endpoint: str,
        api_key: str | KeyProvider,
        *,
        api_version: str,
        http: urllib3.PoolManager | None = None,
        usage_hook: UsageHook | None = None,
        max_attempts: int = 6,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        base = endpoint.rstrip("/")
        if not base.endswith("/models"):
            base += "/models"
        self.url = f"{base}/chat/completions"
        self.api_version = api_version
        self._key: KeyProvider = api_key if callable(api_key) else (lambda _refresh, key=api_key: key)
        self._http = http
        self.usage_hook = usage_hook
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        # Only for Retry-After given as an HTTP date; deadlines use `clock`.
        self._wall_clock = wall_clock

    @classmethod
    def from_settings(cls, settings: AzureAISettings | None = None, **kwargs: Any) -> AzureAIClient:
        """A client whose key comes from AZURE_AI_KEY or, cached, from its SSM SecureString parameter."""
        from common.settings import azure_ai_settings

        settings = settings or azure_ai_settings()
        api_key: str | KeyProvider
        if settings.key:
            api_key = settings.key
        else:
            from common import secrets

            name = settings.key_parameter
            assert name is not None

            def api_key(refresh: bool) -> str:
                return secrets.get_secure_parameter(name, refresh=refresh).strip()

        return cls(settings.endpoint, api_key, api_version=settings.api_version, **kwargs)

    def chat(
        self,
        *,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        max_tokens: int = 1024,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        deadline: float | None = None,
        budget_s: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatResult:
        """One chat completion, retried within the time allowed.

        `deadline` is an absolute time on this client's clock (time.monotonic by
        default); `budget_s` is seconds from now. Give at most one; with neither,
        DEFAULT_BUDGET_S applies.
        """
        if deadline is not None and budget_s is not None:
            raise ValueError("give deadline or budget_s, not both")
        if deadline is None:
            deadline = self._clock() + (DEFAULT_BUDGET_S if budget_s is None else budget_s)

        body: dict[str, Any] = {"model": model, "messages": list(messages), "max_tokens": max_tokens}
        if temperature is not None:
            body["temperature"] = temperature
        if response_format is not None:
            body["response_format"] = dict(response_format)
        if extra:
            body.update(extra)
        payload = json.dumps(body).encode("utf-8")

        refreshed_key = False
        attempt = 0
        last: TransientError | None = None
        while attempt < self.max_attempts:
            if deadline - self._clock() < MIN_REQUEST_S:
                break
            try:
                status, headers, data = self._exchange(payload, deadline, refresh_key=refreshed_key)
                if status in (401, 403) and not refreshed_key:
                    # The key may have been rotated since it was cached; this
                    # one extra request is not counted as an attempt.
                    refreshed_key = True
                    last = TransientError("azure_auth_failed", f"Azure AI rejected the key: {error_text(status, data)}")
                    continue
                if status == 200:
                    result = parse(data, model)
                    self._report(result)
                    if result.finish_reason == "content_filter":
                        raise PermanentError(
                            "azure_content_filtered", "Azure AI's content filter withheld (part of) the answer"
                        )
                    return result
                raise_for_status(status, data, retry_after(headers, self._wall_clock()))
            except Retryable as exc:
                last = exc.error
                wait = exc.retry_after if exc.retry_after is not None else self._backoff(attempt)
            attempt += 1
            if attempt >= self.max_attempts:
                break
            # Sleeping only to find no time left for the request is pointless.
            if self._clock() + wait + MIN_REQUEST_S > deadline:
                break
            logger.info("Azure AI %s; retrying in %.2fs", last.reason, wait)
            self._sleep(wait)

        if last is None:
            last = TransientError("azure_timeout", "no time left to call Azure AI")
        raise last

    # -- internals --------------------------------------------------------------

    def _exchange(self, payload: bytes, deadline: float, *, refresh_key: bool) -> tuple[int, Mapping[str, str], bytes]:
        """(status, headers, body) of one POST, all of it received before `deadline`."""
        import urllib3

        remaining = deadline - self._clock()
        # `total` makes the wait for the headers share one budget with the
        # connect; the body is then read against the deadline in _read_body.
        timeout = urllib3.Timeout(total=remaining, connect=min(CONNECT_TIMEOUT_S, remaining), read=remaining)
        headers = {
            "api-key": self._key(refresh_key),
            "Content-Type": "application/json",
            "Accept": "application/json",
            # Keeps every body read a plain socket read (no decoder buffering).
            "Accept-Encoding": "identity",
            "x-ms-client-request-id": str(uuid.uuid4()),
        }
        try:
            response = self.http.request(
                "POST",
                f"{self.url}?api-version={self.api_version}",
                body=payload,
                headers=headers,
                timeout=timeout,
                retries=False,
                redirect=False,
                preload_content=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise self._network_failure(exc, deadline) from exc
        data = self._read_body(response, deadline)
        return response.status, response.headers, data

    def _read_body(self, response: urllib3.BaseHTTPResponse, deadline: float) -> bytes:
        import urllib3

        chunks: list[bytes] = []
        try:
            while True:
                left = deadline - self._clock()
                if left <= 0:
                    raise Retryable(
                        TransientError("azure_timeout", "Azure AI's answer did not arrive within the deadline")
                    )
                sock = getattr(getattr(response, "connection", None), "sock", None)
                if sock is not None:
                    # A socket timeout bounds one read; re-arming it before each
                    # read with the time left bounds the whole body.
                    sock.settimeout(left)
                chunk = response.read1(READ_CHUNK_BYTES)
                if not chunk:
                    break
                chunks.append(chunk)
        except Retryable:
            response.close()  # a half-read connection cannot be reused
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            response.close()
            raise self._network_failure(exc, deadline) from exc
        response.release_conn()
        return b"".join(chunks)

    def _network_failure(self, exc: Exception, deadline: float) -> Retryable:
        import urllib3

        out_of_time = self._clock() >= deadline
        # urllib3 still makes a refused connection a ConnectTimeoutError.
        refused = isinstance(exc, urllib3.exceptions.NewConnectionError)
        timed_out = isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError)) and not refused
        if out_of_time or timed_out:
            return Retryable(TransientError("azure_timeout", f"Azure AI timed out: {exc}"))
        return Retryable(TransientError("azure_unavailable", f"cannot reach Azure AI: {exc}"))

    @property
    def http(self) -> urllib3.PoolManager:
        if self._http is None:
            import urllib3

            self._http = urllib3.PoolManager(num_pools=2, maxsize=4, retries=False)
        return self._http

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spreads retries of concurrent callers apart.
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return ceiling * self._jitter()

    def _report(self, result: ChatResult) -> None:
        if self.usage_hook is None:
            return
        try:
            self.usage_hook(result)
        except Exception:
            # The answer has already been paid for; losing it over bookkeeping
            # would be worse than a missed count.
            logger.exception("usage hook failed")


_client: AzureAIClient | None = None


def get_client() -> AzureAIClient:
    """The container's client (one connection pool, one cached key)."""
    global _client
    if _client is None:
        _client = AzureAIClient.from_settings()
    return _client


def reset_client() -> None:
    global _client
    _client = None
