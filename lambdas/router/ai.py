"""POST /v1/ai/route: pick the model, share identical deterministic calls through the cache, guard the spend, ask Azure."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.errors import OverBudget, WorkerError
from router.errors import ApiError
from router.settings import RouterSettings

if TYPE_CHECKING:
    from common.azure_ai import AzureAIClient
    from common.spend_guard import SpendGuard
    from router.cache import ResponseCache

logger = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 1024
_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


@dataclass(frozen=True)
class AiRequest:
    prompt: str
    type: str
    images: tuple[str, ...] = ()
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any], settings: RouterSettings) -> AiRequest:
        """Apply the limits that come from config (the shape was checked already)."""
        if len(body["prompt"]) > settings.max_prompt_chars:
            raise ApiError(
                413,
                "prompt_too_long",
                f"'prompt' has {len(body['prompt'])} characters; the limit is {settings.max_prompt_chars}",
            )
        images = tuple(body.get("images") or ())
        if len(images) > settings.max_images:
            raise ApiError(413, "too_many_images", f"{len(images)} images; the limit is {settings.max_images}")
        max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
        if max_tokens > settings.max_output_tokens:
            raise ApiError(400, "invalid_request", f"'max_tokens' must be at most {settings.max_output_tokens}")
        return cls(body["prompt"], body["type"], images, max_tokens, body.get("temperature"))


def route_prompt(
    req: AiRequest,
    *,
    caller: str,
    settings: RouterSettings,
    client: Callable[[], AzureAIClient],
    cache: Callable[[], ResponseCache],
    guard: SpendGuard,
    budget_s: float,
) -> tuple[dict[str, Any], bool]:
    """The answer and whether this caller had it from the cache (of its own earlier request)."""
    model = settings.model_for(req.type)
    if model is None:
        raise ApiError(
            400, "unknown_type", f"unknown type {req.type!r}; expected one of {', '.join(settings.accepted_types)}"
        )
    if req.images and model != settings.models["default"]:
        raise ApiError(400, "images_not_supported", f"type {req.type!r} ({model}) takes no images; use type 'vision'")
    parts = [_image_part(raw, i) for i, raw in enumerate(req.images)]

    def ask() -> dict[str, Any]:
        return _ask(req, model, parts, client, guard, budget_s)

    # Only a deterministic request may be answered from the cache; the key names no caller.
    if req.temperature != 0:
        return ask(), False
    key = _cache_key(model, req)
    shared = cache()
    answer, from_cache = shared.single_flight(key, ask, wait_s=budget_s / 2, lock_s=budget_s)
    # Told "hit" only for its own earlier question, never for another caller's.
    return answer, shared.seen_before(caller, key) and from_cache


def _ask(
    req: AiRequest,
    model: str,
    parts: list[dict[str, Any]],
    client: Callable[[], AzureAIClient],
    guard: SpendGuard,
    budget_s: float,
) -> dict[str, Any]:
    """One model call inside the spend guard: reserve its worst case, call, settle what it used."""
    content: Any = req.prompt if not parts else [{"type": "text", "text": req.prompt}, *parts]
    try:
        result = guard.call(
            model,
            input_tokens=prompt_token_bound(req),
            images=len(req.images),
            max_tokens=req.max_tokens,
            ask=lambda: client().chat(
                model=model,
                messages=[{"role": "user", "content": content}],
                max_tokens=req.max_tokens,
                temperature=req.temperature,
                budget_s=budget_s,
            ),
        )
    except OverBudget as exc:
        raise over_budget(exc) from None
    except WorkerError as exc:
        raise upstream_error(exc) from exc
    return {
        "model": model,
        "output": result.content,
        "reasoning": result.reasoning,
        "usage": {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
            "total_tokens": result.usage.total_tokens,
        },
    }


def prompt_token_bound(req: AiRequest) -> int:
    """At least the text prompt tokens the request can cost (the spend guard adds each image at the model's price)."""
    from common.spend_guard import text_token_bound

    return text_token_bound(req.prompt)


def over_budget(exc: OverBudget) -> ApiError:
    """429 until the budget resets at the next UTC midnight."""
    return ApiError(429, exc.reason, exc.message, {"Retry-After": str(exc.retry_after_s)})


# The shared Azure client's failure reasons, as the caller should see them.
# reason -> (status, detail); a None detail passes the client's own message on.
_UPSTREAM: dict[str, tuple[int, str | None]] = {
    "azure_throttled": (503, None),
    "azure_unavailable": (502, None),
    "azure_malformed_response": (502, None),
    "azure_timeout": (504, None),
    # The caller can change the request: the filter refused it, or Azure found it invalid.
    "azure_content_filtered": (422, None),
    "azure_bad_request": (422, None),
    # Ours to fix (key, deployment, model name or API version); Azure's text stays in the log.
    "azure_auth_failed": (
        502,
        "the AI service could not authenticate to Azure AI; this is on our side and has been logged",
    ),
    "azure_misconfigured": (
        502,
        "the AI service is misconfigured (model deployment, endpoint or API version); "
        "this is on our side, has been logged, and retrying will not help until it is fixed",
    ),
}
_ERROR_CODES = {"azure_bad_request": "upstream_rejected", "azure_content_filtered": "content_filtered"}


def upstream_error(exc: WorkerError) -> ApiError:
    """The answer to an Azure failure; a reason not known here is a 502, never the caller's fault."""
    known = _UPSTREAM.get(exc.reason)
    if known is None:
        logger.error("Azure AI failed with an unmapped reason %s: %s", exc.reason, exc.message)
        return ApiError(502, "upstream_error", f"Azure AI failed ({exc.reason}); this has been logged")
    status, detail = known
    if detail is not None:
        logger.error("Azure AI is not usable as configured (%s): %s", exc.reason, exc.message)
    else:
        logger.warning("Azure AI answered %s: %s", exc.reason, exc.message)
    headers = {"Retry-After": "5"} if status == 503 else None
    return ApiError(status, _ERROR_CODES.get(exc.reason, exc.reason), detail or exc.message, headers)


def _cache_key(model: str, req: AiRequest) -> str:
    canonical = json.dumps(
        {"model": model, "prompt": req.prompt, "images": req.images, "max_tokens": req.max_tokens},
        sort_keys=True,
        separators=(",", ":"),
    )
    return "ai:v1:" + hashlib.sha256(canonical.encode()).hexdigest()


def _image_part(raw: str, index: int) -> dict[str, Any]:
    """Check an image (base64 or data: URL) is a JPEG or PNG and make it a content part."""
    from common.azure_ai import image_part

    declared = None
    data = raw
    if raw.startswith("data:"):
        header, _, data = raw.partition(",")
        declared = header[5:].split(";")[0]
        if not header.endswith(";base64"):
            raise ApiError(400, "invalid_image", f"'images[{index}]' must be a base64 data: URL")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid_image", f"'images[{index}]' is not valid base64") from None
    mime = next((m for magic, m in _MAGIC.items() if blob.startswith(magic)), None)
    if mime is None:
        raise ApiError(415, "unsupported_image", f"'images[{index}]' is not a JPEG or PNG")
    if declared is not None and declared != mime:
        raise ApiError(400, "invalid_image", f"'images[{index}]' says {declared} but holds {mime}")
    return image_part(blob, mime_type=mime)
