"""Azure AI Foundry chat completions (model inference API), shared by router and workers.

POST ``{endpoint}/models/chat/completions?api-version=...`` with an ``api-key``
header; OpenAI-shaped request and response. Retries throttling (429, honouring
``retry-after-ms`` / ``Retry-After``), 5xx and timeouts with exponential backoff
and full jitter, but only inside the caller's deadline: it never sleeps past
it, and each request's timeout is cut to the time left. Failures map to:

=========================  =================  ==============================
condition                  error              reason
=========================  =================  ==============================
429 until out of time      TransientError     azure_throttled
5xx / connection errors    TransientError     azure_unavailable
timeouts                   TransientError     azure_timeout
401 / 403 (after refresh)  TransientError     azure_auth_failed
other 4xx                  PermanentError     azure_bad_request
non-JSON / odd 200 body    TransientError     azure_malformed_response
=========================  =================  ==============================
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
from typing import TYPE_CHECKING, Any

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

_RETRYABLE_5XX = frozenset({500, 502, 503, 504})
_THINK = re.compile(r"^\s*<think>(?P<reasoning>.*?)(?:</think>\s*(?P<answer>.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


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

    @classmethod
    def from_settings(cls, settings: AzureAISettings | None = None, **kwargs: Any) -> AzureAIClient:
        """A client whose key comes from AZURE_AI_KEY or, cached, from Secrets Manager."""
        from common.settings import azure_ai_settings

        settings = settings or azure_ai_settings()
        api_key: str | KeyProvider
        if settings.key:
            api_key = settings.key
        else:
            from common import secrets

            arn = settings.key_secret_arn
            assert arn is not None

            def api_key(refresh: bool) -> str:
                return secrets.get_secret_string(arn, refresh=refresh).strip()

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
        last: TransientError | None = None
        for attempt in range(self.max_attempts):
            remaining = deadline - self._clock()
            if remaining < MIN_REQUEST_S:
                break
            try:
                response = self._post(payload, remaining, refresh_key=refreshed_key)
            except _Retryable as exc:
                last = exc.error
                wait = self._backoff(attempt)
            else:
                status = response.status
                if status == 200:
                    result = self._parse(response.data, model)
                    self._report(result)
                    return result
                if status in (401, 403) and not refreshed_key:
                    # The key may have been rotated since it was cached.
                    refreshed_key = True
                    continue
                if status in (401, 403):
                    raise TransientError("azure_auth_failed", f"Azure AI rejected the key: {_error_text(response)}")
                if status == 429:
                    last = TransientError("azure_throttled", f"Azure AI throttled: {_error_text(response)}")
                    wait = _retry_after(response.headers)
                    if wait is None:
                        wait = self._backoff(attempt)
                elif status in _RETRYABLE_5XX or status == 408:
                    reason = "azure_timeout" if status in (408, 504) else "azure_unavailable"
                    last = TransientError(reason, f"Azure AI returned {status}: {_error_text(response)}")
                    wait = self._backoff(attempt)
                elif 400 <= status < 500:
                    raise PermanentError("azure_bad_request", f"Azure AI returned {status}: {_error_text(response)}")
                else:
                    raise TransientError("azure_unavailable", f"Azure AI returned {status}: {_error_text(response)}")
            if attempt + 1 >= self.max_attempts:
                break
            # Sleeping only to find no time left for the request is pointless.
            if self._clock() + wait + MIN_REQUEST_S > deadline:
                break
            logger.info("Azure AI %s; retrying in %.2fs", last.reason if last else "error", wait)
            self._sleep(wait)

        if last is None:
            last = TransientError("azure_timeout", "no time left to call Azure AI")
        raise last

    # -- internals --------------------------------------------------------------

    def _post(self, payload: bytes, remaining: float, *, refresh_key: bool) -> urllib3.BaseHTTPResponse:
        import urllib3

        timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT_S, remaining), read=remaining)
        headers = {
            "api-key": self._key(refresh_key),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "x-ms-client-request-id": str(uuid.uuid4()),
        }
        try:
            return self.http.request(
                "POST",
                f"{self.url}?api-version={self.api_version}",
                body=payload,
                headers=headers,
                timeout=timeout,
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.NewConnectionError as exc:
            # Checked first: urllib3 still makes it a subclass of ConnectTimeoutError.
            raise _Retryable(TransientError("azure_unavailable", f"cannot reach Azure AI: {exc}")) from exc
        except urllib3.exceptions.TimeoutError as exc:
            raise _Retryable(TransientError("azure_timeout", f"Azure AI timed out: {exc}")) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _Retryable(TransientError("azure_unavailable", f"cannot reach Azure AI: {exc}")) from exc

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

    def _parse(self, data: bytes, requested_model: str) -> ChatResult:
        try:
            doc = json.loads(data)
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
                ),
                finish_reason=choice.get("finish_reason"),
                raw=doc,
            )
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            snippet = data[:200].decode("utf-8", "replace")
            raise TransientError(
                "azure_malformed_response", f"Azure AI returned an unreadable body ({exc}): {snippet!r}"
            ) from exc

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
    def __init__(self, error: TransientError) -> None:
        super().__init__(error.message)
        self.error = error


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


def _retry_after(headers: Mapping[str, str]) -> float | None:
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
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_text(response: urllib3.BaseHTTPResponse) -> str:
    """Azure's own error message when the body has one, else the start of the body."""
    raw = response.data or b""
    try:
        doc = json.loads(raw)
    except ValueError:
        return raw[:300].decode("utf-8", "replace") or f"HTTP {response.status}"
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message") or json.dumps(error)[:300]
        return f"{message} ({code})" if code else str(message)
    if isinstance(doc, dict) and doc.get("message"):
        return str(doc["message"])
    return raw[:300].decode("utf-8", "replace")


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)
