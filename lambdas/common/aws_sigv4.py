"""Two AWS calls made with botocore's SigV4 signer and HTTP session, without a boto3 client.

Creating a boto3 client loads its service's model (about 0.1 s per service on
a cold start, plus boto3's own import); the API's cold path needs only two
requests, which this module signs with botocore's own pieces and no model:

* `rds_auth_token`: the RDS IAM auth token, built as boto3's
  ``generate_db_auth_token`` builds it (a test compares them byte for byte).
* `sqs_send_message`: SQS SendMessage over SQS's JSON protocol, retried as
  boto3's "standard" mode retries (3 attempts; throttling, 5xx and
  connection errors, with jittered back-off), with short timeouts.

Credentials, region and endpoint come from where boto3 finds them: the
variables Lambda sets (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_REGION), else botocore's credential chain;
AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL (the local system, tests), else the
region's public endpoint.
"""

from __future__ import annotations

import functools
import json
import os
import random
import time
from typing import Any, NamedTuple

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.exceptions import BotoCoreError
from botocore.httpsession import URLLib3Session

from common.errors import ConfigurationError

RDS_TOKEN_EXPIRES_S = 900  # what boto3 signs for; RDS accepts a token for 15 minutes
# The API waits on a send inside its 30 s limit.
CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 5
MAX_ATTEMPTS = 3
# botocore's standard retry mode: what it retries, and its back-off (full jitter, doubling from these scales).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
THROTTLING_BACKOFF_S = 1.0
TRANSIENT_BACKOFF_S = 0.05


class AwsCallFailed(Exception):
    """An AWS call that did not succeed; ``status`` is None when no answer came (timeout, lost connection)."""

    def __init__(self, message: str, *, attempts: int, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.attempts = attempts
        self.status = status
        self.code = code

    @property
    def refused_on_first_try(self) -> bool:
        """A 4xx on the only attempt: AWS did nothing. After a retry, an earlier attempt
        may have timed out after AWS acted, so only a first-try refusal proves it."""
        return self.status is not None and 400 <= self.status < 500 and self.attempts == 1


def rds_auth_token(host: str, port: int, user: str, region: str | None = None) -> str:
    """A presigned ``connect`` request for ``user`` that RDS accepts as the password; signed locally."""
    request = AWSRequest(method="GET", url=f"https://{host}:{port}/", data={"Action": "connect", "DBUser": user})
    SigV4QueryAuth(credentials(), "rds-db", region or _region(), expires=RDS_TOKEN_EXPIRES_S).add_auth(request)
    # RDS takes the URL without its scheme, as boto3 returns it.
    return request.prepare().url.removeprefix("https://")


def sqs_send_message(queue_url: str, body: str) -> str:
    """Send one message; its MessageId. `AwsCallFailed` once the error is final or the attempts are spent."""
    answer = _json_call("sqs", "AmazonSQS.SendMessage", {"QueueUrl": queue_url, "MessageBody": body})
    if not isinstance(answer, dict) or not isinstance(answer.get("MessageId"), str):
        # A 200: the message is most likely queued, but the answer does not prove it.
        raise AwsCallFailed(f"SQS answered without a MessageId: {answer!r:.200}", attempts=1, status=200)
    return answer["MessageId"]


class Credentials(NamedTuple):
    """What the signer reads (the shape of botocore's ReadOnlyCredentials)."""

    access_key: str
    secret_key: str
    token: str | None


def credentials() -> Credentials:
    """The role's credentials Lambda puts in the environment; elsewhere botocore's chain (profile, container...).

    Read directly: botocore.credentials' EnvProvider reads the same variables, but
    importing it (with botocore's config and endpoint modules) costs ~6 ms more.
    """
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN") or None)
    found = _credential_chain()
    if found is None:
        raise ConfigurationError("no AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role)")
    return Credentials(*found.get_frozen_credentials()[:3])


def endpoint(service: str) -> str:
    """The service's endpoint as boto3 picks it: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the region's."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        configured = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL")
        if configured:
            return configured.rstrip("/")
    region = _region()
    return f"https://{service}.{region}.amazonaws.com{'.cn' if region.startswith('cn-') else ''}"


def _json_call(service: str, target: str, params: dict[str, Any]) -> Any:
    """POST one operation of an AWS JSON 1.0 protocol service; its decoded answer."""
    url, region = endpoint(service) + "/", _region()
    data = json.dumps(params).encode()
    # As boto3 sends it; query mode makes SQS name its errors as boto3 reports them (x-amzn-query-error).
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, "x-amzn-query-mode": "true"}
    attempt = 0
    while True:
        attempt += 1
        request = AWSRequest(method="POST", url=url, data=data, headers=headers)
        SigV4Auth(credentials(), service, region).add_auth(request)  # signed afresh: the signature is dated
        try:
            response = _http().send(request.prepare())
        except BotoCoreError as exc:  # no answer: a timeout, a refused or dropped connection
            failure, retry, throttled = AwsCallFailed(f"{target}: {exc}", attempts=attempt), True, False
        else:
            if response.status_code < 300:
                try:
                    return json.loads(response.content or b"{}")
                except ValueError:
                    raise AwsCallFailed(f"{target}: an answer that is not JSON", attempts=attempt, status=200) from None
            failure = _failure(target, response, attempt)
            throttled = failure.code in THROTTLING_CODES or response.status_code == 429
            retry = throttled or failure.code in TRANSIENT_CODES or response.status_code in TRANSIENT_STATUSES
        if not retry or attempt == MAX_ATTEMPTS:
            raise failure
        scale = THROTTLING_BACKOFF_S if throttled else TRANSIENT_BACKOFF_S
        time.sleep(random.random() * scale * 2 ** (attempt - 1))


def _failure(target: str, response: AWSResponse, attempt: int) -> AwsCallFailed:
    """The error a JSON protocol service answered. SQS names its codes the query protocol's way
    in x-amzn-query-error (``AWS.SimpleQueueService.NonExistentQueue;Sender``), as boto3 reports them."""
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    query_code = response.headers.get("x-amzn-query-error", "").split(";", 1)[0]
    type_name = str(body.get("__type") or response.headers.get("x-amzn-errortype") or "")
    code = query_code or type_name.rsplit("#", 1)[-1].split(":", 1)[0] or "Unknown"
    message = str(body.get("message") or body.get("Message") or response.content[:200].decode("utf-8", "replace"))
    return AwsCallFailed(
        f"{target}: HTTP {response.status_code} {code}: {message}",
        attempts=attempt,
        status=response.status_code,
        code=code.removeprefix("AWS.SimpleQueueService."),
    )


def _region() -> str:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ConfigurationError("AWS_REGION is not set")
    return region


@functools.cache
def _http() -> URLLib3Session:
    # boto3's own HTTP layer (its urllib3 pool, TLS set-up and error types); one per container.
    return URLLib3Session(timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))


@functools.cache
def _credential_chain() -> Any:
    import botocore.session

    return botocore.session.get_session().get_credentials()


def reset() -> None:
    """Forget the HTTP session and the credential chain (tests change the environment)."""
    _http.cache_clear()
    _credential_chain.cache_clear()
