"""The model's view of a video: frames + features in, a validated structured answer out."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from common.azure_ai import AzureAIClient, user_message
from common.errors import PermanentError
from common.spend_guard import SpendGuard, text_token_bound
from video.frames import ModelFrame

PROMPT = """You are analysing a short-form social video (TikTok / Instagram Reels) for its creator.
The images are {count} frames taken at {times} seconds. Measured features: {features}.
Answer with ONE JSON object and nothing else, with exactly these keys:
  "hook": string, what grabs the viewer in the first seconds (one sentence);
  "topics": array of short strings;
  "on_screen_text": array of strings, text visible in the frames (empty if none);
  "suggested_caption": string, a caption under 150 characters;
  "safety_flags": array of strings from ["nudity", "violence", "self_harm", "hate", "drugs", "weapons", "minors", "none"].
"""
_FIELDS: dict[str, type] = {
    "hook": str,
    "topics": list,
    "on_screen_text": list,
    "suggested_caption": str,
    "safety_flags": list,
}
_FENCE = re.compile(r"^\s*```(?:json)?\s*(?P<body>.*?)\s*```\s*$", re.DOTALL)
# Features that help the model; the time series would only cost tokens.
_PROMPT_FEATURES = (
    "duration_s",
    "orientation",
    "has_audio",
    "cut_count",
    "cuts_per_minute",
    "brightness_mean",
    "motion_mean",
)


@dataclass(frozen=True)
class Analysis:
    model: str
    answer: dict[str, Any]
    usage: dict[str, int]
    attempts: int


def validate(content: str) -> dict[str, Any]:
    """The answer as a dict with the expected keys and types; `ValueError` says what is wrong."""
    match = _FENCE.match(content)
    text = match["body"] if match else content.strip()
    try:
        doc = json.loads(text)
    except ValueError:
        raise ValueError(f"the answer is not JSON: {content[:120]!r}") from None
    if not isinstance(doc, dict):
        raise ValueError("the answer is not a JSON object")
    answer: dict[str, Any] = {}
    for key, kind in _FIELDS.items():
        value = doc.get(key)
        if not isinstance(value, kind):
            raise ValueError(f"'{key}' is missing or not a {kind.__name__}")
        if kind is list and not all(isinstance(v, str) for v in value):
            raise ValueError(f"'{key}' must hold strings only")
        answer[key] = value
    return answer


def prompt(frames: Sequence[ModelFrame], features: dict[str, Any]) -> str:
    shown = {k: features[k] for k in _PROMPT_FEATURES if k in features}
    return PROMPT.format(count=len(frames), times=", ".join(f"{f.t:g}" for f in frames), features=json.dumps(shown))


def analyse(
    client: AzureAIClient,
    *,
    model: str,
    frames: Sequence[ModelFrame],
    features: dict[str, Any],
    deadline: float,
    max_tokens: int,
    guard: SpendGuard,
) -> Analysis:
    """Ask the model inside the spend guard; a malformed answer is asked once more, then is a permanent failure.

    Over the day's AI budget is `OverBudget` (the job waits for the next day).
    """
    text = prompt(frames, features)
    messages = [user_message(text, [f.jpeg for f in frames])]
    problem = ""
    for attempt in (1, 2):
        result = guard.call(
            model,
            input_tokens=text_token_bound(text),
            images=len(frames),
            max_tokens=max_tokens,
            ask=lambda: client.chat(
                model=model, messages=messages, max_tokens=max_tokens, temperature=0.2, deadline=deadline
            ),
        )
        try:
            answer = validate(result.content)
        except ValueError as exc:
            problem = str(exc)
            continue
        usage = {"prompt_tokens": result.usage.prompt_tokens, "completion_tokens": result.usage.completion_tokens}
        return Analysis(result.model, answer, usage, attempt)
    raise PermanentError("analysis_malformed", f"the model's answer was malformed twice: {problem}")
