"""common.aws_sigv4: the RDS token and SQS SendMessage, signed with botocore's signer and no boto3 client.

Compared with what boto3 itself builds (at a frozen clock, with the same
credentials), sent over real HTTP to moto's server, and to a local HTTP
server that answers errors, to see the retries.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from types import SimpleNamespace

import boto3
import pytest

from common import aws_sigv4
from common.aws_sigv4 import AwsCallFailed

QUEUE_URL = "https://sqs.us-east-2.amazonaws.com/123456789012/huntaze-jobs"
FROZEN = datetime(2026, 3, 10, 12, 0, 7, tzinfo=UTC)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE01",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes=",
}


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What Lambda gives a function: a role's temporary credentials and the region; no endpoint override."""
    for name in ("AWS_PROFILE", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**CREDENTIALS, "AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-east-2"}.items():
        monkeypatch.setenv(name, value)
    aws_sigv4.reset()
    yield
    aws_sigv4.reset()


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's signer (boto3's and ours) dates every signature FROZEN."""
    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-off delays the client waits, recorded instead of slept; jitter at its maximum."""
    slept: list[float] = []
    monkeypatch.setattr(aws_sigv4, "time", SimpleNamespace(sleep=slept.append))
    monkeypatch.setattr(aws_sigv4, "random", SimpleNamespace(random=lambda: 1.0))
    return slept


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sqs_server(lambda_env, httpserver, monkeypatch: pytest.MonkeyPatch):
    """SQS's endpoint on a local HTTP server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", httpserver.url_for("/").rstrip("/"))
    return httpserver


def _answer(httpserver, status: int, body: dict, query_error: str | None = None) -> None:
    headers = {"x-amzn-query-error": query_error} if query_error else {}
    httpserver.expect_ordered_request("/", method="POST").respond_with_data(
        json.dumps(body), status=status, headers=headers, content_type="application/x-amz-json-1.0"
    )


SENT = {"MessageId": "5fea7756-0ea4-451a-a703-a558b933e274", "MD5OfMessageBody": "fafb00f5732ab283681e124bf8747ed1"}
THROTTLED = ({"__type": "com.amazonaws.sqs#RequestThrottled", "message": "slow down"}, "RequestThrottled;Sender")
INTERNAL = ({"__type": "com.amazonaws.sqs#InternalError", "message": "try again"}, "InternalError;Receiver")
DENIED = ({"__type": "com.amazonaws.sqs#AccessDeniedException", "message": "no"}, "AccessDenied;Sender")


# -- signing: the same bytes as boto3 -----------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-2", "eu-west-3", None], ids=["function_region", "other_region", "unset"])
def test_the_rds_token_is_boto3s_byte_for_byte(lambda_env, frozen_clock, region):
    # Given the same credentials and clock
    host, port, user = "huntaze.cluster-abc.us-east-2.rds.amazonaws.com", 5432, "huntaze_router"
    # When both sign a token (boto3 falls back on its client's region, ours on AWS_REGION)
    theirs = boto3.client("rds", region_name="us-east-2").generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=region
    )
    ours = aws_sigv4.rds_auth_token(host, port, user, region)
    # Then the tokens are the same string
    assert ours == theirs
    assert f"X-Amz-Credential={CREDENTIALS['AWS_ACCESS_KEY_ID']}%2F20260310%2F{region or 'us-east-2'}%2Frds-db" in ours


def test_a_send_message_request_is_boto3s_byte_for_byte(sqs_server, frozen_clock):
    # Given SQS answering both
    for _ in range(2):
        _answer(sqs_server, 200, SENT)
    body = json.dumps({"jobId": "0b6f", "task": "trends", "payload": {"sources": ["tiktok"]}})
    # When boto3's SQS client and ours send the same message at the same instant
    boto3.client("sqs").send_message(QueueUrl=QUEUE_URL, MessageBody=body)
    assert aws_sigv4.sqs_send_message(QUEUE_URL, body) == SENT["MessageId"]
    # Then SQS receives the same body and the same signed headers, signature included
    (theirs, _), (ours, _) = sqs_server.log
    signed = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Target", "Content-Type", "Host")
    assert {h: ours.headers.get(h) for h in signed} == {h: theirs.headers.get(h) for h in signed}
    assert "x-amzn-query-mode" in ours.headers["Authorization"]
    assert ours.get_data() == theirs.get_data()


# -- SQS over real HTTP (moto's server) ----------------------------------------------------------------------------


def test_a_message_reaches_its_queue(sqs_over_http):
    # Given a queue
    sqs = boto3.client("sqs", region_name="us-east-2")
    url = sqs.create_queue(QueueName="huntaze-test-sigv4")["QueueUrl"]
    # When a message is sent over HTTP
    message_id = aws_sigv4.sqs_send_message(url, '{"jobId":"j-1"}')
    # Then the queue holds it, under the id SQS answered
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    assert (message["MessageId"], message["Body"]) == (message_id, '{"jobId":"j-1"}')


def test_a_missing_queue_is_refused_on_the_first_try(sqs_over_http):
    # Given a queue URL naming no queue
    url = boto3.client("sqs", region_name="us-east-2").create_queue(QueueName="huntaze-test-sigv4")["QueueUrl"]
    # When a message is sent to it
    with pytest.raises(AwsCallFailed) as refused:
        aws_sigv4.sqs_send_message(url + "-gone", "{}")
    # Then SQS's refusal is final and proves nothing was queued
    assert (refused.value.status, refused.value.code, refused.value.attempts) == (400, "NonExistentQueue", 1)
    assert refused.value.refused_on_first_try


# -- retries (a local HTTP server answering errors) --------------------------------------------------------------


def test_a_server_error_is_retried_after_a_short_wait(sqs_server, waits):
    # Given SQS failing once with a 500, then taking the message
    _answer(sqs_server, 500, *INTERNAL)
    _answer(sqs_server, 200, SENT)
    # When a message is sent, it is sent again after botocore's short back-off, and its id returned
    assert aws_sigv4.sqs_send_message(QUEUE_URL, "{}") == SENT["MessageId"]
    assert len(sqs_server.log) == 2 and waits == [0.05]


def test_throttling_is_retried_with_the_longer_back_off_until_the_attempts_are_spent(sqs_server, waits):
    # Given SQS throttling every attempt
    for _ in range(aws_sigv4.MAX_ATTEMPTS):
        _answer(sqs_server, 400, *THROTTLED)
    # When a message is sent
    with pytest.raises(AwsCallFailed) as failed:
        aws_sigv4.sqs_send_message(QUEUE_URL, "{}")
    # Then it tried 3 times, waiting longer each time, and the last 400 proves nothing (an earlier try may have landed)
    assert (failed.value.attempts, failed.value.status, failed.value.code) == (3, 400, "RequestThrottled")
    assert not failed.value.refused_on_first_try
    assert len(sqs_server.log) == 3 and waits == [1.0, 2.0]


def test_a_refusal_on_the_first_try_is_final(sqs_server, waits):
    _answer(sqs_server, 403, *DENIED)
    with pytest.raises(AwsCallFailed) as refused:
        aws_sigv4.sqs_send_message(QUEUE_URL, "{}")
    assert (refused.value.status, refused.value.code) == (403, "AccessDenied")
    assert refused.value.refused_on_first_try
    assert len(sqs_server.log) == 1 and waits == []


def test_a_refusal_after_a_failed_try_proves_nothing(sqs_server, waits):
    # Given a 503 (SQS may have taken the message), then a refusal
    sqs_server.expect_ordered_request("/", method="POST").respond_with_data("unavailable", status=503)
    _answer(sqs_server, 400, *DENIED)
    with pytest.raises(AwsCallFailed) as failed:
        aws_sigv4.sqs_send_message(QUEUE_URL, "{}")
    assert (failed.value.attempts, failed.value.status) == (2, 400)
    assert not failed.value.refused_on_first_try


def test_no_answer_is_retried_and_proves_nothing(lambda_env, waits, monkeypatch, closed_port):
    # Given SQS's endpoint refusing connections
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", f"http://127.0.0.1:{closed_port}")
    with pytest.raises(AwsCallFailed) as failed:
        aws_sigv4.sqs_send_message(QUEUE_URL, "{}")
    assert (failed.value.attempts, failed.value.status) == (3, None)
    assert not failed.value.refused_on_first_try and waits == [0.05, 0.1]


def test_a_200_without_a_message_id_proves_nothing(sqs_server):
    _answer(sqs_server, 200, {"unexpected": True})
    with pytest.raises(AwsCallFailed) as failed:
        aws_sigv4.sqs_send_message(QUEUE_URL, "{}")
    assert failed.value.status == 200 and not failed.value.refused_on_first_try


# -- where the calls go, with whose credentials --------------------------------------------------------------------

ENDPOINTS = {
    "the_regions": ({}, "https://sqs.us-east-2.amazonaws.com"),
    "the_services_override": (
        {"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:4566/", "AWS_ENDPOINT_URL": "http://other"},
        "http://127.0.0.1:4566",
    ),
    "the_global_override": ({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, "http://127.0.0.1:5000"),
    "overrides_ignored": (
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
        "https://sqs.us-east-2.amazonaws.com",
    ),
    "china": ({"AWS_REGION": "cn-north-1"}, "https://sqs.cn-north-1.amazonaws.com.cn"),
}


@pytest.mark.parametrize("case", list(ENDPOINTS), ids=list(ENDPOINTS))
def test_the_endpoint_is_the_one_boto3_would_use(lambda_env, monkeypatch, case):
    env, expected = ENDPOINTS[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-2"))  # the variable boto3 reads
    assert aws_sigv4.endpoint("sqs") == expected == boto3.client("sqs").meta.endpoint_url.rstrip("/")


def test_credentials_come_from_lambdas_variables(lambda_env, monkeypatch):
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    assert aws_sigv4.credentials() == (CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"], None)


def test_without_them_botocores_chain_finds_a_profile(lambda_env, monkeypatch, tmp_path):
    # Given no keys in the environment, but a shared credentials file
    for name in CREDENTIALS:
        monkeypatch.delenv(name)
    (tmp_path / "credentials").write_text("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s3cr3t\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    # Then the signer uses the profile's
    assert aws_sigv4.credentials() == ("AKIAFILE", "s3cr3t", None)
