"""Reading Azure AI's answers: the result types, and what a status or a body means.

Which answers are retried, which fail a job for good and which are a misconfiguration is
decided here (see the table in ``common.azure_ai``); the client only moves bytes.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from common.errors import PermanentError, TransientError

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


class Retryable(Exception):
    """A failure worth another attempt, after `retry_after` seconds if the server said so."""

    def __init__(self, error: TransientError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


# 400 codes that mean a model name the endpoint does not serve: our config, not the request.
_MISCONFIGURED_CODES = frozenset({"unknown_model", "DeploymentNotFound"})


def raise_for_status(status: int, data: bytes, retry_after: float | None) -> NoReturn:
    """Raise what a non-200 answer means: `Retryable` if another attempt may help."""
    detail = f"Azure AI returned {status}: {error_text(status, data)}"
    if status in (401, 403):
        raise TransientError("azure_auth_failed", f"Azure AI rejected the key: {error_text(status, data)}")
    if status == 429:
        raise Retryable(TransientError("azure_throttled", detail), retry_after)
    if status in (408, 504):
        raise Retryable(TransientError("azure_timeout", detail), retry_after)
    if status in _RETRYABLE_5XX:
        raise Retryable(TransientError("azure_unavailable", detail), retry_after)
    if status in (404, 405) or (status == 400 and _error_code(data) in _MISCONFIGURED_CODES):
        # Wrong endpoint, deployment, model or api-version: retrying cannot fix it
        # and it is not the caller's fault, so the job must not fail for it.
        raise TransientError("azure_misconfigured", detail)
    if 400 <= status < 500:
        raise PermanentError("azure_bad_request", detail)
    raise TransientError("azure_unavailable", detail)


def parse(data: bytes, requested_model: str) -> ChatResult:
    """The result of a 200; a content-filter error is permanent, anything unreadable is retried."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise malformed(data, exc) from exc
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        if _error_code(data, doc) == "content_filter":
            raise PermanentError(
                "azure_content_filtered", f"Azure AI's content filter refused: {error_text(200, data)}"
            )
        raise malformed(data, "an error object instead of choices")
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
        raise malformed(data, exc) from exc


def malformed(data: bytes, problem: object) -> Retryable:
    snippet = data[:200].decode("utf-8", "replace")
    return Retryable(
        TransientError("azure_malformed_response", f"Azure AI returned an unreadable body ({problem}): {snippet!r}")
    )


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
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


def error_text(status: int, raw: bytes) -> str:
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
