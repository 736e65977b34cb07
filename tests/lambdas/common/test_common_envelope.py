"""Parsing queue envelopes: valid shapes and a clear PermanentError for each bad one."""

from __future__ import annotations

import json
import uuid

import pytest

from common.errors import PermanentError
from common.jobs import JobMessage, parse_message

JOB_ID = "6f1c2a3e-9d7b-4c1e-8a6f-0b2d3c4e5f60"


def test_parses_a_job_envelope_from_text_bytes_or_dict():
    body = {"jobId": JOB_ID, "task": "video", "payload": {"key": "uploads/a.mp4"}}
    for raw in (json.dumps(body), json.dumps(body).encode(), body):
        msg = parse_message(raw)
        assert msg == JobMessage(task="video", payload={"key": "uploads/a.mp4"}, job_id=uuid.UUID(JOB_ID))
        assert msg.idempotency_key is None


def test_parses_a_scheduled_envelope_without_payload():
    msg = parse_message({"task": "alerts", "scheduledTime": "2024-05-01T10:05:00Z"})
    assert (msg.task, msg.payload, msg.job_id) == ("alerts", {}, None)
    assert msg.scheduled_time.isoformat() == "2024-05-01T10:05:00+00:00"
    assert msg.to_envelope() == {"task": "alerts", "payload": {}, "scheduledTime": "2024-05-01T10:05:00Z"}


@pytest.mark.parametrize(
    ("body", "reason", "fragment"),
    [
        ("not json {", "malformed_message", "not valid JSON"),
        (b"\xff\xfe", "malformed_message", "not valid JSON"),
        ("[1, 2]", "malformed_message", "must be a JSON object, got list"),
        ('"video"', "malformed_message", "must be a JSON object, got str"),
        ({"payload": {}, "jobId": JOB_ID}, "malformed_message", "no 'task'"),
        ({"task": "email", "jobId": JOB_ID}, "unknown_task", "unknown task 'email'"),
        ({"task": "video", "jobId": "1234"}, "malformed_message", "'jobId' is not a UUID"),
        ({"task": "video", "jobId": 42}, "malformed_message", "'jobId' must be a UUID string"),
        ({"task": "trends", "scheduledTime": "yesterday"}, "malformed_message", "'scheduledTime' is not ISO 8601"),
        ({"task": "trends", "scheduledTime": "2024-05-01T10:00:00"}, "malformed_message", "has no time zone"),
        ({"task": "video", "jobId": JOB_ID, "payload": [1]}, "malformed_message", "'payload' must be a JSON object"),
        ({"task": "data"}, "malformed_message", "needs a 'jobId' or a 'scheduledTime'"),
    ],
    ids=[
        "not-json",
        "not-utf8",
        "list",
        "string",
        "missing-task",
        "unknown-task",
        "bad-uuid",
        "uuid-not-string",
        "bad-time",
        "naive-time",
        "payload-not-object",
        "neither-id-nor-time",
    ],
)
def test_malformed_envelopes_are_permanent_errors(body, reason, fragment):
    # Given a malformed message / When parsed
    with pytest.raises(PermanentError) as info:
        parse_message(body)
    # Then it is a permanent error with a machine reason and a message saying what is wrong
    assert info.value.reason == reason
    assert fragment in info.value.message
    assert info.value.retryable is False
