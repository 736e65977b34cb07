"""The notifier posts signed job.succeeded / job.failed events (Standard Webhooks) to a real HTTP receiver."""

from __future__ import annotations

import pytest
from conftest import SECRET, as_headers, attempts, body_of, settings_for

from common.completion import Completion

pytestmark = pytest.mark.pg


def _notify(completion, settings, *, receive_count=1, **kwargs):
    from common import db
    from webhooks import notifier

    return notifier.notify(
        completion,
        receive_count=receive_count,
        settings=settings,
        connect=db.connection,
        secret_for=lambda endpoint: SECRET,
        **kwargs,
    )


def test_a_succeeded_job_arrives_signed_and_verifies_with_standardwebhooks(
    database_env, db_conn, finished_job, httpserver
):
    from standardwebhooks import Webhook

    # Given a receiver that acknowledges
    httpserver.expect_request("/hooks", method="POST").respond_with_data("ok")
    # When the job's completion is delivered
    delay = _notify(Completion.of(finished_job), settings_for(httpserver.url_for("/hooks")))
    # Then it arrived once, and standardwebhooks' own verifier accepts it and returns the event
    assert delay is None
    ((request, _response),) = httpserver.log
    event = Webhook(SECRET).verify(request.get_data(), as_headers(request))
    assert event["type"] == "job.succeeded"
    assert event["data"]["jobId"] == str(finished_job.id)
    assert event["data"]["status"] == "succeeded" and event["data"]["result"] == {"analysisId": 7, "durationS": 5.0}
    assert as_headers(request)["webhook-id"].startswith("msg_")
    # And the attempt is recorded on the job
    assert [(a["attempt"], a["status_code"], a["error"]) for a in attempts(db_conn, finished_job.id)] == [
        (1, 200, None)
    ]


@pytest.mark.parametrize(
    "tamper",
    ["body", "signature", "id", "secret"],
)
def test_a_tampered_webhook_fails_verification(database_env, finished_job, httpserver, tamper):
    from standardwebhooks import Webhook, WebhookVerificationError

    httpserver.expect_request("/hooks").respond_with_data("ok")
    _notify(Completion.of(finished_job), settings_for(httpserver.url_for("/hooks")))
    ((request, _),) = httpserver.log
    body, headers, secret = request.get_data().decode(), as_headers(request), SECRET
    if tamper == "body":
        body = body.replace('"succeeded"', '"failed"', 1)
    elif tamper == "signature":
        headers["webhook-signature"] = "v1," + "A" * 43 + "="
    elif tamper == "id":
        headers["webhook-id"] = "msg_someotherid"
    else:
        secret = "whsec_" + "b3RoZXIgc2VjcmV0IGtleSBvZiAzMiBieXRlcyEhISE="
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_a_failed_job_sends_job_failed_with_its_reason(database_env, db_conn, httpserver):
    from common import job_store
    from common.errors import PermanentError

    job, _ = job_store.create_job(db_conn, "data", {})
    attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
    failed = job_store.fail_job_with(db_conn, attempt, PermanentError("bad_payload", "no such window"))
    db_conn.commit()
    httpserver.expect_request("/hooks").respond_with_data("ok")
    assert _notify(Completion.of(failed), settings_for(httpserver.url_for("/hooks"))) is None
    event = body_of(httpserver.log[0][0])
    assert event["type"] == "job.failed"
    assert (event["data"]["status"], event["data"]["errorReason"]) == ("failed", "bad_payload")


def test_an_endpoint_subscribed_to_other_events_gets_nothing(database_env, finished_job, httpserver):
    from webhooks.settings import Endpoint

    only_failures = (Endpoint("app", httpserver.url_for("/hooks"), ("job.failed",), "s"),)
    assert _notify(Completion.of(finished_job), settings_for("unused", endpoints=only_failures)) is None
    assert httpserver.log == []


def test_a_second_announcement_of_one_end_is_not_delivered_twice(database_env, db_conn, finished_job, httpserver):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    settings = settings_for(httpserver.url_for("/hooks"))
    _notify(Completion.of(finished_job), settings)
    # A redelivered job message found the job finished and announced it again
    assert _notify(Completion.of(finished_job), settings) is None
    assert len(httpserver.log) == 1
    assert len(attempts(db_conn, finished_job.id)) == 1


def test_an_endpoint_that_has_the_event_is_skipped_and_the_next_still_gets_it(database_env, finished_job, httpserver):
    from conftest import ALL_EVENTS

    from webhooks.settings import Endpoint

    # Given the event delivered to endpoint "app", then a second endpoint "crm" subscribed
    httpserver.expect_request("/a").respond_with_data("ok")
    httpserver.expect_request("/b").respond_with_data("ok")
    assert _notify(Completion.of(finished_job), settings_for(httpserver.url_for("/a"))) is None
    both = (
        Endpoint("app", httpserver.url_for("/a"), ALL_EVENTS, "huntaze-test/webhooks/app"),
        Endpoint("crm", httpserver.url_for("/b"), ALL_EVENTS, "huntaze-test/webhooks/crm"),
    )
    # When the same event comes again
    assert _notify(Completion.of(finished_job), settings_for(httpserver.url_for("/a"), endpoints=both)) is None
    # Then "app" is not posted to twice, and "crm" gets it
    assert [request.path for request, _ in httpserver.log] == ["/a", "/b"]


def test_the_body_is_compact_json_with_sorted_keys(database_env, finished_job, httpserver):
    import json

    # The stored payload comes back from JSONB in its own key order: the body is canonical whatever that order
    httpserver.expect_request("/hooks").respond_with_data("ok")
    _notify(Completion.of(finished_job), settings_for(httpserver.url_for("/hooks")))
    ((request, _),) = httpserver.log
    body = request.get_data().decode()
    assert body == json.dumps(json.loads(body), separators=(",", ":"), sort_keys=True)
    assert body.startswith('{"data":{"attempts":')
