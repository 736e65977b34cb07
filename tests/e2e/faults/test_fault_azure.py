"""Azure AI answering 429 with Retry-After, 500, hanging past the deadline, or cutting its answer mid-body."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.api_client import Api, upload
from tests.e2e.faults.conftest import ask, assert_nothing_lost, for_model, video_model
from tools.local.faults import Fault, FaultProxies, path_endswith
from tools.local.system import LocalSystem

CHAT = path_endswith("/chat/completions")


def _prompt() -> str:
    return f"fault scenario {uuid.uuid4()}"  # never a cache hit


def test_a_throttled_call_is_retried_after_retry_after_and_answered(faults: FaultProxies, fapi: Api) -> None:
    # Given a router that has answered once already: the fault system's AI deadline is 2 s, and a cold
    # first call on a loaded machine (imports, connections) can take longer than the 1 s it leaves
    # before the wait for Retry-After no longer fits (the router then rightly gives up: 503)
    assert ask(fapi, _prompt()).status == 200
    # And Azure answering its next call 429 with Retry-After: 1
    throttled = faults.azure.inject(Fault(CHAT, "status", 429, {"Retry-After": "1"}, times=1))
    # When the AI route is called
    answer = ask(fapi, _prompt())
    # Then the router waited and asked again: the caller gets the answer
    assert answer.status == 200, answer
    assert throttled.hits == 1


@pytest.mark.parametrize(
    ("fault", "status", "error"),
    [
        (Fault(CHAT, "status", 429, {"Retry-After": "1"}), 503, "azure_throttled"),
        (Fault(CHAT, "status", 500), 502, "azure_unavailable"),
        (Fault(CHAT, "hang", delay_s=30), 504, "azure_timeout"),
        (Fault(CHAT, "cut"), 502, "azure_unavailable"),
    ],
    ids=["429-throughout", "500", "hang-past-deadline", "cut-mid-body"],
)
def test_the_ai_route_answers_a_clear_error_within_its_deadline_while_azure_fails(
    faults: FaultProxies, fapi: Api, fault: Fault, status: int, error: str
) -> None:
    # Given Azure failing every call this way
    faults.azure.inject(Fault(fault.match, fault.kind, fault.status, fault.headers, delay_s=fault.delay_s))
    # When the AI route is called (the client gives up after ANSWER_WITHIN_S: a hang fails the test)
    answer = ask(fapi, _prompt())
    # Then it answers the error that names the cause (a 503 says when to come back)
    assert (answer.status, answer.body["error"]) == (status, error), answer
    if status == 503:
        assert answer.headers["retry-after"] == "5"
    # And once Azure is back, the same route answers
    faults.azure.clear()
    assert ask(fapi, _prompt()).status == 200


def test_a_video_job_whose_azure_answers_are_cut_succeeds_through_the_clients_retries(
    fault_system: LocalSystem, faults: FaultProxies, fapi: Api, clip: bytes
) -> None:
    # Given Azure cutting the video model's next 4 answers mid-body
    cut = faults.azure.inject(Fault(for_model(video_model(fault_system)), "cut", times=4))
    # When a clip is uploaded
    ticket = upload(fapi, "cut.mp4", clip)
    # Then the Azure client's own retries (inside the attempt's deadline) got a whole answer: one attempt, one analysis
    rows = assert_nothing_lost(fault_system, [ticket["jobId"]])
    job = rows[ticket["jobId"]]
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    assert cut.hits == 4
