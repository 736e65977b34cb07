"""The Azure AI Foundry client against a local server speaking the real protocol."""

from __future__ import annotations

import base64
import json
import time

import pytest
from werkzeug import Request, Response

from common.azure_ai import AzureAIClient, ChatResult, Usage, user_message
from common.errors import PermanentError, TransientError

PATH = "/models/chat/completions"
API_VERSION = "2024-05-01-preview"


def completion(content, *, model="Phi-4-multimodal-instruct", reasoning_content=None, finish_reason="stop",
               usage=(12, 5, 17)):
    message = {"role": "assistant", "content": content}
    if reasoning_content is not None:
        message["reasoning_content"] = reasoning_content
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1714550000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": usage[2]},
    }


class FakeTime:
    """A clock that only moves when the client sleeps: deterministic budgets, no real waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def client(httpserver, fake_time):
    return AzureAIClient(
        httpserver.url_for("/"),
        "test-key",
        api_version=API_VERSION,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        jitter=lambda: 1.0,
    )


def expect(httpserver, **kwargs):
    return httpserver.expect_oneshot_request(PATH, method="POST", query_string={"api-version": API_VERSION}, **kwargs)


def test_success_returns_typed_result_and_reports_usage(httpserver, fake_time):
    # Given a server that answers and a usage hook
    seen: list[ChatResult] = []
    client = AzureAIClient(httpserver.url_for("/"), "test-key", usage_hook=seen.append,
                           clock=fake_time.clock, sleep=fake_time.sleep)
    expect(httpserver, headers={"api-key": "test-key"}).respond_with_json(completion("Hello!"))
    # When a chat completion is requested
    result = client.chat(model="Phi-4-multimodal-instruct", messages=[{"role": "user", "content": "Hi"}],
                         max_tokens=50, temperature=0.2, response_format={"type": "json_object"}, budget_s=5)
    # Then the answer, model, usage and finish reason come back typed
    assert result.content == "Hello!"
    assert result.reasoning is None
    assert result.model == "Phi-4-multimodal-instruct"
    assert result.usage == Usage(prompt_tokens=12, completion_tokens=5, total_tokens=17)
    assert result.finish_reason == "stop"
    # And the hook saw the same usage once
    assert [r.usage for r in seen] == [result.usage]
    # And the request carried the OpenAI-shaped body
    request, _ = httpserver.log[0]
    assert request.get_json() == {
        "model": "Phi-4-multimodal-instruct",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 50,
        "temperature": 0.2,
        "response_format": {"type": "json_object"},
    }
    httpserver.check_assertions()


def test_multimodal_message_reaches_the_server_as_image_parts(httpserver, client):
    # Given two JPEG frames
    frames = [b"\xff\xd8\xff\xe0frame-one\xff\xd9", b"\xff\xd8\xff\xe0frame-two\xff\xd9"]
    expect(httpserver).respond_with_json(completion("Two frames of a cat."))
    # When they are sent with a prompt
    client.chat(model="Phi-4-multimodal-instruct", messages=[user_message("Describe", frames)], budget_s=5)
    # Then the server got a text part and one data-URL image part per frame, with the key and JSON headers
    request, _ = httpserver.log[0]
    assert request.headers["api-key"] == "test-key"
    assert request.headers["Content-Type"] == "application/json"
    content = request.get_json()["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "Describe"}
    urls = [part["image_url"]["url"] for part in content[1:]]
    assert [p["type"] for p in content[1:]] == ["image_url", "image_url"]
    prefix = "data:image/jpeg;base64,"
    assert all(u.startswith(prefix) for u in urls)
    assert [base64.b64decode(u[len(prefix):]) for u in urls] == frames


def test_text_only_message_stays_a_string():
    assert user_message("plain") == {"role": "user", "content": "plain"}


def test_reasoning_in_reasoning_content_is_kept_apart(httpserver, client):
    expect(httpserver).respond_with_json(
        completion("42", model="DeepSeek-R1", reasoning_content="6 times 7 is 42.")
    )
    result = client.chat(model="DeepSeek-R1", messages=[{"role": "user", "content": "6*7?"}], budget_s=5)
    assert (result.content, result.reasoning, result.model) == ("42", "6 times 7 is 42.", "DeepSeek-R1")


def test_reasoning_in_think_tags_is_kept_apart(httpserver, client):
    expect(httpserver).respond_with_json(
        completion("<think>\nThe user wants a number.\nIt is 42.\n</think>\n\nThe answer is 42.", model="DeepSeek-R1")
    )
    result = client.chat(model="DeepSeek-R1", messages=[{"role": "user", "content": "?"}], budget_s=5)
    assert result.content == "The answer is 42."
    assert result.reasoning == "The user wants a number.\nIt is 42."


def test_unclosed_think_means_the_answer_was_cut_off(httpserver, client):
    expect(httpserver).respond_with_json(
        completion("<think>still thinking about", model="DeepSeek-R1", finish_reason="length")
    )
    result = client.chat(model="DeepSeek-R1", messages=[{"role": "user", "content": "?"}], budget_s=5)
    assert (result.content, result.reasoning, result.finish_reason) == ("", "still thinking about", "length")


def test_429_honours_retry_after_then_succeeds(httpserver, client, fake_time):
    # Given a server that throttles once, asking for 2 s
    expect(httpserver).respond_with_json({"error": {"code": "429", "message": "Rate limit"}}, status=429,
                                         headers={"Retry-After": "2"})
    expect(httpserver).respond_with_json(completion("ok"))
    # When called with enough budget
    result = client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=10)
    # Then it waited what the server asked, then succeeded
    assert result.content == "ok"
    assert fake_time.sleeps == [2.0]
    assert len(httpserver.log) == 2


def test_429_honours_retry_after_ms_with_a_real_sleep(httpserver):
    # Given the real clock and a server asking for 300 ms
    client = AzureAIClient(httpserver.url_for("/"), "k", api_version=API_VERSION)
    expect(httpserver).respond_with_json({}, status=429, headers={"retry-after-ms": "300", "Retry-After": "5"})
    expect(httpserver).respond_with_json(completion("ok"))
    started = time.monotonic()
    # When called
    result = client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=3)
    # Then it waited about 300 ms (the precise header wins over Retry-After)
    waited = time.monotonic() - started
    assert result.content == "ok"
    assert 0.3 <= waited < 1.5


def test_429_asking_beyond_the_deadline_fails_fast_as_throttled(httpserver, client, fake_time):
    expect(httpserver).respond_with_json({"error": {"message": "Rate limit"}}, status=429,
                                         headers={"Retry-After": "30"})
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    assert info.value.reason == "azure_throttled"
    assert fake_time.sleeps == []  # never slept past the deadline


def test_5xx_until_the_deadline_is_unavailable(httpserver, client, fake_time):
    # Given a server that keeps failing
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"error": {"message": "backend down"}}, status=500
    )
    # When called with a 3 s budget (backoff 0.5, 1, 2, ... with full jitter at its ceiling)
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=3)
    # Then it retried with exponential backoff, never past the deadline, and gave up as unavailable
    assert info.value.reason == "azure_unavailable"
    assert "backend down" in info.value.message
    assert fake_time.sleeps == [0.5, 1.0]
    assert sum(fake_time.sleeps) <= 3
    assert len(httpserver.log) == 3


def test_a_5xx_then_success_is_retried(httpserver, client, fake_time):
    expect(httpserver).respond_with_data("upstream error", status=503)
    expect(httpserver).respond_with_json(completion("recovered"))
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5).content == "recovered"
    assert fake_time.sleeps == [0.5]


def test_slow_server_beyond_the_deadline_is_a_timeout(httpserver):
    # Given a server slower than the caller's budget
    def slow(_request: Request) -> Response:
        time.sleep(0.8)
        return Response(json.dumps(completion("late")), content_type="application/json")

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)
    client = AzureAIClient(httpserver.url_for("/"), "k", api_version=API_VERSION)
    started = time.monotonic()
    # When called with 0.4 s left
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=0.4)
    # Then it gave up at the deadline, as a timeout
    assert info.value.reason == "azure_timeout"
    assert time.monotonic() - started < 0.75
    # (let the server finish the abandoned request so it does not leak into the next test's log)
    while not httpserver.log and time.monotonic() - started < 3:
        time.sleep(0.05)


def test_400_is_permanent_with_azures_message(httpserver, client):
    expect(httpserver).respond_with_json(
        {"error": {"code": "invalid_request_error", "message": "max_tokens is too large: 999999"}}, status=400
    )
    with pytest.raises(PermanentError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], max_tokens=999999, budget_s=5)
    assert info.value.reason == "azure_bad_request"
    assert "max_tokens is too large: 999999" in info.value.message
    assert len(httpserver.log) == 1  # not retried


@pytest.mark.parametrize(
    "body",
    [b"<html>Bad gateway</html>", b'{"choices": []}', b'{"choices": [{"message": "text"}]}'],
    ids=["not-json", "no-choices", "message-not-object"],
)
def test_malformed_success_body_is_a_distinct_error(httpserver, client, body):
    expect(httpserver).respond_with_data(body, status=200, content_type="application/json")
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    assert info.value.reason == "azure_malformed_response"


def test_401_refreshes_the_key_once(httpserver, fake_time):
    # Given a key provider whose cached key was rotated away
    calls: list[bool] = []

    def key(refresh: bool) -> str:
        calls.append(refresh)
        return "new-key" if refresh else "old-key"

    client = AzureAIClient(httpserver.url_for("/"), key, clock=fake_time.clock, sleep=fake_time.sleep)
    expect(httpserver, headers={"api-key": "old-key"}).respond_with_json({"error": {"message": "bad key"}}, status=401)
    expect(httpserver, headers={"api-key": "new-key"}).respond_with_json(completion("ok"))
    # When called / Then it refreshed the key and succeeded without sleeping
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5).content == "ok"
    assert calls == [False, True]
    assert fake_time.sleeps == []


def test_connection_refused_is_unavailable(fake_time):
    client = AzureAIClient("http://127.0.0.1:1", "k", clock=fake_time.clock, sleep=fake_time.sleep)
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=1)
    assert info.value.reason == "azure_unavailable"


def test_key_from_secrets_manager(aws, httpserver, monkeypatch):
    import boto3

    from common import azure_ai, settings

    # Given the key in Secrets Manager and the settings pointing at it
    arn = boto3.client("secretsmanager").create_secret(Name="azure", SecretString="sm-key\n")["ARN"]
    monkeypatch.setenv("AZURE_AI_ENDPOINT", httpserver.url_for("/"))
    monkeypatch.setenv("AZURE_AI_KEY_SECRET_ARN", arn)
    monkeypatch.delenv("AZURE_AI_KEY", raising=False)
    settings.reset()
    azure_ai.reset_client()
    expect(httpserver, headers={"api-key": "sm-key"}).respond_with_json(completion("ok"))
    try:
        # When the container client is used / Then it sends the secret's key
        assert azure_ai.get_client().chat(model="m", messages=[], budget_s=5).content == "ok"
        assert azure_ai.get_client() is azure_ai.get_client()
    finally:
        azure_ai.reset_client()
        settings.reset()


def test_deadline_and_budget_are_exclusive(client):
    with pytest.raises(ValueError, match="not both"):
        client.chat(model="m", messages=[], deadline=1.0, budget_s=1.0)
