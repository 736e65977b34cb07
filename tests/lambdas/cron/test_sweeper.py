"""The sweeper on real PostgreSQL and moto's SQS: lost sends re-sent once, abandoned jobs returned or failed."""

from __future__ import annotations

import json

import pytest
from cron_testdata import Context, sqs_event

from common import job_store, jobs, messages
from common.deadline import Deadline

pytestmark = pytest.mark.pg

GRACE_S = 600
MAX_ATTEMPTS = 3


@pytest.fixture
def queue(aws):
    import boto3

    sqs = boto3.client("sqs")
    return sqs, sqs.create_queue(QueueName="huntaze-test-data")["QueueUrl"]


@pytest.fixture
def policy(queue):
    from cron.sweeper import SweepPolicy

    _, url = queue
    return SweepPolicy(
        queue_urls={"data": url}, max_attempts={"data": MAX_ATTEMPTS}, queued_grace_s=GRACE_S, lease_grace_s=GRACE_S
    )


def _backdate(conn, job_id, *, column: str = "updated_at") -> None:
    conn.execute(f"UPDATE jobs SET {column} = now() - interval '1 hour' WHERE id = %s", (job_id,))
    conn.commit()


def _receive_all(queue) -> list[str]:
    sqs, url = queue
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in batch:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def _sweep(db_conn, policy):
    from cron import sweep_handler, sweeper

    return sweeper.sweep(db_conn, policy, sweep_handler.send)


def _abandoned_job(db_conn, *, attempts: int) -> jobs.Job:
    """A data job whose last attempt took its lease an hour ago and never came back."""
    job, _ = job_store.create_job(db_conn, "data", {})
    job_store.start_job(db_conn, job.id, lease_seconds=60)
    db_conn.execute(
        "UPDATE jobs SET attempts = %s, lease_until = now() - interval '1 hour' WHERE id = %s", (attempts, job.id)
    )
    db_conn.commit()
    return job_store.get_job(db_conn, job.id)


def test_a_job_whose_send_was_lost_is_resent_exactly_once_and_then_runs_once(db_conn, database_env, policy, queue):
    from cron import worker

    # Given a job the API committed an hour ago whose SQS send was lost
    job, _ = job_store.create_job(db_conn, "data", {})
    _backdate(db_conn, job.id)
    # When the sweeper runs twice
    first = _sweep(db_conn, policy)
    second = _sweep(db_conn, policy)
    # Then the job's envelope is on its queue exactly once, with a history line saying why
    assert (first.resent, second.resent) == ([str(job.id)], [])
    bodies = _receive_all(queue)
    assert [json.loads(b) for b in bodies] == [job_store.get_job(db_conn, job.id).to_envelope()]
    assert job_store.job_history(db_conn, job.id)[-1].reason == job_store.RESENT
    # And when that message is delivered twice (the original send arrives late after all), the job runs once
    runs = []

    def runner(conn, attempt, msg):
        runs.append(attempt.attempts)
        return {"ok": True}

    for body in bodies * 2:
        worker.process(messages.Delivery("m", body), task="data", runner=runner, deadline=Deadline.after(60))
    assert runs == [1]
    assert job_store.get_job(db_conn, job.id).status == "succeeded"


def test_a_recently_queued_job_is_left_alone(db_conn, policy, queue):
    # Given a job queued a moment ago (its message is most likely on its way)
    job_store.create_job(db_conn, "data", {})
    db_conn.commit()
    # When the sweeper runs
    report = _sweep(db_conn, policy)
    # Then nothing is sent
    assert report.resent == [] and _receive_all(queue) == []


def test_an_abandoned_job_with_attempts_left_goes_back_to_its_queue(db_conn, policy, queue):
    # Given a running job whose worker died an hour ago, one attempt spent
    job = _abandoned_job(db_conn, attempts=1)
    # When the sweeper runs
    report = _sweep(db_conn, policy)
    # Then it is queued again with the reason, and its envelope is on the queue
    assert (report.requeued, report.failed) == ([str(job.id)], [])
    after = job_store.get_job(db_conn, job.id)
    assert (after.status, after.error_reason, after.lease_until) == ("queued", job_store.ABANDONED, None)
    assert [json.loads(b) for b in _receive_all(queue)] == [after.to_envelope()]


def test_an_abandoned_job_with_its_attempts_spent_fails_as_retries_exhausted(db_conn, policy, queue):
    # Given a running job whose worker died an hour ago on its last attempt
    job = _abandoned_job(db_conn, attempts=MAX_ATTEMPTS)
    # When the sweeper runs
    report = _sweep(db_conn, policy)
    # Then it fails with the reason, and nothing is sent
    assert (report.requeued, report.failed) == ([], [str(job.id)])
    after = job_store.get_job(db_conn, job.id)
    assert (after.status, after.error_reason) == ("failed", jobs.RETRIES_EXHAUSTED)
    assert _receive_all(queue) == []


def test_attempts_deferred_for_lack_of_ai_budget_do_not_use_up_the_retries(db_conn, policy, queue):
    from datetime import UTC, datetime, timedelta

    from common.errors import OverBudget

    # Given a job deferred MAX_ATTEMPTS times for lack of AI budget (each attempt started, did no work, waited)
    job, _ = job_store.create_job(db_conn, "data", {})
    over = OverBudget(
        "ai_budget_exhausted",
        "the day's AI budget is spent",
        scope="global",
        retry_at=datetime.now(UTC),
        retry_after_s=0,
    )
    for _ in range(MAX_ATTEMPTS):
        attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
        assert job_store.defer_job(db_conn, attempt, over, until=datetime.now(UTC) - timedelta(seconds=1)) is not None
    # and whose next attempt, the first to do work, died an hour ago
    job_store.start_job(db_conn, job.id, lease_seconds=60)
    db_conn.execute("UPDATE jobs SET lease_until = now() - interval '1 hour' WHERE id = %s", (job.id,))
    db_conn.commit()
    # When the sweeper runs
    report = _sweep(db_conn, policy)
    # Then the job goes back to its queue (one attempt of MAX_ATTEMPTS spent), not failed as retries_exhausted
    assert (report.requeued, report.failed) == ([str(job.id)], [])
    after = job_store.get_job(db_conn, job.id)
    assert (after.status, after.attempts) == ("queued", MAX_ATTEMPTS + 1)
    assert (
        db_conn.execute("SELECT deferrals FROM jobs WHERE id = %s", (job.id,)).fetchone()["deferrals"] == MAX_ATTEMPTS
    )


def test_an_abandoned_job_the_sweeper_fails_is_announced_to_the_webhook_notifier(db_conn, policy, queue, monkeypatch):
    from common import completion

    sqs, _ = queue
    events_url = sqs.create_queue(QueueName="huntaze-test-webhooks")["QueueUrl"]
    monkeypatch.setenv(completion.QUEUE_URL_ENV, events_url)
    completion.reset()
    job = _abandoned_job(db_conn, attempts=MAX_ATTEMPTS)
    _sweep(db_conn, policy)
    completion.reset()
    (message,) = sqs.receive_message(QueueUrl=events_url).get("Messages", [])
    assert json.loads(message["Body"]) == {"jobId": str(job.id), "attempt": MAX_ATTEMPTS, "event": "job.failed"}


def test_a_running_job_inside_its_lease_is_left_alone(db_conn, policy, queue):
    # Given a job running under a live lease
    job, _ = job_store.create_job(db_conn, "data", {})
    job_store.start_job(db_conn, job.id, lease_seconds=600)
    db_conn.commit()
    # When the sweeper runs
    report = _sweep(db_conn, policy)
    # Then the job keeps running and nothing is sent
    assert report.counts() == {"Resent": 0, "Requeued": 0, "FailedAbandoned": 0, "SendFailures": 0}
    assert job_store.get_job(db_conn, job.id).status == "running"


def test_a_slow_attempt_overtaken_after_a_requeue_cannot_finish_the_job(db_conn, policy, queue):
    # Given an attempt that outlived its lease by far and was swept back to the queue
    job, _ = job_store.create_job(db_conn, "data", {})
    slow = job_store.start_job(db_conn, job.id, lease_seconds=60)
    db_conn.execute("UPDATE jobs SET lease_until = now() - interval '1 hour' WHERE id = %s", (job.id,))
    db_conn.commit()
    _sweep(db_conn, policy)
    # When the re-sent message starts a new attempt, and the slow one then tries to finish
    fresh = job_store.start_job(db_conn, job.id)
    late = job_store.succeed_job(db_conn, slow, {"by": "slow"})
    # Then the slow attempt is fenced off and only the new one's result is kept
    assert late is None
    job_store.succeed_job(db_conn, fresh, {"by": "fresh"})
    assert job_store.get_job(db_conn, job.id).result == {"by": "fresh"}
    succeeded = [e for e in job_store.job_history(db_conn, job.id) if e.status == "succeeded"]
    assert len(succeeded) == 1


def test_a_send_sqs_refuses_is_counted_and_tried_again_after_the_grace(db_conn, policy, aws):
    from cron.sweeper import SweepPolicy

    # Given a lost job and a queue URL that does not exist
    job, _ = job_store.create_job(db_conn, "data", {})
    _backdate(db_conn, job.id)
    broken = SweepPolicy(
        queue_urls={"data": policy.queue_urls["data"] + "-gone"},
        max_attempts=policy.max_attempts,
        queued_grace_s=GRACE_S,
        lease_grace_s=GRACE_S,
    )
    # When the sweeper runs
    report = _sweep(db_conn, broken)
    # Then the failure is counted and the job is still queued, to be re-sent by a later sweep
    assert report.send_failures == [str(job.id)]
    assert job_store.get_job(db_conn, job.id).status == "queued"


def test_the_handler_sweeps_on_each_tick_and_emits_its_counts(db_conn, database_env, queue, monkeypatch, capsys):
    from cron import sweep_handler, sweep_settings

    _, url = queue
    monkeypatch.setenv("SWEEP_QUEUE_URLS", json.dumps({"data": url}))
    monkeypatch.setenv("SWEEP_MAX_ATTEMPTS", json.dumps({"data": MAX_ATTEMPTS}))
    for name in ("SWEEP_QUEUED_GRACE_SECONDS", "SWEEP_LEASE_GRACE_SECONDS"):
        monkeypatch.setenv(name, str(GRACE_S))
    monkeypatch.setenv("SWEEP_BATCH", "10")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")
    sweep_settings.sweep_policy.cache_clear()
    # Given a lost job
    job, _ = job_store.create_job(db_conn, "data", {})
    _backdate(db_conn, job.id)
    # When a scheduled tick arrives
    response = sweep_handler.lambda_handler(
        sqs_event(json.dumps({"task": "sweeper", "scheduledTime": "2026-03-10T12:00:00Z", "payload": {}})), Context()
    )
    sweep_settings.sweep_policy.cache_clear()
    # Then the tick is acknowledged, the job re-sent, and a Resent metric of 1 emitted
    assert response == {"batchItemFailures": []}
    assert len(_receive_all(queue)) == 1
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    resent = [m for m in emitted if "Resent" in m]
    assert [(m["Resent"], m["Task"]) for m in resent] == [([1.0], "sweeper")]
