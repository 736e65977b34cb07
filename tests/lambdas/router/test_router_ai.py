"""POST /v1/ai/route against a local server speaking Azure AI Foundry's chat-completions API."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from router_events import AZURE_KEY, LambdaContext, completion
from werkzeug import Request, Response

PATH = "/models/chat/completions"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _usage_rows(db_conn) -> list[dict]:
    return db_conn.execute(
        "SELECT model, requests, prompt_tokens, completion_tokens FROM ai_usage_daily ORDER BY model"
    ).fetchall()


def test_generation_goes_to_deepseek_v3_with_the_key(call, httpserver):
    # Given Azure answers for DeepSeek-V3
    httpserver.expect_oneshot_request(PATH, method="POST", headers={"api-key": AZURE_KEY}).respond_with_json(
        completion("DeepSeek-V3", "A caption.")
    )
    # When a generation prompt is routed
    answer = call("POST", "/v1/ai/route", {"prompt": "Write a caption", "type": "generation", "max_tokens": 50})
    # Then the answer carries the model, the text and the usage
    assert answer.status == 200, answer.body
    assert answer.body["model"] == "DeepSeek-V3" and answer.body["output"] == "A caption."
    assert answer.body["usage"] == {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    sent = json.loads(httpserver.log[0][0].get_data())
    assert sent["model"] == "DeepSeek-V3" and sent["max_tokens"] == 50
    assert sent["messages"] == [{"role": "user", "content": "Write a caption"}]


def test_reasoning_goes_to_deepseek_r1_and_keeps_reasoning_apart(call, httpserver):
    httpserver.expect_oneshot_request(PATH, method="POST").respond_with_json(
        completion("DeepSeek-R1", "<think>Count the letters.</think>\n\nThree.")
    )
    answer = call("POST", "/v1/ai/route", {"prompt": "How many r in strawberry?", "type": "reasoning"})
    assert answer.status == 200, answer.body
    assert answer.body["output"] == "Three."
    assert answer.body["reasoning"] == "Count the letters."
    assert json.loads(httpserver.log[0][0].get_data())["model"] == "DeepSeek-R1"


def test_other_types_go_to_phi4_with_images_as_parts(call, httpserver):
    httpserver.expect_oneshot_request(PATH, method="POST").respond_with_json(
        completion("Phi-4-multimodal-instruct", "A cat.")
    )
    image = "data:image/png;base64," + base64.b64encode(PNG).decode()
    answer = call("POST", "/v1/ai/route", {"prompt": "What is this?", "type": "vision", "images": [image]})
    assert answer.status == 200, answer.body
    sent = json.loads(httpserver.log[0][0].get_data())
    assert sent["model"] == "Phi-4-multimodal-instruct"
    parts = sent["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "What is this?"}
    assert parts[1]["image_url"]["url"] == image


def test_usage_is_counted_per_day_and_model(call, httpserver, db_conn):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        completion("DeepSeek-V3", "ok", prompt_tokens=100, completion_tokens=20)
    )
    for _ in range(2):
        assert call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation", "temperature": 0.7}).status == 200
    assert _usage_rows(db_conn) == [
        {"model": "DeepSeek-V3", "requests": 2, "prompt_tokens": 200, "completion_tokens": 40}
    ]


def test_throttling_that_outlasts_the_budget_answers_503(call, httpserver, db_conn):
    # Given Azure throttles every call with a short Retry-After
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"error": {"code": "429", "message": "Rate limit"}}, status=429, headers={"retry-after-ms": "50"}
    )
    # When a prompt is routed
    answer = call(
        "POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"}, context=LambdaContext(remaining_ms=3000)
    )
    # Then it was retried, and the caller gets a clear 503 and nothing is counted
    assert answer.status == 503 and answer.body["error"] == "azure_throttled"
    assert "Rate limit" in answer.body["detail"] and answer.headers.get("Retry-After")
    assert len(httpserver.log) > 1
    assert _usage_rows(db_conn) == []


def test_server_errors_after_retries_answer_502(call, httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"error": {"code": "InternalServerError", "message": "boom"}}, status=500
    )
    started = time.monotonic()
    answer = call(
        "POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"}, context=LambdaContext(remaining_ms=3000)
    )
    assert answer.status == 502 and answer.body["error"] == "azure_unavailable"
    assert len(httpserver.log) >= 2
    assert time.monotonic() - started < 3.0  # stayed inside the Lambda's remaining time


def test_a_slow_azure_answers_504_inside_the_deadline(call, httpserver):
    release = threading.Event()

    def slow(_request: Request) -> Response:
        release.wait(5)
        return Response(json.dumps(completion("DeepSeek-V3", "late")), content_type="application/json")

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)
    started = time.monotonic()
    answer = call(
        "POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"}, context=LambdaContext(remaining_ms=2500)
    )
    elapsed = time.monotonic() - started
    # Let the held request finish so it cannot land in the next test's server log.
    release.set()
    while not httpserver.log and time.monotonic() - started < 5:
        time.sleep(0.01)
    assert answer.status == 504 and answer.body["error"] == "azure_timeout"
    assert elapsed < 2.0


def test_identical_temperature_zero_requests_hit_the_cache(call, httpserver, db_conn):
    httpserver.expect_oneshot_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "cached answer"))
    request = {"prompt": "Same question", "type": "generation", "temperature": 0}
    first = call("POST", "/v1/ai/route", request)
    second = call("POST", "/v1/ai/route", request)
    assert first.status == second.status == 200
    assert (first.body["cached"], second.body["cached"]) == (False, True)
    assert second.headers["X-Cache"] == "hit"
    assert second.body["output"] == "cached answer"
    assert len(httpserver.log) == 1  # Azure asked once
    assert _usage_rows(db_conn)[0]["requests"] == 1  # a hit costs nothing


def test_non_zero_temperature_is_never_cached(call, httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "fresh"))
    request = {"prompt": "Same question", "type": "generation", "temperature": 0.5}
    assert [call("POST", "/v1/ai/route", request).body["cached"] for _ in range(2)] == [False, False]
    assert len(httpserver.log) == 2


def test_the_router_answers_when_the_cache_is_down(call, httpserver, monkeypatch, closed_port):
    # Given the cache points at a port nothing listens on
    from common import settings
    from router import cache

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed_port}/0")
    settings.reset()
    cache.reset()
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "still here"))
    # When two cacheable requests arrive / Then both are answered from Azure
    for _ in range(2):
        answer = call("POST", "/v1/ai/route", {"prompt": "q", "type": "generation", "temperature": 0})
        assert answer.status == 200 and answer.body["output"] == "still here" and answer.body["cached"] is False


def test_spend_guard_answers_429_once_the_daily_budget_is_spent(call, httpserver, db_conn):
    # Given today's spending already reached the $0.01 budget (10000 micro-dollars)
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date, 'global', 10000)"
    )
    db_conn.commit()
    # When any model is asked
    answer = call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"})
    # Then the route refuses clearly, in dollars, and Azure is never called
    assert answer.status == 429 and answer.body["error"] == "daily_budget_exceeded"
    assert "budget of $0.01 " in answer.body["detail"] and "$0.01 committed" in answer.body["detail"]
    assert httpserver.log == []


def test_yesterdays_usage_does_not_count(call, httpserver, db_conn):
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date - 1, 'global', 50000)"
    )
    db_conn.commit()
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "ok"))
    assert call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"}).status == 200


def test_azure_refusing_the_request_is_a_422(call, httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"error": {"code": "content_filter", "message": "The prompt was filtered"}}, status=400
    )
    answer = call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"})
    assert answer.status == 422 and answer.body["error"] == "upstream_rejected"
    assert "filtered" in answer.body["detail"]


def test_an_answer_withheld_by_the_content_filter_is_a_422(call, httpserver, db_conn):
    # Given Azure answers 200 but its filter cut the completion (finish_reason content_filter)
    body = completion("DeepSeek-V3", "")
    body["choices"][0]["finish_reason"] = "content_filter"
    httpserver.expect_request(PATH, method="POST").respond_with_json(body)
    answer = call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation", "temperature": 0})
    # Then the caller learns its request was filtered (it can change it), and nothing is cached
    assert answer.status == 422 and answer.body["error"] == "content_filtered"
    assert "content filter" in answer.body["detail"]
    assert len(httpserver.log) == 1  # not retried
    assert call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation", "temperature": 0}).status == 422
    assert len(httpserver.log) == 2  # the refusal was not served from the cache


def test_a_content_filter_error_object_is_a_422(call, httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"error": {"code": "content_filter", "message": "The response was filtered"}}
    )
    answer = call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"})
    assert answer.status == 422 and answer.body["error"] == "content_filtered"
    assert "filtered" in answer.body["detail"]


MISCONFIGURED = {
    "deployment_not_found_404": (404, {"error": {"code": "DeploymentNotFound", "message": "no such deployment"}}),
    "unknown_model_400": (400, {"error": {"code": "unknown_model", "message": "Unknown model: DeepSeek-V3"}}),
}


@pytest.mark.parametrize("case", list(MISCONFIGURED), ids=list(MISCONFIGURED))
def test_a_misconfigured_model_or_endpoint_is_a_502_saying_so(call, httpserver, db_conn, case):
    status, body = MISCONFIGURED[case]
    httpserver.expect_request(PATH, method="POST").respond_with_json(body, status=status)
    answer = call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"})
    assert answer.status == 502 and answer.body["error"] == "azure_misconfigured"
    assert "misconfigured" in answer.body["detail"] and "on our side" in answer.body["detail"]
    assert "Retry-After" not in answer.headers  # retrying will not help
    assert len(httpserver.log) == 1  # not retried
    assert _usage_rows(db_conn) == []


def test_a_rejected_key_is_a_502_that_blames_the_service_not_the_caller(call, httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"error": {"code": "401", "message": "Access denied"}}, status=401
    )
    answer = call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"})
    assert answer.status == 502 and answer.body["error"] == "azure_auth_failed"
    assert "on our side" in answer.body["detail"]


@pytest.mark.parametrize("kind", ["transient", "permanent"])
def test_an_azure_reason_the_router_does_not_know_is_a_502(kind):
    # The shared client may grow reasons before the router maps them: neither the caller's fault nor a 500.
    from common.errors import PermanentError, TransientError
    from router.ai import upstream_error

    error = (TransientError if kind == "transient" else PermanentError)("azure_something_new", "raw upstream text")
    answer = upstream_error(error)
    assert (answer.status, answer.error) == (502, "upstream_error")
    assert "azure_something_new" in answer.detail and "raw upstream text" not in answer.detail


BIG = "x" * 2001
BAD_REQUESTS = {
    "malformed_json": ({"raw_body": '{"prompt": "hi", '}, 400, "malformed_json"),
    "json_array": ({"raw_body": '["hi"]'}, 400, "invalid_request"),
    "nan": ({"raw_body": '{"prompt": "hi", "type": "generation", "temperature": NaN}'}, 400, "malformed_json"),
    "prompt_not_string": ({"body": {"prompt": 42, "type": "generation"}}, 400, "invalid_request"),
    "max_tokens_string": ({"body": {"prompt": "hi", "type": "generation", "max_tokens": "10"}}, 400, "invalid_request"),
    "max_tokens_bool": ({"body": {"prompt": "hi", "type": "generation", "max_tokens": True}}, 400, "invalid_request"),
    "max_tokens_over_limit": (
        {"body": {"prompt": "hi", "type": "generation", "max_tokens": 100000}},
        400,
        "invalid_request",
    ),
    "temperature_out_of_range": (
        {"body": {"prompt": "hi", "type": "generation", "temperature": 3}},
        400,
        "invalid_request",
    ),
    "missing_prompt": ({"body": {"type": "generation"}}, 400, "invalid_request"),
    "empty_prompt": ({"body": {"prompt": "", "type": "generation"}}, 400, "invalid_request"),
    "unknown_field": ({"body": {"prompt": "hi", "type": "generation", "model": "gpt-4"}}, 400, "invalid_request"),
    "type_not_in_the_document": ({"body": {"prompt": "hi", "type": "poetry"}}, 400, "invalid_request"),
    "prompt_over_limit": ({"body": {"prompt": BIG, "type": "generation"}}, 413, "prompt_too_long"),
    "body_over_limit": ({"body": {"prompt": "hi", "type": "vision", "images": ["A" * 250_000]}}, 413, "body_too_large"),
    "too_many_images": (
        {"body": {"prompt": "hi", "type": "vision", "images": ["iVBORw0KGgo="] * 3}},
        413,
        "too_many_images",
    ),
    "images_for_text_model": (
        {"body": {"prompt": "hi", "type": "reasoning", "images": [base64.b64encode(PNG).decode()]}},
        400,
        "invalid_request",  # the text-only types have no `images` field
    ),
    "image_not_base64": (
        {"body": {"prompt": "hi", "type": "vision", "images": ["not base64!"]}},
        400,
        "invalid_request",
    ),
    "image_not_an_image": (
        {"body": {"prompt": "hi", "type": "vision", "images": [base64.b64encode(b"GIF89a....").decode()]}},
        400,
        "invalid_request",
    ),
    # The limit counts UTF-8 bytes: 150,000 characters of "é" are 300,000 bytes.
    "body_over_limit_in_bytes": (
        {"raw_body": json.dumps({"prompt": "hi", "type": "vision", "images": ["é" * 150_000]}, ensure_ascii=False)},
        413,
        "body_too_large",
    ),
    "temperature_bool": ({"body": {"prompt": "hi", "type": "generation", "temperature": True}}, 400, "invalid_request"),
    "image_empty": ({"body": {"prompt": "hi", "type": "vision", "images": [""]}}, 400, "invalid_request"),
    "type_bad_format": ({"body": {"prompt": "hi", "type": "Gen eration"}}, 400, "invalid_request"),
    # A media type with parameters and other casing passes the media check and meets the schema.
    "charset_media_type_still_validated": (
        {"body": {"prompt": 42, "type": "generation"}, "headers": {"content-type": "Application/JSON; charset=utf-8"}},
        400,
        "invalid_request",
    ),
    "base64_not_utf8": ({"raw_body": "/w==", "base64_body": "raw"}, 400, "invalid_encoding"),
    "missing_content_type": (
        {"body": {"prompt": "hi", "type": "generation"}, "headers": {"content-type": None}},
        415,
        "unsupported_media_type",
    ),
    "text_content_type": (
        {"body": {"prompt": "hi", "type": "generation"}, "headers": {"content-type": "text/plain"}},
        415,
        "unsupported_media_type",
    ),
    "no_body": ({"headers": {"content-type": "application/json"}}, 400, "missing_body"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS), ids=list(BAD_REQUESTS))
def test_bad_input_gets_a_clear_4xx_and_costs_nothing(call, httpserver, db_conn, case):
    kwargs, status, error = BAD_REQUESTS[case]
    body = kwargs.pop("body", None) if "body" in kwargs else None
    answer = call("POST", "/v1/ai/route", body, **{k: v for k, v in kwargs.items()})
    kwargs.setdefault("body", body)  # keep the table intact for reruns
    assert answer.status == status, answer.body
    assert answer.body["error"] == error and answer.body["detail"]
    assert httpserver.log == []
    assert _usage_rows(db_conn) == []


def test_over_budget_is_a_429_whose_retry_after_is_the_time_to_midnight():
    from datetime import UTC, datetime

    from common.errors import OverBudget
    from router.ai import over_budget

    # Given the guard refused a call at 23:59:30 UTC on the caller's budget
    error = OverBudget(
        "caller_budget_exceeded",
        "your daily AI budget of $0.5 has no room",
        scope="caller:u",
        retry_at=datetime(2026, 12, 1, tzinfo=UTC),
        retry_after_s=30,
    )
    # Then the answer is a 429 naming that budget, retried in 30 s (at 00:00 UTC)
    answer = over_budget(error)
    assert (answer.status, answer.error, answer.detail) == (
        429,
        "caller_budget_exceeded",
        "your daily AI budget of $0.5 has no room",
    )
    assert answer.headers == {"Retry-After": "30"}


def test_the_reservation_counts_the_prompts_utf8_bytes_and_each_image_at_the_models_image_price(
    call, httpserver, db_conn, monkeypatch
):
    from common import ai_spend, spend_guard

    # Given the guard's reservations are watched
    held: list[int] = []
    real = ai_spend.reserve
    monkeypatch.setattr(
        ai_spend, "reserve", lambda conn, budgets, amount: held.append(amount) or real(conn, budgets, amount)
    )
    monkeypatch.setattr(spend_guard, "emit_cost", lambda _m, _usd: None)
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("Phi-4-multimodal-instruct", "ok"))
    image = base64.b64encode(PNG).decode()
    # When a vision prompt of 2 two-byte characters, 2 images and max_tokens 100 is routed
    answer = call(
        "POST", "/v1/ai/route", {"prompt": "éé", "type": "vision", "images": [image, image], "max_tokens": 100}
    )
    # Then it held (16 + 4 + 2 x 2000) x 0.08 + 100 x 0.32 micro-dollars, and Azure was asked for 100 tokens at most
    assert answer.status == 200, answer.body
    assert held == [354]  # 321.6 + 32 = 353.6, rounded up
    assert json.loads(httpserver.log[0][0].get_data())["max_tokens"] == 100


def test_the_default_max_tokens_is_reserved_and_sent(call, httpserver, monkeypatch):
    from common import ai_spend

    held: list[int] = []
    real = ai_spend.reserve
    monkeypatch.setattr(
        ai_spend, "reserve", lambda conn, budgets, amount: held.append(amount) or real(conn, budgets, amount)
    )
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "ok"))
    assert call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation"}).status == 200
    # (16 + 2) x 1.14 + 1024 x 4.56 = 4689.96
    assert held == [4690]
    assert json.loads(httpserver.log[0][0].get_data())["max_tokens"] == 1024


def test_requests_exactly_at_the_stages_limits_are_accepted(call, httpserver, monkeypatch):
    from common import settings

    # Given a generous day (4096 output tokens of DeepSeek-V3 cost more than the fixture's $0.01)
    monkeypatch.setenv("AI_DAILY_BUDGET_USD", "1")
    settings.reset()
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("DeepSeek-V3", "ok"))
    # When the prompt has exactly AI_MAX_PROMPT_CHARS (2000) and max_tokens is exactly AI_MAX_OUTPUT_TOKENS (4096)
    at_limit = {"prompt": "x" * 2000, "type": "generation", "max_tokens": 4096}
    assert call("POST", "/v1/ai/route", at_limit).status == 200
    # Then one more of either is refused, naming the limit
    over_tokens = call("POST", "/v1/ai/route", {**at_limit, "max_tokens": 4097})
    assert (over_tokens.status, over_tokens.body["detail"]) == (400, "'max_tokens' must be at most 4096")
    over_prompt = call("POST", "/v1/ai/route", {**at_limit, "prompt": "x" * 2001})
    assert over_prompt.status == 413 and "the limit is 2000" in over_prompt.body["detail"]
    # And exactly AI_MAX_IMAGES (2) images are taken
    image = base64.b64encode(PNG).decode()
    httpserver.expect_request(PATH, method="POST").respond_with_json(completion("Phi-4-multimodal-instruct", "ok"))
    assert call("POST", "/v1/ai/route", {"prompt": "p", "type": "vision", "images": [image, image]}).status == 200
