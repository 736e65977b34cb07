"""POST /v1/jobs's submit run concurrently (threads, real PostgreSQL), with the SQS send paused on purpose."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

WAIT_S = 30  # only a hang reaches it


@pytest.fixture
def connection(database_url):
    """A unit of work on a connection of its own, as each concurrent router container has."""
    import psycopg
    from psycopg.rows import dict_row

    @contextmanager
    def connect() -> Iterator[psycopg.Connection]:
        with psycopg.connect(database_url, row_factory=dict_row) as conn:
            yield conn

    return connect


def test_a_replay_answered_during_a_refused_send_keeps_its_job(router_env, db_conn, connection):
    from common import job_store
    from router import dispatch
    from router.errors import ApiError
    from router.queues import QueueRejected
    from router.settings import router_settings

    settings = router_settings()
    sent: list[dict[str, Any]] = []
    in_send, replay_done = threading.Event(), threading.Event()

    def refused_after_the_replay(_url: str, _envelope: dict[str, Any]) -> str:
        in_send.set()
        assert replay_done.wait(WAIT_S)
        raise QueueRejected("queue_unavailable", "SQS refused the job: AccessDenied")

    def accepted(_url: str, envelope: dict[str, Any]) -> str:
        sent.append(envelope)
        return "message-id"

    def submit(send: Any) -> tuple[Any, bool]:
        return dispatch.submit_job(
            "trends", {}, "same-key", owner="alice", settings=settings, connection=connection, send=send
        )

    first_out: list[Any] = []

    def first() -> None:
        try:
            first_out.append(submit(refused_after_the_replay))
        except ApiError as exc:
            first_out.append(exc)

    # Given a first call whose send is under way (the row is committed)
    thread = threading.Thread(target=first)
    thread.start()
    assert in_send.wait(WAIT_S)
    # When a replay with the same key is answered and queues the job meanwhile
    job_id, created = submit(accepted)
    replay_done.set()
    # And the first call's send is then refused
    thread.join(WAIT_S)
    # Then the first call answers 503, and the job the replay answered for still exists, queued
    assert isinstance(first_out[0], ApiError) and first_out[0].status == 503
    assert created is False and [m["jobId"] for m in sent] == [str(job_id)]
    job = job_store.get_job(db_conn, job_id)
    assert job is not None and (job.status, job.attempts) == ("queued", 0)
