"""Test doubles shared by the handler tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class LambdaContext:
    """The parts of Lambda's context object the handlers and Powertools read."""

    function_name: str = "huntaze-test"
    remaining_ms: int = 60_000
    memory_limit_in_mb: int = 512
    aws_request_id: str = "req-1"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-2:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def chat_completion(
    content: str,
    *,
    model: str = "Phi-4-multimodal-instruct",
    reasoning: str | None = None,
    finish_reason: str = "stop",
    prompt_tokens: int = 12,
    completion_tokens: int = 5,
) -> dict[str, Any]:
    """A chat-completions response body as Azure AI Foundry returns it."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
