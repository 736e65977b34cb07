"""Data in and out end to end (issue 22), over HTTP through the local system.

Events posted and posted again, the data job run, GET /v1/analytics counting
each event once; the trends job's snapshot through GET /v1/trends (ETag and
304); an NDJSON file put under events/ in the local S3, imported by the
imports worker, its report on its job.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from tests.e2e.api_client import Api, wait_for
from tools.local.system import LocalSystem

HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def operator_api(api: Api, token_for, local_system: LocalSystem) -> Api:
    dep = local_system.deployment
    assert dep is not None
    scope = dep.functions[dep.api.function].environment["OPERATOR_SCOPE"]
    return api.as_user(token_for("local-operator", scope=scope))


@pytest.fixture
def account() -> str:
    return f"acct-e2e-{uuid.uuid4().hex[:8]}"


def _events(account: str, prefix: str) -> list[dict]:
    at = _iso(HOUR + timedelta(minutes=10))
    views = [
        {
            "eventId": f"{prefix}v{i}",
            "accountId": account,
            "contentId": f"post-{i % 2}",
            "eventType": "view",
            "occurredAt": at,
        }
        for i in range(5)
    ]
    like = {
        "eventId": f"{prefix}l0",
        "accountId": account,
        "contentId": "post-0",
        "eventType": "like",
        "value": 3,
        "occurredAt": at,
    }
    return [*views, like]


def _roll_up(operator_api: Api) -> None:
    """The data job, asked to recompute the events' hours (what its schedule does once they settle)."""
    payload = {"since": _iso(HOUR), "until": _iso(HOUR + timedelta(hours=1))}
    job = operator_api.post("/v1/jobs", {"task": "data", "payload": payload})
    assert job.status == 202, job
    assert operator_api.wait_job(job.body["jobId"])["status"] == "succeeded"


def _analytics(api: Api, **query: str):
    return api.get("/v1/analytics?" + urlencode(query))


def test_events_sent_twice_are_counted_once_in_the_analytics(
    api: Api, operator_api: Api, token_for, account: str
) -> None:
    # Given a batch of events posted, then the same batch again (a lost answer)
    batch = {"events": _events(account, "a")}
    first, again = operator_api.post("/v1/events", batch), operator_api.post("/v1/events", batch)
    assert (first.status, first.body["accepted"]) == (200, 6), first
    assert (again.body["accepted"], again.body["duplicates"]) == (0, 6), again
    # When the data job rolls them up
    _roll_up(operator_api)
    # Then the account's owner sees each event once, in its hour, with the other hours at zero
    owner = api.as_user(token_for("creator", extra={"accounts": [account]}))
    query = {
        "accountId": account,
        "granularity": "hour",
        "from": _iso(HOUR - timedelta(hours=1)),
        "to": _iso(HOUR + timedelta(hours=2)),
        "eventTypes": "view,like",
    }
    answer = _analytics(owner, **query)
    assert answer.status == 200, answer
    views, likes = answer.body["series"]
    assert [b["count"] for b in views["buckets"]] == [0, 5, 0]
    assert [(b["count"], b["value"]) for b in likes["buckets"]] == [(0, 0), (1, 3), (0, 0)]
    assert _analytics(owner, **query, contentId="post-1").body["series"][0]["total"]["count"] == 2
    # And another creator may not read them
    stranger = api.as_user(token_for("someone", extra={"accounts": ["acct-other"]}))
    assert _analytics(stranger, **query).status == 403


def test_a_rollup_invalidates_the_cached_analytics(operator_api: Api, account: str) -> None:
    # Given a cached answer for an account
    operator_api.post("/v1/events", {"events": _events(account, "b")[:2]})
    _roll_up(operator_api)
    query = {
        "accountId": account,
        "granularity": "day",
        "from": _iso(HOUR),
        "to": _iso(HOUR + timedelta(hours=1)),
        "eventTypes": "view",
    }
    assert _analytics(operator_api, **query).body["series"][0]["total"]["count"] == 2
    assert _analytics(operator_api, **query).headers["x-cache"] == "hit"
    # When more events arrive and the data job rolls them up again
    operator_api.post("/v1/events", {"events": _events(account, "c")[:3]})
    _roll_up(operator_api)
    # Then the next answer counts them
    answer = _analytics(operator_api, **query)
    assert answer.headers["x-cache"] == "miss" and answer.body["series"][0]["total"]["count"] == 5


def test_the_trends_jobs_snapshot_is_served_with_an_etag(api: Api, local_system: LocalSystem) -> None:
    # Given the trends job the schedule fired at start has run (its sources: the local stand-in)
    def snapshot() -> object:
        answer = api.get("/v1/trends")
        return answer if answer.status == 200 else None

    answer = wait_for(snapshot, within_s=90, what="a trends snapshot")
    done = [t for t in local_system.journal.transitions if t.task == "trends" and t.status == "succeeded"]
    assert done, "no trends job succeeded"
    # Then any caller reads it: its window, the source that answered, the movers
    assert answer.body["sources"]["answered"] == ["local"]
    assert isinstance(answer.body["rising"], list) and isinstance(answer.body["falling"], list)
    assert datetime.fromisoformat(answer.body["window"].replace("Z", "+00:00")) <= datetime.now(UTC)
    # And polling with its ETag costs a 304
    again = api.get("/v1/trends", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status == 304 and again.body is None


def test_an_ndjson_file_put_under_events_is_imported_with_its_report(
    local_system: LocalSystem, operator_api: Api, ops, account: str
) -> None:
    import boto3

    # Given a gzip NDJSON file of good events, a duplicate and a bad line, put under events/ in the local S3
    dep, endpoints = local_system.deployment, local_system.endpoints
    assert dep is not None and endpoints is not None
    lines = [json.dumps(e) for e in _events(account, "f")] + [json.dumps(_events(account, "f")[0]), "{broken"]
    key = f"events/{account}/backfill.ndjson.gz"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoints.aws_endpoint_url,
        region_name=endpoints.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    s3.put_object(Bucket=dep.bucket, Key=key, Body=gzip.compress("\n".join(lines).encode()))

    # When the imports worker has run
    def finished() -> object:
        return next(
            (
                t
                for t in local_system.journal.transitions
                if t.task == "imports"
                and (t.idempotency_key or "").startswith(f"imports:{dep.bucket}/{key}#")
                and t.status in ("succeeded", "failed")
            ),
            None,
        )

    done = wait_for(finished, within_s=90, what="the events file imported")
    # Then its job succeeded with a report naming the bad line, and the events count in the analytics
    job = ops("job", "history", done.job_id)["job"]
    assert job["status"] == "succeeded", job
    report = job["result"]
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (6, 1, 1)
    assert [r["line"] for r in report["rejectedLines"]] == [8] and report["file"]["gzip"] is True
    _roll_up(operator_api)
    query = {
        "accountId": account,
        "granularity": "hour",
        "from": _iso(HOUR),
        "to": _iso(HOUR + timedelta(hours=1)),
        "eventTypes": "view",
    }
    assert _analytics(operator_api, **query).body["series"][0]["total"]["count"] == 5
