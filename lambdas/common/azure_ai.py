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
import email.utils
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from common.errors import PermanentError, TransientError
from common.settings import DEFAULT_AZURE_AI_API_VERSION

if TYPE_CHECKING:
    import urllib3

    from common.settings import AzureAISettings

logger = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 60.0
CONNECT_TIMEOUT_S = 3.05
# A request with less time than this left cannot realistically complete.
MIN_REQUEST_S = 0.05
READ_CHUNK_BYTES = 64 * 1024

_RETRYABLE_5XX = frozenset({500, 502, 503, 504})
_THINK = re.compile(r"^\s*<think>(?P<reasoning>.*?)(?:</think>\s*(?P<answer>.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    # DeepSeek-R1's chain of thought, when Azure reports it (`completion_tokens_details`); billed as output.
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class ChatResult:
    model: str
    content: str
    reasoning: str | None
    usage: Usage
    finish_reason: str | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


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


def split_reasoning(message: Mapping[str, Any]) -> tuple[str, str | None]:
    """(answer, reasoning) from a response message.

    DeepSeek-R1 returns its chain of thought either in `reasoning_content` or
    as a leading ``<think>...</think>`` block in `content`; callers only want the
    answer, and may log or store the reasoning separately.
    """
    content = _text(message.get("content"))
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning.strip():
        return content.strip(), reasoning.strip()
    match = _THINK.match(content)
    if match is None:
        return content.strip(), None
    # No closing tag means the reply was cut off while still reasoning.
    return (match["answer"] or "").strip(), match["reasoning"].strip() or None


class AzureAIClient:
    def __init__(
        self,
        endpoint: str,
        api_key: str | KeyProvider,
        *,
        api_version: str = DEFAULT_AZURE_AI_API_VERSION,
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
                    last = TransientError(
                        "azure_auth_failed", f"Azure AI rejected the key: {_error_text(status, data)}"
                    )
                    continue
                if status == 200:
                    result = _parse(data, model)
                    self._report(result)
                    if result.finish_reason == "content_filter":
                        raise PermanentError(
                            "azure_content_filtered", "Azure AI's content filter withheld (part of) the answer"
                        )
                    return result
                _raise_for_status(status, data, _retry_after(headers, self._wall_clock()))
            except _Retryable as exc:
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
                    raise _Retryable(
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
        except _Retryable:
            response.close()  # a half-read connection cannot be reused
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            response.close()
            raise self._network_failure(exc, deadline) from exc
        response.release_conn()
        return b"".join(chunks)

    def _network_failure(self, exc: Exception, deadline: float) -> _Retryable:
        import urllib3

        out_of_time = self._clock() >= deadline
        # urllib3 still makes a refused connection a ConnectTimeoutError.
        refused = isinstance(exc, urllib3.exceptions.NewConnectionError)
        timed_out = isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError)) and not refused
        if out_of_time or timed_out:
            return _Retryable(TransientError("azure_timeout", f"Azure AI timed out: {exc}"))
        return _Retryable(TransientError("azure_unavailable", f"cannot reach Azure AI: {exc}"))

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


class _Retryable(Exception):
    """A failure worth another attempt, after `retry_after` seconds if the server said so."""

    def __init__(self, error: TransientError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


# 400 codes that mean a model name the endpoint does not serve: our config, not the request.
_MISCONFIGURED_CODES = frozenset({"unknown_model", "DeploymentNotFound"})


def _raise_for_status(status: int, data: bytes, retry_after: float | None) -> NoReturn:
    """Raise what a non-200 answer means: `_Retryable` if another attempt may help."""
    detail = f"Azure AI returned {status}: {_error_text(status, data)}"
    if status in (401, 403):
        raise TransientError("azure_auth_failed", f"Azure AI rejected the key: {_error_text(status, data)}")
    if status == 429:
        raise _Retryable(TransientError("azure_throttled", detail), retry_after)
    if status in (408, 504):
        raise _Retryable(TransientError("azure_timeout", detail), retry_after)
    if status in _RETRYABLE_5XX:
        raise _Retryable(TransientError("azure_unavailable", detail), retry_after)
    if status in (404, 405) or (status == 400 and _error_code(data) in _MISCONFIGURED_CODES):
        # Wrong endpoint, deployment, model or api-version: retrying cannot fix it
        # and it is not the caller's fault, so the job must not fail for it.
        raise TransientError("azure_misconfigured", detail)
    if 400 <= status < 500:
        raise PermanentError("azure_bad_request", detail)
    raise TransientError("azure_unavailable", detail)


def _parse(data: bytes, requested_model: str) -> ChatResult:
    """The result of a 200; a content-filter error is permanent, anything unreadable is retried."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise _malformed(data, exc) from exc
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        if _error_code(data, doc) == "content_filter":
            raise PermanentError(
                "azure_content_filtered", f"Azure AI's content filter refused: {_error_text(200, data)}"
            )
        raise _malformed(data, "an error object instead of choices")
    try:
        choice = doc["choices"][0]
        message = choice["message"]
        if not isinstance(message, Mapping):
            raise TypeError("message is not an object")
        usage = doc.get("usage") or {}
        content, reasoning = split_reasoning(message)
        return ChatResult(
            model=str(doc.get("model") or requested_model),
            content=content,
            reasoning=reasoning,
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                total_tokens=int(usage.get("total_tokens") or 0),
                reasoning_tokens=int((usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0),
            ),
            finish_reason=choice.get("finish_reason"),
            raw=doc,
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise _malformed(data, exc) from exc


def _malformed(data: bytes, problem: object) -> _Retryable:
    snippet = data[:200].decode("utf-8", "replace")
    return _Retryable(
        TransientError("azure_malformed_response", f"Azure AI returned an unreadable body ({problem}): {snippet!r}")
    )


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


def _retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait from `retry-after-ms` (Azure) or `Retry-After` (seconds or HTTP date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _error_text(status: int, raw: bytes) -> str:
    """Azure's own error message when the body has one, else the start of the body."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return raw[:300].decode("utf-8", "replace") or f"HTTP {status}"
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message") or json.dumps(error)[:300]
        return f"{message} ({code})" if code else str(message)
    if isinstance(doc, dict) and doc.get("message"):
        return str(doc["message"])
    return raw[:300].decode("utf-8", "replace")


def _error_code(raw: bytes, doc: Any = None) -> str | None:
    """`error.code` of an Azure error body, if it has one."""
    if doc is None:
        try:
            doc = json.loads(raw)
        except ValueError:
            return None
    error = doc.get("error") if isinstance(doc, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code is not None else None


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)
