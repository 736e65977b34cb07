"""router.ai without HTTP or a database: the request's limits, the model choice, the cache, the guard, Azure's errors.

Fakes stand in for the guard, the client and the cache, so each rule is checked
exactly (and fast enough for mutation testing, tools/mutate/targets.toml).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from common.azure_responses import ChatResult, Usage
from common.errors import OverBudget, PermanentError, TransientError
from router import ai
from router.errors import ApiError
from router.settings import RouterSettings
from tools import function_env

MODELS = {"reasoning": "DeepSeek-R1", "generation": "DeepSeek-V3", "default": "Phi-4-multimodal-instruct"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
JPEG = b"\xff\xd8\xff" + b"\x00" * 8
SETTINGS = RouterSettings.from_env(
    {
        **function_env.router(),
        "UPLOADS_BUCKET": "uploads",
        "AI_MODELS": json.dumps(MODELS),
        "AI_MAX_PROMPT_CHARS": "20",
        "AI_MAX_IMAGES": "2",
        "AI_MAX_OUTPUT_TOKENS": "2000",
    }
)


class FakeGuard:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def call(self, model: str, *, input_tokens: int, images: int, max_tokens: int, ask: Any) -> ChatResult:
        self.calls.append({"model": model, "input_tokens": input_tokens, "images": images, "max_tokens": max_tokens})
        if self.error is not None:
            raise self.error
        return ask()


class FakeClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.error = error

    def chat(self, **kwargs: Any) -> ChatResult:
        self.sent.append(kwargs)
        if self.error is not None:
            raise self.error
        return ChatResult(kwargs["model"], "answer", "thought", Usage(11, 7, 18), "stop")


class FakeCache:
    def __init__(self, *, from_cache: bool, seen: bool) -> None:
        self.from_cache, self.seen = from_cache, seen
        self.flights: list[tuple[str, float, float]] = []
        self.asked: list[tuple[str, str]] = []

    def single_flight(self, key: str, fn: Any, *, wait_s: float, lock_s: float) -> tuple[Any, bool]:
        self.flights.append((key, wait_s, lock_s))
        return fn(), self.from_cache

    def seen_before(self, caller: str, key: str) -> bool:
        self.asked.append((caller, key))
        return self.seen


def _route(req: ai.AiRequest, *, guard=None, client=None, cache=None) -> tuple[dict, bool]:
    guard, client = guard or FakeGuard(), client or FakeClient()
    return ai.route_prompt(
        req,
        caller="alice",
        settings=SETTINGS,
        client=lambda: client,
        cache=lambda: cache or pytest.fail("the cache was used"),
        guard=guard,
        budget_s=10.0,
    )


def _body(**fields: Any) -> dict[str, Any]:
    return {"prompt": "hi", "type": "generation", **fields}


# --- the request's limits ---------------------------------------------------------


def test_a_request_takes_its_fields_and_the_default_max_tokens():
    req = ai.AiRequest.from_body(_body(temperature=0.5), SETTINGS)
    assert req == ai.AiRequest("hi", "generation", (), 1024, 0.5)
    assert (
        ai.AiRequest("p", "t").max_tokens == ai.DEFAULT_MAX_TOKENS == 1024
        and ai.AiRequest("p", "t").temperature is None
    )


def test_the_limits_hold_exactly_at_the_stages_values():
    ok = ai.AiRequest.from_body(_body(prompt="x" * 20, images=["a", "b"], max_tokens=2000), SETTINGS)
    assert (len(ok.prompt), ok.images, ok.max_tokens) == (20, ("a", "b"), 2000)
    with pytest.raises(ApiError) as prompt:
        ai.AiRequest.from_body(_body(prompt="x" * 21), SETTINGS)
    assert (prompt.value.status, prompt.value.error, prompt.value.detail) == (
        413,
        "prompt_too_long",
        "'prompt' has 21 characters; the limit is 20",
    )
    with pytest.raises(ApiError) as images:
        ai.AiRequest.from_body(_body(images=["a", "b", "c"]), SETTINGS)
    assert (images.value.status, images.value.error, images.value.detail) == (
        413,
        "too_many_images",
        "3 images; the limit is 2",
    )
    with pytest.raises(ApiError) as tokens:
        ai.AiRequest.from_body(_body(max_tokens=2001), SETTINGS)
    assert (tokens.value.status, tokens.value.error, tokens.value.detail) == (
        400,
        "invalid_request",
        "'max_tokens' must be at most 2000",
    )


def test_no_images_is_an_empty_tuple():
    assert ai.AiRequest.from_body(_body(images=None), SETTINGS).images == ()


# --- model choice, guard and client ------------------------------------------------


def test_a_call_goes_through_the_guard_with_its_bounds_and_to_azure_with_its_settings():
    guard, client = FakeGuard(), FakeClient()
    req = ai.AiRequest("héllo", "reasoning", max_tokens=50, temperature=0.7)
    answer, cached = _route(req, guard=guard, client=client)
    # The guard holds the prompt's UTF-8 bytes plus the message overhead, no images, and max_tokens
    assert guard.calls == [{"model": "DeepSeek-R1", "input_tokens": 16 + 6, "images": 0, "max_tokens": 50}]
    assert ai.prompt_token_bound(req) == 22
    # Azure is asked for that model, the prompt as plain text, max_tokens, temperature and the time budget
    assert client.sent == [
        {
            "model": "DeepSeek-R1",
            "messages": [{"role": "user", "content": "héllo"}],
            "max_tokens": 50,
            "temperature": 0.7,
            "budget_s": 10.0,
        }
    ]
    assert cached is False
    assert answer == {
        "model": "DeepSeek-R1",
        "output": "answer",
        "reasoning": "thought",
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def test_images_go_to_the_default_model_as_parts_after_the_text():
    guard, client = FakeGuard(), FakeClient()
    png = "data:image/png;base64," + base64.b64encode(PNG).decode()
    jpeg = base64.b64encode(JPEG).decode()
    _route(ai.AiRequest("what?", "vision", (png, jpeg)), guard=guard, client=client)
    assert guard.calls[0]["model"] == "Phi-4-multimodal-instruct" and guard.calls[0]["images"] == 2
    content = client.sent[0]["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "what?"}
    assert [p["image_url"]["url"] for p in content[1:]] == [png, "data:image/jpeg;base64," + jpeg]


def test_an_unknown_type_names_the_accepted_ones():
    with pytest.raises(ApiError) as err:
        _route(ai.AiRequest("p", "poetry"))
    assert (err.value.status, err.value.error) == (400, "unknown_type")
    assert err.value.detail == "unknown type 'poetry'; expected one of chat, default, generation, reasoning, vision"


def test_images_for_a_text_only_model_are_refused_before_any_call():
    guard = FakeGuard()
    with pytest.raises(ApiError) as err:
        _route(ai.AiRequest("p", "generation", (base64.b64encode(PNG).decode(),)), guard=guard)
    assert (err.value.status, err.value.error) == (400, "images_not_supported")
    assert err.value.detail == "type 'generation' (DeepSeek-V3) takes no images; use type 'vision'"
    assert guard.calls == []


def test_over_budget_is_a_429_and_azure_is_not_asked():
    over = OverBudget(
        "daily_budget_exceeded", "no room", scope="global", retry_at=datetime(2026, 1, 2, tzinfo=UTC), retry_after_s=77
    )
    client = FakeClient()
    with pytest.raises(ApiError) as err:
        _route(ai.AiRequest("p", "generation"), guard=FakeGuard(over), client=client)
    assert (err.value.status, err.value.error, err.value.detail) == (429, "daily_budget_exceeded", "no room")
    assert err.value.headers == {"Retry-After": "77"} and client.sent == []


def test_an_azure_failure_is_mapped_for_the_caller():
    client = FakeClient(TransientError("azure_throttled", "slow down"))
    with pytest.raises(ApiError) as err:
        _route(ai.AiRequest("p", "generation"), client=client)
    assert (err.value.status, err.value.error, err.value.headers) == (503, "azure_throttled", {"Retry-After": "5"})


def test_anything_else_is_not_turned_into_an_answer():
    with pytest.raises(KeyError):
        _route(ai.AiRequest("p", "generation"), client=FakeClient(KeyError("bug")))


# --- the cache ----------------------------------------------------------------------


def test_only_a_temperature_zero_request_uses_the_cache_with_half_the_budget_to_wait():
    cache = FakeCache(from_cache=True, seen=True)
    req = ai.AiRequest("p", "generation", temperature=0)
    answer, cached = _route(req, cache=cache)
    key = cache.flights[0][0]
    assert cache.flights == [(key, 5.0, 10.0)] and cache.asked == [("alice", key)]
    assert key.startswith("ai:v1:") and len(key) == len("ai:v1:") + 64
    assert cached is True and answer["output"] == "answer"
    # No temperature, or any other, never touches it
    assert _route(ai.AiRequest("p", "generation"))[1] is False
    assert _route(ai.AiRequest("p", "generation", temperature=0.1))[1] is False


@pytest.mark.parametrize(
    ("from_cache", "seen", "told"), [(True, False, False), (False, True, False), (False, False, False)]
)
def test_a_hit_is_told_only_for_the_callers_own_earlier_question(from_cache, seen, told):
    _, cached = _route(
        ai.AiRequest("p", "generation", temperature=0), cache=FakeCache(from_cache=from_cache, seen=seen)
    )
    assert cached is told


def test_the_cache_key_names_the_model_prompt_images_and_max_tokens_but_no_caller_or_temperature():
    base = ai.AiRequest("p", "generation", ("i",), 10, 0)
    key = ai._cache_key("DeepSeek-V3", base)
    assert key == ai._cache_key("DeepSeek-V3", ai.AiRequest("p", "chat", ("i",), 10, 0.0))
    others = [
        ai._cache_key("DeepSeek-R1", base),
        ai._cache_key("DeepSeek-V3", ai.AiRequest("q", "generation", ("i",), 10, 0)),
        ai._cache_key("DeepSeek-V3", ai.AiRequest("p", "generation", ("j",), 10, 0)),
        ai._cache_key("DeepSeek-V3", ai.AiRequest("p", "generation", ("i",), 11, 0)),
    ]
    assert len({key, *others}) == 5


# --- Azure's failures ---------------------------------------------------------------

UPSTREAM = {
    "azure_throttled": (503, "azure_throttled", "passed on", {"Retry-After": "5"}),
    "azure_unavailable": (502, "azure_unavailable", "passed on", {}),
    "azure_malformed_response": (502, "azure_malformed_response", "passed on", {}),
    "azure_timeout": (504, "azure_timeout", "passed on", {}),
    "azure_content_filtered": (422, "content_filtered", "passed on", {}),
    "azure_bad_request": (422, "upstream_rejected", "passed on", {}),
    "azure_auth_failed": (502, "azure_auth_failed", "could not authenticate", {}),
    "azure_misconfigured": (502, "azure_misconfigured", "misconfigured", {}),
}


@pytest.mark.parametrize("reason", list(UPSTREAM))
def test_each_azure_reason_has_its_answer(reason, caplog):
    status, error, detail, headers = UPSTREAM[reason]
    answer = ai.upstream_error(PermanentError(reason, "passed on"))
    assert (answer.status, answer.error, answer.headers) == (status, error, headers)
    assert detail in answer.detail
    # Ours to fix is logged as an error, the rest as a warning
    (record,) = caplog.records
    assert record.levelname == ("ERROR" if reason in ("azure_auth_failed", "azure_misconfigured") else "WARNING")


def test_an_unknown_azure_reason_is_a_logged_502(caplog):
    answer = ai.upstream_error(TransientError("azure_new", "raw text"))
    assert (answer.status, answer.error, answer.detail) == (
        502,
        "upstream_error",
        "Azure AI failed (azure_new); this has been logged",
    )
    assert answer.headers == {} and [r.levelname for r in caplog.records] == ["ERROR"]


# --- images -----------------------------------------------------------------------


def test_a_data_url_image_keeps_its_type():
    part = ai._image_part("data:image/jpeg;base64," + base64.b64encode(JPEG).decode(), 0)
    assert part["image_url"]["url"].startswith("data:image/jpeg;base64,/9j/")


BAD_IMAGES = {
    "not_base64": ("###", 400, "invalid_image", "'images[1]' is not valid base64"),
    "gif": (base64.b64encode(b"GIF89a").decode(), 415, "unsupported_image", "'images[1]' is not a JPEG or PNG"),
    "data_url_not_base64": ("data:image/png," + base64.b64encode(PNG).decode(), 400, "invalid_image", None),
    "declared_other_type": ("data:image/jpeg;base64," + base64.b64encode(PNG).decode(), 400, "invalid_image", None),
}


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_a_bad_image_is_refused_naming_its_index(case):
    raw, status, error, detail = BAD_IMAGES[case]
    with pytest.raises(ApiError) as err:
        ai._image_part(raw, 1)
    assert (err.value.status, err.value.error) == (status, error)
    assert err.value.detail == (detail or err.value.detail) and "'images[1]'" in err.value.detail
    if case == "declared_other_type":
        assert err.value.detail == "'images[1]' says image/jpeg but holds image/png"
    if case == "data_url_not_base64":
        assert err.value.detail == "'images[1]' must be a base64 data: URL"


def test_the_cache_key_is_the_hash_of_the_requests_canonical_json():
    import hashlib

    # Sorted keys, no spaces: the key stays the same across releases, so the cache outlives a deploy
    canonical = '{"images":["i"],"max_tokens":10,"model":"DeepSeek-V3","prompt":"p"}'
    expected = "ai:v1:" + hashlib.sha256(canonical.encode()).hexdigest()
    assert ai._cache_key("DeepSeek-V3", ai.AiRequest("p", "generation", ("i",), 10, 0)) == expected


def test_a_request_cannot_be_changed_once_checked():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        ai.AiRequest("p", "t").max_tokens = 5  # type: ignore[misc]
