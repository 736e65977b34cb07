"""The one Slack webhook client, against a local HTTP server speaking the webhook protocol."""

from __future__ import annotations

import json

import pytest

from common import slack
from common.errors import PermanentError, TransientError


def test_posts_the_payload_as_json(httpserver):
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    slack.post(httpserver.url_for("/hook"), {"text": "hello"})
    request = httpserver.log[0][0]
    assert json.loads(request.data) == {"text": "hello"}
    assert request.headers["Content-Type"] == "application/json"


def test_slack_5xx_and_429_are_transient_and_4xx_permanent(httpserver):
    httpserver.expect_oneshot_request("/a").respond_with_data("down", status=503)
    with pytest.raises(TransientError, match="503"):
        slack.post(httpserver.url_for("/a"), {"text": "x"})
    httpserver.expect_oneshot_request("/r").respond_with_data("slow down", status=429)
    with pytest.raises(TransientError, match="429"):
        slack.post(httpserver.url_for("/r"), {"text": "x"})
    httpserver.expect_oneshot_request("/b").respond_with_data("invalid_token", status=403)
    with pytest.raises(PermanentError, match="invalid_token"):
        slack.post(httpserver.url_for("/b"), {"text": "x"})


def test_a_webhook_secret_that_is_not_http_is_rejected():
    # bad input tried: a file:// URL in the secret
    with pytest.raises(PermanentError, match="http"):
        slack.post("file:///etc/passwd", {"text": "x"})


def test_an_unreachable_webhook_is_transient():
    # bad input tried: a closed local port
    with pytest.raises(TransientError) as err:
        slack.post("http://127.0.0.1:9/hook", {"text": "x"})
    assert err.value.reason == "slack_unavailable"
