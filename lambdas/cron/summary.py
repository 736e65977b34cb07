"""A short "what is rising" note from DeepSeek-V3 (the `generation` model)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from common.errors import TransientError

if TYPE_CHECKING:
    from common.azure_ai import AzureAIClient

MAX_SUMMARY_CHARS = 2000
SYSTEM_PROMPT = (
    "You are a social media trend analyst for TikTok and Instagram creators. "
    "Given hashtags and sounds with their mention counts now and in the previous snapshot, "
    "write at most five short sentences on what is rising and what a creator could do with it. "
    "Plain text, no lists, no invented numbers."
)


def prompt(rising: Sequence[dict[str, Any]]) -> str:
    rows = [{"kind": i["kind"], "name": i["name"], "now": i["current"], "before": i["previous"]} for i in rising]
    return "Rising since the previous snapshot:\n" + json.dumps(rows, ensure_ascii=False)


def summarize(
    client: AzureAIClient, model: str, rising: Sequence[dict[str, Any]], *, budget_s: float
) -> tuple[str, str]:
    """(summary, model that answered); an empty answer is retried like any other transient failure."""
    result = client.chat(
        model=model,
        messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt(rising)}],
        max_tokens=400,
        temperature=0.3,
        budget_s=budget_s,
    )
    text = result.content.strip()
    if not text:
        raise TransientError("azure_empty_answer", f"{model} returned an empty summary")
    return text[:MAX_SUMMARY_CHARS], result.model
