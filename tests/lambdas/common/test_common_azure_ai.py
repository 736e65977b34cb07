"""The Azure AI Foundry client against a local server speaking the real protocol."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime

import pytest
from werkzeug import Request, Response

from common.azure_ai import AzureAIClient, user_message
from common.azure_responses import ChatResult, Usage
from common.errors import PermanentError, TransientError
from tests.fakes import chat_completion

PATH = "/models/chat/completions"
API_VERSION = "2024-05-01-preview"


def completion(
    content, *, model="Phi-4-multimodal-instruct", reasoning_content=None, finish_reason="stop", usage=(12, 5, 17)
):
    assert usage[0] + usage[1] == usage[2]
    return chat_completion(
        content,
        model=model,
        reasoning=reasoning_content,
        finish_reason=finish_reason,
        prompt_tokens=usage[0],
        completion_tokens=usage[1],
    )


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
    client = AzureAIClient(
        httpserver.url_for("/"),
        "test-key",
        usage_hook=seen.append,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        api_version=API_VERSION,
    )
    expect(httpserver, headers={"api-key": "test-key"}).respond_with_json(completion("Hello!"))
    # When a chat completion is requested
    result = client.chat(
        model="Phi-4-multimodal-instruct",
        messages=[{"role": "user", "content": "Hi"}],
        max_tokens=50,
        temperature=0.2,
        response_format={"type": "json_object"},
        budget_s=5,
    )
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
    assert [base64.b64decode(u[len(prefix) :]) for u in urls] == frames


def test_text_only_message_stays_a_string():
    assert user_message("plain") == {"role": "user", "content": "plain"}


def test_reasoning_in_reasoning_content_is_kept_apart(httpserver, client):
    expect(httpserver).respond_with_json(completion("42", model="DeepSeek-R1", reasoning_content="6 times 7 is 42."))
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
    expect(httpserver).respond_with_json(
        {"error": {"code": "429", "message": "Rate limit"}}, status=429, headers={"Retry-After": "2"}
    )
    expect(httpserver).respond_with_json(completion("ok"))
    # When called with enough budget
    result = client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=10)
    # Then it waited what the server asked, then succeeded
    assert result.content == "ok"
    assert fake_time.sleeps == [2.0]
    assert len(httpserver.log) == 2


def test_429_retry_after_ms_wins_over_retry_after(httpserver, client, fake_time):
    # Given a server asking for 300 ms in Azure's header and 5 s in the standard one
    expect(httpserver).respond_with_json({}, status=429, headers={"retry-after-ms": "300", "Retry-After": "5"})
    expect(httpserver).respond_with_json(completion("ok"))
    # When called
    result = client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=3)
    # Then it waited exactly the precise 300 ms, then succeeded
    assert result.content == "ok"
    assert fake_time.sleeps == [0.3]


def test_503_honours_retry_after_seconds(httpserver, client, fake_time):
    expect(httpserver).respond_with_json({"error": {"message": "busy"}}, status=503, headers={"Retry-After": "3"})
    expect(httpserver).respond_with_json(completion("ok"))
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=10).content == "ok"
    assert fake_time.sleeps == [3.0]  # not the 0.5 s backoff


def test_503_honours_retry_after_ms(httpserver, client, fake_time):
    expect(httpserver).respond_with_data("busy", status=503, headers={"retry-after-ms": "1250"})
    expect(httpserver).respond_with_json(completion("ok"))
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=10).content == "ok"
    assert fake_time.sleeps == [1.25]


def test_retry_after_as_an_http_date_is_measured_on_the_wall_clock(httpserver, fake_time):
    # Given a wall clock fixed at 12:00:00 and a server asking to come back at 12:00:07
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    client = AzureAIClient(
        httpserver.url_for("/"),
        "k",
        api_version=API_VERSION,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        wall_clock=lambda: now,
    )
    expect(httpserver).respond_with_data("busy", status=503, headers={"Retry-After": "Fri, 01 May 2026 12:00:07 GMT"})
    expect(httpserver).respond_with_json(completion("ok"))
    # When called / Then it slept the 7 s until that date
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=20).content == "ok"
    assert fake_time.sleeps == [7.0]


def test_retry_after_date_in_the_past_retries_at_once(httpserver, fake_time):
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    client = AzureAIClient(
        httpserver.url_for("/"),
        "k",
        api_version=API_VERSION,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        wall_clock=lambda: now,
    )
    expect(httpserver).respond_with_data("", status=429, headers={"Retry-After": "Fri, 01 May 2026 11:59:00 GMT"})
    expect(httpserver).respond_with_json(completion("ok"))
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5).content == "ok"
    assert fake_time.sleeps == [0.0]


def test_unreadable_retry_after_falls_back_to_backoff(httpserver, client, fake_time):
    # Bad inputs tried: a non-number, non-date Retry-After and a non-number retry-after-ms.
    expect(httpserver).respond_with_data("", status=429, headers={"Retry-After": "soon", "retry-after-ms": "x"})
    expect(httpserver).respond_with_json(completion("ok"))
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5).content == "ok"
    assert fake_time.sleeps == [0.5]  # backoff_base_s * 2**0 with jitter at its ceiling


def test_429_asking_beyond_the_deadline_fails_fast_as_throttled(httpserver, client, fake_time):
    expect(httpserver).respond_with_json(
        {"error": {"message": "Rate limit"}}, status=429, headers={"Retry-After": "30"}
    )
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    assert info.value.reason == "azure_throttled"
    assert fake_time.sleeps == []  # never slept past the deadline


def test_5xx_until_the_deadline_is_unavailable(httpserver, client, fake_time):
    # Given a server that keeps failing
    httpserver.expect_request(PATH, method="POST").respond_with_json({"error": {"message": "backend down"}}, status=500)
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


@pytest.fixture
def release():
    """Set at teardown so a server handler held by a test never outlives it."""
    event = threading.Event()
    yield event
    event.set()


def _wait_for_log(httpserver, count: int = 1) -> None:
    # The single-threaded server must finish an abandoned request before the next test.
    until = time.monotonic() + 10
    while len(httpserver.log) < count and time.monotonic() < until:
        time.sleep(0.02)


# Real-time tests below use bounds far from the behaviour they separate (a 0.5 s
# budget against a server taking 5 s; pass below 2 s): load cannot push a
# correct client over the bound, and a client that waits for the server fails.


def test_server_slow_to_answer_is_a_timeout_within_the_budget(httpserver, release):
    # Given a server that holds its answer for 5 s
    def slow(_request: Request) -> Response:
        release.wait(5)
        return Response(json.dumps(completion("late")), content_type="application/json")

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)
    client = AzureAIClient(httpserver.url_for("/"), "k", api_version=API_VERSION)
    started = time.monotonic()
    # When called with a 0.5 s budget
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=0.5)
    elapsed = time.monotonic() - started
    release.set()
    _wait_for_log(httpserver)
    # Then it gave up near the deadline, as a timeout
    assert info.value.reason == "azure_timeout"
    assert elapsed < 2.0


def _trickle(body: bytes, pieces: int, every_s: float, release: threading.Event, *, length: bool):
    """A handler sending headers at once, then `body` in `pieces` parts `every_s` apart."""
    size = -(-len(body) // pieces)

    def handler(_request: Request) -> Response:
        def stream():
            for i in range(0, len(body), size):
                yield body[i : i + size]
                if release.wait(every_s):
                    return

        headers = {"Content-Length": str(len(body))} if length else {}
        return Response(stream(), content_type="application/json", headers=headers)

    return handler


def test_body_trickled_past_the_deadline_is_a_timeout_within_the_budget(httpserver, release):
    # Given a server that sends its headers at once, then the body in 50 pieces over 5 s
    # (every piece well inside any per-read timeout: the case a per-read timeout misses)
    body = json.dumps(completion("x" * 500)).encode()
    httpserver.expect_request(PATH, method="POST").respond_with_handler(_trickle(body, 50, 0.1, release, length=True))
    client = AzureAIClient(httpserver.url_for("/"), "k", api_version=API_VERSION)
    started = time.monotonic()
    # When called with a 0.5 s budget
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=0.5)
    elapsed = time.monotonic() - started
    release.set()
    _wait_for_log(httpserver)
    # Then it gave up at the deadline as a timeout instead of reading to the end
    assert info.value.reason == "azure_timeout"
    assert elapsed < 2.0


def test_body_trickled_past_the_deadline_stops_on_the_injected_clock(httpserver, release):
    # Given a clock that runs 1 s per look (so the budget is spent after a few reads,
    # however fast the machine) and a server trickling 50 pieces
    ticks = iter(range(10**6))
    seen: list[int] = []

    def clock() -> float:
        seen.append(next(ticks))
        return float(seen[-1])

    body = json.dumps(completion("x" * 500)).encode()
    httpserver.expect_request(PATH, method="POST").respond_with_handler(_trickle(body, 50, 0.05, release, length=True))
    client = AzureAIClient(
        httpserver.url_for("/"),
        "k",
        api_version=API_VERSION,
        clock=clock,
        sleep=lambda s: pytest.fail(f"slept {s}"),
        max_attempts=1,
    )
    # When called with a 4 s budget
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=4)
    release.set()
    _wait_for_log(httpserver)
    # Then it stopped reading once the clock passed the deadline, as a timeout
    assert info.value.reason == "azure_timeout"
    assert len(seen) <= 8  # budget + deadline checks, far fewer than the 50 pieces


def test_body_trickled_inside_the_budget_is_read_whole(httpserver, release):
    # Given a server sending the answer in 5 pieces, without a Content-Length
    body = json.dumps(completion("assembled from pieces")).encode()
    httpserver.expect_request(PATH, method="POST").respond_with_handler(_trickle(body, 5, 0.02, release, length=False))
    client = AzureAIClient(httpserver.url_for("/"), "k", api_version=API_VERSION)
    # When called with plenty of time / Then the pieces make the whole answer
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=20).content == (
        "assembled from pieces"
    )


def test_400_is_permanent_with_azures_message(httpserver, client):
    expect(httpserver).respond_with_json(
        {"error": {"code": "invalid_request_error", "message": "max_tokens is too large: 999999"}}, status=400
    )
    with pytest.raises(PermanentError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], max_tokens=999999, budget_s=5)
    assert info.value.reason == "azure_bad_request"
    assert "max_tokens is too large: 999999" in info.value.message
    assert len(httpserver.log) == 1  # not retried


MALFORMED_200 = {
    "not-json": b"<html>Bad gateway</html>",
    "empty": b"",
    "json-array": b"[]",
    "no-choices": b'{"choices": []}',
    "message-not-object": b'{"choices": [{"message": "text"}]}',
    "other-error-object": b'{"error": {"code": "InternalServerError", "message": "oops"}}',
    "bad-usage": b'{"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": "many"}}',
}


@pytest.mark.parametrize("body", MALFORMED_200.values(), ids=MALFORMED_200.keys())
def test_malformed_200_is_retried_then_a_distinct_error(httpserver, fake_time, body):
    # Given a server that keeps answering 200 with a body that is not a completion
    httpserver.expect_request(PATH, method="POST").respond_with_data(body, status=200, content_type="application/json")
    client = AzureAIClient(
        httpserver.url_for("/"),
        "k",
        api_version=API_VERSION,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        jitter=lambda: 1.0,
        max_attempts=3,
    )
    # When called with time to spare
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=30)
    # Then every attempt was used, with backoff between them, before giving up as malformed
    assert info.value.reason == "azure_malformed_response"
    assert len(httpserver.log) == 3
    assert fake_time.sleeps == [0.5, 1.0]


def test_a_malformed_200_then_a_good_one_succeeds(httpserver, client):
    expect(httpserver).respond_with_data(b'{"choices": []}', status=200, content_type="application/json")
    expect(httpserver).respond_with_json(completion("second time lucky"))
    assert (
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5).content == "second time lucky"
    )


def test_200_carrying_a_content_filter_error_is_permanent(httpserver, client, fake_time):
    # Given a 200 whose body is Azure's content-filter error object
    expect(httpserver).respond_with_json(
        {"error": {"code": "content_filter", "message": "The response was filtered", "status": 400}}, status=200
    )
    # When called / Then it is a permanent failure, not retried
    with pytest.raises(PermanentError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    assert info.value.reason == "azure_content_filtered"
    assert "filtered" in info.value.message
    assert len(httpserver.log) == 1 and fake_time.sleeps == []


def test_choice_cut_by_the_content_filter_is_permanent_and_its_usage_reported(httpserver, fake_time):
    # Given an answer the output filter cut off (it still cost tokens)
    seen: list[ChatResult] = []
    client = AzureAIClient(
        httpserver.url_for("/"),
        "k",
        api_version=API_VERSION,
        usage_hook=seen.append,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    )
    expect(httpserver).respond_with_json(completion("Here is how to", finish_reason="content_filter", usage=(9, 3, 12)))
    # When called / Then it is permanent, not retried, and the spent tokens were reported
    with pytest.raises(PermanentError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    assert info.value.reason == "azure_content_filtered"
    assert len(httpserver.log) == 1
    assert [r.usage for r in seen] == [Usage(9, 3, 12)]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"error": {"code": "DeploymentNotFound", "message": "The deployment does not exist"}}),
        (405, {"error": {"code": "MethodNotAllowed", "message": "api-version not supported"}}),
        (400, {"error": {"code": "unknown_model", "message": "Unknown model: Phi-9"}}),
    ],
    ids=["404-deployment", "405-api-version", "400-unknown-model"],
)
def test_wrong_deployment_or_api_version_is_a_transient_misconfiguration(httpserver, client, fake_time, status, body):
    # Given Azure says the deployment, model or api-version we are configured with is wrong
    expect(httpserver).respond_with_json(body, status=status)
    # When called
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    # Then it is our configuration (not the job) that failed: transient, raised at once without retries
    assert info.value.reason == "azure_misconfigured"
    assert body["error"]["message"] in info.value.message
    assert len(httpserver.log) == 1 and fake_time.sleeps == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, "azure_throttled"),
        (500, "azure_unavailable"),
        (503, "azure_unavailable"),
        (504, "azure_timeout"),
        (408, "azure_timeout"),
    ],
)
def test_running_out_of_attempts_raises_the_last_failures_reason(httpserver, fake_time, status, reason):
    # Given a server failing the same way every time and plenty of time, but 3 attempts
    httpserver.expect_request(PATH, method="POST").respond_with_json({"error": {"message": "no"}}, status=status)
    client = AzureAIClient(
        httpserver.url_for("/"),
        "k",
        api_version=API_VERSION,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        jitter=lambda: 1.0,
        max_attempts=3,
    )
    # When called
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=60)
    # Then exactly 3 requests were made and the reason is that failure's, not a timeout
    assert info.value.reason == reason
    assert len(httpserver.log) == 3
    assert len(fake_time.sleeps) == 2


def test_503_retry_after_beyond_the_deadline_fails_fast(httpserver, client, fake_time):
    expect(httpserver).respond_with_json({"error": {"message": "busy"}}, status=503, headers={"Retry-After": "60"})
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    assert info.value.reason == "azure_unavailable"
    assert fake_time.sleeps == [] and len(httpserver.log) == 1


def test_401_refreshes_the_key_once(httpserver, fake_time):
    # Given a key provider whose cached key was rotated away
    calls: list[bool] = []

    def key(refresh: bool) -> str:
        calls.append(refresh)
        return "new-key" if refresh else "old-key"

    client = AzureAIClient(
        httpserver.url_for("/"), key, clock=fake_time.clock, sleep=fake_time.sleep, api_version=API_VERSION
    )
    expect(httpserver, headers={"api-key": "old-key"}).respond_with_json({"error": {"message": "bad key"}}, status=401)
    expect(httpserver, headers={"api-key": "new-key"}).respond_with_json(completion("ok"))
    # When called / Then it refreshed the key and succeeded without sleeping
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5).content == "ok"
    assert calls == [False, True]
    assert fake_time.sleeps == []


def test_second_401_after_the_refresh_is_auth_failed(httpserver, fake_time):
    # Given a key provider whose fresh key is rejected too
    calls: list[bool] = []

    def key(refresh: bool) -> str:
        calls.append(refresh)
        return "fresh" if refresh else "cached"

    client = AzureAIClient(
        httpserver.url_for("/"), key, api_version=API_VERSION, clock=fake_time.clock, sleep=fake_time.sleep
    )
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"error": {"code": "401", "message": "Access denied due to invalid subscription key"}}, status=401
    )
    # When called
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5)
    # Then the key was refreshed exactly once, two requests went out, and it failed as auth, without sleeping
    assert info.value.reason == "azure_auth_failed"
    assert "invalid subscription key" in info.value.message
    assert calls == [False, True]
    assert [r.headers["api-key"] for r, _ in httpserver.log] == ["cached", "fresh"]
    assert fake_time.sleeps == []


def test_key_refresh_is_not_counted_as_an_attempt(httpserver, fake_time):
    # Given a single allowed attempt and a cached key that was rotated away
    client = AzureAIClient(
        httpserver.url_for("/"),
        lambda refresh: "new" if refresh else "old",
        api_version=API_VERSION,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        max_attempts=1,
    )
    expect(httpserver, headers={"api-key": "old"}).respond_with_json({"error": {"message": "bad key"}}, status=403)
    expect(httpserver, headers={"api-key": "new"}).respond_with_json(completion("ok"))
    # When called / Then the refreshed key still gets its request
    assert client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=5).content == "ok"


def test_connection_refused_is_unavailable(fake_time):
    client = AzureAIClient(
        "http://127.0.0.1:1", "k", clock=fake_time.clock, sleep=fake_time.sleep, api_version=API_VERSION
    )
    with pytest.raises(TransientError) as info:
        client.chat(model="m", messages=[{"role": "user", "content": "x"}], budget_s=1)
    assert info.value.reason == "azure_unavailable"


def test_key_from_ssm_secure_parameter(aws, httpserver, monkeypatch):
    import boto3

    from common import azure_ai, settings

    # Given the key in an SSM SecureString parameter and the settings naming it
    boto3.client("ssm").put_parameter(Name="/huntaze-test/azure/api-key", Value="sm-key\n", Type="SecureString")
    monkeypatch.setenv("AZURE_AI_ENDPOINT", httpserver.url_for("/"))
    monkeypatch.setenv("AZURE_AI_API_VERSION", API_VERSION)
    monkeypatch.setenv("AZURE_AI_KEY_PARAMETER", "/huntaze-test/azure/api-key")
    monkeypatch.delenv("AZURE_AI_KEY", raising=False)
    settings.reset()
    azure_ai.reset_client()
    expect(httpserver, headers={"api-key": "sm-key"}).respond_with_json(completion("ok"))
    try:
        # When the container client is used / Then it sends the decrypted key
        assert azure_ai.get_client().chat(model="m", messages=[], budget_s=5).content == "ok"
        assert azure_ai.get_client() is azure_ai.get_client()
    finally:
        azure_ai.reset_client()
        settings.reset()


def test_deadline_and_budget_are_exclusive(client):
    with pytest.raises(ValueError, match="not both"):
        client.chat(model="m", messages=[], deadline=1.0, budget_s=1.0)
